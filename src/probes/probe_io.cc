#include "probe_io.h"

#include <arpa/inet.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace omnidb {

namespace {

std::string Ms(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f ms", std::floor(ms + 0.5));
  return buf;
}

bool IsStandbyLike(ProbeRole role) { return role == ProbeRole::kStandby || role == ProbeRole::kReplica; }

const char* RoleWord(ProbeRole role) {
  switch (role) {
    case ProbeRole::kPrimary: return "a primary (not in recovery)";
    case ProbeRole::kStandby: return "a standby (in recovery)";
    case ProbeRole::kMaster: return "a master";
    case ProbeRole::kReplica: return "a replica";
    default: return "of unknown role";
  }
}

}  // namespace

int TlsKind(bool in_use, const char* protocol) {
  if (!in_use) return kTlsOff;
  static const char* const kVersions[] = {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"};
  if (protocol != nullptr) {
    for (int i = 0; i < 4; ++i) {
      if (std::strcmp(protocol, kVersions[i]) == 0) return 3 + i;
    }
  }
  return 2;
}

ProbeResult ClassifyProbe(const ProbeObservation& seen, const ProbePolicy& policy, const std::string& where) {
  ProbeResult r;
  r.latency_ms = seen.latency_ms;
  r.role = seen.role;
  r.tls = seen.tls;
  if (IsStandbyLike(seen.role)) {
    r.lag_kind = seen.has_lag ? 1 : 2;
    r.lag_ms = seen.has_lag ? seen.lag_ms : 0;
  }
  if (!seen.answered) {
    r.status = ProbeStatus::kUnhealthy;
    r.error = where + ": " + seen.error;
    return r;
  }
  if (policy.required_role != RequiredRole::kAny) {
    const bool want_primary = policy.required_role == RequiredRole::kPrimary;
    if (seen.role == ProbeRole::kUnknown) {
      r.status = ProbeStatus::kUnhealthy;
      r.error = where + ": could not determine the server's role, but role '" +
                (want_primary ? "primary" : "replica") + "' is required" +
                (seen.error.empty() ? "" : " (" + seen.error + ")");
      return r;
    }
    if (want_primary == IsStandbyLike(seen.role)) {
      r.status = ProbeStatus::kUnhealthy;
      r.error = where + ": the server is " + RoleWord(seen.role) + ", but role '" +
                (want_primary ? "primary" : "replica") + "' is required";
      return r;
    }
  }
  if (policy.max_lag_ms >= 0 && IsStandbyLike(seen.role)) {
    if (seen.has_lag && seen.lag_ms > static_cast<double>(policy.max_lag_ms)) {
      r.status = ProbeStatus::kUnhealthy;
      r.error = where + ": replication lag " + Ms(seen.lag_ms) + " exceeds maxLag " +
                Ms(static_cast<double>(policy.max_lag_ms));
      return r;
    }
    if (!seen.has_lag && !seen.lag_unknown_reason.empty()) {
      r.status = ProbeStatus::kUnhealthy;
      r.error = where + ": replication lag unknown (" + seen.lag_unknown_reason + "), maxLag is " +
                Ms(static_cast<double>(policy.max_lag_ms));
      return r;
    }
  }
  if (policy.degraded_after_ms >= 0 && seen.latency_ms > static_cast<double>(policy.degraded_after_ms)) {
    r.status = ProbeStatus::kDegraded;
    r.error = where + ": answered in " + Ms(seen.latency_ms) + ", slower than degradedAfter " +
              Ms(static_cast<double>(policy.degraded_after_ms));
    return r;
  }
  r.status = ProbeStatus::kHealthy;
  return r;
}

std::string Redact(std::string message, const std::string& secret) {
  if (secret.empty()) return message;
  for (size_t at = message.find(secret); at != std::string::npos; at = message.find(secret, at + 3)) {
    message.replace(at, secret.size(), "***");
  }
  return message;
}

std::string OneLine(const std::string& message) {
  std::string out;
  out.reserve(message.size());
  bool space = false;
  for (char c : message) {
    if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

bool NeedsResolution(const std::string& host) {
  if (host.empty() || host[0] == '/' || host[0] == '@') return false;
  unsigned char buf[16];
  if (inet_pton(AF_INET, host.c_str(), buf) == 1) return false;
  if (inet_pton(AF_INET6, host.c_str(), buf) == 1) return false;
  return true;
}

std::string HostPort(const std::string& host, const std::string& port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + port;
}

double MonotonicMs() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

ProbeObservation FailedObservation(const std::string& cause, double started_ms) {
  ProbeObservation seen;
  seen.latency_ms = MonotonicMs() - started_ms;
  seen.error = cause;
  return seen;
}

ProbeResult ConcludeProbe(ProbeObservation seen, const ProbePolicy& policy, const std::string& where,
                          const std::string& secret) {
  seen.error = Redact(OneLine(seen.error), secret);
  ProbeResult result = ClassifyProbe(seen, policy, where);
  result.error = Redact(result.error, secret);
  return result;
}

}  // namespace omnidb
