// One libuv timer on Node's own loop, with one visible end of life.
//
// The uv handle lives in a heap block that is freed only in uv_close's callback.
// The owner may go away first (Close() detaches it), and a worker thread being
// terminated closes it from an async cleanup hook: a uv handle still open when a
// worker's loop is torn down aborts the process.
#pragma once

#include <node_api.h>
#include <uv.h>

#include <cstdint>

namespace omnidb_binding {

class LoopTimer {
 public:
  using Callback = void (*)(void* owner);

  LoopTimer(napi_env env, Callback callback, void* owner);
  ~LoopTimer() { Close(); }
  LoopTimer(const LoopTimer&) = delete;
  LoopTimer& operator=(const LoopTimer&) = delete;

  // Fires the callback once, `delay_ms` from now. Opens the handle on first use.
  // `keep_alive`: whether this timer alone keeps the process running (a probe's
  // timeout does, like the socket it bounds).
  void Arm(int64_t delay_ms, bool keep_alive);
  // Cancels a pending callback; the handle stays open for the next Arm() (no allocation,
  // no cleanup hook churn for a timer re-armed often, like a probe's timeout).
  void Stop();
  // Releases the handle; a later Arm() opens a new one.
  void Close();

 private:
  struct Block;
  static void OnTimer(uv_timer_t* handle);
  static void OnEnvCleanup(napi_async_cleanup_hook_handle hook, void* arg);

  napi_env env_;
  uv_loop_t* loop_ = nullptr;
  Callback callback_;
  void* owner_;
  Block* block_ = nullptr;
};

}  // namespace omnidb_binding
