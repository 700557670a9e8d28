// Orchestrator core: circuits, health checks, failover and timers working together.
//
// Every test drives the core with plain integers for time: it reports outcomes and
// check results, fires timers with RunDue(now), and compares the events the core
// queued, rendered as short lines ("open primary (FailureThreshold)"), with the
// exact list expected. No clock, no sleeps.
#include "core/orchestrator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace omnidb {
namespace {

constexpr int64_t kInterval = 30000;
constexpr int64_t kTimeout = 5000;
constexpr int64_t kRetryDelay = 1000;
constexpr int64_t kResetTimeout = 20000;  // differs from kInterval so timers never coincide
constexpr int32_t kThreshold = 3;
constexpr int32_t kHalfOpenSuccesses = 2;
constexpr int32_t kHalfOpenMaxCalls = 2;

constexpr int64_t kT0 = 1000;       // when most tests start monitoring or first fail
constexpr int32_t kUnwritten = -7;  // table sentinel: the core never writes it

enum : int32_t { kPrimary = 0, kReplica = 1, kReplica2 = 2 };

constexpr uint32_t kNotTrial = 0;  // trials pass the ticket from trial_epoch()
constexpr CheckOutcome kGood = CheckOutcome::kHealthy;
constexpr CheckOutcome kSlow = CheckOutcome::kDegraded;
constexpr CheckOutcome kFailed = CheckOutcome::kFailed;
const char kRefused[] = "connect ECONNREFUSED";

using Lines = std::vector<std::string>;

OrchestratorConfig Base(std::vector<std::string> names, std::vector<std::vector<int32_t>> backups) {
  OrchestratorConfig c;
  c.has_check.assign(names.size(), true);
  c.names = std::move(names);
  c.backups = std::move(backups);
  c.circuit.threshold = kThreshold;
  c.circuit.reset_timeout_ms = kResetTimeout;
  c.circuit.half_open_successes = kHalfOpenSuccesses;
  c.circuit.half_open_max_calls = kHalfOpenMaxCalls;
  c.interval_ms = kInterval;
  c.timeout_ms = kTimeout;
  c.retries = 0;
  c.retry_delay_ms = kRetryDelay;
  return c;
}

// primary → replica
OrchestratorConfig Pair() { return Base({"primary", "replica"}, {{kReplica}, {}}); }
// primary → replica → replica2
OrchestratorConfig Chain() { return Base({"primary", "replica", "replica2"}, {{kReplica}, {kReplica2}, {}}); }
// primary → [replica, replica2]
OrchestratorConfig List() {
  return Base({"primary", "replica", "replica2"}, {{kReplica, kReplica2}, {}, {}});
}

const char* HealthName(int32_t s) {
  switch (static_cast<HealthStatus>(s)) {
    case HealthStatus::kHealthy: return "healthy";
    case HealthStatus::kDegraded: return "degraded";
    case HealthStatus::kUnhealthy: return "unhealthy";
  }
  return "?";
}

const char* ReasonName(int32_t r) {
  switch (static_cast<CircuitReason>(r)) {
    case CircuitReason::kNone: return "None";
    case CircuitReason::kFailureThreshold: return "FailureThreshold";
    case CircuitReason::kHalfOpenFailure: return "HalfOpenFailure";
    case CircuitReason::kHealthCheckFailed: return "HealthCheckFailed";
    case CircuitReason::kResetTimeout: return "ResetTimeout";
    case CircuitReason::kHalfOpenSuccess: return "HalfOpenSuccess";
    case CircuitReason::kHealthRecovered: return "HealthRecovered";
    case CircuitReason::kExternal: return "External";
    case CircuitReason::kManual: return "Manual";
  }
  return "?";
}

class OrchestratorTest : public ::testing::Test {
 protected:
  void SetUp() override { Build(Pair()); }

  void Build(const OrchestratorConfig& config) {
    core_.reset();
    token_.clear();
    config_ = config;
    table_.assign(config_.names.size() * kSlotCount, kUnwritten);
    core_ = std::make_unique<Orchestrator>(config_, table_.data());
  }

  // Takes every queued event, remembering the token of each check started.
  std::vector<Event> Drain() {
    std::vector<Event> out;
    Event e;
    while (core_->TakeEvent(&e)) {
      if (e.type == EventType::kCheckStart) token_[e.conn] = e.token;
      out.push_back(e);
    }
    return out;
  }

  Lines TakeLog() {
    Lines lines;
    for (const Event& e : Drain()) lines.push_back(Describe(e));
    return lines;
  }

  std::string Describe(const Event& e) const {
    const std::string& name = config_.names[e.conn];
    switch (e.type) {
      case EventType::kHealthChanged:
        return "health " + name + ": " + HealthName(e.a) + " -> " + HealthName(e.b);
      case EventType::kCircuitOpen: return "open " + name + " (" + ReasonName(e.reason) + ")";
      case EventType::kCircuitHalfOpen: return "half-open " + name + " (" + ReasonName(e.reason) + ")";
      case EventType::kCircuitClose: return "close " + name + " (" + ReasonName(e.reason) + ")";
      case EventType::kFailover:
        return "failover " + name + " -> " + config_.names[e.a] + " (was " + config_.names[e.b] + ")";
      case EventType::kRecovery: return "recovery " + name + " (leaves " + config_.names[e.a] + ")";
      case EventType::kCheckStart: return "check " + name + " attempt " + std::to_string(e.a);
      case EventType::kCheckAbort: return "abort " + name;
    }
    return "unknown event";
  }

  int32_t SlotOf(int32_t id, Slot slot) const { return table_[id * kSlotCount + slot]; }

  // Starts monitoring at `now` and runs its first round (every check in flight).
  void StartMonitoring(int64_t now = kT0) {
    core_->Start(now);
    core_->RunDue(now);
    Drain();
  }

  // Fires the timers due at `now` and returns what they emitted.
  Lines RunDue(int64_t now) {
    core_->RunDue(now);
    return TakeLog();
  }

  // Answers the latest check started on `id`.
  void Answer(int32_t id, CheckOutcome outcome, int64_t now) {
    core_->ReportCheck(id, token_[id], outcome, outcome == kFailed ? kRefused : "", now);
  }

  void Fail(int32_t id, int times, int64_t now) {
    for (int i = 0; i < times; ++i) core_->RecordFailure(id, kNotTrial, now);
  }

  void OpenCircuit(int32_t id, int64_t now) { Fail(id, kThreshold, now); }

  // Opens `id` by failures at `opened_at` and lets its reset timer fire.
  void HalfOpenCircuit(int32_t id, int64_t opened_at) {
    OpenCircuit(id, opened_at);
    core_->RunDue(opened_at + kResetTimeout);
    ASSERT_EQ(core_->circuit(id).state(), CircuitState::kHalfOpen);
  }

  // First round at kT0: the replica answers healthy, the primary fails at kT0 + 10
  // (and fails over). Takes the events.
  void PrimaryUnhealthy() {
    StartMonitoring(kT0);
    Answer(kReplica, kGood, kT0 + 10);
    Answer(kPrimary, kFailed, kT0 + 10);
    ASSERT_EQ(core_->health(kPrimary).status(), HealthStatus::kUnhealthy);
    Drain();
  }

