// The shared probe helpers: classification, redaction, host handling.
#include "probes/probe_io.h"

#include <gtest/gtest.h>

namespace omnidb {
namespace {

ProbeObservation Answered(double latency, ProbeRole role = ProbeRole::kUnknown) {
  ProbeObservation s;
  s.answered = true;
  s.latency_ms = latency;
  s.role = role;
  return s;
}

TEST(ClassifyProbe, AnErrorIsUnhealthyAndNamesWhere) {
  ProbeObservation s;
  s.error = "Connection refused";
  const ProbeResult r = ClassifyProbe(s, {}, "Redis at 127.0.0.1:1");
  EXPECT_EQ(r.status, ProbeStatus::kUnhealthy);
  EXPECT_EQ(r.error, "Redis at 127.0.0.1:1: Connection refused");
}

TEST(ClassifyProbe, AnswerWithinDegradedAfterIsHealthy) {
  ProbePolicy p;
  p.degraded_after_ms = 100;
  const ProbeResult r = ClassifyProbe(Answered(99.4), p, "x");
  EXPECT_EQ(r.status, ProbeStatus::kHealthy);
  EXPECT_EQ(r.error, "");
  EXPECT_DOUBLE_EQ(r.latency_ms, 99.4);
}

TEST(ClassifyProbe, SlowAnswerIsDegraded) {
  ProbePolicy p;
  p.degraded_after_ms = 100;
  const ProbeResult r = ClassifyProbe(Answered(250), p, "x");
  EXPECT_EQ(r.status, ProbeStatus::kDegraded);
  EXPECT_EQ(r.error, "x: answered in 250 ms, slower than degradedAfter 100 ms");
}

TEST(ClassifyProbe, StandbyWhenPrimaryRequiredIsUnhealthy) {
  ProbePolicy p;
  p.required_role = RequiredRole::kPrimary;
  const ProbeResult r = ClassifyProbe(Answered(1, ProbeRole::kStandby), p, "PG");
  EXPECT_EQ(r.status, ProbeStatus::kUnhealthy);
  EXPECT_EQ(r.error, "PG: the server is a standby (in recovery), but role 'primary' is required");
  EXPECT_EQ(r.role, ProbeRole::kStandby);
  EXPECT_EQ(r.lag_kind, 2);  // a standby whose lag is unknown
}

TEST(ClassifyProbe, MasterWhenReplicaRequiredIsUnhealthy) {
  ProbePolicy p;
  p.required_role = RequiredRole::kReplica;
  const ProbeResult r = ClassifyProbe(Answered(1, ProbeRole::kMaster), p, "R");
  EXPECT_EQ(r.status, ProbeStatus::kUnhealthy);
  EXPECT_EQ(r.error, "R: the server is a master, but role 'replica' is required");
  EXPECT_EQ(r.lag_kind, 0);
}

TEST(ClassifyProbe, UnknownRoleWhenARoleIsRequiredIsUnhealthy) {
  ProbePolicy p;
  p.required_role = RequiredRole::kPrimary;
  ProbeObservation s = Answered(1);
  s.error = "ROLE failed: NOPERM";
  const ProbeResult r = ClassifyProbe(s, p, "R");
  EXPECT_EQ(r.status, ProbeStatus::kUnhealthy);
  EXPECT_EQ(r.error,
            "R: could not determine the server's role, but role 'primary' is required (ROLE failed: NOPERM)");
}

TEST(ClassifyProbe, MatchingRoleIsHealthy) {
  ProbePolicy p;
  p.required_role = RequiredRole::kReplica;
  EXPECT_EQ(ClassifyProbe(Answered(1, ProbeRole::kReplica), p, "R").status, ProbeStatus::kHealthy);
  p.required_role = RequiredRole::kPrimary;
  EXPECT_EQ(ClassifyProbe(Answered(1, ProbeRole::kPrimary), p, "R").status, ProbeStatus::kHealthy);
  EXPECT_EQ(ClassifyProbe(Answered(1, ProbeRole::kMaster), p, "R").status, ProbeStatus::kHealthy);
}

TEST(ClassifyProbe, LagBeyondMaxLagIsUnhealthy) {
  ProbePolicy p;
  p.max_lag_ms = 1000;
  ProbeObservation s = Answered(1, ProbeRole::kReplica);
  s.has_lag = true;
  s.lag_ms = 1500;
  ProbeResult r = ClassifyProbe(s, p, "R");
  EXPECT_EQ(r.status, ProbeStatus::kUnhealthy);
  EXPECT_EQ(r.error, "R: replication lag 1500 ms exceeds maxLag 1000 ms");
  EXPECT_EQ(r.lag_kind, 1);
  EXPECT_DOUBLE_EQ(r.lag_ms, 1500);
  s.lag_ms = 1000;
  EXPECT_EQ(ClassifyProbe(s, p, "R").status, ProbeStatus::kHealthy);
}

TEST(ClassifyProbe, UnknownLagFailsMaxLagOnlyWithAReason) {
  ProbePolicy p;
  p.max_lag_ms = 1000;
  ProbeObservation s = Answered(1, ProbeRole::kStandby);
  EXPECT_EQ(ClassifyProbe(s, p, "PG").status, ProbeStatus::kHealthy);  // nothing replayed yet
  s.lag_unknown_reason = "the link to the master is down";
  const ProbeResult r = ClassifyProbe(s, p, "R");
  EXPECT_EQ(r.status, ProbeStatus::kUnhealthy);
  EXPECT_EQ(r.error, "R: replication lag unknown (the link to the master is down), maxLag is 1000 ms");
}

TEST(ClassifyProbe, MaxLagIgnoresAPrimary) {
  ProbePolicy p;
  p.max_lag_ms = 0;
  EXPECT_EQ(ClassifyProbe(Answered(1, ProbeRole::kPrimary), p, "PG").status, ProbeStatus::kHealthy);
}

TEST(Redact, ReplacesEveryOccurrence) {
  EXPECT_EQ(Redact("pw=hunter2 again hunter2", "hunter2"), "pw=*** again ***");
  EXPECT_EQ(Redact("nothing here", "hunter2"), "nothing here");
  EXPECT_EQ(Redact("keep", ""), "keep");
  EXPECT_EQ(Redact("aaaa", "a"), "************");
}

TEST(OneLine, FoldsWhitespace) {
  EXPECT_EQ(OneLine("FATAL:  password authentication failed\n\tIs it?\n"),
            "FATAL: password authentication failed Is it?");
  EXPECT_EQ(OneLine(""), "");
}

TEST(NeedsResolution, OnlyNames) {
  EXPECT_TRUE(NeedsResolution("localhost"));
  EXPECT_TRUE(NeedsResolution("db.example.com"));
  EXPECT_FALSE(NeedsResolution("127.0.0.1"));
  EXPECT_FALSE(NeedsResolution("::1"));
  EXPECT_FALSE(NeedsResolution("/var/run/postgresql"));
  EXPECT_FALSE(NeedsResolution(""));
}

TEST(HostPort, BracketsIpv6) {
  EXPECT_EQ(HostPort("::1", "5432"), "[::1]:5432");
  EXPECT_EQ(HostPort("db", "6379"), "db:6379");
}

TEST(TlsKind, PlaintextTlsAndItsVersions) {
  EXPECT_EQ(TlsKind(false, nullptr), kTlsOff);
  EXPECT_EQ(TlsKind(false, "TLSv1.3"), kTlsOff);
  EXPECT_EQ(TlsKind(true, nullptr), 2);
  EXPECT_EQ(TlsKind(true, "SSLv3"), 2);
  EXPECT_EQ(TlsKind(true, "TLSv1"), 3);
  EXPECT_EQ(TlsKind(true, "TLSv1.2"), 5);
  EXPECT_EQ(TlsKind(true, "TLSv1.3"), 6);
}

TEST(ClassifyProbe, CarriesTheTlsKindEvenWhenUnhealthy) {
  ProbeObservation seen;
  seen.answered = true;
  seen.tls = 6;
  seen.role = ProbeRole::kStandby;
  ProbePolicy policy;
  policy.required_role = RequiredRole::kPrimary;
  const ProbeResult r = ClassifyProbe(seen, policy, "PostgreSQL at h:1");
  EXPECT_EQ(r.status, ProbeStatus::kUnhealthy);
  EXPECT_EQ(r.tls, 6);
}

}  // namespace
}  // namespace omnidb
