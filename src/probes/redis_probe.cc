#include "redis_probe.h"

#include <cstdlib>
#include <cstring>
#include <utility>

#ifdef OMNIDB_HAVE_HIREDIS
#include "redis_loop_adapter.h"
#endif

namespace omnidb {

std::string DescribeRedisTarget(const RedisTarget& t) {
  if (!t.path.empty()) return "Redis at " + t.path;
  return "Redis at " + HostPort(t.host.empty() ? "127.0.0.1" : t.host, std::to_string(t.port));
}

ProbeRole RedisRoleFromName(const std::string& name) {
  if (name == "master") return ProbeRole::kMaster;
  if (name == "slave" || name == "replica") return ProbeRole::kReplica;
  return ProbeRole::kUnknown;
}

ProbeRole ParseRedisReplicationInfo(const std::string& info, ProbeObservation* seen) {
  ProbeRole role = ProbeRole::kUnknown;
  std::string link;
  long long last_io = -1;
  long long down_since = -1;
  size_t at = 0;
  while (at < info.size()) {
    size_t end = info.find('\n', at);
    if (end == std::string::npos) end = info.size();
    std::string line = info.substr(at, end - at);
    at = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, colon);
    const std::string value = line.substr(colon + 1);
    if (key == "role") {
      role = RedisRoleFromName(value);
    } else if (key == "master_link_status") {
      link = value;
    } else if (key == "master_last_io_seconds_ago") {
      last_io = std::strtoll(value.c_str(), nullptr, 10);
    } else if (key == "master_link_down_since_seconds") {
      down_since = std::strtoll(value.c_str(), nullptr, 10);
    }
  }
  if (role == ProbeRole::kReplica) {
    if (link == "up" && last_io >= 0) {
      seen->has_lag = true;
      seen->lag_ms = static_cast<double>(last_io) * 1000.0;
    } else {
      seen->has_lag = false;
      seen->lag_unknown_reason = "the link to the master is down";
      if (down_since >= 0) seen->lag_unknown_reason += " since " + std::to_string(down_since) + " s";
    }
  }
  return role;
}

#ifdef OMNIDB_HAVE_HIREDIS

namespace {

void ConnectCb(const redisAsyncContext* ac, int status) {
  static_cast<RedisProbe*>(ac->data)->OnConnect(const_cast<redisAsyncContext*>(ac), status);
}

template <RedisProbe::Command C>
void ReplyCb(redisAsyncContext* ac, void* reply, void* privdata) {
  static_cast<RedisProbe*>(privdata)->OnReply(C, ac, reply);
}

const char* CommandName(RedisProbe::Command c) {
  switch (c) {
    case RedisProbe::Command::kAuth: return "AUTH";
    case RedisProbe::Command::kSelect: return "SELECT";
    case RedisProbe::Command::kPing: return "PING";
    case RedisProbe::Command::kRole: return "ROLE";
    default: return "INFO replication";
  }
}

std::string ReplyText(const redisReply* r) {
  return (r->str != nullptr) ? std::string(r->str, r->len) : std::string();
}

}  // namespace

RedisProbe::RedisProbe(RedisProbeConfig config, IoWatcher* watcher, Resolver* resolver,
                       ResultCallback on_result)
    : ProbeRound(watcher, resolver, std::move(on_result), DescribeRedisTarget(config.target),
                 config.target.password, config.policy, config.persistent),
      config_(std::move(config)) {}

RedisProbe::~RedisProbe() { Close(); }

// hiredis toggles write interest around every command. Inside one of our entry points
// the toggles are only recorded and applied once at its end (Batch): a kept connection
// that writes at once and keeps reading then costs no epoll_ctl at all.
class RedisProbe::Batch {
 public:
  explicit Batch(RedisProbe* p) : p_(p) { ++p_->batch_; }
  ~Batch() {
    if (--p_->batch_ == 0) p_->ApplyEvents();
    if (p_->batch_ == 0 && p_->watch_failed_) p_->WatchFailed();
  }

