// The circuit breaker for one connection: closed -> open -> half-open -> closed.
//
// Pure state machine: it never reads a clock. Callers pass `now` (milliseconds on
// any monotonic clock) and arm a timer for reset_deadline() themselves; the
// Orchestrator core does that through its Scheduler.
#pragma once

#include <cstdint>

namespace omnidb {

enum class CircuitState : int32_t { kClosed = 0, kOpen = 1, kHalfOpen = 2 };

// Why a transition happened. The numbers cross into JS, which maps them to the
// event reasons ('failure-threshold', ...): keep lib/constants.js in step.
enum class CircuitReason : int32_t {
  kNone = 0,
  kFailureThreshold = 1,   // closed -> open
  kHalfOpenFailure = 2,    // half-open -> open
  kHealthCheckFailed = 3,  // any -> open, held until health recovers
  kResetTimeout = 4,       // open -> half-open
  kHalfOpenSuccess = 5,    // half-open -> closed
  kHealthRecovered = 6,    // any -> closed
  kExternal = 7,           // state reported by an external breaker
  kManual = 8,             // open() or reset() called by hand (standalone CircuitBreaker)
};

struct CircuitConfig {
  bool enabled = true;    // false: count failures, never open or close by itself (SetExternal only)
  int32_t threshold = 5;  // consecutive failures that open the circuit
  int64_t reset_timeout_ms = 30000;
  int32_t half_open_successes = 2;  // consecutive half-open successes that close it
  int32_t half_open_max_calls = 2;  // trial calls admitted at once while half-open
};

struct CircuitTransition {
  CircuitState from = CircuitState::kClosed;
  CircuitState to = CircuitState::kClosed;
  CircuitReason reason = CircuitReason::kNone;
  bool changed() const { return from != to; }
};

enum class Admission : int32_t { kRejected = 0, kAdmitted = 1, kTrial = 2 };

class CircuitBreaker {
 public:
  explicit CircuitBreaker(const CircuitConfig& config) : config_(config) {}

  CircuitState state() const { return state_; }
  // Consecutive failures since the last success or close.
  int32_t failures() const { return failures_; }
  int32_t trials_in_flight() const { return trials_; }
  // When an open circuit may go half-open; -1 when no timer is due (closed,
  // half-open, or held open by a failed health check).
  int64_t reset_deadline() const { return reset_deadline_; }
  // Bumped on every opening, so a reset timer armed for an older opening is ignored.
  uint32_t generation() const { return generation_; }
  bool held_open() const { return held_; }

  // Closed admits; open rejects; half-open admits up to half_open_max_calls trials.
  // A trial is identified by trial_epoch() read right after admission: the
  // half-open period that admitted it. Only an outcome from the current period
  // frees a slot, so a slow trial from an earlier period cannot let a new period
  // run more than half_open_max_calls at once.
  Admission TryAcquire();
  // The current half-open period (never 0), or 0 when not half-open.
  uint32_t trial_epoch() const { return state_ == CircuitState::kHalfOpen ? epoch_ : 0; }
  // A trial that ended without an outcome (aborted by the caller).
  void ReleaseTrial(uint32_t trial);

  // `trial`: the trial_epoch() the call was admitted with, 0 for an ordinary call.
  CircuitTransition OnSuccess(uint32_t trial);
  CircuitTransition OnFailure(uint32_t trial, int64_t now);
  // The reset timer for `generation` fired.
  CircuitTransition OnResetTimer(uint32_t generation);
  // Whether that timer would move this circuit to half-open.
  bool reset_pending(uint32_t generation) const {
    return state_ == CircuitState::kOpen && !held_ && generation == generation_ && reset_deadline_ >= 0;
  }
  // Health turned unhealthy: open and stay open (no reset timer) until ForceClose.
  CircuitTransition ForceOpen(CircuitReason reason);
  CircuitTransition ForceClose(CircuitReason reason);
  // An external breaker reported its state; mirror it for routing.
  CircuitTransition SetExternal(CircuitState state);
  // Opened by hand: open now with a fresh reset deadline, from any state (again
  // when already open: a new generation, so an older reset timer is void). Unlike
  // ForceOpen, the circuit goes half-open after reset_timeout_ms as usual.
  CircuitTransition Trip(int64_t now, CircuitReason reason);
  // Closed by hand, from any state: failures cleared, trials and reset timer void.
  CircuitTransition Reset(CircuitReason reason);

 private:
  CircuitTransition MoveTo(CircuitState to, CircuitReason reason);
  void Open(int64_t now, CircuitReason reason, CircuitTransition* out);

  CircuitConfig config_;
  CircuitState state_ = CircuitState::kClosed;
  int32_t failures_ = 0;
  int32_t half_open_successes_ = 0;
  int32_t trials_ = 0;
  int64_t reset_deadline_ = -1;
  uint32_t generation_ = 0;
  uint32_t epoch_ = 0;  // bumped on every entry into half-open
  bool held_ = false;
};

}  // namespace omnidb
