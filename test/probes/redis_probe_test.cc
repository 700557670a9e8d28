// RedisProbe without a server: INFO parsing, messages, and hiredis through the probe's
// own glue against a closed port, a silent socket and a tiny fake Redis served by the
// same poll(2) loop.
#include "probes/redis_probe.h"

#include <gtest/gtest.h>

#include <memory>

#include "probe_loop.h"

namespace omnidb {
namespace {

TEST(RedisRoleFromName, KnowsBothSpellings) {
  EXPECT_EQ(RedisRoleFromName("master"), ProbeRole::kMaster);
  EXPECT_EQ(RedisRoleFromName("slave"), ProbeRole::kReplica);
  EXPECT_EQ(RedisRoleFromName("replica"), ProbeRole::kReplica);
  EXPECT_EQ(RedisRoleFromName("sentinel"), ProbeRole::kUnknown);
}

TEST(ParseRedisReplicationInfo, ReplicaWithLinkUpHasLag) {
  ProbeObservation s;
  const ProbeRole role = ParseRedisReplicationInfo(
      "# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_link_status:up\r\n"
      "master_last_io_seconds_ago:3\r\nslave_repl_offset:42\r\n",
      &s);
  EXPECT_EQ(role, ProbeRole::kReplica);
  EXPECT_TRUE(s.has_lag);
  EXPECT_DOUBLE_EQ(s.lag_ms, 3000);
}

TEST(ParseRedisReplicationInfo, ReplicaWithLinkDownHasUnknownLagAndSaysWhy) {
  ProbeObservation s;
  ParseRedisReplicationInfo(
      "role:slave\r\nmaster_link_status:down\r\nmaster_last_io_seconds_ago:-1\r\n"
      "master_link_down_since_seconds:12\r\n",
      &s);
  EXPECT_FALSE(s.has_lag);
  EXPECT_EQ(s.lag_unknown_reason, "the link to the master is down since 12 s");
}

TEST(ParseRedisReplicationInfo, MasterHasNoLag) {
  ProbeObservation s;
  EXPECT_EQ(ParseRedisReplicationInfo("role:master\r\nconnected_slaves:0\r\n", &s), ProbeRole::kMaster);
  EXPECT_FALSE(s.has_lag);
  EXPECT_EQ(s.lag_unknown_reason, "");
}

TEST(DescribeRedisTarget, HostPortOrSocket) {
  RedisTarget t;
  t.host = "cache";
  t.port = 6380;
  t.password = "pw";
  EXPECT_EQ(DescribeRedisTarget(t), "Redis at cache:6380");
  t.path = "/run/redis.sock";
  EXPECT_EQ(DescribeRedisTarget(t), "Redis at /run/redis.sock");
}

#ifdef OMNIDB_HAVE_HIREDIS

// Answers RESP commands from a handler; a handler returning "" stays silent.
class FakeRedis {
 public:
  using Handler = std::function<std::string(const std::vector<std::string>&)>;
  FakeRedis(probe_test::PollLoop* loop, Handler handler) : loop_(loop), handler_(std::move(handler)) {
    listener_ = probe_test::Listen(&port_);
    loop_->Serve(listener_, POLLIN, [this](short) { Accept(); });
  }
  ~FakeRedis() {
    for (auto& [fd, buf] : clients_) {
      loop_->Unserve(fd);
      close(fd);
    }
    loop_->Unserve(listener_);
    close(listener_);
  }
  int port() const { return port_; }
  int accepted = 0;
  std::vector<std::vector<std::string>> commands;

  void DropClients() {
    for (auto& [fd, buf] : clients_) {
      loop_->Unserve(fd);
      close(fd);
    }
    clients_.clear();
  }