 private:
  RedisProbe* p_;
};

void RedisProbe::RedisWant(int add, int del) {
  events_ = (events_ | add) & ~del;
  if (batch_ == 0) ApplyEvents();
}

void RedisProbe::ApplyEvents() {
  if (ctx_ == nullptr || events_ == applied_) return;
  applied_ = events_;
  if (events_ != 0) {
    if (!watcher_->Want(fd_, (events_ & kIoReadable) != 0, (events_ & kIoWritable) != 0)) {
      applied_ = 0;
      watch_failed_ = true;  // acted on at the end of the entry point, once hiredis has returned
    }
  } else {
    watcher_->Stop();
  }
}

void RedisProbe::WatchFailed() {
  watch_failed_ = false;
  if (phase_ == Phase::kIdle) {
    DropConnection();  // a kept connection that cannot be watched is not kept
    return;
  }
  Batch batch(this);
  if (lost_.empty()) lost_ = CannotWatch(*watcher_);
  Settle();
}

void RedisProbe::RedisCleanup() {
  // hiredis is freeing the context and closes the socket next: let go of it first.
  events_ = 0;
  applied_ = 0;
  watcher_->Release();
  ctx_ = nullptr;
  link_up_ = false;
}

void RedisProbe::LinkUp() {
  link_up_ = true;
  if (phase_ == Phase::kConnecting) phase_ = Phase::kQuerying;
}

void RedisProbe::ResetRound() {
  pending_.clear();
  lost_.clear();
  error_.clear();
  role_error_.clear();
  ponged_ = false;
  seen_ = ProbeObservation();
}

void RedisProbe::Check() {
  if (!BeginRound()) return;
  Batch batch(this);
  ++round_;
  ResetRound();
  phase_ = Phase::kConnecting;
  if (ctx_ != nullptr && link_up_) {
    reused_ = true;
    phase_ = Phase::kQuerying;
    SendRound();
    // The socket of a kept connection is writable: write now instead of a loop turn later.
    redisAsyncContext* ac = ctx_;
    redisAsyncHandleWrite(ac);
    Settle();
    return;
  }
  DropConnection();
  StartConnect();
}

void RedisProbe::StartConnect() {
  reused_ = false;
  ResetRound();
  const RedisTarget& t = config_.target;
  addresses_.clear();
  next_address_ = 0;
  if (t.path.empty() && NeedsResolution(t.host)) {
    ResolveThen(t.host, [this](std::vector<std::string> addresses) {
      Batch batch(this);
      phase_ = Phase::kConnecting;
      addresses_ = std::move(addresses);
      const uint64_t round = round_;
      ConnectNext();
      if (round_ == round) Settle();  // unless that ended the round (and a new one began)
    });
    return;
  }
  phase_ = Phase::kConnecting;
  addresses_.push_back(t.path.empty() ? (t.host.empty() ? "127.0.0.1" : t.host) : t.path);
  ConnectNext();
  Settle();
}

void RedisProbe::ConnectNext() {
  const RedisTarget& t = config_.target;
  for (;;) {
    connect_error_.clear();
    const std::string& address = addresses_[next_address_++];
    redisAsyncContext* ac =
        t.path.empty() ? redisAsyncConnect(address.c_str(), t.port) : redisAsyncConnectUnix(address.c_str());
    if (ac == nullptr) {
      Fail("out of memory starting a connection");
      return;
    }
    if (ac->err) {  // e.g. refused at once on loopback; no hooks attached yet
      connect_error_ = ac->errstr;
      redisAsyncFree(ac);
      if (next_address_ < addresses_.size()) continue;
      Fail(connect_error_);
      return;
    }
    if (RedisLoopAttach(ac, this) != REDIS_OK) {  // a fresh context has no adapter yet
      redisAsyncFree(ac);
      Fail("could not attach the connection to the event loop");
      return;
    }
    ctx_ = ac;
    fd_ = ac->c.fd;
    events_ = 0;
    applied_ = 0;
    link_up_ = false;
    ac->data = this;
    redisAsyncSetConnectCallback(ac, ConnectCb);  // asks for the first write event
    // A unix socket (or a fast loopback) may be connected already: no connect callback then.
    if (ac->c.flags & REDIS_CONNECTED) LinkUp();
    if (!t.password.empty()) {
      if (t.username.empty()) {
        Send(Command::kAuth, {"AUTH", t.password});
      } else {
        Send(Command::kAuth, {"AUTH", t.username, t.password});
      }
    }
    if (t.db != 0) Send(Command::kSelect, {"SELECT", std::to_string(t.db)});
    SendRound();
    return;
  }
}