  OrchestratorConfig config_;
  std::vector<int32_t> table_;
  std::unique_ptr<Orchestrator> core_;
  std::map<int32_t, uint64_t> token_;  // latest check token per connection
};

// ---- state table --------------------------------------------------------------------

TEST_F(OrchestratorTest, ConstructorPublishesEverySlotWithoutEvents) {
  Build(Chain());
  for (int32_t id = 0; id < 3; ++id) {
    EXPECT_EQ(SlotOf(id, kSlotRoute), id);
    EXPECT_EQ(SlotOf(id, kSlotCircuit), static_cast<int32_t>(CircuitState::kClosed));
    EXPECT_EQ(SlotOf(id, kSlotHealth), static_cast<int32_t>(HealthStatus::kHealthy));
    EXPECT_EQ(SlotOf(id, kSlotFailures), 0);
  }
  EXPECT_EQ(core_->pending_events(), 0u);
  EXPECT_EQ(core_->next_due(), -1);
  EXPECT_FALSE(core_->running());
}

TEST_F(OrchestratorTest, FailureCountIsPublished) {
  core_->RecordFailure(kPrimary, kNotTrial, kT0);
  EXPECT_EQ(SlotOf(kPrimary, kSlotFailures), 1);
  EXPECT_EQ(SlotOf(kReplica, kSlotFailures), 0);
}

TEST_F(OrchestratorTest, SuccessClearsThePublishedFailureCount) {
  Fail(kPrimary, kThreshold - 1, kT0);
  core_->RecordSuccess(kPrimary, kNotTrial, kT0);
  EXPECT_EQ(SlotOf(kPrimary, kSlotFailures), 0);
}

TEST_F(OrchestratorTest, OpenCircuitAndNewRouteArePublished) {
  OpenCircuit(kPrimary, kT0);
  EXPECT_EQ(SlotOf(kPrimary, kSlotCircuit), static_cast<int32_t>(CircuitState::kOpen));
  EXPECT_EQ(SlotOf(kPrimary, kSlotRoute), kReplica);
  EXPECT_EQ(SlotOf(kPrimary, kSlotFailures), kThreshold);
}

TEST_F(OrchestratorTest, HalfOpenCircuitIsPublished) {
  HalfOpenCircuit(kPrimary, kT0);
  EXPECT_EQ(SlotOf(kPrimary, kSlotCircuit), static_cast<int32_t>(CircuitState::kHalfOpen));
  // The host tells a half-open primary behind a backup by route != id with this
  // circuit half-open, and asks Acquire(primary) for its trial calls.
  EXPECT_EQ(SlotOf(kPrimary, kSlotRoute), kReplica);
}

TEST_F(OrchestratorTest, HealthIsPublished) {
  StartMonitoring();
  Answer(kPrimary, kSlow, kT0 + 10);
  EXPECT_EQ(SlotOf(kPrimary, kSlotHealth), static_cast<int32_t>(HealthStatus::kDegraded));
}

// ---- circuit: failure threshold -----------------------------------------------------

TEST_F(OrchestratorTest, FailuresBelowThresholdEmitNothing) {
  Fail(kPrimary, kThreshold - 1, kT0);
  EXPECT_EQ(TakeLog(), Lines{});
  EXPECT_EQ(core_->route(kPrimary), kPrimary);
}

TEST_F(OrchestratorTest, ThresholdFailureOpensTheCircuitAndFailsOver) {
  Fail(kPrimary, kThreshold - 1, kT0);
  core_->RecordFailure(kPrimary, kNotTrial, kT0);
  EXPECT_EQ(TakeLog(),
            (Lines{"open primary (FailureThreshold)", "failover primary -> replica (was primary)"}));
  EXPECT_EQ(core_->route(kPrimary), kReplica);
}

TEST_F(OrchestratorTest, FailuresWhileOpenEmitNothingMore) {
  OpenCircuit(kPrimary, kT0);
  TakeLog();
  Fail(kPrimary, kThreshold * 2, kT0 + 10);
  EXPECT_EQ(TakeLog(), Lines{});
}

TEST_F(OrchestratorTest, ThresholdOnAConnectionWithoutBackupsOnlyOpens) {
  OpenCircuit(kReplica, kT0);
  EXPECT_EQ(TakeLog(), Lines{"open replica (FailureThreshold)"});
  EXPECT_EQ(core_->route(kReplica), kReplica);
  EXPECT_EQ(core_->route(kPrimary), kPrimary);
}

TEST_F(OrchestratorTest, EventsCarryTheTimeOfTheChange) {
  OpenCircuit(kPrimary, kT0 + 42);
  const std::vector<Event> events = Drain();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].at, kT0 + 42);
  EXPECT_EQ(events[1].at, kT0 + 42);
}

// ---- circuit: reset timer -------------------------------------------------------------

TEST_F(OrchestratorTest, OpeningArmsTheResetTimerAtItsDeadline) {
  OpenCircuit(kPrimary, kT0);
  EXPECT_EQ(core_->next_due(), kT0 + kResetTimeout);
}

// next_due() drops stale entries at the top: the host arms its one timer (and a
// test's runOnlyPendingTimers() fires) for work that will happen.
TEST_F(OrchestratorTest, NextDueSkipsTheTimeoutOfAnAnsweredCheck) {
  StartMonitoring(kT0);
  EXPECT_EQ(core_->next_due(), kT0 + kTimeout);
  Answer(kPrimary, kGood, kT0 + 5);
  Answer(kReplica, kGood, kT0 + 6);
  EXPECT_EQ(core_->next_due(), kT0 + kInterval);
}

TEST_F(OrchestratorTest, NextDueSkipsTheResetOfACircuitHealthHoldsOpen) {
  StartMonitoring(kT0);
  Answer(kReplica, kGood, kT0 + 1);
  OpenCircuit(kPrimary, kT0 + 2);                // by failures: its reset queued at kT0 + 2 + kResetTimeout
  EXPECT_EQ(core_->next_due(), kT0 + kTimeout);  // the primary's check, still in flight
  Answer(kPrimary, kFailed, kT0 + 3);            // unhealthy: held open until health recovers
  ASSERT_TRUE(core_->circuit(kPrimary).held_open());
  EXPECT_EQ(core_->next_due(), kT0 + kInterval);
}

TEST_F(OrchestratorTest, NextDueIsNoneOnceStoppedWithNothingOpen) {
  StartMonitoring(kT0);
  core_->Stop();
  EXPECT_EQ(core_->next_due(), -1);
}

TEST_F(OrchestratorTest, ResetTimerDoesNotFireOneMillisecondEarly) {
  OpenCircuit(kPrimary, kT0);
  TakeLog();
  EXPECT_EQ(RunDue(kT0 + kResetTimeout - 1), Lines{});
  EXPECT_EQ(core_->circuit(kPrimary).state(), CircuitState::kOpen);
}

TEST_F(OrchestratorTest, ResetTimerGoesHalfOpenAtTheDeadlineWithNoTraffic) {
  OpenCircuit(kReplica, kT0);
  TakeLog();
  EXPECT_EQ(RunDue(kT0 + kResetTimeout), Lines{"half-open replica (ResetTimeout)"});
}

// ---- half-open routing ------------------------------------------------------------------
//
// CONTRACT.md, Routing: a name routes to its backup while its circuit is not closed
// (open or half-open) and the backup is usable. While the primary is half-open only
// its trial calls (Acquire) reach it; recovery comes when the circuit closes.

TEST_F(OrchestratorTest, HalfOpenKeepsTheRouteOnTheBackup) {
  OpenCircuit(kPrimary, kT0);
  TakeLog();
  EXPECT_EQ(RunDue(kT0 + kResetTimeout), Lines{"half-open primary (ResetTimeout)"});
  EXPECT_EQ(core_->route(kPrimary), kReplica);
}

TEST_F(OrchestratorTest, HalfOpenPrimaryBehindItsBackupStillAdmitsTrials) {
  HalfOpenCircuit(kPrimary, kT0);
  ASSERT_EQ(core_->route(kPrimary), kReplica);
  EXPECT_EQ(core_->Acquire(kPrimary), Admission::kTrial);
}