 private:
  void Accept() {
    const int fd = accept(listener_, nullptr, nullptr);
    if (fd < 0) return;
    ++accepted;
    clients_[fd] = "";
    loop_->Serve(fd, POLLIN, [this, fd](short) { Read(fd); });
  }
  void Read(int fd) {
    char buf[4096];
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) {
      loop_->Unserve(fd);
      close(fd);
      clients_.erase(fd);
      return;
    }
    std::string& in = clients_[fd];
    in.append(buf, static_cast<size_t>(n));
    std::vector<std::string> argv;
    size_t used = 0;
    while (Parse(in, &used, &argv)) {
      in.erase(0, used);
      commands.push_back(argv);
      const std::string reply = handler_(argv);
      if (!reply.empty()) (void)!write(fd, reply.data(), reply.size());
    }
  }
  // One "*N\r\n$len\r\narg\r\n..." command, if complete.
  static bool Parse(const std::string& in, size_t* used, std::vector<std::string>* argv) {
    argv->clear();
    if (in.empty() || in[0] != '*') return false;
    size_t at = in.find("\r\n");
    if (at == std::string::npos) return false;
    const int n = std::stoi(in.substr(1, at - 1));
    at += 2;
    for (int i = 0; i < n; ++i) {
      const size_t eol = in.find("\r\n", at);
      if (eol == std::string::npos) return false;
      const size_t len = std::stoul(in.substr(at + 1, eol - at - 1));
      if (in.size() < eol + 2 + len + 2) return false;
      argv->push_back(in.substr(eol + 2, len));
      at = eol + 2 + len + 2;
    }
    *used = at;
    return true;
  }

