// omnidb::Resolver on Node's libuv loop: uv_getaddrinfo in the thread pool, so a probe
// never blocks the JS thread on DNS (libpq and hiredis would, given a host name).
//
// A request, not a handle (no uv_close): each is a heap block freed, and its async env
// cleanup hook removed, only in its callback, which libuv always calls, cancelled or not
// (the same end of life as UvHandle's). A cancelled request's answer is dropped. The hook
// makes a terminating worker cancel the request and wait for that callback; it is added
// before the request starts, and a request that cannot start is answered at once.
#pragma once

#include <node_api.h>
#include <uv.h>

#include "../src/probes/probe_io.h"

namespace omnidb_binding {

class UvResolver : public omnidb::Resolver {
 public:
  // `loop`: LoopOf(env).
  UvResolver(napi_env env, uv_loop_t* loop);
  ~UvResolver() override { Cancel(); }
  UvResolver(const UvResolver&) = delete;
  UvResolver& operator=(const UvResolver&) = delete;

  void Resolve(const std::string& host, Done done) override;
  void Cancel() override;

 private:
  struct Request;
  static void OnResolved(uv_getaddrinfo_t* req, int status, struct addrinfo* res);
  static void OnEnvCleanup(napi_async_cleanup_hook_handle hook, void* arg);

  napi_env env_;
  uv_loop_t* loop_ = nullptr;
  Request* pending_ = nullptr;
};

}  // namespace omnidb_binding
