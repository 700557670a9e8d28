#include "native_probe.h"

#include <string>
#include <utility>

#include "../src/probes/mysql_probe.h"
#include "../src/probes/pg_probe.h"
#include "../src/probes/redis_probe.h"

namespace omnidb_binding {

namespace {

std::string Str(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
}

int64_t Int(const Napi::Object& o, const char* key, int64_t fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int64Value() : fallback;
}

bool Bool(const Napi::Object& o, const char* key, bool fallback) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : fallback;
}

omnidb::ProbePolicy ReadPolicy(const Napi::Object& o) {
  omnidb::ProbePolicy p;
  p.degraded_after_ms = Int(o, "degradedAfter", -1);
  p.required_role = static_cast<omnidb::RequiredRole>(Int(o, "requiredRole", 0));
  p.max_lag_ms = Int(o, "maxLag", -1);
  return p;
}

omnidb::PgProbeConfig ReadPg(const Napi::Object& o) {
  omnidb::PgProbeConfig c;
  c.target.host = Str(o, "host");
  c.target.hostaddr = Str(o, "hostaddr");
  c.target.port = Str(o, "port");
  c.target.user = Str(o, "user");
  c.target.password = Str(o, "password");
  c.target.dbname = Str(o, "database");
  c.target.server_name = Str(o, "serverName");
  Napi::Value params = o.Get("params");
  if (params.IsArray()) {
    Napi::Array list = params.As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); ++i) {
      Napi::Array kv = list.Get(i).As<Napi::Array>();
      c.target.params.emplace_back(kv.Get(0u).As<Napi::String>().Utf8Value(),
                                   kv.Get(1u).As<Napi::String>().Utf8Value());
    }
  }
  c.query = Str(o, "query");
  c.detect_role = Bool(o, "detectRole", true);
  c.persistent = Bool(o, "persistent", true);
  c.policy = ReadPolicy(o);
  return c;
}

omnidb::RedisProbeConfig ReadRedis(const Napi::Object& o) {
  omnidb::RedisProbeConfig c;
  c.target.host = Str(o, "host");
  c.target.port = static_cast<int>(Int(o, "port", 6379));
  c.target.path = Str(o, "path");
  c.target.username = Str(o, "username");
  c.target.password = Str(o, "password");
  c.target.db = static_cast<int>(Int(o, "db", 0));
  c.detect_role = Bool(o, "detectRole", true);
  c.persistent = Bool(o, "persistent", true);
  c.policy = ReadPolicy(o);
  return c;
}

omnidb::MysqlProbeConfig ReadMysql(const Napi::Object& o) {
  omnidb::MysqlProbeConfig c;
  c.target.host = Str(o, "host");
  c.target.port = static_cast<int>(Int(o, "port", 3306));
  c.target.socket_path = Str(o, "socketPath");
  c.target.user = Str(o, "user");
  c.target.password = Str(o, "password");
  c.target.database = Str(o, "database");
  c.query = Str(o, "query");
  c.detect_role = Bool(o, "detectRole", true);
  c.persistent = Bool(o, "persistent", true);
  c.policy = ReadPolicy(o);
  return c;
}

// The layout lib/probes.js decodes: status | role << 2 | lagKind << 5 | tls << 8.
double Code(const omnidb::ProbeResult& r) {
  return static_cast<double>(static_cast<int>(r.status) | (static_cast<int>(r.role) << 2) |
                             (r.lag_kind << 5) | (r.tls << 8));
}

uv_loop_t* LoopOrThrow(Napi::Env env) {
  uv_loop_t* loop = LoopOf(env);
  if (loop == nullptr) throw Napi::Error::New(env, "NativeProbe: napi_get_uv_event_loop failed");
  return loop;
}

}  // namespace

Napi::Function NativeProbe::Define(Napi::Env env) {
  return DefineClass(env, "NativeProbe",
                     {
                         InstanceMethod<&NativeProbe::Check>("check"),
                         InstanceMethod<&NativeProbe::Cancel>("cancel"),
                         InstanceMethod<&NativeProbe::Close>("close"),
                         InstanceMethod<&NativeProbe::Busy>("busy"),
                     });
}

Napi::Object NativeProbe::Support(Napi::Env env) {
  Napi::Object out = Napi::Object::New(env);
#ifdef OMNIDB_HAVE_LIBPQ
  out.Set("postgres", true);
#else
  out.Set("postgres", false);
#endif
#ifdef OMNIDB_HAVE_HIREDIS
  out.Set("redis", true);
#else
  out.Set("redis", false);
#endif
#ifdef OMNIDB_HAVE_MARIADB
  out.Set("mysql", true);
#else
  out.Set("mysql", false);
#endif
  return out;
}

