// What a health probe needs from an event loop, and what it hands back.
//
// The PostgreSQL and Redis probes (pg_probe, redis_probe) are state machines over
// these interfaces: no Node, no libuv. binding/ adapts them onto Node's libuv loop
// (uv_poll, uv_getaddrinfo); the GoogleTest suite drives them with poll(2).
//
// Threading: everything happens on one thread. A probe calls its ResultCallback
// as the last thing it does in an entry point, and at most once per Check().
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace omnidb {

// Readiness a watcher reports to its probe (a bit set).
enum IoEvent : int {
  kIoReadable = 1,
  kIoWritable = 2,
  kIoError = 4,  // the loop saw an error on the socket: the probe asks its library why
};

// Watches one socket at a time.
class IoWatcher {
 public:
  virtual ~IoWatcher() = default;
  // Watches `fd` for the given readiness, replacing any earlier request, also one on
  // another fd (a client library may switch sockets mid-connect). False when the loop
  // cannot watch it (error() says why): nothing is watched then, and the probe must not
  // wait for readiness that will never come.
  virtual bool Want(int fd, bool read, bool write) = 0;
  // Stops watching. Probes call it before anything that may close the watched socket:
  // the loop must forget an fd before the number can be reused.
  virtual void Stop() = 0;
  // Stops watching and lets go of the socket for good (before the client library closes
  // it); the next Want() starts afresh.
  virtual void Release() = 0;
  // Why the last Want() returned false.
  virtual const std::string& error() const = 0;
};

// Resolves a host name without blocking the loop.
class Resolver {
 public:
  // Numeric addresses in the resolver's order; `error` is empty on success.
  using Done = std::function<void(std::vector<std::string> addresses, std::string error)>;
  virtual ~Resolver() = default;
  // At most one resolution at a time. `done` runs later, from the loop; only a request
  // the resolver cannot even start (an invalid name) may be answered inside Resolve().
  virtual void Resolve(const std::string& host, Done done) = 0;
  // Drops the pending resolution: its `done` is never called.
  virtual void Cancel() = 0;
};

enum class ProbeStatus : int { kHealthy = 0, kDegraded = 1, kUnhealthy = 2 };

// What the server says it is. PostgreSQL: primary/standby; Redis: master/replica.
enum class ProbeRole : int { kUnknown = 0, kPrimary = 1, kStandby = 2, kMaster = 3, kReplica = 4 };

// The role a probe demands: a connection that must accept writes, or must be a replica.
enum class RequiredRole : int { kAny = 0, kPrimary = 1, kReplica = 2 };

// Turns an answering server into degraded/unhealthy. Durations in ms; < 0 means off.
struct ProbePolicy {
  int64_t degraded_after_ms = -1;
  RequiredRole required_role = RequiredRole::kAny;
  int64_t max_lag_ms = -1;
};

// What one round saw, before the policy is applied.
struct ProbeObservation {
  bool answered = false;  // false: `error` says why
  std::string error;
  double latency_ms = 0;
  ProbeRole role = ProbeRole::kUnknown;
  bool has_lag = false;  // a standby/replica reported its lag (else: unknown, null)
  double lag_ms = 0;
  std::string lag_unknown_reason;  // e.g. "the link to the master is down"
  int tls = 0;                     // kTlsUnknown, kTlsOff or a TlsKind() of the connection that answered
};

struct ProbeResult {
  ProbeStatus status = ProbeStatus::kUnhealthy;
  double latency_ms = 0;
  ProbeRole role = ProbeRole::kUnknown;
  // Lag is reported for a standby/replica only: `lag_kind` 0 = absent (primary or
  // unknown role), 1 = known (`lag_ms`), 2 = a standby whose lag is unknown (null).
  int lag_kind = 0;
  double lag_ms = 0;
  std::string error;  // why unhealthy; why degraded (informational); empty when healthy
  int tls = 0;        // as ProbeObservation::tls
};

// Whether a round ran over TLS, for the result: 0 = not said (no connection answered, or
// the probe cannot tell), 1 = plaintext, 2 = TLS of an unknown version, 3..6 = TLSv1,
// TLSv1.1, TLSv1.2, TLSv1.3 (lib/probes.js decodes the same numbers).
constexpr int kTlsUnknown = 0;
constexpr int kTlsOff = 1;
int TlsKind(bool in_use, const char* protocol);

using ResultCallback = std::function<void(const ProbeResult&)>;

// The policy, applied: error -> unhealthy; wrong role or too much lag -> unhealthy;
// slower than degraded_after -> degraded. `where` prefixes messages ("Redis at h:p").
ProbeResult ClassifyProbe(const ProbeObservation& seen, const ProbePolicy& policy, const std::string& where);

// A round that ended without an answer: `cause`, and the time it took since `started_ms`.
ProbeObservation FailedObservation(const std::string& cause, double started_ms);

// The end of every round, PostgreSQL or Redis: the observation's message folded to one
// line, the policy applied, and `secret` (the password) kept out of every message.
ProbeResult ConcludeProbe(ProbeObservation seen, const ProbePolicy& policy, const std::string& where,
                          const std::string& secret);

// `message` with every occurrence of `secret` replaced by "***" (nothing when empty).
std::string Redact(std::string message, const std::string& secret);

// Newlines and tabs from a client library's multi-line message, folded into spaces.
std::string OneLine(const std::string& message);

// True for a name that needs DNS: not empty, not an IP literal, not a socket path.
bool NeedsResolution(const std::string& host);

// "host:port", with brackets around an IPv6 literal.
std::string HostPort(const std::string& host, const std::string& port);

// A monotonic clock in ms, for latency.
double MonotonicMs();

// A probe of one server. One round at a time: Check() while busy() is a caller bug
// and is answered with an unhealthy result.
class Probe {
 public:
  virtual ~Probe() = default;
  // Starts a round; the ResultCallback receives its result (possibly before Check returns).
  virtual void Check() = 0;
  // Readiness of the watched socket (IoEvent bits), from the watcher's loop.
  virtual void OnIo(int events) = 0;
  // The round in flight ran out of time: it fails, naming what it was waiting for,
  // and the connection is dropped (its state is unknown).
  virtual void Timeout(int64_t after_ms) = 0;
  // The round in flight is abandoned: no result, the connection is dropped.
  virtual void Abort() = 0;
  // Drops the connection (and any round in flight, without a result).
  virtual void Close() = 0;
  virtual bool busy() const = 0;
  // Whether a connection is open (persistent probes keep one between rounds).
  virtual bool connected() const = 0;
};

}  // namespace omnidb
