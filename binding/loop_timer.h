// One libuv timer on Node's own loop (a UvHandle<uv_timer_t>): a probe's check timeout.
#pragma once

#include <node_api.h>
#include <uv.h>

#include <cstdint>
#include <string>

#include "uv_handle.h"

namespace omnidb_binding {

class LoopTimer {
 public:
  using Callback = void (*)(void* owner);

  // `loop`: LoopOf(env).
  LoopTimer(napi_env env, uv_loop_t* loop, Callback callback, void* owner);
  LoopTimer(const LoopTimer&) = delete;
  LoopTimer& operator=(const LoopTimer&) = delete;

  // Fires the callback once, `delay_ms` from now. Opens the handle on first use.
  // `keep_alive`: whether this timer alone keeps the process running (a probe's
  // timeout does, like the socket it bounds). Empty on success, else why (nothing armed).
  std::string Arm(int64_t delay_ms, bool keep_alive);
  // Cancels a pending callback; the handle stays open for the next Arm() (no allocation,
  // no cleanup hook churn for a timer re-armed often, like a probe's timeout).
  void Stop();
  // Releases the handle; a later Arm() opens a new one.
  void Close() { handle_.Close(); }

 private:
  static void OnTimer(uv_timer_t* handle);

  napi_env env_;
  uv_loop_t* loop_;
  Callback callback_;
  void* owner_;
  UvHandle<uv_timer_t> handle_;  // closed by its own cleanup hook when the environment goes
};

}  // namespace omnidb_binding