TEST_F(OrchestratorTest, FirstTrialSuccessNeitherClosesNorRecovers) {
  HalfOpenCircuit(kPrimary, kT0);
  TakeLog();
  ASSERT_EQ(core_->Acquire(kPrimary), Admission::kTrial);
  core_->RecordSuccess(kPrimary, core_->trial_epoch(kPrimary), kT0 + kResetTimeout + 10);
  EXPECT_EQ(TakeLog(), Lines{});
  EXPECT_EQ(core_->route(kPrimary), kReplica);
}

TEST_F(OrchestratorTest, HalfOpenTrialSuccessesCloseTheCircuitAndRecover) {
  HalfOpenCircuit(kPrimary, kT0);
  const int64_t now = kT0 + kResetTimeout + 10;
  ASSERT_EQ(core_->Acquire(kPrimary), Admission::kTrial);
  ASSERT_EQ(core_->Acquire(kPrimary), Admission::kTrial);
  core_->RecordSuccess(kPrimary, core_->trial_epoch(kPrimary), now);
  TakeLog();
  core_->RecordSuccess(kPrimary, core_->trial_epoch(kPrimary), now);
  EXPECT_EQ(TakeLog(), (Lines{"close primary (HalfOpenSuccess)", "recovery primary (leaves replica)"}));
  EXPECT_EQ(core_->route(kPrimary), kPrimary);
  EXPECT_EQ(SlotOf(kPrimary, kSlotCircuit), static_cast<int32_t>(CircuitState::kClosed));
}

// The route never left the backup, so a failed trial is no second failover.
TEST_F(OrchestratorTest, HalfOpenTrialFailureReopensWithoutASecondFailover) {
  HalfOpenCircuit(kPrimary, kT0);
  TakeLog();
  const int64_t now = kT0 + kResetTimeout + 10;
  ASSERT_EQ(core_->Acquire(kPrimary), Admission::kTrial);
  core_->RecordFailure(kPrimary, core_->trial_epoch(kPrimary), now);
  EXPECT_EQ(TakeLog(), Lines{"open primary (HalfOpenFailure)"});
  EXPECT_EQ(core_->route(kPrimary), kReplica);
  EXPECT_EQ(core_->next_due(), now + kResetTimeout);
}

// open -> half-open -> trial fails -> open -> half-open -> 2 successes -> closed.
TEST_F(OrchestratorTest, FlappingPrimaryFailsOverOnceAndRecoversOnce) {
  OpenCircuit(kPrimary, kT0);
  int64_t now = kT0 + kResetTimeout;
  core_->RunDue(now);
  core_->Acquire(kPrimary);
  core_->RecordFailure(kPrimary, core_->trial_epoch(kPrimary), now + 10);
  now += 10 + kResetTimeout;
  core_->RunDue(now);
  for (int i = 0; i < kHalfOpenSuccesses; ++i) {
    core_->Acquire(kPrimary);
    core_->RecordSuccess(kPrimary, core_->trial_epoch(kPrimary), now + 10);
  }
  EXPECT_EQ(TakeLog(), (Lines{"open primary (FailureThreshold)", "failover primary -> replica (was primary)",
                              "half-open primary (ResetTimeout)", "open primary (HalfOpenFailure)",
                              "half-open primary (ResetTimeout)", "close primary (HalfOpenSuccess)",
                              "recovery primary (leaves replica)"}));
}

// With every backup down the primary serves its own trials: route is the primary,
// but that is no recovery until its circuit closes.
TEST_F(OrchestratorTest, HalfOpenPrimaryWithEveryBackupDownServesWithoutRecovery) {
  OpenCircuit(kPrimary, kT0);
  OpenCircuit(kReplica, kT0 + 10);
  TakeLog();
  EXPECT_EQ(RunDue(kT0 + kResetTimeout), Lines{"half-open primary (ResetTimeout)"});
  EXPECT_EQ(core_->route(kPrimary), kPrimary);
}

TEST_F(OrchestratorTest, HalfOpenPrimaryServingItselfRecoversWhenItCloses) {
  OpenCircuit(kPrimary, kT0);
  OpenCircuit(kReplica, kT0 + 10);
  core_->RunDue(kT0 + kResetTimeout);
  TakeLog();
  for (int i = 0; i < kHalfOpenSuccesses; ++i) {
    core_->Acquire(kPrimary);
    core_->RecordSuccess(kPrimary, core_->trial_epoch(kPrimary), kT0 + kResetTimeout + 5);
  }
  EXPECT_EQ(TakeLog(), (Lines{"close primary (HalfOpenSuccess)", "recovery primary (leaves replica)"}));
}

// Nothing closed: the primary is held open by health, so its half-open backup is
// where trial calls can go.
TEST_F(OrchestratorTest, HalfOpenBackupServesWhenThePrimaryIsHeldOpen) {
  PrimaryUnhealthy();
  OpenCircuit(kReplica, kT0 + 20);
  ASSERT_EQ(core_->route(kPrimary), kPrimary);
  TakeLog();
  EXPECT_EQ(RunDue(kT0 + 20 + kResetTimeout), Lines{"half-open replica (ResetTimeout)"});
  EXPECT_EQ(core_->route(kPrimary), kReplica);
}

// An unhealthy connection takes no trials even if its (external) circuit is half-open.
TEST_F(OrchestratorTest, UnhealthyHalfOpenCandidateIsSkipped) {
  OrchestratorConfig c = List();
  c.circuit.enabled = false;  // circuits only mirror external breakers
  Build(c);
  StartMonitoring(kT0);
  Answer(kReplica2, kGood, kT0 + 10);
  Answer(kReplica, kFailed, kT0 + 10);
  core_->SetExternalCircuit(kReplica, CircuitState::kHalfOpen, kT0 + 20);
  core_->SetExternalCircuit(kReplica2, CircuitState::kHalfOpen, kT0 + 20);
  core_->SetExternalCircuit(kPrimary, CircuitState::kOpen, kT0 + 30);
  EXPECT_EQ(core_->route(kPrimary), kReplica2);
}

TEST_F(OrchestratorTest, ExternalHalfOpenKeepsTheRouteOnTheBackup) {
  core_->SetExternalCircuit(kPrimary, CircuitState::kOpen, kT0);
  TakeLog();
  core_->SetExternalCircuit(kPrimary, CircuitState::kHalfOpen, kT0 + 10);
  EXPECT_EQ(TakeLog(), Lines{});
  EXPECT_EQ(core_->route(kPrimary), kReplica);
}

TEST_F(OrchestratorTest, ResetTimerIsIgnoredWhileHealthHoldsTheCircuitOpen) {
  StartMonitoring(kT0);
  Answer(kReplica, kGood, kT0);
  OpenCircuit(kPrimary, kT0);
  Answer(kPrimary, kFailed, kT0 + 10);
  TakeLog();
  EXPECT_EQ(RunDue(kT0 + kResetTimeout), Lines{});
  EXPECT_EQ(core_->circuit(kPrimary).state(), CircuitState::kOpen);
}

TEST_F(OrchestratorTest, ResetTimerFromAnEarlierOpeningIsIgnored) {
  OrchestratorConfig c = Pair();
  c.interval_ms = kResetTimeout / 2;  // a second round before the first reset is due
  Build(c);
  StartMonitoring(0);
  Answer(kReplica, kGood, 0);
  OpenCircuit(kPrimary, 100);      // reset timer armed for 100 + kResetTimeout
  Answer(kPrimary, kFailed, 200);  // health holds it open
  RunDue(c.interval_ms);           // second round
  Answer(kReplica, kGood, c.interval_ms);
  Answer(kPrimary, kGood, c.interval_ms);  // health recovers: closed
  const int64_t reopened_at = c.interval_ms + 100;
  OpenCircuit(kPrimary, reopened_at);  // a new opening, a new reset deadline
  core_->Stop();                       // no more rounds in the way; resets are kept
  TakeLog();
  EXPECT_EQ(RunDue(100 + kResetTimeout), Lines{});
  EXPECT_EQ(core_->circuit(kPrimary).state(), CircuitState::kOpen);
  EXPECT_EQ(RunDue(reopened_at + kResetTimeout), Lines{"half-open primary (ResetTimeout)"});
}

