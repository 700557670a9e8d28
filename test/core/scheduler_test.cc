// Scheduler: a deadline queue with no clock. Ordering by due, FIFO among equal
// deadlines, PopDue never runs anything early.
#include "core/scheduler.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace omnidb {
namespace {

constexpr int64_t kFarFuture = INT64_MAX;
constexpr TimerKind kRound = TimerKind::kHealthRound;
constexpr TimerKind kTimeout = TimerKind::kCheckTimeout;

// Pops everything due at or before `now`; returns the conn of each entry, in order.
std::vector<int32_t> PopAll(Scheduler& s, int64_t now) {
  std::vector<int32_t> conns;
  TimerEntry e;
  while (s.PopDue(now, &e)) conns.push_back(e.conn);
  return conns;
}

TEST(Scheduler, EmptyHasNoNextDue) {
  Scheduler s;
  EXPECT_EQ(s.next_due(), -1);
  EXPECT_EQ(s.size(), 0u);
  TimerEntry e;
  EXPECT_FALSE(s.PopDue(kFarFuture, &e));
}

TEST(Scheduler, NextDueIsTheEarliestDeadline) {
  Scheduler s;
  s.Add(300, kRound, 0, 0);
  s.Add(100, kRound, 1, 0);
  s.Add(200, kRound, 2, 0);
  EXPECT_EQ(s.next_due(), 100);
  EXPECT_EQ(s.size(), 3u);
}

TEST(Scheduler, PopsInDueOrder) {
  Scheduler s;
  s.Add(300, kRound, 3, 0);
  s.Add(100, kRound, 1, 0);
  s.Add(200, kRound, 2, 0);
  EXPECT_EQ(PopAll(s, kFarFuture), (std::vector<int32_t>{1, 2, 3}));
}

TEST(Scheduler, EqualDeadlinesRunInInsertionOrder) {
  Scheduler s;
  for (int32_t conn = 0; conn < 8; ++conn) s.Add(100, kRound, conn, 0);
  EXPECT_EQ(PopAll(s, 100), (std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(Scheduler, EqualDeadlinesStayFifoAroundAnEarlierOne) {
  Scheduler s;
  s.Add(100, kRound, 10, 0);
  s.Add(50, kRound, 99, 0);
  s.Add(100, kRound, 11, 0);
  EXPECT_EQ(PopAll(s, 100), (std::vector<int32_t>{99, 10, 11}));
}

TEST(Scheduler, PopDueDoesNotPopOneMillisecondEarly) {
  Scheduler s;
  s.Add(100, kRound, 0, 0);
  TimerEntry e;
  EXPECT_FALSE(s.PopDue(99, &e));
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(s.next_due(), 100);
}

TEST(Scheduler, PopDuePopsAtExactlyTheDeadline) {
  Scheduler s;
  s.Add(100, kRound, 0, 0);
  TimerEntry e;
  EXPECT_TRUE(s.PopDue(100, &e));
  EXPECT_EQ(s.size(), 0u);
}

TEST(Scheduler, PopDueStopsAtTheFirstEntryNotYetDue) {
  Scheduler s;
  s.Add(100, kRound, 1, 0);
  s.Add(150, kRound, 2, 0);
  s.Add(200, kRound, 3, 0);
  EXPECT_EQ(PopAll(s, 150), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(s.next_due(), 200);
}

TEST(Scheduler, PopDueReturnsTheEntryAsAdded) {
  Scheduler s;
  s.Add(1234, kTimeout, 7, 42);
  TimerEntry e;
  ASSERT_TRUE(s.PopDue(1234, &e));
  EXPECT_EQ(e.due, 1234);
  EXPECT_EQ(e.kind, kTimeout);
  EXPECT_EQ(e.conn, 7);
  EXPECT_EQ(e.token, 42u);
}

TEST(Scheduler, NextDueIsMinusOneOnceDrained) {
  Scheduler s;
  s.Add(100, kRound, 0, 0);
  PopAll(s, 100);
  EXPECT_EQ(s.next_due(), -1);
}

TEST(Scheduler, ClearDropsEverything) {
  Scheduler s;
  s.Add(100, kRound, 0, 0);
  s.Add(200, kTimeout, 1, 1);
  s.Clear();
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.next_due(), -1);
}

TEST(Scheduler, EntriesAddedAfterClearStayFifo) {
  Scheduler s;
  s.Add(100, kRound, 0, 0);
  s.Clear();
  s.Add(100, kRound, 1, 0);
  s.Add(100, kRound, 2, 0);
  EXPECT_EQ(PopAll(s, 100), (std::vector<int32_t>{1, 2}));
}

}  // namespace
}  // namespace omnidb
