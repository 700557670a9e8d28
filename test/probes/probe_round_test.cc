// ProbeRound, the part every probe shares, over a protocol that only counts what it is
// asked to do: the busy guard, resolving first, Timeout/Abort/Close, one replacement
// for a lost reused connection, and the end of a round.
#include "probes/probe_round.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace omnidb {
namespace {

class NullWatcher : public IoWatcher {
 public:
  bool Want(int, bool, bool) override { return true; }
  void Stop() override {}
  void Release() override {}
  const std::string& error() const override { return error_; }

 private:
  std::string error_;
};

class HeldResolver : public Resolver {
 public:
  void Resolve(const std::string& host, Done done) override {
    asked = host;
    done_ = std::move(done);
  }
  void Cancel() override { ++cancels; }
  // Answers the last request, cancelled or not (a late answer must be ignored).
  void Answer(std::vector<std::string> addresses, std::string error) {
    Done done = std::move(done_);
    done_ = nullptr;
    if (done) done(std::move(addresses), std::move(error));
  }
  std::string asked;
  int cancels = 0;

 private:
  Done done_;
};

// The protocol: a "connection" is a flag; the test decides what happens to it.
class FakeRound : public ProbeRound {
 public:
  FakeRound(IoWatcher* watcher, Resolver* resolver, ResultCallback on_result, bool persistent)
      : ProbeRound(watcher, resolver, std::move(on_result), "Fake at h:1", "s3cr3t", ProbePolicy(),
                   persistent) {}
  ~FakeRound() override { Close(); }

  void Check() override {
    if (!BeginRound()) return;
    if (open) {
      reused_ = true;
      phase_ = Phase::kQuerying;
      return;
    }
    StartConnect();
  }
  void OnIo(int) override {}
  bool connected() const override { return open; }

  void Answer() {
    ProbeObservation seen;
    seen.answered = true;
    seen.latency_ms = 1;
    Finish(seen);
  }
  void Lose(const std::string& why) { ConnectionLost(why); }
  void FailWith(const std::string& cause) { Fail(cause); }
  void Without(const std::string& what) { Unavailable(what); }

  std::string resolve_host;  // StartConnect resolves it first when set
  bool open = false;
  int connects = 0;
  int drops = 0;
  int rounds_ended = 0;
  bool last_kept = false;

