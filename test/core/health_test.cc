// HealthState: rise/fall thresholds, degraded answers, last error, history ring.
#include "core/health.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace omnidb {
namespace {

constexpr HealthStatus kHealthy = HealthStatus::kHealthy;
constexpr HealthStatus kDegraded = HealthStatus::kDegraded;
constexpr HealthStatus kUnhealthy = HealthStatus::kUnhealthy;

constexpr CheckOutcome kGood = CheckOutcome::kHealthy;
constexpr CheckOutcome kSlow = CheckOutcome::kDegraded;
constexpr CheckOutcome kFailed = CheckOutcome::kFailed;

constexpr int64_t kT0 = 1000;
constexpr int64_t kT1 = 2000;
const std::string kNoError;
const std::string kRefused = "connect ECONNREFUSED 127.0.0.1:5432";
const std::string kTimedOut = "Health check timed out after 5000ms";

const char* Name(HealthStatus s) {
  switch (s) {
    case HealthStatus::kHealthy: return "healthy";
    case HealthStatus::kDegraded: return "degraded";
    case HealthStatus::kUnhealthy: return "unhealthy";
  }
  return "?";
}

::testing::AssertionResult IsTransition(const HealthTransition& t, HealthStatus from, HealthStatus to,
                                        int64_t at) {
  if (t.from == from && t.to == to && t.at == at) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got " << Name(t.from) << " -> " << Name(t.to) << " at " << t.at
                                       << ", want " << Name(from) << " -> " << Name(to) << " at " << at;
}

HealthConfig Config(int32_t rise, int32_t fall) {
  HealthConfig c;
  c.rise = rise;
  c.fall = fall;
  return c;
}

// Feeds `outcome` `times` times, ignoring transitions.
void Feed(HealthState& h, CheckOutcome outcome, int times, int64_t now = kT0) {
  HealthTransition ignored;
  for (int i = 0; i < times; ++i) h.Apply(outcome, outcome == kFailed ? kRefused : kNoError, now, &ignored);
}

HealthState Unhealthy(int32_t rise) {
  HealthState h(Config(rise, 1));
  Feed(h, kFailed, 1);
  return h;
}

// ---- initial state ----------------------------------------------------------------

TEST(HealthState, StartsHealthyWithNoCheckYet) {
  const HealthState h(Config(1, 1));
  EXPECT_EQ(h.status(), kHealthy);
  EXPECT_EQ(h.last_check_at(), -1);
  EXPECT_EQ(h.last_error(), "");
  EXPECT_EQ(h.history_size(), 0u);
  EXPECT_EQ(h.consecutive_failures(), 0);
  EXPECT_EQ(h.consecutive_successes(), 0);
}

TEST(HealthState, GoodCheckOnHealthyIsNoTransition) {
  HealthState h(Config(1, 1));
  HealthTransition t;
  EXPECT_FALSE(h.Apply(kGood, kNoError, kT0, &t));
  EXPECT_EQ(h.status(), kHealthy);
  EXPECT_EQ(h.consecutive_successes(), 1);
}

// ---- fall -------------------------------------------------------------------------

TEST(HealthState, FailedCheckWithFallOneTurnsUnhealthy) {
  HealthState h(Config(1, 1));
  HealthTransition t;
  ASSERT_TRUE(h.Apply(kFailed, kRefused, kT0, &t));
  EXPECT_TRUE(IsTransition(t, kHealthy, kUnhealthy, kT0));
  EXPECT_EQ(h.status(), kUnhealthy);
}

TEST(HealthState, FailuresBelowFallStayHealthy) {
  HealthState h(Config(1, 3));
  Feed(h, kFailed, 1);
  HealthTransition t;
  EXPECT_FALSE(h.Apply(kFailed, kRefused, kT0, &t));
  EXPECT_EQ(h.status(), kHealthy);
  EXPECT_EQ(h.consecutive_failures(), 2);
}

TEST(HealthState, FailureReachingFallTurnsUnhealthy) {
  HealthState h(Config(1, 3));
  Feed(h, kFailed, 2);
  HealthTransition t;
  ASSERT_TRUE(h.Apply(kFailed, kRefused, kT1, &t));
  EXPECT_TRUE(IsTransition(t, kHealthy, kUnhealthy, kT1));
}

TEST(HealthState, GoodCheckResetsTheFailureCount) {
  HealthState h(Config(1, 3));
  Feed(h, kFailed, 2);
  Feed(h, kGood, 1);
  Feed(h, kFailed, 2);
  EXPECT_EQ(h.status(), kHealthy);
  EXPECT_EQ(h.consecutive_failures(), 2);
}

TEST(HealthState, FailureFromDegradedTurnsUnhealthy) {
  HealthState h(Config(1, 1));
  Feed(h, kSlow, 1);
  HealthTransition t;
  ASSERT_TRUE(h.Apply(kFailed, kRefused, kT1, &t));
  EXPECT_TRUE(IsTransition(t, kDegraded, kUnhealthy, kT1));
}

TEST(HealthState, FailedCheckWhileUnhealthyIsNoTransition) {
  HealthState h = Unhealthy(1);
  HealthTransition t;
  EXPECT_FALSE(h.Apply(kFailed, kRefused, kT1, &t));
  EXPECT_EQ(h.status(), kUnhealthy);
}

// ---- degraded ---------------------------------------------------------------------

TEST(HealthState, DegradedAnswerTurnsHealthyIntoDegraded) {
  HealthState h(Config(1, 1));
  HealthTransition t;
  ASSERT_TRUE(h.Apply(kSlow, kNoError, kT0, &t));
  EXPECT_TRUE(IsTransition(t, kHealthy, kDegraded, kT0));
}

TEST(HealthState, HealthyAnswerTurnsDegradedIntoHealthy) {
  HealthState h(Config(1, 1));
  Feed(h, kSlow, 1);
  HealthTransition t;
  ASSERT_TRUE(h.Apply(kGood, kNoError, kT1, &t));
  EXPECT_TRUE(IsTransition(t, kDegraded, kHealthy, kT1));
}

TEST(HealthState, DegradedNeverCountsTowardUnhealthy) {
  HealthState h(Config(1, 1));
  Feed(h, kSlow, 50);
  EXPECT_EQ(h.status(), kDegraded);
  EXPECT_EQ(h.consecutive_failures(), 0);
}

TEST(HealthState, DegradedAnswerBreaksARunOfFailures) {
  HealthState h(Config(1, 2));
  Feed(h, kFailed, 1);
  Feed(h, kSlow, 1);
  HealthTransition t;
  EXPECT_FALSE(h.Apply(kFailed, kRefused, kT1, &t));
  EXPECT_EQ(h.status(), kDegraded);
  EXPECT_EQ(h.consecutive_failures(), 1);
}

TEST(HealthState, RiseDoesNotDelayMovingBetweenHealthyAndDegraded) {
  HealthState h(Config(3, 1));
  HealthTransition t;
  EXPECT_TRUE(h.Apply(kSlow, kNoError, kT0, &t));
  EXPECT_TRUE(h.Apply(kGood, kNoError, kT1, &t));
  EXPECT_TRUE(IsTransition(t, kDegraded, kHealthy, kT1));
}

// ---- rise ---------------------------------------------------------------------------

TEST(HealthState, GoodChecksBelowRiseStayUnhealthy) {
  HealthState h = Unhealthy(3);
  Feed(h, kGood, 1);
  HealthTransition t;
  EXPECT_FALSE(h.Apply(kGood, kNoError, kT1, &t));
  EXPECT_EQ(h.status(), kUnhealthy);
  EXPECT_EQ(h.consecutive_successes(), 2);
}

TEST(HealthState, GoodCheckReachingRiseTurnsHealthy) {
  HealthState h = Unhealthy(3);
  Feed(h, kGood, 2);
  HealthTransition t;
  ASSERT_TRUE(h.Apply(kGood, kNoError, kT1, &t));
  EXPECT_TRUE(IsTransition(t, kUnhealthy, kHealthy, kT1));
}

TEST(HealthState, WithRiseOneASingleGoodCheckLeavesUnhealthy) {
  HealthState h = Unhealthy(1);
  HealthTransition t;
  ASSERT_TRUE(h.Apply(kGood, kNoError, kT1, &t));
  EXPECT_TRUE(IsTransition(t, kUnhealthy, kHealthy, kT1));
}

TEST(HealthState, DegradedAnswersCountTowardRise) {
  HealthState h = Unhealthy(2);
  Feed(h, kSlow, 1);
  HealthTransition t;
  ASSERT_TRUE(h.Apply(kGood, kNoError, kT1, &t));
  EXPECT_TRUE(IsTransition(t, kUnhealthy, kHealthy, kT1));
}

TEST(HealthState, LeavingUnhealthyOnADegradedAnswerLandsOnDegraded) {
  HealthState h = Unhealthy(2);
  Feed(h, kGood, 1);
  HealthTransition t;
  ASSERT_TRUE(h.Apply(kSlow, kNoError, kT1, &t));
  EXPECT_TRUE(IsTransition(t, kUnhealthy, kDegraded, kT1));
}

TEST(HealthState, FailureWhileRisingStartsTheCountOver) {
  HealthState h = Unhealthy(2);
  Feed(h, kGood, 1);
  Feed(h, kFailed, 1);
  HealthTransition t;
  EXPECT_FALSE(h.Apply(kGood, kNoError, kT1, &t));
  EXPECT_EQ(h.status(), kUnhealthy);
}

// ---- last check, last error -----------------------------------------------------------

TEST(HealthState, LastCheckAtFollowsEveryCheckEvenWithoutATransition) {
  HealthState h(Config(1, 1));
  Feed(h, kGood, 1, kT0);
  EXPECT_EQ(h.last_check_at(), kT0);
  Feed(h, kGood, 1, kT1);
  EXPECT_EQ(h.last_check_at(), kT1);
}

TEST(HealthState, LastErrorIsTheFailedCheckMessage) {
  HealthState h(Config(1, 3));
  HealthTransition t;
  h.Apply(kFailed, kRefused, kT0, &t);
  EXPECT_EQ(h.last_error(), kRefused);
}

TEST(HealthState, LastErrorIsReplacedByTheNextFailure) {
  HealthState h(Config(1, 3));
  HealthTransition t;
  h.Apply(kFailed, kRefused, kT0, &t);
  h.Apply(kFailed, kTimedOut, kT1, &t);
  EXPECT_EQ(h.last_error(), kTimedOut);
}

TEST(HealthState, LastErrorSurvivesALaterGoodCheck) {
  HealthState h(Config(1, 1));
  HealthTransition t;
  h.Apply(kFailed, kRefused, kT0, &t);
  h.Apply(kGood, kNoError, kT1, &t);
  EXPECT_EQ(h.last_error(), kRefused);
}

// ---- history ---------------------------------------------------------------------------

// Alternates healthy/degraded `count` times; transition i happens at time i.
void Flap(HealthState& h, int count) {
  HealthTransition t;
  for (int i = 0; i < count; ++i) {
    ASSERT_TRUE(h.Apply(i % 2 == 0 ? kSlow : kGood, kNoError, i, &t));
  }
}

TEST(HealthState, HistoryRecordsTransitionsOldestFirst) {
  HealthState h(Config(1, 1));
  HealthTransition t;
  h.Apply(kSlow, kNoError, 10, &t);
  h.Apply(kFailed, kRefused, 20, &t);
  h.Apply(kGood, kNoError, 30, &t);
  ASSERT_EQ(h.history_size(), 3u);
  EXPECT_TRUE(IsTransition(h.history(0), kHealthy, kDegraded, 10));
  EXPECT_TRUE(IsTransition(h.history(1), kDegraded, kUnhealthy, 20));
  EXPECT_TRUE(IsTransition(h.history(2), kUnhealthy, kHealthy, 30));
}

TEST(HealthState, HistoryIgnoresChecksThatChangeNothing) {
  HealthState h(Config(1, 1));
  Feed(h, kGood, 5);
  Feed(h, kFailed, 3);
  EXPECT_EQ(h.history_size(), 1u);
}

TEST(HealthState, HistoryHoldsExactly16BeforeWrapping) {
  HealthState h(Config(1, 1));
  Flap(h, HealthState::kHistory);
  ASSERT_EQ(h.history_size(), HealthState::kHistory);
  EXPECT_EQ(h.history(0).at, 0);
  EXPECT_EQ(h.history(HealthState::kHistory - 1).at, 15);
}

TEST(HealthState, HistoryDropsTheOldestOnThe17thTransition) {
  HealthState h(Config(1, 1));
  Flap(h, HealthState::kHistory + 1);
  ASSERT_EQ(h.history_size(), HealthState::kHistory);
  EXPECT_EQ(h.history(0).at, 1);
  EXPECT_EQ(h.history(HealthState::kHistory - 1).at, 16);
}

TEST(HealthState, HistoryKeepsTheLast16InOrderAfterWrappingAround) {
  HealthState h(Config(1, 1));
  constexpr int kTransitions = 40;
  Flap(h, kTransitions);
  ASSERT_EQ(h.history_size(), HealthState::kHistory);
  for (size_t i = 0; i < HealthState::kHistory; ++i) {
    const int64_t at = kTransitions - static_cast<int64_t>(HealthState::kHistory) + static_cast<int64_t>(i);
    EXPECT_EQ(h.history(i).at, at) << "history(" << i << ")";
    // Transition `at` went to degraded when `at` is even.
    EXPECT_EQ(h.history(i).to, at % 2 == 0 ? kDegraded : kHealthy) << "history(" << i << ")";
  }
}

}  // namespace
}  // namespace omnidb
