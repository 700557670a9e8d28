#include "uv_resolver.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace omnidb_binding {

namespace {
constexpr size_t kMaxAddresses = 8;  // each is one host/hostaddr pair libpq may try
}

struct UvResolver::Request {
  uv_getaddrinfo_t req;
  UvResolver* owner = nullptr;  // null once cancelled: the answer is dropped
  Done done;
  napi_async_cleanup_hook_handle hook = nullptr;
};

UvResolver::UvResolver(napi_env env, uv_loop_t* loop) : env_(env), loop_(loop) {}

void UvResolver::Resolve(const std::string& host, Done done) {
  Cancel();
  auto* r = new Request();
  r->req.data = r;
  r->owner = this;
  r->done = std::move(done);
  struct addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  // As Node's dns.lookup: no AAAA query on a host without IPv6 (some resolvers drop it,
  // and glibc then waits out its timeout).
  hints.ai_flags = AI_ADDRCONFIG;
  // The hook first: a request in flight without one would strand a terminating worker.
  std::string error;
  if (loop_ == nullptr) {
    error = "no event loop for this environment";
  } else if (napi_add_async_cleanup_hook(env_, OnEnvCleanup, r, &r->hook) != napi_ok) {
    r->hook = nullptr;
    error = "napi_add_async_cleanup_hook failed";
  } else {
    const int err = uv_getaddrinfo(loop_, &r->req, OnResolved, host.c_str(), nullptr, &hints);
    if (err == 0) {
      pending_ = r;
      return;
    }
    error = std::string(uv_strerror(err)) + " (" + uv_err_name(err) + ")";  // e.g. an invalid name
  }
  // Not even started: no callback will come.
  if (r->hook != nullptr) napi_remove_async_cleanup_hook(r->hook);
  Done fail = std::move(r->done);
  delete r;
  fail({}, std::move(error));
}

void UvResolver::Cancel() {
  Request* r = pending_;
  if (r == nullptr) return;
  pending_ = nullptr;
  r->owner = nullptr;
  // UV_EBUSY once a pool thread runs it: then the callback comes anyway, and drops the answer.
  const int err = uv_cancel(reinterpret_cast<uv_req_t*>(&r->req));
  (void)err;
}

void UvResolver::OnResolved(uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
  Request* r = static_cast<Request*>(req->data);
  UvResolver* owner = r->owner;
  std::vector<std::string> addresses;
  std::string error;
  if (status != 0) {
    error = std::string(uv_strerror(status)) + " (" + uv_err_name(status) + ")";
  } else {
    for (struct addrinfo* p = res; p != nullptr && addresses.size() < kMaxAddresses; p = p->ai_next) {
      char buf[INET6_ADDRSTRLEN] = {0};
      int err = UV_EAFNOSUPPORT;
      if (p->ai_family == AF_INET) {
        err = uv_ip4_name(reinterpret_cast<const sockaddr_in*>(p->ai_addr), buf, sizeof buf);
      } else if (p->ai_family == AF_INET6) {
        err = uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(p->ai_addr), buf, sizeof buf);
      }
      if (err != 0) continue;  // another family, or an address that does not print
      if (std::find(addresses.begin(), addresses.end(), buf) == addresses.end()) addresses.emplace_back(buf);
    }
  }
  uv_freeaddrinfo(res);
  Done done = std::move(r->done);
  if (r->hook != nullptr) napi_remove_async_cleanup_hook(r->hook);
  delete r;
  if (owner == nullptr) return;
  owner->pending_ = nullptr;
  done(std::move(addresses), std::move(error));  // last: it may start another lookup
}

void UvResolver::OnEnvCleanup(napi_async_cleanup_hook_handle, void* arg) {
  // Cancel, and let the callback (which always comes) remove this hook.
  Request* r = static_cast<Request*>(arg);
  if (r->owner != nullptr) r->owner->pending_ = nullptr;
  r->owner = nullptr;
  // UV_EBUSY once a pool thread runs it: Node then waits for the callback, which comes.
  const int err = uv_cancel(reinterpret_cast<uv_req_t*>(&r->req));
  (void)err;
}

}  // namespace omnidb_binding