// ---- health: rounds and tokens ----------------------------------------------------------

TEST_F(OrchestratorTest, StartSchedulesTheFirstRoundNow) {
  core_->Start(kT0);
  EXPECT_TRUE(core_->running());
  EXPECT_EQ(core_->next_due(), kT0);
  EXPECT_EQ(TakeLog(), Lines{});
}

TEST_F(OrchestratorTest, FirstRoundStartsACheckOnlyForConnectionsWithOne) {
  OrchestratorConfig c = Base({"primary", "replica", "replica2"}, {{}, {}, {}});
  c.has_check = {true, false, true};
  Build(c);
  core_->Start(kT0);
  const std::vector<Event> events = Drain();
  core_->RunDue(kT0);
  Lines lines;
  std::vector<uint64_t> tokens;
  for (const Event& e : Drain()) {
    lines.push_back(Describe(e));
    tokens.push_back(e.token);
  }
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(lines, (Lines{"check primary attempt 0", "check replica2 attempt 0"}));
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_NE(tokens[0], 0u);
  EXPECT_NE(tokens[1], 0u);
  EXPECT_NE(tokens[0], tokens[1]);
  EXPECT_TRUE(core_->checking(kPrimary));
  EXPECT_FALSE(core_->checking(kReplica));
}

TEST_F(OrchestratorTest, StartWhileRunningIsANoOp) {
  core_->Start(kT0);
  core_->Start(kT0 + 5);
  EXPECT_EQ(RunDue(kT0 + 5), (Lines{"check primary attempt 0", "check replica attempt 0"}));
}

TEST_F(OrchestratorTest, CheckNowStartsACheckOutsideTheRound) {
  EXPECT_FALSE(core_->CheckNow(kPrimary, kT0));  // not running
  StartMonitoring(kT0);
  EXPECT_FALSE(core_->CheckNow(kPrimary, kT0 + 5));  // its round's check is in flight
  Answer(kPrimary, kGood, kT0 + 10);
  EXPECT_TRUE(core_->CheckNow(kPrimary, kT0 + 20));
  EXPECT_EQ(TakeLog(), Lines{"check primary attempt 0"});
  Answer(kPrimary, kFailed, kT0 + 30);
  EXPECT_EQ(TakeLog(), (Lines{"health primary: healthy -> unhealthy", "open primary (HealthCheckFailed)",
                              "failover primary -> replica (was primary)"}));
  // The rounds keep their cadence.
  Answer(kReplica, kGood, kT0 + 30);
  EXPECT_EQ(RunDue(kT0 + kInterval), (Lines{"check primary attempt 0", "check replica attempt 0"}));
}

TEST_F(OrchestratorTest, CheckNowWithoutACheckDoesNothing) {
  OrchestratorConfig c = Pair();
  c.has_check = {false, true};
  Build(c);
  StartMonitoring(kT0);
  EXPECT_FALSE(core_->CheckNow(kPrimary, kT0 + 5));
  EXPECT_EQ(TakeLog(), Lines{});
}

TEST_F(OrchestratorTest, HealthyAnswerEmitsNothing) {
  StartMonitoring();
  Answer(kPrimary, kGood, kT0 + 10);
  EXPECT_EQ(TakeLog(), Lines{});
  EXPECT_FALSE(core_->checking(kPrimary));
  EXPECT_EQ(core_->health(kPrimary).last_check_at(), kT0 + 10);
}

TEST_F(OrchestratorTest, ReportWithAnUnknownTokenIsIgnored) {
  StartMonitoring();
  core_->ReportCheck(kPrimary, token_[kPrimary] + 1000, kFailed, kRefused, kT0 + 10);
  EXPECT_EQ(TakeLog(), Lines{});
  EXPECT_TRUE(core_->checking(kPrimary));
  EXPECT_EQ(core_->health(kPrimary).last_check_at(), -1);
}

TEST_F(OrchestratorTest, ReportWithTokenZeroIsIgnored) {
  StartMonitoring();
  core_->ReportCheck(kPrimary, 0, kFailed, kRefused, kT0 + 10);
  EXPECT_EQ(TakeLog(), Lines{});
  EXPECT_TRUE(core_->checking(kPrimary));
}

TEST_F(OrchestratorTest, ReportWithAnotherConnectionsTokenIsIgnored) {
  StartMonitoring();
  core_->ReportCheck(kPrimary, token_[kReplica], kFailed, kRefused, kT0 + 10);
  EXPECT_EQ(TakeLog(), Lines{});
  EXPECT_TRUE(core_->checking(kPrimary));
  EXPECT_TRUE(core_->checking(kReplica));
}

TEST_F(OrchestratorTest, ReportAfterItsCheckTimedOutIsIgnored) {
  StartMonitoring();
  Answer(kReplica, kGood, kT0);
  RunDue(kT0 + kTimeout);                       // primary times out: unhealthy
  Answer(kPrimary, kGood, kT0 + kTimeout + 1);  // the late answer of that check
  EXPECT_EQ(TakeLog(), Lines{});
  EXPECT_EQ(core_->health(kPrimary).status(), HealthStatus::kUnhealthy);
}

// ---- health: timeout ------------------------------------------------------------------

TEST_F(OrchestratorTest, CheckTimeoutDoesNotFireOneMillisecondEarly) {
  StartMonitoring();
  Answer(kReplica, kGood, kT0);
  EXPECT_EQ(RunDue(kT0 + kTimeout - 1), Lines{});
  EXPECT_TRUE(core_->checking(kPrimary));
}

TEST_F(OrchestratorTest, CheckTimeoutAbortsTheCheckThenFailsIt) {
  StartMonitoring();
  Answer(kReplica, kGood, kT0);
  const uint64_t token = token_[kPrimary];
  core_->RunDue(kT0 + kTimeout);
  const std::vector<Event> events = Drain();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].token, token);
  Lines lines;
  for (const Event& e : events) lines.push_back(Describe(e));
  EXPECT_EQ(lines, (Lines{"abort primary", "health primary: healthy -> unhealthy",
                          "open primary (HealthCheckFailed)", "failover primary -> replica (was primary)"}));
  EXPECT_EQ(core_->health(kPrimary).last_error(), "Health check timed out after 5000ms");
  EXPECT_EQ(core_->health(kPrimary).last_check_at(), kT0 + kTimeout);
  EXPECT_FALSE(core_->checking(kPrimary));
}

// ---- health: retries ---------------------------------------------------------------------

class OrchestratorRetryTest : public OrchestratorTest {
 protected:
  static constexpr int32_t kRetries = 2;
  void SetUp() override {
    OrchestratorConfig c = Pair();
    c.retries = kRetries;
    Build(c);
    StartMonitoring(kT0);
    Answer(kReplica, kGood, kT0);
  }
};

TEST_F(OrchestratorRetryTest, FailedAttemptSchedulesARetryInsteadOfATransition) {
  Answer(kPrimary, kFailed, kT0 + 10);
  EXPECT_EQ(TakeLog(), Lines{});
  EXPECT_EQ(core_->health(kPrimary).status(), HealthStatus::kHealthy);
  EXPECT_TRUE(core_->checking(kPrimary));
}