 private:
  void StartConnect() override {
    reused_ = false;
    if (!resolve_host.empty()) {
      ResolveThen(resolve_host, [this](std::vector<std::string>) { Connect(); });
      return;
    }
    Connect();
  }
  void Connect() {
    ++connects;
    open = true;
    phase_ = Phase::kConnecting;
  }
  void DropConnection() override {
    if (open) ++drops;
    open = false;
  }
  std::string WhatWeWaitFor() const override {
    return phase_ == Phase::kConnecting ? "while connecting (fake)" : "waiting for the fake reply";
  }
  void AfterRound(bool kept) override {
    ++rounds_ended;
    last_kept = kept;
  }
};

struct Harness {
  explicit Harness(bool persistent = true)
      : probe(
            &watcher, &resolver, [this](const ProbeResult& r) { results.push_back(r); }, persistent) {}
  NullWatcher watcher;
  HeldResolver resolver;
  std::vector<ProbeResult> results;
  FakeRound probe;
};

TEST(ProbeRound, ACheckWhileBusyIsAnsweredAndTheRoundGoesOn) {
  Harness h;
  h.probe.Check();
  h.probe.Check();
  ASSERT_EQ(h.results.size(), 1u);
  EXPECT_EQ(h.results[0].status, ProbeStatus::kUnhealthy);
  EXPECT_EQ(h.results[0].error, "Fake at h:1: a probe round is already in flight");
  EXPECT_TRUE(h.probe.busy());
  EXPECT_EQ(h.probe.connects, 1);
}

TEST(ProbeRound, TimeoutNamesWhatTheRoundWaitedForAndDropsTheConnection) {
  Harness h;
  h.probe.Check();
  h.probe.Timeout(50);
  ASSERT_EQ(h.results.size(), 1u);
  EXPECT_EQ(h.results[0].error, "Fake at h:1: timed out after 50 ms while connecting (fake)");
  EXPECT_EQ(h.probe.drops, 1);
  EXPECT_FALSE(h.probe.busy());
  EXPECT_FALSE(h.probe.last_kept);
  h.probe.Timeout(50);  // idle: nothing happens
  EXPECT_EQ(h.results.size(), 1u);
}

TEST(ProbeRound, TimeoutWhileResolvingCancelsTheLookupAndNamesTheHost) {
  Harness h;
  h.probe.resolve_host = "db.example";
  h.probe.Check();
  EXPECT_EQ(h.resolver.asked, "db.example");
  h.probe.Timeout(20);
  ASSERT_EQ(h.results.size(), 1u);
  EXPECT_EQ(h.results[0].error, "Fake at h:1: timed out after 20 ms while resolving host \"db.example\"");
  EXPECT_EQ(h.resolver.cancels, 1);
  h.resolver.Answer({"10.0.0.1"}, "");  // too late: ignored
  EXPECT_EQ(h.results.size(), 1u);
  EXPECT_EQ(h.probe.connects, 0);
}

TEST(ProbeRound, AFailedLookupFailsTheRoundNamingTheHost) {
  Harness h;
  h.probe.resolve_host = "db.example";
  h.probe.Check();
  h.resolver.Answer({}, "unknown node or service");
  h.probe.Check();
  h.resolver.Answer({}, "");
  ASSERT_EQ(h.results.size(), 2u);
  EXPECT_EQ(h.results[0].error,
            "Fake at h:1: could not resolve host \"db.example\": unknown node or service");
  EXPECT_EQ(h.results[1].error, "Fake at h:1: could not resolve host \"db.example\": no addresses");
  EXPECT_EQ(h.probe.connects, 0);
}

TEST(ProbeRound, AResolvedHostGoesOnToConnect) {
  Harness h;
  h.probe.resolve_host = "db.example";
  h.probe.Check();
  h.resolver.Answer({"10.0.0.1"}, "");
  EXPECT_EQ(h.probe.connects, 1);
  EXPECT_TRUE(h.probe.busy());
  h.probe.Timeout(5);
  EXPECT_EQ(h.results.at(0).error, "Fake at h:1: timed out after 5 ms while connecting (fake)");
}

TEST(ProbeRound, ALostReusedConnectionIsReplacedOnceThenTheRoundFails) {
  Harness h;
  h.probe.Check();
  h.probe.Answer();
  ASSERT_EQ(h.results.size(), 1u);
  EXPECT_EQ(h.results[0].status, ProbeStatus::kHealthy);
  EXPECT_TRUE(h.probe.last_kept);
  EXPECT_TRUE(h.probe.connected());

  h.probe.Check();  // on the kept connection
  h.probe.Lose("server closed the connection");
  EXPECT_EQ(h.results.size(), 1u);  // no result yet: a fresh connection decides
  EXPECT_EQ(h.probe.connects, 2);
  EXPECT_TRUE(h.probe.busy());
  h.probe.Lose("reset by peer");
  ASSERT_EQ(h.results.size(), 2u);
  EXPECT_EQ(h.results[1].error, "Fake at h:1: reset by peer");
  EXPECT_FALSE(h.probe.connected());

  h.probe.Check();  // a new connection: losing it fails the round at once
  h.probe.Lose("");
  ASSERT_EQ(h.results.size(), 3u);
  EXPECT_EQ(h.results[2].error, "Fake at h:1: connection lost");
}

TEST(ProbeRound, AnAnsweringConnectionIsKeptOnlyWhenPersistent) {
  Harness h(false);
  h.probe.Check();
  h.probe.Answer();
  ASSERT_EQ(h.results.size(), 1u);
  EXPECT_EQ(h.results[0].status, ProbeStatus::kHealthy);
  EXPECT_FALSE(h.probe.last_kept);
  EXPECT_EQ(h.probe.drops, 1);
  EXPECT_EQ(h.probe.rounds_ended, 1);
}

TEST(ProbeRound, MessagesAreOneLineAndNeverCarryTheSecret) {
  Harness h;
  h.probe.Check();
  h.probe.FailWith("password s3cr3t rejected\n\tsee the log");
  ASSERT_EQ(h.results.size(), 1u);
  EXPECT_EQ(h.results[0].error, "Fake at h:1: password *** rejected see the log");
}

TEST(ProbeRound, AbortAndCloseEndTheRoundWithoutAResult) {
  Harness h;
  h.probe.Check();
  h.probe.Abort();
  EXPECT_FALSE(h.probe.busy());
  EXPECT_EQ(h.probe.drops, 1);
  h.probe.resolve_host = "db.example";
  h.probe.Check();
  h.probe.Close();
  EXPECT_EQ(h.resolver.cancels, 1);
  EXPECT_FALSE(h.probe.busy());
  EXPECT_TRUE(h.results.empty());
}

TEST(ProbeRound, TheResultCallbackMayStartTheNextRound) {
  NullWatcher watcher;
  HeldResolver resolver;
  std::vector<ProbeResult> results;
  FakeRound* self = nullptr;
  FakeRound probe(
      &watcher, &resolver,
      [&](const ProbeResult& r) {
        results.push_back(r);
        if (results.size() == 1) self->Check();  // the round is over by now: not "in flight"
      },
      true);
  self = &probe;
  probe.Check();
  probe.FailWith("refused");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(probe.busy());
  EXPECT_EQ(probe.connects, 2);
}

TEST(ProbeRound, UnavailableNamesWhatTheBuildLacks) {
  Harness h;
  h.probe.Without("libfake (install libfake-dev and rebuild)");
  ASSERT_EQ(h.results.size(), 1u);
  EXPECT_EQ(h.results[0].status, ProbeStatus::kUnhealthy);
  EXPECT_EQ(h.results[0].error, "Fake at h:1: built without libfake (install libfake-dev and rebuild)");
}

}  // namespace
}  // namespace omnidb
