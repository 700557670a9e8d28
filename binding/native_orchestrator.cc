#include "native_orchestrator.h"

#include <string>
#include <vector>

namespace omnidb_binding {

namespace {

int32_t Int(const Napi::Object& o, const char* key) { return o.Get(key).As<Napi::Number>().Int32Value(); }

int64_t Ms(const Napi::Object& o, const char* key) { return o.Get(key).As<Napi::Number>().Int64Value(); }

omnidb::OrchestratorConfig ReadConfig(const Napi::Object& o) {
  omnidb::OrchestratorConfig config;
  Napi::Array names = o.Get("names").As<Napi::Array>();
  Napi::Array backups = o.Get("backups").As<Napi::Array>();
  Napi::Array has_check = o.Get("hasCheck").As<Napi::Array>();
  for (uint32_t i = 0; i < names.Length(); ++i) {
    config.names.push_back(names.Get(i).As<Napi::String>().Utf8Value());
    std::vector<int32_t> list;
    Napi::Array b = backups.Get(i).As<Napi::Array>();
    for (uint32_t j = 0; j < b.Length(); ++j) {
      list.push_back(b.Get(j).As<Napi::Number>().Int32Value());
    }
    config.backups.push_back(std::move(list));
    config.has_check.push_back(has_check.Get(i).ToBoolean().Value());
  }
  Napi::Object circuit = o.Get("circuit").As<Napi::Object>();
  config.circuit.enabled = circuit.Get("enabled").ToBoolean().Value();
  config.circuit.threshold = Int(circuit, "threshold");
  config.circuit.reset_timeout_ms = Ms(circuit, "resetTimeout");
  config.circuit.half_open_successes = Int(circuit, "halfOpenSuccesses");
  config.circuit.half_open_max_calls = Int(circuit, "halfOpenMaxCalls");
  Napi::Object health = o.Get("health").As<Napi::Object>();
  config.health.rise = Int(health, "rise");
  config.health.fall = Int(health, "fall");
  config.interval_ms = Ms(health, "interval");
  config.timeout_ms = Ms(health, "timeout");
  config.retries = Int(health, "retries");
  config.retry_delay_ms = Ms(health, "retryDelay");
  return config;
}

}  // namespace

Napi::Function NativeOrchestrator::Define(Napi::Env env) {
  return DefineClass(env, "NativeOrchestrator",
                     {
                         InstanceMethod<&NativeOrchestrator::Start>("start"),
                         InstanceMethod<&NativeOrchestrator::Stop>("stop"),
                         InstanceMethod<&NativeOrchestrator::Close>("close"),
                         InstanceMethod<&NativeOrchestrator::Acquire>("acquire"),
                         InstanceMethod<&NativeOrchestrator::ReleaseTrial>("releaseTrial"),
                         InstanceMethod<&NativeOrchestrator::RecordSuccess>("recordSuccess"),
                         InstanceMethod<&NativeOrchestrator::RecordFailure>("recordFailure"),
                         InstanceMethod<&NativeOrchestrator::ReportCheck>("reportCheck"),
                         InstanceMethod<&NativeOrchestrator::SetExternalCircuit>("setExternalCircuit"),
                         InstanceMethod<&NativeOrchestrator::RunDue>("runDue"),
                         InstanceMethod<&NativeOrchestrator::CheckNow>("checkNow"),
                         InstanceMethod<&NativeOrchestrator::Fallback>("fallback"),
                         InstanceMethod<&NativeOrchestrator::Details>("details"),
                     });
}

NativeOrchestrator::NativeOrchestrator(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<NativeOrchestrator>(info) {
  Napi::Env env = info.Env();
  omnidb::OrchestratorConfig config = ReadConfig(info[0].As<Napi::Object>());
  Napi::Int32Array table = info[1].As<Napi::Int32Array>();
  if (table.ElementLength() < config.names.size() * omnidb::kSlotCount) {
    throw Napi::RangeError::New(env, "state table too small");
  }
  table_ = Napi::Persistent(table);
  Napi::Object self = info.This().As<Napi::Object>();
  self.Set("dispatch", info[2].As<Napi::Function>());
  self.Set("schedule", info[3].As<Napi::Function>());
  now_ = info[4].As<Napi::Number>().Int64Value();
  core_ = std::make_unique<omnidb::Orchestrator>(config, table.Data(), now_);
}

NativeOrchestrator::~NativeOrchestrator() = default;

int64_t NativeOrchestrator::Time(const Napi::CallbackInfo& info, size_t index) {
  const int64_t now = info[index].As<Napi::Number>().Int64Value();
  if (now > now_) now_ = now;
  return now_;
}

int32_t NativeOrchestrator::Id(const Napi::CallbackInfo& info, size_t index) {
  const int32_t id = info[index].As<Napi::Number>().Int32Value();
  if (id < 0 || static_cast<size_t>(id) >= core_->size()) {
    throw Napi::RangeError::New(info.Env(), "connection id out of range");
  }
  return id;
}

uint32_t NativeOrchestrator::Ticket(const Napi::CallbackInfo& info, size_t index) {
  return info[index].IsNumber() ? info[index].As<Napi::Number>().Uint32Value() : 0;
}

void NativeOrchestrator::Flush(Napi::Env env) {
  // A listener may call back into this object (disconnect() in a 'circuit:open'
  // handler): the outer Flush keeps draining, so events stay in order, and it is
  // the one that finishes a close requested meanwhile (see Close()).
  //
  // Raw N-API with status checks, not node-addon-api: while a worker is being
  // terminated every call into JS fails, and node-addon-api's error path aborts
  // the process there. A failed call here just stops the flush.
  //
  // The schedule goes first: the state is settled before any event is delivered,
  // and a listener that throws must not leave JS without its next wake-up.
  Schedule(env);
  if (!flushing_) {
    flushing_ = true;
    DrainEvents(env);
    flushing_ = false;
    if (closing_ && !closed_) FinishClose();
  }
}

// schedule(due, keepAlive): only when either changed. keepAlive while monitoring
// runs (like a setInterval); a circuit reset pending after stop() does not keep the
// process alive. Once closing, nothing is due any more.
void NativeOrchestrator::Schedule(napi_env env) {
  const int64_t due = closing_ ? -1 : core_->next_due();
  const bool keep = due >= 0 && core_->running();
  if (due == scheduled_due_ && keep == scheduled_keep_) return;
  scheduled_due_ = due;
  scheduled_keep_ = keep;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value self;
  napi_value schedule;
  napi_value global;
  napi_value args[2];
  napi_value result;
  if (napi_get_reference_value(env, static_cast<napi_ref>(*this), &self) == napi_ok && self != nullptr &&
      napi_get_named_property(env, self, "schedule", &schedule) == napi_ok &&
      napi_get_global(env, &global) == napi_ok &&
      napi_create_double(env, static_cast<double>(due), &args[0]) == napi_ok &&
      napi_get_boolean(env, keep, &args[1]) == napi_ok) {
    napi_call_function(env, global, schedule, 2, args, &result);
  }
  napi_close_handle_scope(env, scope);
}

void NativeOrchestrator::DrainEvents(napi_env env) {
  napi_value self;
  napi_value dispatch;
  napi_value global;
  if (napi_get_reference_value(env, static_cast<napi_ref>(*this), &self) != napi_ok || self == nullptr ||
      napi_get_named_property(env, self, "dispatch", &dispatch) != napi_ok ||
      napi_get_global(env, &global) != napi_ok) {
    return;
  }
  omnidb::Event e;
  while (!closed_ && core_->TakeEvent(&e)) {
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return;
    const double values[7] = {static_cast<double>(e.type),   static_cast<double>(e.conn),
                              static_cast<double>(e.a),      static_cast<double>(e.b),
                              static_cast<double>(e.reason), static_cast<double>(e.token),
                              static_cast<double>(e.at)};
    napi_value args[7];
    bool ok = true;
    for (int i = 0; i < 7 && ok; ++i) ok = napi_create_double(env, values[i], &args[i]) == napi_ok;
    napi_value result;
    napi_status status = napi_generic_failure;
    if (ok) status = napi_call_function(env, global, dispatch, 7, args, &result);
    napi_close_handle_scope(env, scope);
    // Every call comes from JS: a pending exception propagates to the caller.
    if (status != napi_ok) return;
  }
}

void NativeOrchestrator::HoldWhileRunning() {
  if (held_ || !core_->running()) return;
  held_ = true;
  Ref();
}

void NativeOrchestrator::ReleaseWhenStopped() {
  if (!held_ || core_->running()) return;
  held_ = false;
  Unref();
}

Napi::Value NativeOrchestrator::Start(const Napi::CallbackInfo& info) {
  if (!closing_) {
    // The first round starts now, inside this call, so connect() sees its checks.
    const int64_t now = Time(info, 0);
    core_->Start(now);
    // Before the flush: a listener in it may stop or close again.
    HoldWhileRunning();
    core_->RunDue(now);
    Flush(info.Env());
  }
  return info.Env().Undefined();
}

Napi::Value NativeOrchestrator::Stop(const Napi::CallbackInfo& info) {
  if (!closing_) {
    core_->Stop();
    ReleaseWhenStopped();
    Flush(info.Env());
  }
  return info.Env().Undefined();
}

// The way hiredis's redisAsyncFree() only marks a context that is inside one of its
// callbacks: a close requested by a listener while a flush is handing events to JS
// only marks this object closing. The outer flush then goes on delivering what is
// queued, the aborts Stop() queues here included (so checks in flight see their
// signal, and connect() settles), and finishes the close when the queue is empty.
Napi::Value NativeOrchestrator::Close(const Napi::CallbackInfo& info) {
  if (!closing_) {
    closing_ = true;
    core_->Stop();
    Flush(info.Env());  // inside a flush: returns at once, the outer one finishes
  }
  return info.Env().Undefined();
}

void NativeOrchestrator::FinishClose() {
  closed_ = true;
  ReleaseWhenStopped();
}

// acquire(id): -1 rejected, 0 admitted as an ordinary call, > 0 a trial's ticket.
Napi::Value NativeOrchestrator::Acquire(const Napi::CallbackInfo& info) {
  const int32_t id = Id(info, 0);
  double ticket = -1;
  switch (core_->Acquire(id)) {
    case omnidb::Admission::kRejected: ticket = -1; break;
    case omnidb::Admission::kAdmitted: ticket = 0; break;
    case omnidb::Admission::kTrial: ticket = core_->trial_epoch(id); break;
  }
  return Napi::Number::New(info.Env(), ticket);
}

Napi::Value NativeOrchestrator::ReleaseTrial(const Napi::CallbackInfo& info) {
  core_->ReleaseTrial(Id(info, 0), Ticket(info, 1));
  return info.Env().Undefined();
}

Napi::Value NativeOrchestrator::RecordSuccess(const Napi::CallbackInfo& info) {
  core_->RecordSuccess(Id(info, 0), Ticket(info, 1), Time(info, 2));
  Flush(info.Env());
  return info.Env().Undefined();
}

Napi::Value NativeOrchestrator::RecordFailure(const Napi::CallbackInfo& info) {
  core_->RecordFailure(Id(info, 0), Ticket(info, 1), Time(info, 2));
  Flush(info.Env());
  return info.Env().Undefined();
}

Napi::Value NativeOrchestrator::ReportCheck(const Napi::CallbackInfo& info) {
  const int32_t id = Id(info, 0);
  const auto token = static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value());
  const auto outcome = static_cast<omnidb::CheckOutcome>(info[2].As<Napi::Number>().Int32Value());
  const std::string error = info[3].IsString() ? info[3].As<Napi::String>().Utf8Value() : "";
  core_->ReportCheck(id, token, outcome, error, Time(info, 4));
  Flush(info.Env());
  return info.Env().Undefined();
}

Napi::Value NativeOrchestrator::SetExternalCircuit(const Napi::CallbackInfo& info) {
  const int32_t id = Id(info, 0);
  const auto state = static_cast<omnidb::CircuitState>(info[1].As<Napi::Number>().Int32Value());
  core_->SetExternalCircuit(id, state, Time(info, 2));
  Flush(info.Env());
  return info.Env().Undefined();
}

// runDue(now): the wake-up JS armed for the last schedule() fired; runs what is due.
Napi::Value NativeOrchestrator::RunDue(const Napi::CallbackInfo& info) {
  const int64_t now = Time(info, 0);
  if (!closing_) {
    core_->RunDue(now);
    Flush(info.Env());
  }
  return info.Env().Undefined();
}

// checkNow(id, now): starts a check of `id` outside the rounds; true when one started.
Napi::Value NativeOrchestrator::CheckNow(const Napi::CallbackInfo& info) {
  const int32_t id = Id(info, 0);
  bool started = false;
  if (!closing_) {
    started = core_->CheckNow(id, Time(info, 1));
    Flush(info.Env());
  }
  return Napi::Boolean::New(info.Env(), started);
}

Napi::Value NativeOrchestrator::Fallback(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), core_->Fallback(Id(info, 0), Id(info, 1)));
}

