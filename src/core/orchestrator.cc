#include "orchestrator.h"

#include <cstddef>

namespace omnidb {

Orchestrator::Orchestrator(const OrchestratorConfig& config, int32_t* table, int64_t now)
    : config_(config),
      table_(table),
      circuits_(config.names.size(), CircuitBreaker(config.circuit)),
      health_(config.names.size(), HealthState(config.health)),
      checks_(config.names.size()),
      metrics_(config.names.size()),
      serving_backup_(config.names.size(), -1),
      router_(config.backups) {
  for (size_t i = 0; i < circuits_.size(); ++i) {
    table_[i * kSlotCount + kSlotRoute] = static_cast<int32_t>(i);
    metrics_[i].circuit_since = now;
  }
  Refresh(0);
}

void Orchestrator::Emit(EventType type, int32_t conn, int32_t a, int32_t b, int32_t reason, uint64_t token,
                        int64_t now) {
  events_.push_back(Event{type, conn, a, b, reason, token, now});
}

bool Orchestrator::TakeEvent(Event* out) {
  if (events_.empty()) return false;
  *out = events_.front();
  events_.pop_front();
  return true;
}

void Orchestrator::Start(int64_t now) {
  if (running_) return;
  running_ = true;
  ++round_token_;
  scheduler_.Add(now, TimerKind::kHealthRound, -1, round_token_);
}

void Orchestrator::Stop() {
  if (!running_) return;
  running_ = false;
  ++round_token_;
  for (size_t i = 0; i < checks_.size(); ++i) {
    CheckSlot& slot = checks_[i];
    if (slot.token != 0) {
      Emit(EventType::kCheckAbort, static_cast<int32_t>(i), 0, 0, 0, slot.token, 0);
    }
    slot = CheckSlot{};
  }
  // Keep only circuit resets: an open circuit still goes half-open on time.
  Scheduler kept;
  TimerEntry e;
  while (scheduler_.PopDue(INT64_MAX, &e)) {
    if (e.kind == TimerKind::kCircuitReset) kept.Add(e.due, e.kind, e.conn, e.token);
  }
  scheduler_ = kept;
}

void Orchestrator::RecordSuccess(int32_t id, uint32_t trial, int64_t now) {
  OnCircuit(id, circuits_[id].OnSuccess(trial), now);
  Refresh(now);
}

void Orchestrator::RecordFailure(int32_t id, uint32_t trial, int64_t now) {
  OnCircuit(id, circuits_[id].OnFailure(trial, now), now);
  Refresh(now);
}

void Orchestrator::SetExternalCircuit(int32_t id, CircuitState state, int64_t now) {
  // External breakers emit their own events (the JS layer relays them), so only the
  // routing consequences are ours to report.
  const CircuitTransition t = circuits_[id].SetExternal(state);
  if (t.changed()) TrackCircuit(id, t.from, now);
  Refresh(now);
}

bool Orchestrator::CheckNow(int32_t id, int64_t now) {
  if (!running_ || !config_.has_check[id] || checking(id)) return false;
  StartCheck(id, 0, now);
  return true;
}

void Orchestrator::StartCheck(int32_t id, int32_t attempt, int64_t now) {
  CheckSlot& slot = checks_[id];
  slot.token = next_token_++;
  slot.retry = 0;
  slot.attempt = attempt;
  slot.started_at = now;
  Emit(EventType::kCheckStart, id, attempt, 0, 0, slot.token, now);
  scheduler_.Add(now + config_.timeout_ms, TimerKind::kCheckTimeout, id, slot.token);
}

void Orchestrator::ReportCheck(int32_t id, uint64_t token, CheckOutcome outcome, const std::string& error,
                               int64_t now) {
  if (token == 0 || checks_[id].token != token) return;
  TrackCheck(id, now - checks_[id].started_at, false);
  FinishAttempt(id, outcome, error, now);
}

void Orchestrator::FinishAttempt(int32_t id, CheckOutcome outcome, const std::string& error, int64_t now) {
  CheckSlot& slot = checks_[id];
  const uint64_t token = slot.token;
  slot.token = 0;
  if (outcome == CheckOutcome::kFailed && slot.attempt < config_.retries) {
    slot.retry = token;
    scheduler_.Add(now + config_.retry_delay_ms, TimerKind::kCheckRetry, id, token);
    return;
  }
  ApplyHealth(id, outcome, error, now);
}

void Orchestrator::ApplyHealth(int32_t id, CheckOutcome outcome, const std::string& error, int64_t now) {
  HealthTransition t;
  if (health_[id].Apply(outcome, error, now, &t)) {
    Emit(EventType::kHealthChanged, id, static_cast<int32_t>(t.from), static_cast<int32_t>(t.to), 0, 0, now);
    if (t.to == HealthStatus::kUnhealthy) {
      OnCircuit(id, circuits_[id].ForceOpen(CircuitReason::kHealthCheckFailed), now);
    } else if (t.from == HealthStatus::kUnhealthy) {
      // Degraded answers too: the server is back, so calls may reach it again.
      OnCircuit(id, circuits_[id].ForceClose(CircuitReason::kHealthRecovered), now);
    }
  }
  Refresh(now);
}

void Orchestrator::OnCircuit(int32_t id, const CircuitTransition& t, int64_t now) {
  if (!t.changed()) return;
  TrackCircuit(id, t.from, now);
  const int32_t reason = static_cast<int32_t>(t.reason);
  switch (t.to) {
    case CircuitState::kOpen:
      Emit(EventType::kCircuitOpen, id, 0, 0, reason, 0, now);
      if (circuits_[id].reset_deadline() >= 0) {
        scheduler_.Add(circuits_[id].reset_deadline(), TimerKind::kCircuitReset, id,
                       circuits_[id].generation());
      }
      break;
    case CircuitState::kHalfOpen: Emit(EventType::kCircuitHalfOpen, id, 0, 0, reason, 0, now); break;
    case CircuitState::kClosed: Emit(EventType::kCircuitClose, id, 0, 0, reason, 0, now); break;
  }
}

int64_t Orchestrator::next_due() {
  TimerEntry e;
  while (scheduler_.Peek(&e) && Stale(e)) scheduler_.Pop();
  return scheduler_.next_due();
}

// Whether RunDue() would do nothing for `e`: the same tests as its handlers.
bool Orchestrator::Stale(const TimerEntry& e) const {
  switch (e.kind) {
    case TimerKind::kHealthRound: return !running_ || e.token != round_token_;
    case TimerKind::kCheckTimeout: return checks_[e.conn].token != e.token;
    case TimerKind::kCheckRetry: return !running_ || checks_[e.conn].retry != e.token;
    case TimerKind::kCircuitReset: return !circuits_[e.conn].reset_pending(static_cast<uint32_t>(e.token));
  }
  return false;
}

void Orchestrator::RunDue(int64_t now) {
  TimerEntry e;
  while (scheduler_.PopDue(now, &e)) {
    switch (e.kind) {
      case TimerKind::kHealthRound: {
        if (!running_ || e.token != round_token_) break;
        for (size_t i = 0; i < checks_.size(); ++i) {
          // A connection whose previous check (or its retry) is still going skips
          // this round rather than running two checks at once.
          const int32_t id = static_cast<int32_t>(i);
          if (config_.has_check[i] && !checking(id)) StartCheck(id, 0, now);
        }
        // Rounds keep their cadence; after a stall, the next one is an interval away.
        int64_t next = e.due + config_.interval_ms;
        if (next <= now) next = now + config_.interval_ms;
        scheduler_.Add(next, TimerKind::kHealthRound, -1, round_token_);
        break;
      }
      case TimerKind::kCheckTimeout: {
        CheckSlot& slot = checks_[e.conn];
        if (slot.token != e.token) break;
        Emit(EventType::kCheckAbort, e.conn, 0, 0, 0, e.token, now);
        TrackCheck(e.conn, now - slot.started_at, true);
        FinishAttempt(e.conn, CheckOutcome::kFailed,
                      "Health check timed out after " + std::to_string(config_.timeout_ms) + "ms", now);
        break;
      }
      case TimerKind::kCheckRetry: {
        CheckSlot& slot = checks_[e.conn];
        if (!running_ || slot.retry != e.token) break;
        StartCheck(e.conn, slot.attempt + 1, now);
        break;
      }
      case TimerKind::kCircuitReset: {
        const CircuitTransition t = circuits_[e.conn].OnResetTimer(static_cast<uint32_t>(e.token));
        OnCircuit(e.conn, t, now);
        if (t.changed()) Refresh(now);
        break;
      }
    }
  }
}

void Orchestrator::TrackCircuit(int32_t id, CircuitState from, int64_t now) {
  ConnectionMetrics& m = metrics_[id];
  if (now <= m.circuit_since) return;  // zero-length stretch
  m.circuit_ms[static_cast<int32_t>(from)] += now - m.circuit_since;
  m.circuit_since = now;
}

void Orchestrator::TrackCheck(int32_t id, int64_t latency_ms, bool timed_out) {
  ConnectionMetrics& m = metrics_[id];
  if (latency_ms < 0) latency_ms = 0;
  ++m.checks;
  if (timed_out) ++m.check_timeouts;
  m.check_latency_sum_ms += latency_ms;
  m.check_latency_last_ms = latency_ms;
  if (latency_ms > m.check_latency_max_ms) m.check_latency_max_ms = latency_ms;
}

int64_t Orchestrator::circuit_ms(int32_t id, CircuitState state, int64_t now) const {
  const ConnectionMetrics& m = metrics_[id];
  int64_t ms = m.circuit_ms[static_cast<int32_t>(state)];
  if (circuits_[id].state() == state && now > m.circuit_since) ms += now - m.circuit_since;
  return ms;
}

bool Orchestrator::Usable(int32_t id) const {
  return health_[id].status() != HealthStatus::kUnhealthy && circuits_[id].state() == CircuitState::kClosed;
}

bool Orchestrator::OnTrial(int32_t id) const {
  return health_[id].status() != HealthStatus::kUnhealthy && circuits_[id].state() == CircuitState::kHalfOpen;
}

int32_t Orchestrator::Fallback(int32_t id, int32_t failed) const {
  if (id != failed && Usable(id)) return id;
  for (int32_t c : router_.candidates(id)) {
    if (c != failed && Usable(c)) return c;
  }
  return -1;
}

void Orchestrator::Refresh(int64_t now) {
  const int32_t n = static_cast<int32_t>(circuits_.size());
  for (int32_t i = 0; i < n; ++i) {
    int32_t* row = table_ + static_cast<std::ptrdiff_t>(i) * kSlotCount;
    row[kSlotCircuit] = static_cast<int32_t>(circuits_[i].state());
    row[kSlotHealth] = static_cast<int32_t>(health_[i].status());
    row[kSlotFailures] = circuits_[i].failures();
  }
  auto usable = [this](int32_t c) { return Usable(c); };
  auto on_trial = [this](int32_t c) { return OnTrial(c); };
  for (int32_t i = 0; i < n; ++i) {
    if (!router_.has_backups(i)) continue;
    int32_t* row = table_ + static_cast<std::ptrdiff_t>(i) * kSlotCount;
    // A half-open primary stays behind a usable backup: only its trial calls reach
    // it (the host asks Acquire(i) for those), so recovery waits for the circuit to
    // close instead of sending every call back at the first sign of life.
    const int32_t next = router_.Resolve(i, usable, on_trial);
    row[kSlotRoute] = next;
    int32_t& backup = serving_backup_[i];
    if (next != i) {
      if (next != backup) {
        Emit(EventType::kFailover, i, next, backup < 0 ? i : backup, 0, 0, now);
        backup = next;
      }
    } else if (backup >= 0 && usable(i)) {
      // Recovery means the primary serves again because it is back (closed, not
      // unhealthy), not because every backup went down too (then it routes to the
      // primary, still failed or only half-open).
      Emit(EventType::kRecovery, i, backup, 0, 0, 0, now);
      backup = -1;
    }
  }
}

}  // namespace omnidb