TEST_F(OrchestratorRetryTest, RetryDoesNotStartOneMillisecondEarly) {
  Answer(kPrimary, kFailed, kT0 + 10);
  EXPECT_EQ(RunDue(kT0 + 10 + kRetryDelay - 1), Lines{});
}

TEST_F(OrchestratorRetryTest, RetryStartsAfterTheRetryDelay) {
  Answer(kPrimary, kFailed, kT0 + 10);
  EXPECT_EQ(RunDue(kT0 + 10 + kRetryDelay), Lines{"check primary attempt 1"});
}

TEST_F(OrchestratorRetryTest, UnhealthyOnlyAfterEveryRetryFails) {
  int64_t now = kT0 + 10;
  Answer(kPrimary, kFailed, now);  // attempt 0
  for (int retry = 1; retry <= kRetries; ++retry) {
    now += kRetryDelay;
    EXPECT_EQ(RunDue(now), Lines{"check primary attempt " + std::to_string(retry)});
    ASSERT_EQ(core_->health(kPrimary).status(), HealthStatus::kHealthy);
    Answer(kPrimary, kFailed, now);
  }
  EXPECT_EQ(TakeLog(), (Lines{"health primary: healthy -> unhealthy", "open primary (HealthCheckFailed)",
                              "failover primary -> replica (was primary)"}));
}

TEST_F(OrchestratorRetryTest, SuccessOnARetryMeansNoTransition) {
  Answer(kPrimary, kFailed, kT0 + 10);
  RunDue(kT0 + 10 + kRetryDelay);
  Answer(kPrimary, kGood, kT0 + 20 + kRetryDelay);
  EXPECT_EQ(TakeLog(), Lines{});
  EXPECT_EQ(core_->health(kPrimary).status(), HealthStatus::kHealthy);
  EXPECT_FALSE(core_->checking(kPrimary));
}

TEST_F(OrchestratorRetryTest, ReportForAnEarlierAttemptIsIgnored) {
  const uint64_t first_attempt = token_[kPrimary];
  Answer(kPrimary, kFailed, kT0 + 10);
  RunDue(kT0 + 10 + kRetryDelay);
  core_->ReportCheck(kPrimary, first_attempt, kGood, "", kT0 + 20 + kRetryDelay);
  EXPECT_TRUE(core_->checking(kPrimary));
  EXPECT_EQ(core_->health(kPrimary).last_check_at(), -1);
}

TEST_F(OrchestratorRetryTest, TimedOutAttemptIsRetried) {
  EXPECT_EQ(RunDue(kT0 + kTimeout), Lines{"abort primary"});
  EXPECT_EQ(RunDue(kT0 + kTimeout + kRetryDelay), Lines{"check primary attempt 1"});
}

TEST_F(OrchestratorTest, PendingRetrySkipsTheRound) {
  OrchestratorConfig c = Pair();
  c.retries = 1;
  c.retry_delay_ms = kInterval;  // the retry is due after the next round
  Build(c);
  StartMonitoring(kT0);
  Answer(kReplica, kGood, kT0);
  Answer(kPrimary, kFailed, kT0 + 10);
  EXPECT_EQ(RunDue(kT0 + kInterval), Lines{"check replica attempt 0"});
  EXPECT_EQ(RunDue(kT0 + 10 + kInterval), Lines{"check primary attempt 1"});
}

// ---- health: unhealthy and back -----------------------------------------------------------

TEST_F(OrchestratorTest, UnhealthyOpensTheCircuitThenFailsOver) {
  StartMonitoring();
  Answer(kReplica, kGood, kT0 + 10);
  Answer(kPrimary, kFailed, kT0 + 10);
  EXPECT_EQ(TakeLog(), (Lines{"health primary: healthy -> unhealthy", "open primary (HealthCheckFailed)",
                              "failover primary -> replica (was primary)"}));
  EXPECT_TRUE(core_->circuit(kPrimary).held_open());
  EXPECT_EQ(core_->circuit(kPrimary).reset_deadline(), -1);
  EXPECT_EQ(core_->health(kPrimary).last_error(), kRefused);
}

TEST_F(OrchestratorTest, UnhealthyWhileAlreadyOpenOnlyReportsHealth) {
  StartMonitoring();
  Answer(kReplica, kGood, kT0);
  OpenCircuit(kPrimary, kT0);
  TakeLog();
  Answer(kPrimary, kFailed, kT0 + 10);
  EXPECT_EQ(TakeLog(), Lines{"health primary: healthy -> unhealthy"});
  EXPECT_TRUE(core_->circuit(kPrimary).held_open());
}

TEST_F(OrchestratorTest, FailedChecksWhileUnhealthyEmitNothingMore) {
  PrimaryUnhealthy();
  RunDue(kT0 + kInterval);
  Answer(kReplica, kGood, kT0 + kInterval);
  Answer(kPrimary, kFailed, kT0 + kInterval);
  EXPECT_EQ(TakeLog(), Lines{});
}

TEST_F(OrchestratorTest, HealthyAgainClosesTheCircuitAndRecovers) {
  PrimaryUnhealthy();
  EXPECT_EQ(RunDue(kT0 + kInterval), (Lines{"check primary attempt 0", "check replica attempt 0"}));
  Answer(kReplica, kGood, kT0 + kInterval);
  Answer(kPrimary, kGood, kT0 + kInterval + 10);
  EXPECT_EQ(TakeLog(), (Lines{"health primary: unhealthy -> healthy", "close primary (HealthRecovered)",
                              "recovery primary (leaves replica)"}));
  EXPECT_EQ(core_->route(kPrimary), kPrimary);
  EXPECT_FALSE(core_->circuit(kPrimary).held_open());
}

TEST_F(OrchestratorTest, DegradedAfterUnhealthyAlsoClosesAndRecovers) {
  PrimaryUnhealthy();
  RunDue(kT0 + kInterval);
  Answer(kReplica, kGood, kT0 + kInterval);
  TakeLog();
  Answer(kPrimary, kSlow, kT0 + kInterval + 10);
  EXPECT_EQ(TakeLog(), (Lines{"health primary: unhealthy -> degraded", "close primary (HealthRecovered)",
                              "recovery primary (leaves replica)"}));
}

TEST_F(OrchestratorTest, RecoveryWaitsForRiseGoodChecks) {
  OrchestratorConfig c = Pair();
  c.health.rise = 2;
  Build(c);
  PrimaryUnhealthy();
  RunDue(kT0 + kInterval);
  Answer(kReplica, kGood, kT0 + kInterval);
  Answer(kPrimary, kGood, kT0 + kInterval);
  TakeLog();
  EXPECT_EQ(core_->route(kPrimary), kReplica);
  RunDue(kT0 + 2 * kInterval);
  Answer(kReplica, kGood, kT0 + 2 * kInterval);
  Answer(kPrimary, kGood, kT0 + 2 * kInterval);
  EXPECT_EQ(TakeLog(), (Lines{"health primary: unhealthy -> healthy", "close primary (HealthRecovered)",
                              "recovery primary (leaves replica)"}));
}

TEST_F(OrchestratorTest, DegradedPrimaryKeepsServing) {
  StartMonitoring();
  Answer(kPrimary, kSlow, kT0 + 10);
  EXPECT_EQ(TakeLog(), Lines{"health primary: healthy -> degraded"});
  EXPECT_EQ(core_->route(kPrimary), kPrimary);
  EXPECT_EQ(core_->circuit(kPrimary).state(), CircuitState::kClosed);
}

TEST_F(OrchestratorTest, UnhealthyPrimaryFailsOverEvenWithTheBreakerDisabled) {
  OrchestratorConfig c = Pair();
  c.circuit.enabled = false;
  Build(c);
  StartMonitoring();
  Answer(kReplica, kGood, kT0 + 10);
  Answer(kPrimary, kFailed, kT0 + 10);
  EXPECT_EQ(TakeLog(),
            (Lines{"health primary: healthy -> unhealthy", "failover primary -> replica (was primary)"}));
  EXPECT_EQ(core_->Acquire(kPrimary), Admission::kAdmitted);
}

