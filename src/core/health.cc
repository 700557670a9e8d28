#include "health.h"

namespace omnidb {

bool HealthState::Apply(CheckOutcome outcome, const std::string& error, int64_t now, HealthTransition* out) {
  last_check_at_ = now;
  HealthStatus next = status_;
  if (outcome == CheckOutcome::kFailed) {
    last_error_ = error;
    successes_ = 0;
    if (failures_ < INT32_MAX) ++failures_;
    if (failures_ >= config_.fall) next = HealthStatus::kUnhealthy;
  } else {
    failures_ = 0;
    if (successes_ < INT32_MAX) ++successes_;
    const HealthStatus answered =
        outcome == CheckOutcome::kDegraded ? HealthStatus::kDegraded : HealthStatus::kHealthy;
    // Leaving unhealthy waits for `rise` good checks; moving between healthy and
    // degraded follows every answer.
    if (status_ != HealthStatus::kUnhealthy || successes_ >= config_.rise) next = answered;
  }
  if (next == status_) return false;
  *out = HealthTransition{status_, next, now};
  status_ = next;
  history_[history_next_] = *out;
  history_next_ = (history_next_ + 1) % kHistory;
  if (history_count_ < kHistory) ++history_count_;
  return true;
}

}  // namespace omnidb