  probe_test::PollLoop* loop_;
  Handler handler_;
  int listener_ = -1;
  int port_ = 0;
  std::map<int, std::string> clients_;
};

std::string Bulk(const std::string& s) { return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n"; }

// A master, or a replica with `lag_s` seconds since the master last spoke; password optional.
FakeRedis::Handler Server(const std::string& role, int lag_s = 0, std::string password = "") {
  auto authed = std::make_shared<bool>(password.empty());
  return [=](const std::vector<std::string>& a) -> std::string {
    if (a[0] == "AUTH") {
      if (a.back() == password) {
        *authed = true;
        return "+OK\r\n";
      }
      return "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
    }
    if (!*authed) return "-NOAUTH Authentication required.\r\n";
    if (a[0] == "PING") return "+PONG\r\n";
    if (a[0] == "SELECT") return a[1] == "99" ? "-ERR DB index is out of range\r\n" : "+OK\r\n";
    if (a[0] == "ROLE") {
      if (role == "master") return "*3\r\n" + Bulk("master") + ":0\r\n*0\r\n";
      return "*5\r\n" + Bulk("slave") + Bulk("127.0.0.1") + ":6379\r\n" + Bulk("connected") + ":10\r\n";
    }
    if (a[0] == "INFO") {
      return Bulk("# Replication\r\nrole:slave\r\nmaster_link_status:up\r\nmaster_last_io_seconds_ago:" +
                  std::to_string(lag_s) + "\r\n");
    }
    return "-ERR unknown command\r\n";
  };
}

RedisProbeConfig LocalConfig(int port) {
  RedisProbeConfig c;
  c.target.host = "127.0.0.1";
  c.target.port = port;
  return c;
}

TEST(RedisProbe, RefusedPortIsUnhealthyNamingHostPortAndCause) {
  const int port = probe_test::ClosedPort();
  probe_test::PollLoop loop;
  probe_test::Results results;
  RedisProbeConfig c = LocalConfig(port);
  c.target.password = "s3cr3t-pw";
  RedisProbe probe(c, &loop, &loop, results.callback());
  probe.Check();
  ASSERT_TRUE(loop.Run(
      &probe, [&] { return results.size() == 1; }, 5000));
  const ProbeResult& r = results.last();
  EXPECT_EQ(r.status, ProbeStatus::kUnhealthy);
  EXPECT_EQ(r.error, "Redis at 127.0.0.1:" + std::to_string(port) + ": Connection refused");
  EXPECT_FALSE(probe.connected());
}

TEST(RedisProbe, MasterAnswersHealthyAndTheConnectionIsKept) {
  probe_test::PollLoop loop;
  FakeRedis server(&loop, Server("master"));
  probe_test::Results results;
  RedisProbe probe(LocalConfig(server.port()), &loop, &loop, results.callback());
  for (int round = 1; round <= 3; ++round) {
    probe.Check();
    ASSERT_TRUE(loop.Run(
        &probe, [&] { return results.size() == static_cast<size_t>(round); }, 5000));
    EXPECT_EQ(results.last().status, ProbeStatus::kHealthy) << results.last().error;
    EXPECT_EQ(results.last().role, ProbeRole::kMaster);
    EXPECT_EQ(results.last().lag_kind, 0);
    EXPECT_GE(results.last().latency_ms, 0);
  }
  EXPECT_EQ(server.accepted, 1);
  EXPECT_TRUE(probe.connected());
  probe.Close();
  EXPECT_FALSE(probe.connected());
}

TEST(RedisProbe, NotPersistentReconnectsEveryRound) {
  probe_test::PollLoop loop;
  FakeRedis server(&loop, Server("master"));
  probe_test::Results results;
  RedisProbeConfig c = LocalConfig(server.port());
  c.persistent = false;
  c.detect_role = false;
  RedisProbe probe(c, &loop, &loop, results.callback());
  for (int round = 1; round <= 2; ++round) {
    probe.Check();
    ASSERT_TRUE(loop.Run(
        &probe, [&] { return results.size() == static_cast<size_t>(round); }, 5000));
    EXPECT_EQ(results.last().status, ProbeStatus::kHealthy);
    EXPECT_EQ(results.last().role, ProbeRole::kUnknown);
    EXPECT_FALSE(probe.connected());
  }
  EXPECT_EQ(server.accepted, 2);
}

TEST(RedisProbe, ReplicaReportsLagAndFailsMaxLagAndRole) {
  probe_test::PollLoop loop;
  FakeRedis server(&loop, Server("replica", 7));
  probe_test::Results results;
  RedisProbeConfig c = LocalConfig(server.port());
  c.policy.max_lag_ms = 5000;
  RedisProbe probe(c, &loop, &loop, results.callback());
  probe.Check();
  ASSERT_TRUE(loop.Run(
      &probe, [&] { return results.size() == 1; }, 5000));
  EXPECT_EQ(results.last().role, ProbeRole::kReplica);
  EXPECT_EQ(results.last().lag_kind, 1);
  EXPECT_DOUBLE_EQ(results.last().lag_ms, 7000);
  EXPECT_EQ(results.last().status, ProbeStatus::kUnhealthy);
  EXPECT_NE(results.last().error.find("replication lag 7000 ms exceeds maxLag 5000 ms"), std::string::npos);
}

TEST(RedisProbe, AuthAndSelectArePipelinedOnANewConnectionOnly) {
  probe_test::PollLoop loop;
  FakeRedis server(&loop, Server("master", 0, "s3cr3t-pw"));
  probe_test::Results results;
  RedisProbeConfig c = LocalConfig(server.port());
  c.target.username = "default";
  c.target.password = "s3cr3t-pw";
  c.target.db = 2;
  RedisProbe probe(c, &loop, &loop, results.callback());
  for (int round = 1; round <= 2; ++round) {
    probe.Check();
    ASSERT_TRUE(loop.Run(
        &probe, [&] { return results.size() == static_cast<size_t>(round); }, 5000));
    EXPECT_EQ(results.last().status, ProbeStatus::kHealthy) << results.last().error;
  }
  ASSERT_GE(server.commands.size(), 6u);
  EXPECT_EQ(server.commands[0], (std::vector<std::string>{"AUTH", "default", "s3cr3t-pw"}));
  EXPECT_EQ(server.commands[1], (std::vector<std::string>{"SELECT", "2"}));
  EXPECT_EQ(server.commands[2][0], "PING");
  EXPECT_EQ(server.commands[4][0], "PING");  // the second round: no AUTH again
}

TEST(RedisProbe, WrongPasswordIsUnhealthyWithoutThePassword) {
  probe_test::PollLoop loop;
  FakeRedis server(&loop, Server("master", 0, "right-one"));
  probe_test::Results results;
  RedisProbeConfig c = LocalConfig(server.port());
  c.target.password = "wrong-one";
  RedisProbe probe(c, &loop, &loop, results.callback());
  probe.Check();
  ASSERT_TRUE(loop.Run(
      &probe, [&] { return results.size() == 1; }, 5000));
  const std::string& e = results.last().error;
  EXPECT_EQ(e, "Redis at 127.0.0.1:" + std::to_string(server.port()) +
                   ": AUTH failed: WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_FALSE(probe.connected());
}

TEST(RedisProbe, MissingPasswordIsUnhealthy) {
  probe_test::PollLoop loop;
  FakeRedis server(&loop, Server("master", 0, "pw"));
  probe_test::Results results;
  RedisProbe probe(LocalConfig(server.port()), &loop, &loop, results.callback());
  probe.Check();
  ASSERT_TRUE(loop.Run(
      &probe, [&] { return results.size() == 1; }, 5000));
  EXPECT_NE(results.last().error.find("NOAUTH Authentication required."), std::string::npos);
}

TEST(RedisProbe, BadDatabaseIsUnhealthy) {
  probe_test::PollLoop loop;
  FakeRedis server(&loop, Server("master"));
  probe_test::Results results;
  RedisProbeConfig c = LocalConfig(server.port());
  c.target.db = 99;
  RedisProbe probe(c, &loop, &loop, results.callback());
  probe.Check();
  ASSERT_TRUE(loop.Run(
      &probe, [&] { return results.size() == 1; }, 5000));
  EXPECT_NE(results.last().error.find("SELECT 99 failed: ERR DB index is out of range"), std::string::npos);
}

TEST(RedisProbe, SilentServerTimesOutWaitingForPing) {
  probe_test::PollLoop loop;
  FakeRedis server(&loop, [](const std::vector<std::string>&) { return std::string(); });
  probe_test::Results results;
  const int fds_before = probe_test::OpenFdCount();
  {
    RedisProbe probe(LocalConfig(server.port()), &loop, &loop, results.callback());
    probe.Check();
    loop.Run(
        &probe, [&] { return results.size() == 1; }, 100);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results.last().error, "Redis at 127.0.0.1:" + std::to_string(server.port()) +
                                        ": timed out after 100 ms waiting for the reply to PING");
    EXPECT_FALSE(probe.connected());
  }
  server.DropClients();
  EXPECT_EQ(probe_test::OpenFdCount(), fds_before);
}

TEST(RedisProbe, ALostKeptConnectionIsReplacedWithinTheRound) {
  probe_test::PollLoop loop;
  FakeRedis server(&loop, Server("master"));
  probe_test::Results results;
  RedisProbe probe(LocalConfig(server.port()), &loop, &loop, results.callback());
  probe.Check();
  ASSERT_TRUE(loop.Run(
      &probe, [&] { return results.size() == 1; }, 5000));
  server.DropClients();  // the server restarts, say
  // While idle, hiredis reads the EOF and frees its context.
  loop.Run(
      &probe, [&] { return !probe.connected(); }, 2000, false);
  EXPECT_FALSE(probe.connected());
  probe.Check();
  ASSERT_TRUE(loop.Run(
      &probe, [&] { return results.size() == 2; }, 5000));
  EXPECT_EQ(results.last().status, ProbeStatus::kHealthy) << results.last().error;
  EXPECT_EQ(server.accepted, 2);
}

TEST(RedisProbe, NameResolutionFallsBackAlongAddresses) {
  probe_test::PollLoop loop;
  FakeRedis server(&loop, Server("master"));
  probe_test::Results results;
  RedisProbeConfig c = LocalConfig(server.port());
  c.target.host = "localhost";  // may resolve to ::1 first, where nothing listens
  RedisProbe probe(c, &loop, &loop, results.callback());
  probe.Check();
  ASSERT_TRUE(loop.Run(
      &probe, [&] { return results.size() == 1; }, 5000));
  EXPECT_EQ(results.last().status, ProbeStatus::kHealthy) << results.last().error;
}

TEST(RedisProbe, AnUnwatchableSocketFailsTheRoundAtOnce) {
  int port = 0;
  const int listener = probe_test::Listen(&port);
  const int fds_before = probe_test::OpenFdCount();
  probe_test::PollLoop loop;
  loop.refuse_watch = true;  // as libuv refusing the fd (uv_poll_init fails)
  probe_test::Results results;
  {
    RedisProbe probe(LocalConfig(port), &loop, &loop, results.callback());
    probe.Check();
    ASSERT_EQ(results.size(), 1u);  // no wait for readiness that would never come
    EXPECT_EQ(results.last().status, ProbeStatus::kUnhealthy);
    EXPECT_EQ(results.last().error, "Redis at 127.0.0.1:" + std::to_string(port) +
                                        ": cannot watch the socket: uv_poll_init: injected");
    EXPECT_FALSE(probe.busy());
    EXPECT_FALSE(probe.connected());
  }
  EXPECT_EQ(probe_test::OpenFdCount(), fds_before);
  close(listener);
}

#endif  // OMNIDB_HAVE_HIREDIS

}  // namespace
}  // namespace omnidb