TEST_F(OrchestratorTest, DisabledBreakerCountsFailuresWithoutOpening) {
  OrchestratorConfig c = Pair();
  c.circuit.enabled = false;
  Build(c);
  Fail(kPrimary, kThreshold * 3, kT0);
  EXPECT_EQ(TakeLog(), Lines{});
  EXPECT_EQ(SlotOf(kPrimary, kSlotFailures), kThreshold * 3);
  EXPECT_EQ(core_->route(kPrimary), kPrimary);
}

// ---- health: cadence ----------------------------------------------------------------------

TEST_F(OrchestratorTest, ConnectionStillCheckingSkipsTheNextRound) {
  OrchestratorConfig c = Pair();
  c.interval_ms = kTimeout / 2;  // the next round comes before the check times out
  Build(c);
  StartMonitoring(kT0);
  Answer(kReplica, kGood, kT0 + 10);
  EXPECT_EQ(RunDue(kT0 + c.interval_ms), Lines{"check replica attempt 0"});
}

TEST_F(OrchestratorTest, LateRoundKeepsTheCadence) {
  StartMonitoring(kT0);
  Answer(kPrimary, kGood, kT0);
  Answer(kReplica, kGood, kT0);
  RunDue(kT0 + kInterval + 7);  // the second round runs 7 ms late
  Answer(kPrimary, kGood, kT0 + kInterval + 8);
  Answer(kReplica, kGood, kT0 + kInterval + 8);
  EXPECT_EQ(RunDue(kT0 + 2 * kInterval - 1), Lines{});
  EXPECT_EQ(RunDue(kT0 + 2 * kInterval), (Lines{"check primary attempt 0", "check replica attempt 0"}));
}

TEST_F(OrchestratorTest, StalledRoundsAreNotReplayed) {
  StartMonitoring(kT0);
  Answer(kPrimary, kGood, kT0);
  Answer(kReplica, kGood, kT0);
  EXPECT_EQ(RunDue(kT0 + 3 * kInterval + 5), (Lines{"check primary attempt 0", "check replica attempt 0"}));
}

TEST_F(OrchestratorTest, AfterAStallTheNextRoundIsAnIntervalFromNow) {
  StartMonitoring(kT0);
  Answer(kPrimary, kGood, kT0);
  Answer(kReplica, kGood, kT0);
  const int64_t resumed = kT0 + 3 * kInterval + 5;
  RunDue(resumed);
  Answer(kPrimary, kGood, resumed);
  Answer(kReplica, kGood, resumed);
  EXPECT_EQ(RunDue(resumed + kInterval - 1), Lines{});
  EXPECT_EQ(RunDue(resumed + kInterval), (Lines{"check primary attempt 0", "check replica attempt 0"}));
}

// ---- Stop / Start -----------------------------------------------------------------------------

TEST_F(OrchestratorTest, StopAbortsEveryCheckInFlight) {
  StartMonitoring();
  const uint64_t primary_token = token_[kPrimary];
  const uint64_t replica_token = token_[kReplica];
  core_->Stop();
  const std::vector<Event> events = Drain();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(Describe(events[0]), "abort primary");
  EXPECT_EQ(events[0].token, primary_token);
  EXPECT_EQ(Describe(events[1]), "abort replica");
  EXPECT_EQ(events[1].token, replica_token);
  EXPECT_FALSE(core_->running());
  EXPECT_FALSE(core_->checking(kPrimary));
  EXPECT_FALSE(core_->checking(kReplica));
}

TEST_F(OrchestratorTest, StopAbortsOnlyChecksStillInFlight) {
  StartMonitoring();
  Answer(kReplica, kGood, kT0 + 10);
  core_->Stop();
  EXPECT_EQ(TakeLog(), Lines{"abort primary"});
}

TEST_F(OrchestratorTest, StopDropsRoundAndTimeoutTimers) {
  StartMonitoring();
  core_->Stop();
  TakeLog();
  EXPECT_EQ(core_->next_due(), -1);
  EXPECT_EQ(RunDue(kT0 + 10 * kInterval), Lines{});
  EXPECT_EQ(core_->health(kPrimary).status(), HealthStatus::kHealthy);
}

TEST_F(OrchestratorRetryTest, StopDropsPendingRetries) {
  Answer(kPrimary, kFailed, kT0 + 10);  // retry pending, nothing in flight
  core_->Stop();
  EXPECT_EQ(TakeLog(), Lines{});
  EXPECT_FALSE(core_->checking(kPrimary));
  EXPECT_EQ(core_->next_due(), -1);
  EXPECT_EQ(RunDue(kT0 + 10 * kInterval), Lines{});
}

TEST_F(OrchestratorTest, StopKeepsCircuitResetTimers) {
  StartMonitoring();
  Answer(kPrimary, kGood, kT0);
  Answer(kReplica, kGood, kT0);
  OpenCircuit(kPrimary, kT0 + 10);
  core_->Stop();
  TakeLog();
  EXPECT_EQ(core_->next_due(), kT0 + 10 + kResetTimeout);
  EXPECT_EQ(RunDue(kT0 + 10 + kResetTimeout), Lines{"half-open primary (ResetTimeout)"});
}

TEST_F(OrchestratorTest, ReportAfterStopIsIgnored) {
  StartMonitoring();
  core_->Stop();
  TakeLog();
  Answer(kPrimary, kFailed, kT0 + 10);
  EXPECT_EQ(TakeLog(), Lines{});
  EXPECT_EQ(core_->health(kPrimary).status(), HealthStatus::kHealthy);
}

TEST_F(OrchestratorTest, StopWhenStoppedIsANoOp) {
  core_->Stop();
  StartMonitoring();
  core_->Stop();
  TakeLog();
  core_->Stop();
  EXPECT_EQ(TakeLog(), Lines{});
  EXPECT_FALSE(core_->running());
}

TEST_F(OrchestratorTest, StartAfterStopRunsAFreshRound) {
  StartMonitoring(kT0);
  const uint64_t old_token = token_[kPrimary];
  core_->Stop();
  TakeLog();
  core_->Start(kT0 + 100);
  EXPECT_EQ(core_->next_due(), kT0 + 100);
  EXPECT_EQ(RunDue(kT0 + 100), (Lines{"check primary attempt 0", "check replica attempt 0"}));
  EXPECT_NE(token_[kPrimary], old_token);
}

TEST_F(OrchestratorTest, ChecksOfARestartedRoundAreAnswered) {
  StartMonitoring(kT0);
  core_->Stop();
  StartMonitoring(kT0 + 100);
  Answer(kReplica, kGood, kT0 + 110);
  Answer(kPrimary, kFailed, kT0 + 110);
  EXPECT_EQ(TakeLog(), (Lines{"health primary: healthy -> unhealthy", "open primary (HealthCheckFailed)",
                              "failover primary -> replica (was primary)"}));
}

TEST_F(OrchestratorTest, RestartedMonitoringKeepsItsOwnCadence) {
  StartMonitoring(kT0);
  core_->Stop();
  StartMonitoring(kT0 + 100);
  Answer(kPrimary, kGood, kT0 + 110);
  Answer(kReplica, kGood, kT0 + 110);
  TakeLog();
  EXPECT_EQ(RunDue(kT0 + kInterval), Lines{});  // the old cadence is gone
  EXPECT_EQ(RunDue(kT0 + 100 + kInterval), (Lines{"check primary attempt 0", "check replica attempt 0"}));
}

