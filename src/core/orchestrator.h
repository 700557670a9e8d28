// The orchestrator core: every connection's circuit breaker and health state, the
// failover router, and the scheduler that times health checks and circuit resets.
//
// It is driven from outside and never blocks: the host reports call outcomes and
// check results, fires due timers through RunDue(now), and reads back what changed
// in two ways:
//   - a state table of int32 slots per connection (route, circuit, health,
//     failures), written in place so the JS hot path reads it without a call;
//   - a FIFO of events (transitions, and requests to start or abort a check).
// Health checks themselves run in the host (a JS function, or later a native
// probe); the core decides when they start, when they time out, and what their
// results mean.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "circuit_breaker.h"
#include "failover_router.h"
#include "health.h"
#include "scheduler.h"

namespace omnidb {

// Slots of the state table, per connection. lib/constants.js mirrors these.
enum Slot : int32_t {
  kSlotRoute = 0,     // id of the connection that serves this name now
  kSlotCircuit = 1,   // CircuitState
  kSlotHealth = 2,    // HealthStatus
  kSlotFailures = 3,  // consecutive failures
  kSlotCount = 4,
};

enum class EventType : int32_t {
  kHealthChanged = 1,    // a: previous HealthStatus, b: current
  kCircuitOpen = 2,      // reason
  kCircuitHalfOpen = 3,  // reason
  kCircuitClose = 4,     // reason
  kFailover = 5,         // conn: the primary, a: the backup now serving, b: the one before
  kRecovery = 6,         // conn: the primary, usable again; a: the backup it leaves
  kCheckStart = 7,       // token, a: attempt (0 first, then retries)
  kCheckAbort = 8,       // token: the check timed out or monitoring stopped
};

struct Event {
  EventType type = EventType::kHealthChanged;
  int32_t conn = -1;
  int32_t a = 0;
  int32_t b = 0;
  int32_t reason = 0;
  uint64_t token = 0;
  int64_t at = 0;
};

// Per connection figures the core keeps because it sees every transition and check
// with its `now`: time spent in each circuit state and health-check latency. Call
// counts and call latency live in JS (lib/metrics.js): the hot path never enters
// the core.
struct ConnectionMetrics {
  int64_t circuit_ms[3] = {0, 0, 0};   // by CircuitState, up to circuit_since
  int64_t circuit_since = 0;           // when the current circuit state began
  int64_t checks = 0;                  // check attempts finished (answered or timed out)
  int64_t check_timeouts = 0;          // of which timed out
  int64_t check_latency_sum_ms = 0;    // start to answer (timeouts count their limit)
  int64_t check_latency_last_ms = -1;  // -1 before the first
  int64_t check_latency_max_ms = 0;
};

struct OrchestratorConfig {
  std::vector<std::string> names;
  std::vector<std::vector<int32_t>> backups;  // per connection, by index; see FailoverRouter
  std::vector<bool> has_check;                // per connection
  CircuitConfig circuit;
  HealthConfig health;
  int64_t interval_ms = 30000;
  int64_t timeout_ms = 5000;
  int32_t retries = 0;
  int64_t retry_delay_ms = 1000;
};

class Orchestrator {
 public:
  // `table` holds names.size() * kSlotCount int32s, stays owned by the caller and
  // must outlive this object.
  // `now`: the time the connections start in the closed state (time-in-state base).
  Orchestrator(const OrchestratorConfig& config, int32_t* table, int64_t now = 0);

  size_t size() const { return circuits_.size(); }
  bool running() const { return running_; }

  // Starts monitoring with a first round of checks now. No-op when running.
  void Start(int64_t now);
  // Stops monitoring: aborts checks in flight and drops their timers. Open circuits
  // keep their reset timers. No-op when stopped.
  void Stop();

