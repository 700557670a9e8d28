// A Redis health probe: a hiredis async context driven through IoWatcher (probe_io.h).
//
// The glue between hiredis and the watcher is redis_loop_adapter.h (the shape of
// hiredis' adapters/libuv.h), with one difference that matters: a loop error on the
// socket is handed to hiredis as readable + writable, so it reads the socket error itself
// (Debian's hiredis 0.14 libuv adapter drops it, and a refused connection then never
// settles).
//
// A round: [resolve] -> redisAsyncConnect -> [AUTH] [SELECT] -> PING [-> ROLE] [-> INFO
// replication, on a replica]. Commands are pipelined. Lag on a replica comes from INFO
// replication: master_last_io_seconds_ago * 1000 while master_link_status is up (1 s
// resolution; on an idle master it grows up to repl-ping-replica-period, 10 s by
// default), unknown (null) while the link is down.
//
// hiredis 0.14 blocks on DNS inside redisAsyncConnect: names are resolved first, and the
// addresses tried in order until one accepts.
//
// Builds without hiredis: the pure helpers exist; RedisProbe needs OMNIDB_HAVE_HIREDIS.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "probe_io.h"
#include "probe_round.h"

struct redisAsyncContext;

namespace omnidb {

struct RedisTarget {
  std::string host;  // a name or an IP literal
  int port = 6379;
  std::string path;  // a unix socket instead of host/port
  std::string username;
  std::string password;  // never appears in a message
  int db = 0;
};

// "Redis at host:port" (or the socket path), for messages.
std::string DescribeRedisTarget(const RedisTarget& target);

// The replica lag from an INFO replication reply, into `seen` (has_lag / lag_ms /
// lag_unknown_reason). Returns the role the reply names (kUnknown when it names none).
ProbeRole ParseRedisReplicationInfo(const std::string& info, ProbeObservation* seen);

// "master" -> kMaster, "slave"/"replica" -> kReplica, anything else -> kUnknown.
ProbeRole RedisRoleFromName(const std::string& name);

struct RedisProbeConfig {
  RedisTarget target;
  bool detect_role = true;
  bool persistent = true;
  ProbePolicy policy;
};

class RedisProbe : public ProbeRound {
 public:
  RedisProbe(RedisProbeConfig config, IoWatcher* watcher, Resolver* resolver, ResultCallback on_result);
  ~RedisProbe() override;

  void Check() override;
  void OnIo(int events) override;
  void Timeout(int64_t after_ms) override;
  bool connected() const override { return ctx_ != nullptr; }

  // hiredis callbacks (C function pointers in the .cc) land here.
  enum class Command { kAuth, kSelect, kPing, kRole, kInfo };
  void OnReply(Command command, redisAsyncContext* ac, void* reply);
  void OnConnect(redisAsyncContext* ac, int status);
  // The loop adapter's hooks (redis_loop_adapter.h): what hiredis wants watched (IoEvent
  // bits), and that it is freeing the context.
  void RedisWant(int add, int del);
  void RedisCleanup();

 private:
  void StartConnect() override;
  void ConnectNext();
  void SendRound();
  void Send(Command command, const std::vector<std::string>& argv);
  // Decides, after hiredis has returned, whether the round is over.
  void Settle();
  void DropConnection() override;
  std::string WhatWeWaitFor() const override;
  void AfterRound(bool kept) override;
  void ResetRound();
  // hiredis reports the link up (connected, or a reply came): the round is past connecting.
  void LinkUp();
  void ApplyEvents();
  // The watcher refused the socket: the round loses its connection (or an idle one is dropped).
  void WatchFailed();
  class Batch;

  RedisProbeConfig config_;

  redisAsyncContext* ctx_ = nullptr;
  int fd_ = -1;
  int events_ = 0;             // what hiredis asked to watch (IoEvent bits)
  int applied_ = 0;            // what the watcher was last told
  int batch_ = 0;              // > 0 inside an entry point: apply events_ at its end
  bool watch_failed_ = false;  // the watcher refused the socket; handled once the batch ends
  bool link_up_ = false;       // the TCP connection of ctx_ is established
  std::vector<std::string> addresses_;
  size_t next_address_ = 0;
  std::string connect_error_;  // why the last address failed

  uint64_t round_ = 0;           // counts Check() calls: a result callback may start the next round
  std::deque<Command> pending_;  // replies still due, oldest first
  std::string lost_;             // the connection died mid-round: why
  std::string error_;            // the first error reply that fails the round
  bool ponged_ = false;
  ProbeObservation seen_;  // role and lag, as the replies come in
  std::string role_error_;
};

}  // namespace omnidb