// ---- failover routing -------------------------------------------------------------------------

TEST_F(OrchestratorTest, ChainFailsOverToTheSecondReplicaWhenTheFirstGoesDownToo) {
  Build(Chain());
  OpenCircuit(kPrimary, kT0);
  TakeLog();
  OpenCircuit(kReplica, kT0 + 10);
  EXPECT_EQ(TakeLog(), (Lines{"open replica (FailureThreshold)", "failover primary -> replica2 (was replica)",
                              "failover replica -> replica2 (was replica)"}));
  EXPECT_EQ(core_->route(kPrimary), kReplica2);
}

TEST_F(OrchestratorTest, ChainSkipsAReplicaAlreadyDown) {
  Build(Chain());
  OpenCircuit(kReplica, kT0);
  EXPECT_EQ(TakeLog(),
            (Lines{"open replica (FailureThreshold)", "failover replica -> replica2 (was replica)"}));
  OpenCircuit(kPrimary, kT0 + 10);
  EXPECT_EQ(TakeLog(),
            (Lines{"open primary (FailureThreshold)", "failover primary -> replica2 (was primary)"}));
}

TEST_F(OrchestratorTest, ChainFailsOverByHealthChecks) {
  Build(Chain());
  StartMonitoring(kT0);
  Answer(kReplica2, kGood, kT0 + 10);
  Answer(kReplica, kFailed, kT0 + 10);
  TakeLog();
  Answer(kPrimary, kFailed, kT0 + 20);
  EXPECT_EQ(TakeLog(), (Lines{"health primary: healthy -> unhealthy", "open primary (HealthCheckFailed)",
                              "failover primary -> replica2 (was primary)"}));
}

TEST_F(OrchestratorTest, BackupDownKeepsThePrimaryOnItself) {
  OpenCircuit(kReplica, kT0);
  TakeLog();
  OpenCircuit(kPrimary, kT0 + 10);
  EXPECT_EQ(TakeLog(), Lines{"open primary (FailureThreshold)"});
  EXPECT_EQ(core_->route(kPrimary), kPrimary);
  EXPECT_EQ(core_->Acquire(kPrimary), Admission::kRejected);
}

TEST_F(OrchestratorTest, FailoverFromFirstBackupToSecondNamesThePreviousRoute) {
  Build(List());
  OpenCircuit(kPrimary, kT0);
  EXPECT_EQ(TakeLog(),
            (Lines{"open primary (FailureThreshold)", "failover primary -> replica (was primary)"}));
  OpenCircuit(kReplica, kT0 + 10);
  const std::vector<Event> events = Drain();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(Describe(events[0]), "open replica (FailureThreshold)");
  EXPECT_EQ(events[1].type, EventType::kFailover);
  EXPECT_EQ(events[1].conn, kPrimary);
  EXPECT_EQ(events[1].a, kReplica2);
  EXPECT_EQ(events[1].b, kReplica);
}

TEST_F(OrchestratorTest, HalfOpenFirstBackupLeavesTheRouteOnAUsableSecond) {
  Build(List());
  OpenCircuit(kReplica, kT0);
  OpenCircuit(kPrimary, kT0 + 10);
  ASSERT_EQ(core_->route(kPrimary), kReplica2);
  TakeLog();
  EXPECT_EQ(RunDue(kT0 + kResetTimeout), Lines{"half-open replica (ResetTimeout)"});
  EXPECT_EQ(core_->route(kPrimary), kReplica2);
}

TEST_F(OrchestratorTest, FirstBackupClosingTakesTheRouteBack) {
  Build(List());
  OpenCircuit(kReplica, kT0);
  OpenCircuit(kPrimary, kT0 + 10);
  core_->RunDue(kT0 + kResetTimeout);
  TakeLog();
  for (int i = 0; i < kHalfOpenSuccesses; ++i) {
    core_->Acquire(kReplica);
    core_->RecordSuccess(kReplica, core_->trial_epoch(kReplica), kT0 + kResetTimeout + 5);
  }
  EXPECT_EQ(TakeLog(),
            (Lines{"close replica (HalfOpenSuccess)", "failover primary -> replica (was replica2)"}));
}

TEST_F(OrchestratorTest, NoFailoverEventsWhenTheRouteDoesNotChange) {
  PrimaryUnhealthy();
  Fail(kPrimary, kThreshold * 2, kT0 + 20);
  core_->RecordFailure(kReplica, kNotTrial, kT0 + 20);
  core_->RecordSuccess(kReplica, kNotTrial, kT0 + 20);
  core_->RecordSuccess(kPrimary, kNotTrial, kT0 + 20);
  EXPECT_EQ(TakeLog(), Lines{});
  EXPECT_EQ(core_->route(kPrimary), kReplica);
}

// CONTRACT.md: "When none is usable the primary is used". Routing falls back to
// the primary, but that is no recovery: the primary is still down. Recovery comes
// when the primary itself is usable again.
TEST_F(OrchestratorTest, EveryBackupDownRoutesBackToThePrimaryWithoutRecovery) {
  OpenCircuit(kPrimary, kT0);
  TakeLog();
  OpenCircuit(kReplica, kT0 + 10);
  EXPECT_EQ(TakeLog(), (Lines{"open replica (FailureThreshold)"}));
  EXPECT_EQ(core_->route(kPrimary), kPrimary);
  EXPECT_EQ(core_->Acquire(kPrimary), Admission::kRejected);
}

TEST_F(OrchestratorTest, BackupBackBeforePrimaryFailsOverAgain) {
  OpenCircuit(kPrimary, kT0);
  OpenCircuit(kReplica, kT0 + 10);
  TakeLog();
  // The primary's circuit opens again by a failed trial; the replica is usable by then.
  core_->SetExternalCircuit(kReplica, CircuitState::kClosed, kT0 + 20);
  EXPECT_EQ(TakeLog(), Lines{});  // still failed over to the replica: no second failover
  EXPECT_EQ(core_->route(kPrimary), kReplica);
}

// ---- external breaker --------------------------------------------------------------------------

TEST_F(OrchestratorTest, ExternalOpenFailsOverWithoutCircuitEvents) {
  core_->SetExternalCircuit(kPrimary, CircuitState::kOpen, kT0);
  EXPECT_EQ(TakeLog(), Lines{"failover primary -> replica (was primary)"});
  EXPECT_EQ(SlotOf(kPrimary, kSlotCircuit), static_cast<int32_t>(CircuitState::kOpen));
  EXPECT_EQ(core_->next_due(), -1);  // the external breaker owns its reset timer
}

TEST_F(OrchestratorTest, ExternalCloseRecovers) {
  core_->SetExternalCircuit(kPrimary, CircuitState::kOpen, kT0);
  TakeLog();
  core_->SetExternalCircuit(kPrimary, CircuitState::kClosed, kT0 + 10);
  EXPECT_EQ(TakeLog(), Lines{"recovery primary (leaves replica)"});
}

// ---- Fallback (idempotent retries) ---------------------------------------------------------

TEST_F(OrchestratorTest, FallbackAfterAFailureOnThePrimaryIsTheReplica) {
  EXPECT_EQ(core_->Fallback(kPrimary, kPrimary), kReplica);
}

TEST_F(OrchestratorTest, FallbackAfterAFailureOnTheReplicaIsThePrimaryWhenUsable) {
  EXPECT_EQ(core_->Fallback(kPrimary, kReplica), kPrimary);
}

TEST_F(OrchestratorTest, NoFallbackWhenTheOnlyOtherCandidateIsOpen) {
  OpenCircuit(kReplica, kT0);
  EXPECT_EQ(core_->Fallback(kPrimary, kPrimary), -1);
}

