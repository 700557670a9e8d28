// FailoverRouter: config validation messages, candidate order, Resolve.
#include "core/failover_router.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace omnidb {
namespace {

using Names = std::vector<std::string>;
using Spec = FailoverRouter::Spec;
using Ids = std::vector<int32_t>;

const Names kPrimaryReplica = {"primary", "replica"};
const Names kThree = {"primary", "replica", "analytics"};
const Names kABC = {"a", "b", "c"};
const Names kABCD = {"a", "b", "c", "d"};

// ---- Validate -----------------------------------------------------------------------

TEST(FailoverValidate, EmptySpecIsValid) { EXPECT_EQ(FailoverRouter::Validate(kPrimaryReplica, {}), ""); }

TEST(FailoverValidate, SingleBackupIsValid) {
  EXPECT_EQ(FailoverRouter::Validate(kPrimaryReplica, {{"primary", {"replica"}}}), "");
}

TEST(FailoverValidate, EmptyBackupListIsValid) {
  EXPECT_EQ(FailoverRouter::Validate(kPrimaryReplica, {{"primary", {}}}), "");
}

TEST(FailoverValidate, UnknownPrimaryListsAvailableNames) {
  EXPECT_EQ(FailoverRouter::Validate(kThree, {{"ghost", {"replica"}}}),
            "Failover config error: primary \"ghost\" not found in connections. "
            "Available: primary, replica, analytics");
}

TEST(FailoverValidate, UnknownBackupListsAvailableNames) {
  EXPECT_EQ(FailoverRouter::Validate(kThree, {{"primary", {"ghost"}}}),
            "Failover config error: backup \"ghost\" for primary \"primary\" not found in "
            "connections. Available: primary, replica, analytics");
}

TEST(FailoverValidate, UnknownBackupAfterAValidOne) {
  EXPECT_EQ(FailoverRouter::Validate(kThree, {{"primary", {"replica", "ghost"}}}),
            "Failover config error: backup \"ghost\" for primary \"primary\" not found in "
            "connections. Available: primary, replica, analytics");
}

TEST(FailoverValidate, FailoverToItselfIsRejected) {
  EXPECT_EQ(FailoverRouter::Validate(kPrimaryReplica, {{"primary", {"primary"}}}),
            "Failover config error: \"primary\" cannot fail over to itself");
}

TEST(FailoverValidate, BackupListedTwiceIsRejected) {
  EXPECT_EQ(FailoverRouter::Validate(kPrimaryReplica, {{"primary", {"replica", "replica"}}}),
            "Failover config error: backup \"replica\" listed twice for primary \"primary\"");
}

TEST(FailoverValidate, TwoNodeCycleIsDrawn) {
  EXPECT_EQ(FailoverRouter::Validate({"a", "b"}, {{"a", {"b"}}, {"b", {"a"}}}),
            "Circular failover detected: a → b → a");
}

TEST(FailoverValidate, ThreeNodeCycleIsDrawn) {
  EXPECT_EQ(FailoverRouter::Validate(kABC, {{"a", {"b"}}, {"b", {"c"}}, {"c", {"a"}}}),
            "Circular failover detected: a → b → c → a");
}

TEST(FailoverValidate, CycleThroughASecondListedBackupIsDrawn) {
  EXPECT_EQ(FailoverRouter::Validate(kABC, {{"a", {"b", "c"}}, {"c", {"a"}}}),
            "Circular failover detected: a → c → a");
}

TEST(FailoverValidate, CycleReachedFromOutsideIsDrawnFromWhereItCloses) {
  EXPECT_EQ(FailoverRouter::Validate({"x", "a", "b"}, {{"x", {"a"}}, {"a", {"b"}}, {"b", {"a"}}}),
            "Circular failover detected: a → b → a");
}

TEST(FailoverValidate, DiamondIsNotACycle) {
  EXPECT_EQ(FailoverRouter::Validate(kABCD, {{"a", {"b", "c"}}, {"b", {"d"}}, {"c", {"d"}}}), "");
}

TEST(FailoverValidate, SharedBackupIsNotACycle) {
  EXPECT_EQ(FailoverRouter::Validate(kABC, {{"a", {"c"}}, {"b", {"c"}}}), "");
}

TEST(FailoverValidate, ChainIsValid) {
  EXPECT_EQ(FailoverRouter::Validate(kABC, {{"a", {"b"}}, {"b", {"c"}}}), "");
}

// ---- candidates ----------------------------------------------------------------------

enum : int32_t { kA = 0, kB = 1, kC = 2, kD = 3, kE = 4, kF = 5 };

TEST(FailoverRouter, ConnectionWithoutBackupsHasNoCandidates) {
  const FailoverRouter router({{kB}, {}});
  EXPECT_FALSE(router.has_backups(kB));
  EXPECT_EQ(router.candidates(kB), Ids{});
}

TEST(FailoverRouter, OwnListKeepsItsOrder) {
  const FailoverRouter router({{kC, kB}, {}, {}});
  EXPECT_TRUE(router.has_backups(kA));
  EXPECT_EQ(router.candidates(kA), (Ids{kC, kB}));
}

TEST(FailoverRouter, ChainIsFollowed) {
  const FailoverRouter router({{kB}, {kC}, {}});
  EXPECT_EQ(router.candidates(kA), (Ids{kB, kC}));
  EXPECT_EQ(router.candidates(kB), (Ids{kC}));
  EXPECT_EQ(router.candidates(kC), Ids{});
}

TEST(FailoverRouter, OwnListFirstThenBackupsOfBackupsBreadthFirst) {
  // a → [b, c]; b → [d]; c → [e]; d → [f]
  const FailoverRouter router({{kB, kC}, {kD}, {kE}, {kF}, {}, {}});
  EXPECT_EQ(router.candidates(kA), (Ids{kB, kC, kD, kE, kF}));
}

TEST(FailoverRouter, DiamondListsTheSharedBackupOnce) {
  // a → [b, c]; b → [d]; c → [d]
  const FailoverRouter router({{kB, kC}, {kD}, {kD}, {}});
  EXPECT_EQ(router.candidates(kA), (Ids{kB, kC, kD}));
}

TEST(FailoverRouter, BackupAlsoReachedThroughTheChainKeepsItsListedPlace) {
  // a → [b, c]; b → [c]
  const FailoverRouter router({{kB, kC}, {kC}, {}});
  EXPECT_EQ(router.candidates(kA), (Ids{kB, kC}));
}

// ---- Resolve ---------------------------------------------------------------------------

// `flags[i]` says whether connection i passes the predicate.
auto From(const std::vector<bool>& flags) {
  return [flags](int32_t id) { return flags[static_cast<size_t>(id)]; };
}
// No connection takes trial calls (no circuit half-open).
auto NoTrials() {
  return [](int32_t) { return false; };
}

TEST(FailoverRouter, UsableConnectionServesItself) {
  const FailoverRouter router({{kB, kC}, {}, {}});
  EXPECT_EQ(router.Resolve(kA, From({true, true, true}), NoTrials()), kA);
}

TEST(FailoverRouter, FirstUsableCandidateWins) {
  const FailoverRouter router({{kB, kC}, {}, {}});
  EXPECT_EQ(router.Resolve(kA, From({false, true, true}), NoTrials()), kB);
}

TEST(FailoverRouter, UnusableFirstBackupIsSkipped) {
  const FailoverRouter router({{kB, kC}, {}, {}});
  EXPECT_EQ(router.Resolve(kA, From({false, false, true}), NoTrials()), kC);
}

TEST(FailoverRouter, ChainedBackupServesWhenTheDirectOneIsDown) {
  const FailoverRouter router({{kB}, {kC}, {}});
  EXPECT_EQ(router.Resolve(kA, From({false, false, true}), NoTrials()), kC);
}

TEST(FailoverRouter, NoUsableCandidateFallsBackToItself) {
  const FailoverRouter router({{kB}, {kC}, {}});
  EXPECT_EQ(router.Resolve(kA, From({false, false, false}), NoTrials()), kA);
}

TEST(FailoverRouter, UnusableConnectionWithoutBackupsIsItself) {
  const FailoverRouter router({{}, {}});
  EXPECT_EQ(router.Resolve(kA, From({false, true}), NoTrials()), kA);
}

TEST(FailoverRouter, ResolveStopsAtTheFirstUsableCandidate) {
  const FailoverRouter router({{kB, kC, kD}, {}, {}, {}});
  Ids asked;
  const int32_t served = router.Resolve(
      kA,
      [&asked](int32_t id) {
        asked.push_back(id);
        return id == kB;
      },
      NoTrials());
  EXPECT_EQ(served, kB);
  EXPECT_EQ(asked, (Ids{kA, kB}));
}

// ---- Resolve: trial candidates (half-open) ---------------------------------------------

TEST(FailoverRouter, UsableBackupWinsOverItselfOnTrial) {
  const FailoverRouter router({{kB}, {}});
  EXPECT_EQ(router.Resolve(kA, From({false, true}), From({true, false})), kB);
}

TEST(FailoverRouter, UsableLaterCandidateWinsOverAnEarlierOneOnTrial) {
  const FailoverRouter router({{kB, kC}, {}, {}});
  EXPECT_EQ(router.Resolve(kA, From({false, false, true}), From({false, true, false})), kC);
}

TEST(FailoverRouter, NothingUsableServesItselfOnTrial) {
  const FailoverRouter router({{kB}, {}});
  EXPECT_EQ(router.Resolve(kA, From({false, false}), From({true, true})), kA);
}

TEST(FailoverRouter, NothingUsableServesTheFirstCandidateOnTrial) {
  const FailoverRouter router({{kB}, {kC}, {}});
  EXPECT_EQ(router.Resolve(kA, From({false, false, false}), From({false, false, true})), kC);
}

TEST(FailoverRouter, NothingUsableNorOnTrialServesItself) {
  const FailoverRouter router({{kB, kC}, {}, {}});
  EXPECT_EQ(router.Resolve(kA, From({false, false, false}), From({false, false, false})), kA);
}

TEST(FailoverRouter, TrialsAreAskedOnlyWhenNothingIsUsable) {
  const FailoverRouter router({{kB}, {}});
  Ids asked;
  const int32_t served = router.Resolve(kA, From({false, true}), [&asked](int32_t id) {
    asked.push_back(id);
    return true;
  });
  EXPECT_EQ(served, kB);
  EXPECT_EQ(asked, Ids{});
}

}  // namespace
}  // namespace omnidb