void RedisProbe::SendRound() {
  Send(Command::kPing, {});
  if (config_.detect_role) Send(Command::kRole, {});
}

// PING, ROLE and INFO replication go out preformatted: no formatting per round.
void RedisProbe::Send(Command command, const std::vector<std::string>& argv) {
  if (ctx_ == nullptr) return;
  static const std::string kPing = "*1\r\n$4\r\nPING\r\n";
  static const std::string kRole = "*1\r\n$4\r\nROLE\r\n";
  static const std::string kInfo = "*2\r\n$4\r\nINFO\r\n$11\r\nreplication\r\n";
  int status = REDIS_ERR;
  switch (command) {
    case Command::kPing:
      status = redisAsyncFormattedCommand(ctx_, ReplyCb<Command::kPing>, this, kPing.data(), kPing.size());
      break;
    case Command::kRole:
      status = redisAsyncFormattedCommand(ctx_, ReplyCb<Command::kRole>, this, kRole.data(), kRole.size());
      break;
    case Command::kInfo:
      status = redisAsyncFormattedCommand(ctx_, ReplyCb<Command::kInfo>, this, kInfo.data(), kInfo.size());
      break;
    case Command::kAuth:
    case Command::kSelect: {
      std::vector<const char*> args;
      std::vector<size_t> lens;
      for (const auto& a : argv) {
        args.push_back(a.data());
        lens.push_back(a.size());
      }
      redisCallbackFn* fn = command == Command::kAuth ? ReplyCb<Command::kAuth> : ReplyCb<Command::kSelect>;
      status = redisAsyncCommandArgv(ctx_, fn, this, static_cast<int>(args.size()), args.data(), lens.data());
      break;
    }
  }
  if (status != REDIS_OK) {
    if (lost_.empty()) lost_ = "the connection is closing";
    return;
  }
  pending_.push_back(command);
}

void RedisProbe::OnConnect(redisAsyncContext* ac, int status) {
  if (ac != ctx_) return;
  if (status == REDIS_OK) {
    LinkUp();
  } else {
    connect_error_ = ac->errstr[0] ? ac->errstr : "connection failed";
  }
}

void RedisProbe::OnReply(Command command, redisAsyncContext* ac, void* raw) {
  if (ac != ctx_) return;  // a context being dropped: its callbacks run with no reply
  if (!pending_.empty()) pending_.pop_front();
  auto* r = static_cast<redisReply*>(raw);
  if (r == nullptr) {
    if (lost_.empty()) lost_ = ac->errstr[0] ? ac->errstr : "connection lost";
    return;
  }
  LinkUp();
  const bool is_error = r->type == REDIS_REPLY_ERROR;
  switch (command) {
    case Command::kAuth:
      if (is_error && error_.empty()) error_ = "AUTH failed: " + ReplyText(r);
      return;
    case Command::kSelect:
      if (is_error && error_.empty())
        error_ = "SELECT " + std::to_string(config_.target.db) + " failed: " + ReplyText(r);
      return;
    case Command::kPing:
      if (is_error) {
        if (error_.empty()) error_ = ReplyText(r);
      } else if ((r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_STRING) && ReplyText(r) == "PONG") {
        ponged_ = true;
      } else if (error_.empty()) {
        error_ = "unexpected reply to PING";
      }
      return;
    case Command::kRole:
      if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1 && r->element[0]->str != nullptr) {
        seen_.role = RedisRoleFromName(ReplyText(r->element[0]));
        // Lag needs INFO (ROLE on a replica has no time): ask in the same round.
        if (seen_.role == ProbeRole::kReplica) Send(Command::kInfo, {});
      } else if (is_error) {
        role_error_ = "ROLE failed: " + ReplyText(r);
      }
      return;
    case Command::kInfo:
      if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) {
        ParseRedisReplicationInfo(ReplyText(r), &seen_);
      }
      return;
  }
}

