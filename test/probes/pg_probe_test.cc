// PgProbe without a server: connection parameters, messages, and libpq itself against
// a closed port and a socket that never answers, driven by a poll(2) loop.
#include "probes/pg_probe.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "probe_loop.h"

namespace omnidb {
namespace {

std::string Value(const PgConnParams& p, const std::string& key) {
  std::string found;
  for (size_t i = 0; i < p.keywords.size(); ++i) {
    if (p.keywords[i] == key) found = p.values[i];  // the last one wins, as in libpq
  }
  return found;
}

bool Has(const PgConnParams& p, const std::string& key) {
  return std::find(p.keywords.begin(), p.keywords.end(), key) != p.keywords.end();
}

PgTarget Target() {
  PgTarget t;
  t.host = "db.internal";
  t.port = "6543";
  t.user = "app";
  t.password = "s3cr3t-pw";
  t.dbname = "shop";
  return t;
}

TEST(BuildPgParams, ResolvedNameBecomesHostaddrPairs) {
  const PgConnParams p = BuildPgParams(Target(), {"10.0.0.5", "fd00::5"});
  EXPECT_EQ(Value(p, "host"), "db.internal,db.internal");
  EXPECT_EQ(Value(p, "hostaddr"), "10.0.0.5,fd00::5");
  EXPECT_EQ(Value(p, "port"), "6543");
  EXPECT_EQ(Value(p, "user"), "app");
  EXPECT_EQ(Value(p, "password"), "s3cr3t-pw");
  EXPECT_EQ(Value(p, "dbname"), "shop");
  EXPECT_EQ(p.keywords.size(), p.values.size());
}

TEST(BuildPgParams, IpLiteralIsItsOwnHostaddr) {
  PgTarget t = Target();
  t.host = "127.0.0.1";
  const PgConnParams p = BuildPgParams(t, {});
  EXPECT_EQ(Value(p, "host"), "127.0.0.1");
  EXPECT_EQ(Value(p, "hostaddr"), "127.0.0.1");
}

TEST(BuildPgParams, SocketDirectoryHasNoHostaddr) {
  PgTarget t = Target();
  t.host = "/var/run/postgresql";
  const PgConnParams p = BuildPgParams(t, {});
  EXPECT_EQ(Value(p, "host"), "/var/run/postgresql");
  EXPECT_FALSE(Has(p, "hostaddr"));
}

TEST(BuildPgParams, UserGivenHostaddrIsKept) {
  PgTarget t = Target();
  t.hostaddr = "192.0.2.1";
  const PgConnParams p = BuildPgParams(t, {"10.9.9.9"});
  EXPECT_EQ(Value(p, "host"), "db.internal");
  EXPECT_EQ(Value(p, "hostaddr"), "192.0.2.1");
}

TEST(BuildPgParams, ServerNameIsTheHostLibpqVerifiesWhileTheAddressStays) {
  PgTarget t = Target();
  t.server_name = "db.example";
  PgConnParams p = BuildPgParams(t, {"10.0.0.5", "10.0.0.6"});
  EXPECT_EQ(Value(p, "host"), "db.example,db.example");
  EXPECT_EQ(Value(p, "hostaddr"), "10.0.0.5,10.0.0.6");
  t.host = "127.0.0.1";
  p = BuildPgParams(t, {});
  EXPECT_EQ(Value(p, "host"), "db.example");
  EXPECT_EQ(Value(p, "hostaddr"), "127.0.0.1");
  t.hostaddr = "192.0.2.1";
  p = BuildPgParams(t, {});
  EXPECT_EQ(Value(p, "host"), "db.example");
  EXPECT_EQ(Value(p, "hostaddr"), "192.0.2.1");
}

TEST(BuildPgParams, DefaultsComeFirstSoUserParamsWin) {
  PgTarget t = Target();
  t.params = {{"sslmode", "require"}, {"gssencmode", "prefer"}, {"application_name", "probe-x"}};
  const PgConnParams p = BuildPgParams(t, {});
  EXPECT_EQ(Value(p, "gssencmode"), "prefer");
  EXPECT_EQ(Value(p, "sslmode"), "require");
  EXPECT_EQ(Value(p, "fallback_application_name"), "omnidb-probe");
  EXPECT_EQ(Value(p, "application_name"), "probe-x");
}

TEST(BuildPgParams, EmptyValuesAreLeftOut) {
  PgTarget t;
  t.host = "127.0.0.1";
  const PgConnParams p = BuildPgParams(t, {});
  EXPECT_FALSE(Has(p, "password"));
  EXPECT_FALSE(Has(p, "user"));
  EXPECT_FALSE(Has(p, "port"));
  EXPECT_FALSE(Has(p, "dbname"));
}

TEST(DescribePgTarget, NamesHostAndPortButNeverThePassword) {
  EXPECT_EQ(DescribePgTarget(Target()), "PostgreSQL at db.internal:6543");
  PgTarget t = Target();
  t.port = "";
  t.host = "::1";
  EXPECT_EQ(DescribePgTarget(t), "PostgreSQL at [::1]:5432");
  t.host = "/tmp/";
  EXPECT_EQ(DescribePgTarget(t), "PostgreSQL at /tmp/.s.PGSQL.5432");
}

TEST(PgRoundQuery, AppendsTheRoleStatement) {
  EXPECT_EQ(PgRoundQuery("SELECT 1", false), "SELECT 1");
  const std::string q = PgRoundQuery("SELECT 1", true);
  EXPECT_EQ(q.rfind("SELECT 1; SELECT pg_is_in_recovery(), ", 0), 0u);
  EXPECT_NE(q.find("pg_last_xact_replay_timestamp()"), std::string::npos);
}

TEST(ParsePgRoleRow, PrimaryHasNoLag) {
  ProbeObservation s;
  ASSERT_TRUE(ParsePgRoleRow("f", nullptr, nullptr, &s));
  EXPECT_EQ(s.role, ProbeRole::kPrimary);
  EXPECT_FALSE(s.has_lag);
}

TEST(ParsePgRoleRow, StandbyLagKnownUnknownAndClamped) {
  ProbeObservation s;
  ASSERT_TRUE(ParsePgRoleRow("t", "1234.500000", "f", &s));
  EXPECT_EQ(s.role, ProbeRole::kStandby);
  EXPECT_TRUE(s.has_lag);
  EXPECT_DOUBLE_EQ(s.lag_ms, 1234.5);
  ASSERT_TRUE(ParsePgRoleRow("t", nullptr, "f", &s));
  EXPECT_FALSE(s.has_lag);
  EXPECT_EQ(s.lag_unknown_reason, "");  // nothing replayed yet, nothing to replay: fine
  ASSERT_TRUE(ParsePgRoleRow("t", nullptr, "t", &s));
  EXPECT_FALSE(s.has_lag);
  EXPECT_EQ(s.lag_unknown_reason, "replay is behind the received WAL and no transaction was replayed yet");
  ASSERT_TRUE(ParsePgRoleRow("t", "-3.2", "t", &s));
  EXPECT_DOUBLE_EQ(s.lag_ms, 0);
}

TEST(ParsePgRoleRow, RejectsAnythingElse) {
  ProbeObservation s;
  EXPECT_FALSE(ParsePgRoleRow(nullptr, nullptr, nullptr, &s));
  EXPECT_FALSE(ParsePgRoleRow("1", nullptr, nullptr, &s));
  EXPECT_FALSE(ParsePgRoleRow("t", "abc", "f", &s));
}

#ifdef OMNIDB_HAVE_LIBPQ

PgProbeConfig LocalConfig(int port) {
  PgProbeConfig c;
  c.target.host = "127.0.0.1";
  c.target.port = std::to_string(port);
  c.target.user = "probe";
  c.target.password = "s3cr3t-pw";
  c.target.dbname = "postgres";
  return c;
}

TEST(PgProbe, RefusedPortIsUnhealthyNamingHostPortAndCause) {
  const int port = probe_test::ClosedPort();
  probe_test::PollLoop loop;
  probe_test::Results results;
  PgProbe probe(LocalConfig(port), &loop, &loop, results.callback());
  probe.Check();
  ASSERT_TRUE(loop.Run(
      &probe, [&] { return results.size() == 1; }, 5000));
  const ProbeResult& r = results.last();
  EXPECT_EQ(r.status, ProbeStatus::kUnhealthy);
  EXPECT_NE(r.error.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("Connection refused"), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find("s3cr3t-pw"), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find('\n'), std::string::npos);
  EXPECT_FALSE(probe.busy());
  EXPECT_FALSE(probe.connected());
}

TEST(PgProbe, SilentServerTimesOutWhileConnectingAndLetsGoOfTheSocket) {
  int port = 0;
  const int listener = probe_test::Listen(&port);  // handshakes complete; nobody ever answers
  const int fds_before = probe_test::OpenFdCount();
  probe_test::PollLoop loop;
  probe_test::Results results;
  {
    PgProbe probe(LocalConfig(port), &loop, &loop, results.callback());
    probe.Check();
    EXPECT_TRUE(probe.busy());
    loop.Run(
        &probe, [&] { return results.size() == 1; }, 150);
    ASSERT_EQ(results.size(), 1u);
    const ProbeResult& r = results.last();
    EXPECT_EQ(r.status, ProbeStatus::kUnhealthy);
    EXPECT_NE(r.error.find("PostgreSQL at 127.0.0.1:" + std::to_string(port) +
                           ": timed out after 150 ms while connecting"),
              std::string::npos)
        << r.error;
    EXPECT_FALSE(probe.connected());
    EXPECT_GE(loop.releases, 1);
  }
  EXPECT_EQ(probe_test::OpenFdCount(), fds_before);
  close(listener);
}

TEST(PgProbe, UnresolvableHostNamesTheHost) {
  PgProbeConfig c = LocalConfig(5432);
  c.target.host = "no-such-host.invalid";
  probe_test::PollLoop loop;
  probe_test::Results results;
  PgProbe probe(c, &loop, &loop, results.callback());
  probe.Check();
  ASSERT_TRUE(loop.Run(
      &probe, [&] { return results.size() == 1; }, 5000));
  EXPECT_EQ(results.last().error,
            "PostgreSQL at no-such-host.invalid:5432: could not resolve host \"no-such-host.invalid\": "
            "unknown node or service");
}

TEST(PgProbe, TimeoutWhileResolvingCancelsTheLookup) {
  PgProbeConfig c = LocalConfig(5432);
  c.target.host = "slow.example";
  probe_test::PollLoop loop;
  probe_test::Results results;
  PgProbe probe(c, &loop, &loop, results.callback());
  probe.Check();
  probe.Timeout(20);  // before the loop ever answers the lookup
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results.last().error,
            "PostgreSQL at slow.example:5432: timed out after 20 ms while resolving host \"slow.example\"");
  loop.Run(
      &probe, [] { return false; }, 30, false);  // a cancelled lookup never reports
  EXPECT_EQ(results.size(), 1u);
}

TEST(PgProbe, AbortDropsTheRoundWithoutAResult) {
  int port = 0;
  const int listener = probe_test::Listen(&port);
  probe_test::PollLoop loop;
  probe_test::Results results;
  PgProbe probe(LocalConfig(port), &loop, &loop, results.callback());
  probe.Check();
  loop.Run(
      &probe, [] { return false; }, 30, false);
  probe.Abort();
  EXPECT_FALSE(probe.busy());
  EXPECT_FALSE(probe.connected());
  EXPECT_EQ(results.size(), 0u);
  close(listener);
}

TEST(PgProbe, ACheckWhileBusyIsRefused) {
  int port = 0;
  const int listener = probe_test::Listen(&port);
  probe_test::PollLoop loop;
  probe_test::Results results;
  PgProbe probe(LocalConfig(port), &loop, &loop, results.callback());
  probe.Check();
  probe.Check();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_NE(results.last().error.find("already in flight"), std::string::npos);
  EXPECT_TRUE(probe.busy());
  probe.Close();
  close(listener);
}

TEST(PgProbe, AnUnwatchableSocketFailsTheRoundAtOnce) {
  int port = 0;
  const int listener = probe_test::Listen(&port);
  const int fds_before = probe_test::OpenFdCount();
  probe_test::PollLoop loop;
  loop.refuse_watch = true;  // as libuv refusing the fd (uv_poll_init fails)
  probe_test::Results results;
  {
    PgProbe probe(LocalConfig(port), &loop, &loop, results.callback());
    probe.Check();
    ASSERT_EQ(results.size(), 1u);  // no wait for readiness that would never come
    EXPECT_EQ(results.last().status, ProbeStatus::kUnhealthy);
    EXPECT_EQ(results.last().error, "PostgreSQL at 127.0.0.1:" + std::to_string(port) +
                                        ": cannot watch the socket: uv_poll_init: injected");
    EXPECT_FALSE(probe.busy());
    EXPECT_FALSE(probe.connected());
  }
  EXPECT_EQ(probe_test::OpenFdCount(), fds_before);
  close(listener);
}

#endif  // OMNIDB_HAVE_LIBPQ

}  // namespace
}  // namespace omnidb
