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

UvResolver::UvResolver(napi_env env) : env_(env) { napi_get_uv_event_loop(env, &loop_); }

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
  const int err = uv_getaddrinfo(loop_, &r->req, OnResolved, host.c_str(), nullptr, &hints);
  if (err != 0) {  // not even started (an invalid name): no callback will come
    Done fail = std::move(r->done);
    delete r;
    fail({}, std::string(uv_strerror(err)) + " (" + uv_err_name(err) + ")");
    return;
  }
  napi_add_async_cleanup_hook(env_, OnEnvCleanup, r, &r->hook);
  pending_ = r;
}

void UvResolver::Cancel() {
  Request* r = pending_;
  if (r == nullptr) return;
  pending_ = nullptr;
  r->owner = nullptr;
  uv_cancel(reinterpret_cast<uv_req_t*>(&r->req));  // fails once a pool thread runs it: then we wait
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
      if (p->ai_family == AF_INET) {
        uv_ip4_name(reinterpret_cast<const sockaddr_in*>(p->ai_addr), buf, sizeof buf);
      } else if (p->ai_family == AF_INET6) {
        uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(p->ai_addr), buf, sizeof buf);
      } else {
        continue;
      }
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
  uv_cancel(reinterpret_cast<uv_req_t*>(&r->req));
}

}  // namespace omnidb_binding