Napi::Value NativeOrchestrator::Details(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int32_t id = Id(info, 0);
  const omnidb::HealthState& h = core_->health(id);
  Napi::Object out = Napi::Object::New(env);
  out.Set("consecutiveSuccesses", h.consecutive_successes());
  out.Set("consecutiveFailures", h.consecutive_failures());
  out.Set("lastCheckAt", static_cast<double>(h.last_check_at()));
  out.Set("lastError", h.last_error());
  Napi::Array transitions = Napi::Array::New(env, h.history_size());
  for (size_t i = 0; i < h.history_size(); ++i) {
    const omnidb::HealthTransition& t = h.history(i);
    Napi::Array row = Napi::Array::New(env, 3);
    row.Set(0u, static_cast<int32_t>(t.from));
    row.Set(1u, static_cast<int32_t>(t.to));
    row.Set(2u, static_cast<double>(t.at));
    transitions.Set(static_cast<uint32_t>(i), row);
  }
  out.Set("transitions", transitions);
  const omnidb::ConnectionMetrics& m = core_->metrics(id);
  const int64_t now = Time(info, 1);
  Napi::Array circuit_ms = Napi::Array::New(env, 3);
  for (uint32_t s = 0; s < 3; ++s) {
    circuit_ms.Set(s, static_cast<double>(core_->circuit_ms(id, static_cast<omnidb::CircuitState>(s), now)));
  }
  out.Set("circuitMs", circuit_ms);
  // When the open circuit goes half-open on its timer; -1 when none is due.
  out.Set("circuitResetAt", static_cast<double>(core_->circuit(id).reset_deadline()));
  out.Set("checks", static_cast<double>(m.checks));
  out.Set("checkTimeouts", static_cast<double>(m.check_timeouts));
  out.Set("checkLatencySumMs", static_cast<double>(m.check_latency_sum_ms));
  out.Set("checkLatencyLastMs", static_cast<double>(m.check_latency_last_ms));
  out.Set("checkLatencyMaxMs", static_cast<double>(m.check_latency_max_ms));
  return out;
}

}  // namespace omnidb_binding
