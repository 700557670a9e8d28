// What every probe round does the same way, PostgreSQL, Redis or MySQL: the busy guard,
// resolving a host name first, a timeout that names what the round was waiting for,
// abort and close, one fresh connection when a kept one turns out dead, and the end of
// the round (the policy applied, the password kept out of the message, the callback
// called last). A probe (pg_probe, redis_probe, mysql_probe) supplies the protocol: how
// to connect, what to send, how to drop its connection, and what it waits for.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "probe_io.h"

namespace omnidb {

class ProbeRound : public Probe {
 public:
  ProbeRound(const ProbeRound&) = delete;
  ProbeRound& operator=(const ProbeRound&) = delete;

  // The round in flight fails with "timed out after N ms <WhatWeWaitFor()>"; the
  // connection is dropped first (mid-query or mid-handshake its state is unknown).
  void Timeout(int64_t after_ms) override;
  void Abort() override;
  void Close() override;
  bool busy() const override { return phase_ != Phase::kIdle; }

 protected:
  // kConnecting and kQuerying are the protocol's own steps (Redis pipelines the round
  // onto the connection it opens: kConnecting until the link is up).
  enum class Phase { kIdle, kResolving, kConnecting, kQuerying };

  // `where` prefixes every message ("Redis at h:p"); `secret` (the password) is replaced
  // by "***" in every message; `persistent`: an answering connection is kept for the next round.
  ProbeRound(IoWatcher* watcher, Resolver* resolver, ResultCallback on_result, std::string where,
             std::string secret, ProbePolicy policy, bool persistent);
  ~ProbeRound() override = default;

  // Starts a round: false (and the caller was answered unhealthy) when one is in flight.
  bool BeginRound();
  // Resolves `host` (phase kResolving), then hands the addresses to `next`; a failed
  // lookup fails the round. Nothing is called once the round has moved on.
  void ResolveThen(const std::string& host, std::function<void(std::vector<std::string>)> next);
  // The connection broke during the round: a reused one is replaced once (StartConnect),
  // else the round fails with `cause` ("connection lost" when empty).
  void ConnectionLost(const std::string& cause);
  // Asks the watcher for `fd`. When the loop cannot watch it, the connection is lost
  // ("cannot watch the socket: <why>", through ConnectionLost) and the result is false.
  bool WatchSocket(int fd, bool read, bool write);
  static std::string CannotWatch(const IoWatcher& watcher);
  void Fail(const std::string& cause);
  // Ends the round: drops the connection unless it answered and the probe is persistent,
  // then AfterRound(kept), then the result callback (last: it may start the next round).
  void Finish(ProbeObservation seen);

  // A build without the client library: every Check() is answered unhealthy with
  // "<where>: built without <what>".
  void Unavailable(const std::string& what);

  // The protocol's part.
  virtual void StartConnect() = 0;
  // Drops the connection, if any; the watcher lets go of the socket before it is closed.
  virtual void DropConnection() = 0;
  // What the round was waiting for in kConnecting/kQuerying ("while connecting (...)").
  virtual std::string WhatWeWaitFor() const = 0;
  // After Finish() has decided about the connection (`kept`), before the callback.
  virtual void AfterRound(bool /*kept*/) {}

  IoWatcher* const watcher_;
  Resolver* const resolver_;
  const std::string where_;
  Phase phase_ = Phase::kIdle;
  double started_ms_ = 0;
  bool reused_ = false;   // this round began on a connection kept from an earlier round
  bool retried_ = false;  // a lost reused connection was already replaced this round

 private:
  ResultCallback on_result_;
  const std::string secret_;
  const ProbePolicy policy_;
  const bool persistent_;
  std::string resolving_;  // the host name being resolved, for the timeout message
};

}  // namespace omnidb
