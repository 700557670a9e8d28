// Module entry: the NativeOrchestrator class, the two validators JS calls once at
// construction, the NativeProbe class (with which kinds this build supports), and
// the NativeCircuitBreaker class behind the standalone CircuitBreaker.
// No per-process state: the addon loads in any number of workers.
#include <napi.h>

#include <string>
#include <vector>

#include "../src/core/duration.h"
#include "../src/core/failover_router.h"
#include "native_circuit_breaker.h"
#include "native_orchestrator.h"
#include "native_probe.h"
#ifdef OMNIDB_LIBPQ_DLOPEN
#include "libpq_loader.h"
#endif

namespace {

// parseDuration(value: string | number): milliseconds, or -1 when invalid.
Napi::Value ParseDuration(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t ms = -1;
  if (info[0].IsString()) {
    ms = omnidb::ParseDuration(info[0].As<Napi::String>().Utf8Value());
  } else if (info[0].IsNumber()) {
    ms = omnidb::ValidateDurationMs(info[0].As<Napi::Number>().DoubleValue());
  }
  return Napi::Number::New(env, static_cast<double>(ms));
}

// validateFailover(names: string[], spec: Array<[primary, backups[]]>): '' or the message.
Napi::Value ValidateFailover(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::string> names;
  Napi::Array n = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < n.Length(); ++i) names.push_back(n.Get(i).As<Napi::String>());
  omnidb::FailoverRouter::Spec spec;
  Napi::Array s = info[1].As<Napi::Array>();
  for (uint32_t i = 0; i < s.Length(); ++i) {
    Napi::Array entry = s.Get(i).As<Napi::Array>();
    Napi::Array list = entry.Get(1u).As<Napi::Array>();
    std::vector<std::string> backups;
    for (uint32_t j = 0; j < list.Length(); ++j) backups.push_back(list.Get(j).As<Napi::String>());
    spec.emplace_back(entry.Get(0u).As<Napi::String>(), std::move(backups));
  }
  return Napi::String::New(env, omnidb::FailoverRouter::Validate(names, spec));
}

// probeLibraryError(kind: string): '' when the client library of that probe kind can be
// used, else why not. Only libpq is loaded at run time (on this first ask); hiredis and
// MariaDB Connector/C are linked in, so their answer is always ''.
Napi::Value ProbeLibraryError(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#ifdef OMNIDB_LIBPQ_DLOPEN
  if (info[0].IsString() && info[0].As<Napi::String>().Utf8Value() == "postgres") {
    const char* error = omnidb::LoadLibpq();
    return Napi::String::New(env, error != nullptr ? error : "");
  }
#endif
  return Napi::String::New(env, "");
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeOrchestrator", omnidb_binding::NativeOrchestrator::Define(env));
  exports.Set("parseDuration", Napi::Function::New(env, ParseDuration, "parseDuration"));
  exports.Set("validateFailover", Napi::Function::New(env, ValidateFailover, "validateFailover"));
  exports.Set("NativeProbe", omnidb_binding::NativeProbe::Define(env));
  exports.Set("probeSupport", omnidb_binding::NativeProbe::Support(env));
  exports.Set("probeLibraryError", Napi::Function::New(env, ProbeLibraryError, "probeLibraryError"));
  exports.Set("NativeCircuitBreaker", omnidb_binding::NativeCircuitBreaker::Define(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(omnidb, Init)
