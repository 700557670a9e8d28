// The JS face of a health probe (omnidb::PgProbe / RedisProbe / MysqlProbe): translation only.
//
//   new NativeProbe(config, result: Float64Array(3))
//                                   config: one plain object, validated and defaulted in JS
//   probe.check(timeoutMs) -> Promise<undefined | string>
//                                   settles when the round does; the result is in `result`:
//                                   [latencyMs, lagMs, code], code = status | role << 2 |
//                                   lagKind << 5 | tls << 8 (probe_io.h); the promise value is the
//                                   error text, if any. lib/probes.js turns it into an object.
//   probe.cancel()                  abandons the round in flight (its promise settles
//                                   unhealthy, 'aborted'; JS has already moved on)
//   probe.close()                   drops the connection; a later check() opens a new one
//
// Numbers go through a JS-owned typed array (as the orchestrator's state table does): an
// object built here costs more than the rest of a round's JS. The timeout is a LoopTimer,
// stopped (not closed) between rounds. While a round is in flight the object holds a
// reference to itself (a dropped probe function cannot strand its promise) and its
// handles keep the loop alive; between rounds they do not. The promise is resolved from
// libuv callbacks inside a callback scope, so its reactions run at once.
#pragma once

#include <napi.h>

#include <memory>
#include <optional>

#include "../src/probes/probe_io.h"
#include "loop_timer.h"
#include "uv_poll_watcher.h"
#include "uv_resolver.h"

namespace omnidb_binding {

class NativeProbe : public Napi::ObjectWrap<NativeProbe> {
 public:
  static Napi::Function Define(Napi::Env env);
  // Which kinds this build supports: { postgres: boolean, redis: boolean, mysql: boolean }.
  static Napi::Object Support(Napi::Env env);

  explicit NativeProbe(const Napi::CallbackInfo& info);
  ~NativeProbe() override;

 private:
  Napi::Value Check(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Busy(const Napi::CallbackInfo& info);

  static void OnIo(void* self, int events);
  static void OnTeardown(void* self);
  static void OnTimer(void* self);
  // Settles the promise of the round with the result the core reported.
  void Deliver(bool from_loop);
  void Abandon(const char* why, bool from_loop);

  // Members are destroyed bottom-up: the probe goes before the watcher and resolver it uses.
  uv_loop_t* loop_;
  UvPollWatcher watcher_;
  UvResolver resolver_;
  LoopTimer timer_;
  std::unique_ptr<omnidb::Probe> probe_;
  std::unique_ptr<Napi::AsyncContext> async_context_;
  std::optional<Napi::Promise::Deferred> deferred_;
  std::optional<omnidb::ProbeResult> result_;
  Napi::Reference<Napi::Float64Array> view_;
  double* slots_ = nullptr;  // view_'s memory: [latencyMs, lagMs, code]
  int64_t timeout_ms_ = 0;
  bool torn_down_ = false;
  bool in_entry_ = false;  // the core is running on our stack: deliver after it returns
};

}  // namespace omnidb_binding
