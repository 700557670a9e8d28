// Health of one connection, fed by check outcomes.
//
// `rise` consecutive good checks are needed to leave `unhealthy`, `fall`
// consecutive failed ones to enter it. A `degraded` answer is a good check that
// reports a slow or partial server: it never counts toward `unhealthy`.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace omnidb {

enum class HealthStatus : int32_t { kHealthy = 0, kDegraded = 1, kUnhealthy = 2 };

// What one check (after its retries) concluded.
enum class CheckOutcome : int32_t { kHealthy = 0, kDegraded = 1, kFailed = 2 };

struct HealthConfig {
  int32_t rise = 1;
  int32_t fall = 1;
};

struct HealthTransition {
  HealthStatus from = HealthStatus::kHealthy;
  HealthStatus to = HealthStatus::kHealthy;
  int64_t at = 0;
};

class HealthState {
 public:
  static constexpr size_t kHistory = 16;

  explicit HealthState(const HealthConfig& config) : config_(config) {}

  HealthStatus status() const { return status_; }
  int32_t consecutive_successes() const { return successes_; }
  int32_t consecutive_failures() const { return failures_; }
  int64_t last_check_at() const { return last_check_at_; }  // -1 before the first
  const std::string& last_error() const { return last_error_; }

  // Applies one outcome; returns true and fills *out when the status changed.
  bool Apply(CheckOutcome outcome, const std::string& error, int64_t now, HealthTransition* out);

  // The most recent transitions, oldest first; at most kHistory.
  size_t history_size() const { return history_count_; }
  const HealthTransition& history(size_t i) const {
    return history_[(history_next_ + kHistory - history_count_ + i) % kHistory];
  }

 private:
  HealthConfig config_;
  HealthStatus status_ = HealthStatus::kHealthy;
  int32_t successes_ = 0;
  int32_t failures_ = 0;
  int64_t last_check_at_ = -1;
  std::string last_error_;
  std::array<HealthTransition, kHistory> history_{};
  size_t history_next_ = 0;
  size_t history_count_ = 0;
};

}  // namespace omnidb
