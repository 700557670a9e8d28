// A tiny poll(2) event loop for the probe tests: the IoWatcher and Resolver a probe
// needs, plus optional extra fds (a fake server) served by the same loop.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "probes/probe_io.h"

namespace probe_test {

inline double NowMs() { return omnidb::MonotonicMs(); }

// A port nothing listens on: bound, then closed.
inline int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// A listening socket on 127.0.0.1; the kernel completes handshakes even if nobody accepts.
inline int Listen(int* port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  listen(fd, 16);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

inline int OpenFdCount() {
  int n = 0;
  for (int fd = 0; fd < 4096; ++fd) {
    if (fcntl(fd, F_GETFD) != -1) ++n;
  }
  return n;
}

class PollLoop : public omnidb::IoWatcher, public omnidb::Resolver {
 public:
  PollLoop() { signal(SIGPIPE, SIG_IGN); }  // as in Node: a write to a closed socket is an error, not a death

  // IoWatcher
  bool Want(int fd, bool read, bool write) override {
    ++wants;
    if (refuse_watch) {  // as a loop that cannot poll this socket
      events_ = 0;
      fd_ = -1;
      return false;
    }
    fd_ = fd;
    events_ = (read ? POLLIN : 0) | (write ? POLLOUT : 0);
    return true;
  }
  const std::string& error() const override { return watch_error_; }
  void Stop() override { events_ = 0; }
  void Release() override {
    events_ = 0;
    fd_ = -1;
    ++releases;
  }

  // Resolver: answered on the next loop turn, as a real one would be.
  void Resolve(const std::string& host, Done done) override {
    pending_resolve_ = [host, done]() {
      if (host.size() > 8 && host.substr(host.size() - 8) == ".invalid") {
        done({}, "unknown node or service");
        return;
      }
      addrinfo hints{};
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* res = nullptr;
      if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0) {
        done({}, "unknown node or service");
        return;
      }
      std::vector<std::string> out;
      for (addrinfo* p = res; p; p = p->ai_next) {
        char buf[INET6_ADDRSTRLEN];
        const void* src =
            p->ai_family == AF_INET
                ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(p->ai_addr)->sin_addr)
                : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(p->ai_addr)->sin6_addr);
        inet_ntop(p->ai_family, src, buf, sizeof buf);
        out.emplace_back(buf);
      }
      freeaddrinfo(res);
      done(out, "");
    };
  }
  void Cancel() override { pending_resolve_ = nullptr; }

  // Extra fds the loop serves (a fake server's sockets): called with revents.
  void Serve(int fd, short events, std::function<void(short)> on_ready) {
    extra_[fd] = {events, std::move(on_ready)};
  }
  void Unserve(int fd) { extra_.erase(fd); }

  // Runs until `done()` or `timeout_ms`; on timeout calls probe->Timeout(timeout_ms) if asked.
  bool Run(omnidb::Probe* probe, const std::function<bool()>& done, int64_t timeout_ms,
           bool fire_timeout = true) {
    const double deadline = NowMs() + static_cast<double>(timeout_ms);
    while (!done()) {
      if (pending_resolve_) {
        auto fn = std::move(pending_resolve_);
        pending_resolve_ = nullptr;
        fn();
        continue;
      }
      if (NowMs() >= deadline) {
        if (fire_timeout) probe->Timeout(timeout_ms);
        return done();
      }
      std::vector<pollfd> fds;
      const bool watching = fd_ >= 0 && events_ != 0;
      if (watching) fds.push_back({fd_, static_cast<short>(events_), 0});
      for (auto& [fd, e] : extra_) fds.push_back({fd, e.first, 0});
      poll(fds.data(), fds.size(), 10);
      // The fake server first: its callbacks never touch the probe.
      for (size_t i = watching ? 1 : 0; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        auto it = extra_.find(fds[i].fd);
        if (it != extra_.end()) it->second.second(fds[i].revents);
      }
      if (watching && fds[0].revents != 0) {
        const short re = fds[0].revents;
        int ev = 0;
        if (re & POLLIN) ev |= omnidb::kIoReadable;
        if (re & POLLOUT) ev |= omnidb::kIoWritable;
        if (re & (POLLERR | POLLHUP | POLLNVAL)) ev |= omnidb::kIoError;
        probe->OnIo(ev);
      }
    }
    return true;
  }

  int wants = 0;
  int releases = 0;
  bool refuse_watch = false;  // every Want() fails, with error() "uv_poll_init: injected"

 private:
  std::string watch_error_ = "uv_poll_init: injected";
  int fd_ = -1;
  int events_ = 0;
  std::function<void()> pending_resolve_;
  std::map<int, std::pair<short, std::function<void(short)>>> extra_;
};

// Collects the results a probe reports.
struct Results {
  std::vector<omnidb::ProbeResult> all;
  omnidb::ResultCallback callback() {
    return [this](const omnidb::ProbeResult& r) { all.push_back(r); };
  }
  size_t size() const { return all.size(); }
  const omnidb::ProbeResult& last() const { return all.back(); }
};

}  // namespace probe_test