  Admission Acquire(int32_t id) { return circuits_[id].TryAcquire(); }
  // The ticket of a trial just admitted by Acquire(); see CircuitBreaker.
  uint32_t trial_epoch(int32_t id) const { return circuits_[id].trial_epoch(); }
  void ReleaseTrial(int32_t id, uint32_t trial) { circuits_[id].ReleaseTrial(trial); }
  // `trial`: the ticket from trial_epoch() for a trial call, 0 otherwise.
  void RecordSuccess(int32_t id, uint32_t trial, int64_t now);
  void RecordFailure(int32_t id, uint32_t trial, int64_t now);
  // Result of the check started by the kCheckStart event with `token`. Stale
  // tokens (timed out, superseded, stopped) are ignored.
  void ReportCheck(int32_t id, uint64_t token, CheckOutcome outcome, const std::string& error, int64_t now);
  // Mirrors an external breaker's state for routing.
  void SetExternalCircuit(int32_t id, CircuitState state, int64_t now);
  // Starts a check of `id` now, outside the rounds (the host saw a sign of trouble:
  // its client reported an error). The rounds keep their cadence. False, and nothing
  // happens, when not running, when `id` has no check, or when one (or its retry) is
  // already going.
  bool CheckNow(int32_t id, int64_t now);

  // Where a call to `id` that just failed on `failed` may be retried: the first
  // usable connection (circuit closed, health not unhealthy) among `id` and its
  // failover candidates other than `failed`, or -1 when there is none. A half-open
  // connection is never a fallback: a retry is no trial call.
  int32_t Fallback(int32_t id, int32_t failed) const;

  // Runs every timer due at or before `now`.
  void RunDue(int64_t now);
  // The earliest deadline of work that will happen, -1 when none: stale entries
  // at the top are dropped first, so the host's one timer (and a test's
  // runOnlyPendingTimers()) fires for something real.
  int64_t next_due();

  bool TakeEvent(Event* out);
  size_t pending_events() const { return events_.size(); }

  const HealthState& health(int32_t id) const { return health_[id]; }
  const CircuitBreaker& circuit(int32_t id) const { return circuits_[id]; }
  int32_t route(int32_t id) const { return table_[id * kSlotCount + kSlotRoute]; }
  bool checking(int32_t id) const { return checks_[id].token != 0 || checks_[id].retry != 0; }

  const ConnectionMetrics& metrics(int32_t id) const { return metrics_[id]; }
  // Milliseconds spent in `state` up to `now`, the current stretch included.
  int64_t circuit_ms(int32_t id, CircuitState state, int64_t now) const;

 private:
  struct CheckSlot {
    uint64_t token = 0;  // the attempt in flight, 0 when none
    uint64_t retry = 0;  // a retry scheduled with this token, 0 when none
    int32_t attempt = 0;
    int64_t started_at = 0;  // of the attempt in flight
  };

  void StartCheck(int32_t id, int32_t attempt, int64_t now);
  void FinishAttempt(int32_t id, CheckOutcome outcome, const std::string& error, int64_t now);
  void ApplyHealth(int32_t id, CheckOutcome outcome, const std::string& error, int64_t now);
  void OnCircuit(int32_t id, const CircuitTransition& t, int64_t now);
  void Emit(EventType type, int32_t conn, int32_t a, int32_t b, int32_t reason, uint64_t token, int64_t now);
  // Publishes the state table and emits failover/recovery for changed routes.
  void Refresh(int64_t now);
  bool Stale(const TimerEntry& e) const;
  // May serve any call: circuit closed, health not unhealthy.
  bool Usable(int32_t id) const;
  // May serve trial calls only: circuit half-open, health not unhealthy.
  bool OnTrial(int32_t id) const;
  // Accounts the stretch spent in `from` when the circuit of `id` leaves it.
  void TrackCircuit(int32_t id, CircuitState from, int64_t now);
  void TrackCheck(int32_t id, int64_t latency_ms, bool timed_out);

  OrchestratorConfig config_;
  int32_t* table_;
  std::vector<CircuitBreaker> circuits_;
  std::vector<HealthState> health_;
  std::vector<CheckSlot> checks_;
  std::vector<ConnectionMetrics> metrics_;
  // Per primary: the backup it failed over to and has not recovered from, or -1.
  std::vector<int32_t> serving_backup_;
  FailoverRouter router_;
  Scheduler scheduler_;
  std::deque<Event> events_;
  uint64_t next_token_ = 1;
  uint64_t round_token_ = 0;  // bumped by Start/Stop so older rounds are stale
  bool running_ = false;
};

}  // namespace omnidb