NativeProbe::NativeProbe(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<NativeProbe>(info),
      loop_(LoopOrThrow(info.Env())),
      watcher_(info.Env(), loop_, &NativeProbe::OnIo, &NativeProbe::OnTeardown, this),
      resolver_(info.Env(), loop_),
      timer_(info.Env(), loop_, &NativeProbe::OnTimer, this) {
  Napi::Env env = info.Env();
  Napi::Object config = info[0].As<Napi::Object>();
  Napi::Float64Array view = info[1].As<Napi::Float64Array>();
  if (view.ElementLength() < 3) throw Napi::RangeError::New(env, "NativeProbe: result array too small");
  view_ = Napi::Persistent(view);
  slots_ = view.Data();
  const std::string kind = Str(config, "kind");
  // Inside one of our entry points the result waits until the core has returned; a result
  // reached from elsewhere (the resolver's callback) is delivered at once, from the loop.
  auto on_result = [this](const omnidb::ProbeResult& r) {
    result_ = r;
    if (!in_entry_ && deferred_.has_value()) Deliver(true);
  };
  watcher_.SetKeepAlive(false);
  if (kind == "postgres") {
    probe_ = std::make_unique<omnidb::PgProbe>(ReadPg(config), &watcher_, &resolver_, on_result);
  } else if (kind == "redis") {
    probe_ = std::make_unique<omnidb::RedisProbe>(ReadRedis(config), &watcher_, &resolver_, on_result);
  } else if (kind == "mysql") {
    probe_ = std::make_unique<omnidb::MysqlProbe>(ReadMysql(config), &watcher_, &resolver_, on_result);
  } else {
    throw Napi::TypeError::New(env, "NativeProbe: unknown kind");
  }
  async_context_ = std::make_unique<Napi::AsyncContext>(env, "omnidb:probe");
}

NativeProbe::~NativeProbe() {
  torn_down_ = true;
  probe_.reset();  // drops the connection: the watcher lets go of the socket first
  timer_.Close();
}

Napi::Value NativeProbe::Check(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (deferred_.has_value()) {
    throw Napi::Error::New(env, "NativeProbe: a check is already in flight");
  }
  timeout_ms_ = info[0].IsNumber() ? info[0].As<Napi::Number>().Int64Value() : 0;
  deferred_.emplace(Napi::Promise::Deferred::New(env));
  Napi::Promise promise = deferred_->Promise();
  result_.reset();
  Ref();  // held until the round settles
  watcher_.SetKeepAlive(true);
  if (timeout_ms_ > 0) {
    const std::string error = timer_.Arm(timeout_ms_, true);
    if (!error.empty()) {
      // Without its timeout a round could hang: it does not start.
      Abandon(("could not arm the check timeout: " + error).c_str(), false);
      return promise;
    }
  }
  in_entry_ = true;
  probe_->Check();
  in_entry_ = false;
  if (result_.has_value()) Deliver(false);  // e.g. refused at once on loopback
  return promise;
}

Napi::Value NativeProbe::Cancel(const Napi::CallbackInfo& info) {
  probe_->Abort();  // no result: Abort never reports
  if (deferred_.has_value()) Abandon("aborted", false);
  return info.Env().Undefined();
}

Napi::Value NativeProbe::Close(const Napi::CallbackInfo& info) {
  probe_->Close();
  if (deferred_.has_value()) Abandon("closed", false);
  timer_.Close();
  return info.Env().Undefined();
}

Napi::Value NativeProbe::Busy(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), deferred_.has_value());
}

void NativeProbe::OnIo(void* raw, int events) {
  auto* self = static_cast<NativeProbe*>(raw);
  self->in_entry_ = true;
  self->probe_->OnIo(events);
  self->in_entry_ = false;
  if (self->result_.has_value() && self->deferred_.has_value()) self->Deliver(true);
}

void NativeProbe::OnTimer(void* raw) {
  auto* self = static_cast<NativeProbe*>(raw);
  if (!self->deferred_.has_value()) return;
  self->in_entry_ = true;
  self->probe_->Timeout(self->timeout_ms_);
  self->in_entry_ = false;
  if (self->result_.has_value()) self->Deliver(true);
}

void NativeProbe::OnTeardown(void* raw) {
  // No JS from here on: close the connection, forget the promise.
  auto* self = static_cast<NativeProbe*>(raw);
  self->torn_down_ = true;
  self->probe_->Close();
  self->timer_.Close();
  self->deferred_.reset();
  self->result_.reset();
}

void NativeProbe::Abandon(const char* why, bool from_loop) {
  omnidb::ProbeResult r;
  r.error = why;
  result_ = r;
  Deliver(from_loop);
}

void NativeProbe::Deliver(bool from_loop) {
  timer_.Stop();
  watcher_.SetKeepAlive(false);
  omnidb::ProbeResult result = std::move(*result_);
  result_.reset();
  Napi::Promise::Deferred deferred = std::move(*deferred_);
  deferred_.reset();
  if (torn_down_) return;
  slots_[0] = result.latency_ms;
  slots_[1] = result.lag_ms;
  slots_[2] = Code(result);
  Napi::Env env = Env();
  if (!from_loop) {
    Unref();
    deferred.Resolve(result.error.empty() ? env.Undefined() : Napi::String::New(env, result.error));
    return;
  }
  // From a libuv callback: nothing above us catches. A failing N-API call here means the
  // environment is shutting down; there is no one left to tell.
  try {
    Napi::HandleScope scope(env);
    Unref();
    Napi::CallbackScope callback_scope(env, *async_context_);  // runs the promise reactions on close
    deferred.Resolve(result.error.empty() ? env.Undefined() : Napi::String::New(env, result.error));
  } catch (const Napi::Error&) {
  }
}

}  // namespace omnidb_binding
