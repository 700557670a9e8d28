#include "native_circuit_breaker.h"

namespace omnidb_binding {

namespace {

// JS validated every field (lib/options.js circuitSettings): plain numbers here.
omnidb::CircuitConfig ReadConfig(const Napi::Value& value) {
  Napi::Object o = value.As<Napi::Object>();
  omnidb::CircuitConfig config;
  config.threshold = o.Get("threshold").As<Napi::Number>().Int32Value();
  config.reset_timeout_ms = o.Get("resetTimeout").As<Napi::Number>().Int64Value();
  config.half_open_successes = o.Get("halfOpenSuccesses").As<Napi::Number>().Int32Value();
  config.half_open_max_calls = o.Get("halfOpenMaxCalls").As<Napi::Number>().Int32Value();
  return config;
}

// No clock here (see the header): every opening happens at time 0, so the core's
// reset deadline is just resetTimeout, the delay JS arms its timer with.
constexpr int64_t kNoClock = 0;

}  // namespace

Napi::Function NativeCircuitBreaker::Define(Napi::Env env) {
  return DefineClass(env, "NativeCircuitBreaker",
                     {
                         InstanceMethod<&NativeCircuitBreaker::Acquire>("acquire"),
                         InstanceMethod<&NativeCircuitBreaker::Success>("success"),
                         InstanceMethod<&NativeCircuitBreaker::Failure>("failure"),
                         InstanceMethod<&NativeCircuitBreaker::ResetTimer>("resetTimer"),
                         InstanceMethod<&NativeCircuitBreaker::Open>("open"),
                         InstanceMethod<&NativeCircuitBreaker::Reset>("reset"),
                     });
}

NativeCircuitBreaker::NativeCircuitBreaker(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<NativeCircuitBreaker>(info), breaker_(ReadConfig(info[0])) {
  Napi::Int32Array table = info[1].As<Napi::Int32Array>();
  if (table.ElementLength() < kBreakerSlotCount) {
    throw Napi::RangeError::New(info.Env(), "breaker table too small");
  }
  table_ = Napi::Persistent(table);
  slots_ = table.Data();
  Publish();
}

uint32_t NativeCircuitBreaker::Uint(const Napi::CallbackInfo& info, size_t index) {
  return info[index].IsNumber() ? info[index].As<Napi::Number>().Uint32Value() : 0;
}

void NativeCircuitBreaker::Publish() {
  slots_[kBreakerState] = static_cast<int32_t>(breaker_.state());
  slots_[kBreakerFailures] = breaker_.failures();
  slots_[kBreakerGeneration] = static_cast<int32_t>(breaker_.generation());
  slots_[kBreakerTrials] = breaker_.trials_in_flight();
}

Napi::Value NativeCircuitBreaker::Acquire(const Napi::CallbackInfo& info) {
  double ticket = -1;
  switch (breaker_.TryAcquire()) {
    case omnidb::Admission::kRejected: ticket = -1; break;
    case omnidb::Admission::kAdmitted: ticket = 0; break;
    case omnidb::Admission::kTrial: ticket = breaker_.trial_epoch(); break;
  }
  Publish();
  return Napi::Number::New(info.Env(), ticket);
}

Napi::Value NativeCircuitBreaker::Success(const Napi::CallbackInfo& info) {
  breaker_.OnSuccess(Uint(info, 0));
  Publish();
  return info.Env().Undefined();
}

Napi::Value NativeCircuitBreaker::Failure(const Napi::CallbackInfo& info) {
  breaker_.OnFailure(Uint(info, 0), kNoClock);
  Publish();
  return info.Env().Undefined();
}

Napi::Value NativeCircuitBreaker::ResetTimer(const Napi::CallbackInfo& info) {
  breaker_.OnResetTimer(Uint(info, 0));
  Publish();
  return info.Env().Undefined();
}

Napi::Value NativeCircuitBreaker::Open(const Napi::CallbackInfo& info) {
  breaker_.Trip(kNoClock, omnidb::CircuitReason::kManual);
  Publish();
  return info.Env().Undefined();
}

Napi::Value NativeCircuitBreaker::Reset(const Napi::CallbackInfo& info) {
  breaker_.Reset(omnidb::CircuitReason::kManual);
  Publish();
  return info.Env().Undefined();
}

}  // namespace omnidb_binding
