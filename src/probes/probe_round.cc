#include "probe_round.h"

#include <utility>

namespace omnidb {

ProbeRound::ProbeRound(IoWatcher* watcher, Resolver* resolver, ResultCallback on_result, std::string where,
                       std::string secret, ProbePolicy policy, bool persistent)
    : watcher_(watcher),
      resolver_(resolver),
      where_(std::move(where)),
      on_result_(std::move(on_result)),
      secret_(std::move(secret)),
      policy_(policy),
      persistent_(persistent) {}

bool ProbeRound::BeginRound() {
  if (phase_ != Phase::kIdle) {
    ProbeResult busy;
    busy.error = where_ + ": a probe round is already in flight";
    on_result_(busy);
    return false;
  }
  started_ms_ = MonotonicMs();
  retried_ = false;
  return true;
}

void ProbeRound::Unavailable(const std::string& what) {
  ProbeResult r;
  r.error = where_ + ": built without " + what;
  on_result_(r);
}

void ProbeRound::ResolveThen(const std::string& host, std::function<void(std::vector<std::string>)> next) {
  phase_ = Phase::kResolving;
  resolving_ = host;
  resolver_->Resolve(
      host, [this, next = std::move(next)](std::vector<std::string> addresses, const std::string& error) {
        if (phase_ != Phase::kResolving) return;
        if (!error.empty() || addresses.empty()) {
          Fail("could not resolve host \"" + resolving_ + "\": " + (error.empty() ? "no addresses" : error));
          return;
        }
        next(std::move(addresses));
      });
}

void ProbeRound::ConnectionLost(const std::string& cause) {
  DropConnection();
  if (reused_ && !retried_) {
    // The server may have restarted since the last round: one fresh connection decides.
    retried_ = true;
    StartConnect();
    return;
  }
  Fail(cause.empty() ? "connection lost" : cause);
}

std::string ProbeRound::CannotWatch(const IoWatcher& watcher) {
  return "cannot watch the socket: " + watcher.error();
}

bool ProbeRound::WatchSocket(int fd, bool read, bool write) {
  if (watcher_->Want(fd, read, write)) return true;
  ConnectionLost(CannotWatch(*watcher_));
  return false;
}

void ProbeRound::Timeout(int64_t after_ms) {
  if (phase_ == Phase::kIdle) return;
  std::string what;
  if (phase_ == Phase::kResolving) {
    what = "while resolving host \"" + resolving_ + "\"";
    resolver_->Cancel();
  } else {
    what = WhatWeWaitFor();
  }
  DropConnection();  // mid-query or mid-handshake: its state is unknown
  Fail("timed out after " + std::to_string(after_ms) + " ms " + what);
}

void ProbeRound::Abort() {
  if (phase_ == Phase::kIdle) return;
  if (phase_ == Phase::kResolving) resolver_->Cancel();
  DropConnection();
  phase_ = Phase::kIdle;
}

void ProbeRound::Close() {
  Abort();
  DropConnection();
}

void ProbeRound::Fail(const std::string& cause) { Finish(FailedObservation(cause, started_ms_)); }

void ProbeRound::Finish(ProbeObservation seen) {
  const bool keep = seen.answered && persistent_;
  if (!keep) DropConnection();
  phase_ = Phase::kIdle;
  AfterRound(keep);
  const ProbeResult result = ConcludeProbe(std::move(seen), policy_, where_, secret_);
  on_result_(result);  // last: the callback may start the next round
}

}  // namespace omnidb
