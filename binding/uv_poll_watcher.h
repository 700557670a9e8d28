// omnidb::IoWatcher on Node's libuv loop: one uv_poll_t per watched socket.
//
// The handle lives in a heap block freed only in uv_close's callback; the block holds
// an async env cleanup hook from its first Want() until that callback, so a worker
// being terminated waits for the close instead of aborting on a live handle. A uv_poll
// is bound to one fd: Want() on another fd closes the old block and opens a new one.
//
// A loop error on the socket (libuv stops the handle and reports a status < 0) reaches
// the owner as kIoError; the probe then asks its client library what went wrong.
#pragma once

#include <node_api.h>
#include <uv.h>

#include "../src/probes/probe_io.h"

namespace omnidb_binding {

class UvPollWatcher : public omnidb::IoWatcher {
 public:
  using Callback = void (*)(void* owner, int events);  // omnidb::IoEvent bits
  // The environment is going away (worker terminated, process exit): the handle is
  // already being closed; the owner releases what it holds on the socket, without JS.
  using Teardown = void (*)(void* owner);

  UvPollWatcher(napi_env env, Callback callback, Teardown teardown, void* owner);
  ~UvPollWatcher() override { Release(); }
  UvPollWatcher(const UvPollWatcher&) = delete;
  UvPollWatcher& operator=(const UvPollWatcher&) = delete;

  void Want(int fd, bool read, bool write) override;
  void Stop() override;
  void Release() override;

  // Whether an active watch keeps the loop alive: yes while a check is in flight, no for
  // an idle kept connection (Redis watches it for a server-side close).
  void SetKeepAlive(bool keep_alive);

 private:
  struct Block;
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnEnvCleanup(napi_async_cleanup_hook_handle hook, void* arg);
  static void CloseBlock(Block* block);

  napi_env env_;
  uv_loop_t* loop_ = nullptr;
  Callback callback_;
  Teardown teardown_;
  void* owner_;
  Block* block_ = nullptr;
  bool keep_alive_ = true;
};

}  // namespace omnidb_binding