void RedisProbe::OnIo(int events) {
  Batch batch(this);
  RedisLoopHandle(ctx_, events);  // a loop error goes to hiredis as readiness
  Settle();
}

void RedisProbe::Settle() {
  if (phase_ != Phase::kConnecting && phase_ != Phase::kQuerying) return;
  const bool complete =
      pending_.empty() && lost_.empty() && connect_error_.empty() && (ponged_ || !error_.empty());
  if (!complete && (!lost_.empty() || ctx_ == nullptr || !connect_error_.empty())) {
    const bool refused = !connect_error_.empty();
    const std::string why = refused ? connect_error_ : (lost_.empty() ? "connection lost" : lost_);
    if (!refused) {
      ConnectionLost(why);  // a reused connection is replaced once
      return;
    }
    DropConnection();
    if (next_address_ < addresses_.size()) {
      ResetRound();
      ConnectNext();
      Settle();
      return;
    }
    Fail(why);
    return;
  }
  if (!complete) return;
  ProbeObservation seen = seen_;
  seen.latency_ms = MonotonicMs() - started_ms_;
  if (!error_.empty()) {
    seen.error = error_;
  } else if (!ponged_) {
    seen.error = "no PONG";
  } else {
    seen.answered = true;
    if (config_.detect_role && seen.role == ProbeRole::kUnknown) seen.error = role_error_;
  }
  Finish(seen);
}

void RedisProbe::DropConnection() {
  if (ctx_ == nullptr) return;
  redisAsyncContext* ac = ctx_;
  ctx_ = nullptr;  // first: its pending callbacks, run by the free, are then ignored
  link_up_ = false;
  redisAsyncFree(ac);  // calls RedisCleanup, which releases the watcher, then closes the socket
  events_ = 0;
}

void RedisProbe::Timeout(int64_t after_ms) {
  Batch batch(this);
  ProbeRound::Timeout(after_ms);
}

std::string RedisProbe::WhatWeWaitFor() const {
  if (!link_up_) return "while connecting (the TCP connection was not accepted)";
  if (!pending_.empty()) return std::string("waiting for the reply to ") + CommandName(pending_.front());
  return std::string();
}

void RedisProbe::AfterRound(bool) { ResetRound(); }

#else  // !OMNIDB_HAVE_HIREDIS

RedisProbe::RedisProbe(RedisProbeConfig config, IoWatcher* watcher, Resolver* resolver,
                       ResultCallback on_result)
    : ProbeRound(watcher, resolver, std::move(on_result), DescribeRedisTarget(config.target),
                 config.target.password, config.policy, config.persistent),
      config_(std::move(config)) {}
RedisProbe::~RedisProbe() = default;
void RedisProbe::Check() { Unavailable("hiredis (install libhiredis-dev and rebuild)"); }
void RedisProbe::OnIo(int) {}
void RedisProbe::Timeout(int64_t) {}
void RedisProbe::OnReply(Command, redisAsyncContext*, void*) {}
void RedisProbe::OnConnect(redisAsyncContext*, int) {}
void RedisProbe::RedisWant(int, int) {}
void RedisProbe::RedisCleanup() {}
void RedisProbe::WatchFailed() {}
void RedisProbe::LinkUp() {}
void RedisProbe::StartConnect() {}
void RedisProbe::DropConnection() {}
std::string RedisProbe::WhatWeWaitFor() const { return std::string(); }
void RedisProbe::AfterRound(bool) {}

#endif  // OMNIDB_HAVE_HIREDIS

}  // namespace omnidb
