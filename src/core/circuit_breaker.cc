#include "circuit_breaker.h"

namespace omnidb {

CircuitTransition CircuitBreaker::MoveTo(CircuitState to, CircuitReason reason) {
  CircuitTransition t{state_, to, reason};
  state_ = to;
  half_open_successes_ = 0;
  trials_ = 0;
  if (to != CircuitState::kOpen) {
    reset_deadline_ = -1;
    held_ = false;
  }
  if (to == CircuitState::kClosed) failures_ = 0;
  if (to == CircuitState::kHalfOpen && ++epoch_ == 0) epoch_ = 1;
  return t;
}

void CircuitBreaker::Open(int64_t now, CircuitReason reason, CircuitTransition* out) {
  *out = MoveTo(CircuitState::kOpen, reason);
  ++generation_;
  reset_deadline_ = now + config_.reset_timeout_ms;
}

Admission CircuitBreaker::TryAcquire() {
  switch (state_) {
    case CircuitState::kClosed: return Admission::kAdmitted;
    case CircuitState::kOpen: return Admission::kRejected;
    case CircuitState::kHalfOpen:
      if (trials_ >= config_.half_open_max_calls) return Admission::kRejected;
      ++trials_;
      return Admission::kTrial;
  }
  return Admission::kRejected;
}

void CircuitBreaker::ReleaseTrial(uint32_t trial) {
  if (trial != 0 && trial == trial_epoch() && trials_ > 0) --trials_;
}

CircuitTransition CircuitBreaker::OnSuccess(uint32_t trial) {
  CircuitTransition none{state_, state_, CircuitReason::kNone};
  failures_ = 0;
  if (state_ != CircuitState::kHalfOpen) return none;
  // Every success counts, not only admitted trials: users of get() report
  // outcomes through recordSuccess()/recordFailure() without taking a trial slot.
  ReleaseTrial(trial);
  if (++half_open_successes_ < config_.half_open_successes) return none;
  return MoveTo(CircuitState::kClosed, CircuitReason::kHalfOpenSuccess);
}

CircuitTransition CircuitBreaker::OnFailure(uint32_t trial, int64_t now) {
  CircuitTransition t{state_, state_, CircuitReason::kNone};
  if (failures_ < INT32_MAX) ++failures_;
  if (!config_.enabled) return t;
  switch (state_) {
    case CircuitState::kClosed:
      if (failures_ >= config_.threshold) Open(now, CircuitReason::kFailureThreshold, &t);
      break;
    case CircuitState::kHalfOpen:
      (void)trial;  // any failure while half-open reopens, trial or not
      Open(now, CircuitReason::kHalfOpenFailure, &t);
      break;
    case CircuitState::kOpen: break;  // a late outcome of a call admitted before the circuit opened
  }
  return t;
}

CircuitTransition CircuitBreaker::OnResetTimer(uint32_t generation) {
  if (!reset_pending(generation)) return {state_, state_, CircuitReason::kNone};
  return MoveTo(CircuitState::kHalfOpen, CircuitReason::kResetTimeout);
}

CircuitTransition CircuitBreaker::ForceOpen(CircuitReason reason) {
  CircuitTransition t{state_, state_, CircuitReason::kNone};
  if (!config_.enabled) return t;
  if (state_ != CircuitState::kOpen) {
    t = MoveTo(CircuitState::kOpen, reason);
    ++generation_;
  }
  // Already open from failures: keep it open, but now until health recovers.
  held_ = true;
  reset_deadline_ = -1;
  return t;
}

CircuitTransition CircuitBreaker::ForceClose(CircuitReason reason) {
  // Disabled: the state only mirrors an external breaker, which closes itself.
  if (!config_.enabled || state_ == CircuitState::kClosed) {
    return {state_, state_, CircuitReason::kNone};
  }
  return MoveTo(CircuitState::kClosed, reason);
}

CircuitTransition CircuitBreaker::SetExternal(CircuitState state) {
  if (state == state_) return {state_, state_, CircuitReason::kNone};
  CircuitTransition t = MoveTo(state, CircuitReason::kExternal);
  if (state == CircuitState::kOpen) {
    // The external breaker owns its own reset timer; ours stays unarmed.
    ++generation_;
    held_ = true;
    reset_deadline_ = -1;
  }
  return t;
}

CircuitTransition CircuitBreaker::Trip(int64_t now, CircuitReason reason) {
  if (!config_.enabled) return {state_, state_, CircuitReason::kNone};
  CircuitTransition t;
  Open(now, reason, &t);
  held_ = false;  // MoveTo keeps a hold when already open; a manual opening times out
  return t.changed() ? t : CircuitTransition{state_, state_, CircuitReason::kNone};
}

CircuitTransition CircuitBreaker::Reset(CircuitReason reason) {
  // MoveTo also when closed: that is what clears a closed circuit's failure count.
  const CircuitTransition t = MoveTo(CircuitState::kClosed, reason);
  return t.changed() ? t : CircuitTransition{state_, state_, CircuitReason::kNone};
}

}  // namespace omnidb
