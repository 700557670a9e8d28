// MysqlProbe without a server: messages, role and lag from the role statements, and
// Connector/C itself against a closed port and a socket that never answers, driven by a
// poll(2) loop (under ASan/UBSan in scripts/sanitize.sh, like the other probes).
#include "probes/mysql_probe.h"

#include <gtest/gtest.h>

#include "probe_loop.h"

namespace omnidb {
namespace {

TEST(DescribeMysqlTarget, NamesHostAndPortOrTheSocketButNeverThePassword) {
  MysqlTarget t;
  t.host = "db.internal";
  t.port = 3307;
  t.password = "s3cr3t-pw";
  EXPECT_EQ(DescribeMysqlTarget(t), "MySQL at db.internal:3307");
  t.host = "::1";
  EXPECT_EQ(DescribeMysqlTarget(t), "MySQL at [::1]:3307");
  t.host = "";
  t.port = 3306;
  EXPECT_EQ(DescribeMysqlTarget(t), "MySQL at localhost:3306");
  t.socket_path = "/run/mysqld/mysqld.sock";
  EXPECT_EQ(DescribeMysqlTarget(t), "MySQL at /run/mysqld/mysqld.sock");
}

TEST(MysqlReplicaStatusStatement, ByServerFamilyAndVersion) {
  EXPECT_EQ(MysqlReplicaStatusStatement("10.11.6-MariaDB-0+deb12u1", 101106), "SHOW REPLICA STATUS");
  EXPECT_EQ(MysqlReplicaStatusStatement("10.5.1-MariaDB", 100501), "SHOW REPLICA STATUS");
  EXPECT_EQ(MysqlReplicaStatusStatement("10.4.30-MariaDB", 100430), "SHOW SLAVE STATUS");
  EXPECT_EQ(MysqlReplicaStatusStatement("8.0.36", 80036), "SHOW REPLICA STATUS");
  EXPECT_EQ(MysqlReplicaStatusStatement("8.4.0", 80400), "SHOW REPLICA STATUS");
  EXPECT_EQ(MysqlReplicaStatusStatement("8.0.21", 80021), "SHOW SLAVE STATUS");
  EXPECT_EQ(MysqlReplicaStatusStatement("5.7.44-log", 50744), "SHOW SLAVE STATUS");
}

TEST(MysqlRoundQuery, AppendsTheRoleStatementsAfterTheQueryWithoutItsSemicolons) {
  EXPECT_EQ(MysqlRoundQuery("SELECT 1", false, "SHOW REPLICA STATUS"), "SELECT 1");
  EXPECT_EQ(MysqlRoundQuery("SELECT 1; \n", true, "SHOW SLAVE STATUS"),
            "SELECT 1;SELECT @@global.read_only;SHOW SLAVE STATUS");
}

TEST(ApplyMysqlRole, WritableWithoutSourceIsPrimary) {
  MysqlRoleFacts f;
  f.have_read_only = true;
  f.have_status = true;
  ProbeObservation s;
  ASSERT_TRUE(ApplyMysqlRole(f, &s));
  EXPECT_EQ(s.role, ProbeRole::kPrimary);
  EXPECT_FALSE(s.has_lag);
}

TEST(ApplyMysqlRole, ReplicaLagFromSecondsBehindMaster) {
  MysqlRoleFacts f;
  f.have_read_only = true;
  f.have_status = true;
  f.replicating = true;  // writable, but with a source: still a replica
  f.seconds_null = false;
  f.seconds_behind = 7;
  ProbeObservation s;
  ASSERT_TRUE(ApplyMysqlRole(f, &s));
  EXPECT_EQ(s.role, ProbeRole::kReplica);
  EXPECT_TRUE(s.has_lag);
  EXPECT_DOUBLE_EQ(s.lag_ms, 7000);
}

TEST(ApplyMysqlRole, UnknownLagSaysWhy) {
  MysqlRoleFacts f;
  f.have_read_only = true;
  f.read_only = true;
  f.have_status = true;
  f.replicating = true;
  f.io_running = "Connecting";
  f.sql_running = "Yes";
  ProbeObservation s;
  ASSERT_TRUE(ApplyMysqlRole(f, &s));
  EXPECT_EQ(s.role, ProbeRole::kReplica);
  EXPECT_FALSE(s.has_lag);
  EXPECT_EQ(s.lag_unknown_reason, "replication is not running: IO thread Connecting, SQL thread Yes");

  MysqlRoleFacts denied;
  denied.have_read_only = true;
  denied.read_only = true;
  denied.status_error = "Access denied";
  ASSERT_TRUE(ApplyMysqlRole(denied, &s));
  EXPECT_EQ(s.role, ProbeRole::kReplica);
  EXPECT_EQ(s.lag_unknown_reason, "the replica status could not be read: Access denied");

  MysqlRoleFacts alone;
  alone.have_read_only = true;
  alone.read_only = true;
  alone.have_status = true;
  ASSERT_TRUE(ApplyMysqlRole(alone, &s));
  EXPECT_EQ(s.lag_unknown_reason, "the server is read-only but replicates from no source");
}

TEST(ApplyMysqlRole, NoReadOnlyRowIsNoRole) {
  ProbeObservation s;
  EXPECT_FALSE(ApplyMysqlRole(MysqlRoleFacts(), &s));
  EXPECT_EQ(s.role, ProbeRole::kUnknown);
  EXPECT_EQ(s.error, "the role query returned no usable row");
}

TEST(ExplainMysqlError, SpellsOutTheErrnoOfConnectErrorsOnly) {
  EXPECT_EQ(ExplainMysqlError(2002, "Can't connect to server on '' (111)"),
            "Can't connect to server (111: Connection refused)");
  EXPECT_EQ(ExplainMysqlError(2003, "Can't connect to server on 'db' (110)"),
            "Can't connect to server (110: Connection timed out)");
  EXPECT_EQ(ExplainMysqlError(2002, "Can't connect to local server through socket '/run/x.sock' (2)"),
            "Can't connect to local server through socket '/run/x.sock' (2: No such file or directory)");
  EXPECT_EQ(ExplainMysqlError(1045, "Access denied for user 'x'@'h' (using password: YES)"),
            "Access denied for user 'x'@'h' (using password: YES)");
  EXPECT_EQ(ExplainMysqlError(2002, "odd (x1)"), "odd (x1)");
}

#ifdef OMNIDB_HAVE_MARIADB

MysqlProbeConfig LocalConfig(int port) {
  MysqlProbeConfig c;
  c.target.host = "127.0.0.1";
  c.target.port = port;
  c.target.user = "probe";
  c.target.password = "s3cr3t-pw";
  return c;
}

TEST(MysqlProbe, RefusedPortIsUnhealthyNamingHostPortAndCause) {
  const int port = probe_test::ClosedPort();
  probe_test::PollLoop loop;
  probe_test::Results results;
  MysqlProbe probe(LocalConfig(port), &loop, &loop, results.callback());
  probe.Check();
  ASSERT_TRUE(loop.Run(
      &probe, [&] { return results.size() == 1; }, 5000));
  const ProbeResult& r = results.last();
  EXPECT_EQ(r.status, ProbeStatus::kUnhealthy);
  EXPECT_EQ(r.error, "MySQL at 127.0.0.1:" + std::to_string(port) +
                         ": Can't connect to server (111: Connection refused)");
  EXPECT_FALSE(probe.busy());
  EXPECT_FALSE(probe.connected());
}

TEST(MysqlProbe, SilentServerTimesOutWhileConnectingAndLetsGoOfTheSocket) {
  int port = 0;
  const int listener = probe_test::Listen(&port);  // handshakes complete; nobody ever answers
  const int fds_before = probe_test::OpenFdCount();
  probe_test::PollLoop loop;
  probe_test::Results results;
  {
    MysqlProbe probe(LocalConfig(port), &loop, &loop, results.callback());
    for (int round = 0; round < 3; ++round) {  // the same probe again after each timeout
      probe.Check();
      EXPECT_TRUE(probe.busy());
      loop.Run(
          &probe, [&] { return results.size() == static_cast<size_t>(round + 1); }, 100);
      ASSERT_EQ(results.size(), static_cast<size_t>(round + 1));
      const ProbeResult& r = results.last();
      EXPECT_EQ(r.status, ProbeStatus::kUnhealthy);
      EXPECT_EQ(
          r.error,
          "MySQL at 127.0.0.1:" + std::to_string(port) +
              ": timed out after 100 ms while connecting (waiting for the server's greeting or its answer "
              "to authentication)");
      EXPECT_FALSE(probe.connected());
    }
    EXPECT_GE(loop.releases, 3);
  }
  EXPECT_EQ(probe_test::OpenFdCount(), fds_before);
  close(listener);
}

TEST(MysqlProbe, UnresolvableHostNamesTheHost) {
  MysqlProbeConfig c = LocalConfig(3306);
  c.target.host = "no-such-host.invalid";
  probe_test::PollLoop loop;
  probe_test::Results results;
  MysqlProbe probe(c, &loop, &loop, results.callback());
  probe.Check();
  ASSERT_TRUE(loop.Run(
      &probe, [&] { return results.size() == 1; }, 5000));
  EXPECT_EQ(results.last().error,
            "MySQL at no-such-host.invalid:3306: could not resolve host \"no-such-host.invalid\": unknown "
            "node or service");
}

TEST(MysqlProbe, TimeoutWhileResolvingCancelsTheLookup) {
  MysqlProbeConfig c = LocalConfig(3306);
  c.target.host = "slow.example";
  probe_test::PollLoop loop;
  probe_test::Results results;
  MysqlProbe probe(c, &loop, &loop, results.callback());
  probe.Check();
  probe.Timeout(20);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results.last().error,
            "MySQL at slow.example:3306: timed out after 20 ms while resolving host \"slow.example\"");
  loop.Run(
      &probe, [] { return false; }, 30, false);
  EXPECT_EQ(results.size(), 1u);
}

TEST(MysqlProbe, AbortAndCloseDropTheRoundWithoutAResult) {
  int port = 0;
  const int listener = probe_test::Listen(&port);
  const int fds_before = probe_test::OpenFdCount();
  probe_test::PollLoop loop;
  probe_test::Results results;
  MysqlProbe probe(LocalConfig(port), &loop, &loop, results.callback());
  probe.Check();
  loop.Run(
      &probe, [] { return false; }, 30, false);
  probe.Abort();
  EXPECT_FALSE(probe.busy());
  EXPECT_FALSE(probe.connected());
  probe.Check();
  loop.Run(
      &probe, [] { return false; }, 30, false);
  probe.Close();
  EXPECT_FALSE(probe.busy());
  EXPECT_EQ(results.size(), 0u);
  EXPECT_EQ(probe_test::OpenFdCount(), fds_before);
  close(listener);
}

TEST(MysqlProbe, ACheckWhileBusyIsRefused) {
  int port = 0;
  const int listener = probe_test::Listen(&port);
  probe_test::PollLoop loop;
  probe_test::Results results;
  MysqlProbe probe(LocalConfig(port), &loop, &loop, results.callback());
  probe.Check();
  probe.Check();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results.last().error,
            "MySQL at 127.0.0.1:" + std::to_string(port) + ": a probe round is already in flight");
  EXPECT_TRUE(probe.busy());
  probe.Close();
  close(listener);
}

TEST(MysqlProbe, AnUnwatchableSocketFailsTheRoundAtOnce) {
  int port = 0;
  const int listener = probe_test::Listen(&port);
  const int fds_before = probe_test::OpenFdCount();
  probe_test::PollLoop loop;
  loop.refuse_watch = true;  // as libuv refusing the fd (uv_poll_init fails)
  probe_test::Results results;
  {
    MysqlProbe probe(LocalConfig(port), &loop, &loop, results.callback());
    probe.Check();
    ASSERT_EQ(results.size(), 1u);  // no wait for readiness that would never come
    EXPECT_EQ(results.last().status, ProbeStatus::kUnhealthy);
    EXPECT_EQ(results.last().error, "MySQL at 127.0.0.1:" + std::to_string(port) +
                                        ": cannot watch the socket: uv_poll_init: injected");
    EXPECT_FALSE(probe.busy());
    EXPECT_FALSE(probe.connected());
  }
  EXPECT_EQ(probe_test::OpenFdCount(), fds_before);
  close(listener);
}

#endif  // OMNIDB_HAVE_MARIADB

}  // namespace
}  // namespace omnidb