TEST_F(OrchestratorTest, NoFallbackToAHalfOpenBackup) {
  HalfOpenCircuit(kReplica, kT0);
  EXPECT_EQ(core_->Fallback(kPrimary, kPrimary), -1);
}

TEST_F(OrchestratorTest, NoFallbackToAHalfOpenPrimary) {
  HalfOpenCircuit(kPrimary, kT0);
  EXPECT_EQ(core_->Fallback(kPrimary, kReplica), -1);
}

TEST_F(OrchestratorTest, NoFallbackToAnUnhealthyBackup) {
  StartMonitoring(kT0);
  Answer(kPrimary, kGood, kT0 + 10);
  Answer(kReplica, kFailed, kT0 + 10);
  EXPECT_EQ(core_->Fallback(kPrimary, kPrimary), -1);
}

TEST_F(OrchestratorTest, FallbackSkipsAHalfOpenCandidateForAClosedOne) {
  Build(List());
  HalfOpenCircuit(kReplica, kT0);
  EXPECT_EQ(core_->Fallback(kPrimary, kPrimary), kReplica2);
}

TEST_F(OrchestratorTest, NoFallbackForAConnectionWithoutBackups) {
  EXPECT_EQ(core_->Fallback(kReplica, kReplica), -1);
}

// ---- Acquire ----------------------------------------------------------------------------------

TEST_F(OrchestratorTest, AcquireAdmitsWhileClosed) {
  EXPECT_EQ(core_->Acquire(kPrimary), Admission::kAdmitted);
}

TEST_F(OrchestratorTest, AcquireRejectsWhileOpen) {
  OpenCircuit(kPrimary, kT0);
  EXPECT_EQ(core_->Acquire(kPrimary), Admission::kRejected);
  EXPECT_EQ(core_->Acquire(kReplica), Admission::kAdmitted);
}

TEST_F(OrchestratorTest, AcquireRejectsWhileHealthHoldsTheCircuitOpen) {
  PrimaryUnhealthy();
  EXPECT_EQ(core_->Acquire(kPrimary), Admission::kRejected);
}

TEST_F(OrchestratorTest, AcquireAdmitsBoundedTrialsWhileHalfOpen) {
  HalfOpenCircuit(kPrimary, kT0);
  for (int i = 0; i < kHalfOpenMaxCalls; ++i) EXPECT_EQ(core_->Acquire(kPrimary), Admission::kTrial);
  EXPECT_EQ(core_->Acquire(kPrimary), Admission::kRejected);
}

TEST_F(OrchestratorTest, ReleaseTrialLetsAnotherTrialIn) {
  HalfOpenCircuit(kPrimary, kT0);
  for (int i = 0; i < kHalfOpenMaxCalls; ++i) core_->Acquire(kPrimary);
  core_->ReleaseTrial(kPrimary, core_->trial_epoch(kPrimary));
  EXPECT_EQ(core_->Acquire(kPrimary), Admission::kTrial);
  EXPECT_EQ(core_->Acquire(kPrimary), Admission::kRejected);
}

// ---- metrics: time in circuit state, health-check latency ---------------------------

TEST_F(OrchestratorTest, TimeInStateStartsClosedAtConstruction) {
  EXPECT_EQ(core_->circuit_ms(kPrimary, CircuitState::kClosed, 5000), 5000);
  EXPECT_EQ(core_->circuit_ms(kPrimary, CircuitState::kOpen, 5000), 0);
  EXPECT_EQ(core_->circuit_ms(kPrimary, CircuitState::kHalfOpen, 5000), 0);
}

TEST_F(OrchestratorTest, TimeInStateFollowsEveryCircuitTransition) {
  // closed [0, kT0) -> open [kT0, kT0 + reset) -> half-open [.., +500) -> closed
  HalfOpenCircuit(kPrimary, kT0);
  const int64_t half_open_at = kT0 + kResetTimeout;
  for (int i = 0; i < kHalfOpenSuccesses; ++i) {
    core_->Acquire(kPrimary);
    core_->RecordSuccess(kPrimary, core_->trial_epoch(kPrimary), half_open_at + 500);
  }
  ASSERT_EQ(core_->circuit(kPrimary).state(), CircuitState::kClosed);
  const int64_t now = half_open_at + 2000;
  EXPECT_EQ(core_->circuit_ms(kPrimary, CircuitState::kClosed, now), kT0 + 1500);
  EXPECT_EQ(core_->circuit_ms(kPrimary, CircuitState::kOpen, now), kResetTimeout);
  EXPECT_EQ(core_->circuit_ms(kPrimary, CircuitState::kHalfOpen, now), 500);
  // The replica never left closed.
  EXPECT_EQ(core_->circuit_ms(kReplica, CircuitState::kClosed, now), now);
}

TEST_F(OrchestratorTest, TimeInStateCountsHealthHeldOpenAndExternalStates) {
  PrimaryUnhealthy();  // opened at kT0 + 10, held open
  EXPECT_EQ(core_->circuit_ms(kPrimary, CircuitState::kOpen, kT0 + 1010), 1000);
  core_->SetExternalCircuit(kReplica, CircuitState::kOpen, kT0 + 100);
  core_->SetExternalCircuit(kReplica, CircuitState::kClosed, kT0 + 400);
  EXPECT_EQ(core_->circuit_ms(kReplica, CircuitState::kOpen, kT0 + 1000), 300);
  EXPECT_EQ(core_->circuit_ms(kReplica, CircuitState::kClosed, kT0 + 1000), kT0 + 700);
}

TEST_F(OrchestratorTest, CheckLatencyIsMeasuredFromStartToAnswer) {
  EXPECT_EQ(core_->metrics(kPrimary).check_latency_last_ms, -1);
  StartMonitoring(kT0);
  Answer(kPrimary, kGood, kT0 + 40);
  Answer(kReplica, kSlow, kT0 + 7);
  RunDue(kT0 + kInterval);
  Answer(kPrimary, kFailed, kT0 + kInterval + 10);
  const ConnectionMetrics& m = core_->metrics(kPrimary);
  EXPECT_EQ(m.checks, 2);
  EXPECT_EQ(m.check_timeouts, 0);
  EXPECT_EQ(m.check_latency_sum_ms, 50);
  EXPECT_EQ(m.check_latency_last_ms, 10);
  EXPECT_EQ(m.check_latency_max_ms, 40);
  EXPECT_EQ(core_->metrics(kReplica).check_latency_last_ms, 7);
}

TEST_F(OrchestratorTest, CheckTimeoutCountsItsLimitAndStaleAnswersCountNothing) {
  StartMonitoring(kT0);
  const uint64_t stale = token_[kPrimary];
  RunDue(kT0 + kTimeout);
  core_->ReportCheck(kPrimary, stale, kGood, "", kT0 + kTimeout + 1);  // too late
  const ConnectionMetrics& m = core_->metrics(kPrimary);
  EXPECT_EQ(m.checks, 1);
  EXPECT_EQ(m.check_timeouts, 1);
  EXPECT_EQ(m.check_latency_last_ms, kTimeout);
  EXPECT_EQ(m.check_latency_max_ms, kTimeout);
}

TEST_F(OrchestratorTest, EveryRetryAttemptIsACheck) {
  OrchestratorConfig c = Pair();
  c.retries = 1;
  Build(c);
  StartMonitoring(kT0);
  Answer(kPrimary, kFailed, kT0 + 5);
  RunDue(kT0 + 5 + kRetryDelay);
  Answer(kPrimary, kGood, kT0 + 5 + kRetryDelay + 3);
  EXPECT_EQ(core_->metrics(kPrimary).checks, 2);
  EXPECT_EQ(core_->metrics(kPrimary).check_latency_sum_ms, 8);
}

}  // namespace
}  // namespace omnidb
