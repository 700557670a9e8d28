// The JS face of one standalone omnidb::CircuitBreaker (lib/circuit-breaker.js):
// translation only.
//
// After every call it publishes the breaker into a JS-owned Int32Array (the slots
// below), so JS reads the state without a call and calls in only when an outcome can
// change something. The breaker reads no clock here: JS times the reset itself (the
// global setTimeout, which fake timers see), arming it whenever the published
// generation moves while open, and reports it with resetTimer(generation).
#pragma once

#include <napi.h>

#include "../src/core/circuit_breaker.h"

namespace omnidb_binding {

// lib/constants.js BreakerSlot mirrors these.
enum BreakerSlot : int32_t {
  kBreakerState = 0,       // CircuitState
  kBreakerFailures = 1,    // consecutive failures
  kBreakerGeneration = 2,  // bumped on every opening (uint32 bits)
  kBreakerTrials = 3,      // half-open trial calls in flight
  kBreakerSlotCount = 4,
};

class NativeCircuitBreaker : public Napi::ObjectWrap<NativeCircuitBreaker> {
 public:
  static Napi::Function Define(Napi::Env env);

  // new NativeCircuitBreaker({ threshold, resetTimeout, halfOpenSuccesses,
  //                            halfOpenMaxCalls }, table: Int32Array(kBreakerSlotCount))
  explicit NativeCircuitBreaker(const Napi::CallbackInfo& info);

 private:
  // acquire(): -1 rejected, 0 admitted as an ordinary call, > 0 a trial's ticket.
  Napi::Value Acquire(const Napi::CallbackInfo& info);
  // success(ticket) / failure(ticket): ticket 0 for an ordinary call.
  Napi::Value Success(const Napi::CallbackInfo& info);
  Napi::Value Failure(const Napi::CallbackInfo& info);
  // resetTimer(generation): the reset timer armed for that opening fired.
  Napi::Value ResetTimer(const Napi::CallbackInfo& info);
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value Reset(const Napi::CallbackInfo& info);

  static uint32_t Uint(const Napi::CallbackInfo& info, size_t index);
  void Publish();

  omnidb::CircuitBreaker breaker_;
  Napi::Reference<Napi::Int32Array> table_;
  int32_t* slots_ = nullptr;  // table_'s memory, kept alive by table_
};

}  // namespace omnidb_binding
