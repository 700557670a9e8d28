// omnidb::IoWatcher on Node's libuv loop: one uv_poll_t (a UvHandle) per watched socket.
//
// A uv_poll is bound to one fd: Want() on another fd closes the old handle and opens a
// new one. The handle's cleanup hook makes a terminating worker wait for its close
// instead of aborting on a live handle; the owner then hears Teardown.
//
// A loop error on the socket (libuv stops the handle and reports a status < 0) reaches
// the owner as kIoError; the probe then asks its client library what went wrong. A
// socket libuv cannot watch at all (uv_poll_init/uv_poll_start fails) is Want()'s false.
#pragma once

#include <node_api.h>
#include <uv.h>

#include <string>

#include "../src/probes/probe_io.h"
#include "uv_handle.h"

namespace omnidb_binding {

class UvPollWatcher : public omnidb::IoWatcher {
 public:
  using Callback = void (*)(void* owner, int events);  // omnidb::IoEvent bits
  // The environment is going away (worker terminated, process exit): the handle is
  // already being closed; the owner releases what it holds on the socket, without JS.
  using Teardown = void (*)(void* owner);

  // `loop`: LoopOf(env).
  UvPollWatcher(napi_env env, uv_loop_t* loop, Callback callback, Teardown teardown, void* owner);
  UvPollWatcher(const UvPollWatcher&) = delete;
  UvPollWatcher& operator=(const UvPollWatcher&) = delete;

  bool Want(int fd, bool read, bool write) override;
  void Stop() override;
  void Release() override;
  const std::string& error() const override { return error_; }

  // Whether an active watch keeps the loop alive: yes while a check is in flight, no for
  // an idle kept connection (Redis watches it for a server-side close).
  void SetKeepAlive(bool keep_alive);

 private:
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnEnvCleanup(void* self);

  napi_env env_;
  uv_loop_t* loop_;
  Callback callback_;
  Teardown teardown_;
  void* owner_;
  int fd_ = -1;     // the fd the open handle watches
  int active_ = 0;  // the uv events the handle is started with; 0 when stopped
  bool keep_alive_ = true;
  std::string error_;  // why the last Want() failed
  UvHandle<uv_poll_t> handle_;
};

}  // namespace omnidb_binding
