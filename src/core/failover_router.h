// Failover routing: which connection serves calls made to a given name.
//
// Each connection may name backups: one, an ordered list, and backups may have
// backups of their own (a chain). A connection's candidates are its own list in
// order, then its backups' backups, breadth first, each name once. The first
// usable candidate serves when the connection itself is not usable; a connection
// that only takes trial calls (half-open) serves only when nothing is usable.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace omnidb {

class FailoverRouter {
 public:
  using Spec = std::vector<std::pair<std::string, std::vector<std::string>>>;

  // Checks a failover spec against the connection names. Returns "" when valid,
  // otherwise the message users see: unknown names (listing the known ones),
  // self-reference, or a cycle drawn as `a → b → a`.
  static std::string Validate(const std::vector<std::string>& names, const Spec& spec);

  // `backups[i]` holds the direct backups of connection i, by index. Must be valid.
  explicit FailoverRouter(const std::vector<std::vector<int32_t>>& backups);
  FailoverRouter() = default;

  const std::vector<int32_t>& candidates(int32_t id) const { return candidates_[id]; }
  bool has_backups(int32_t id) const { return !candidates_[id].empty(); }

  // The connection that serves `id`: the first of [id, its candidates...] that is
  // usable(); when none is, the first that on_trial() (a half-open circuit that may
  // still take trial calls); when none is either, `id` itself (whose open circuit
  // then rejects the call).
  template <typename Usable, typename OnTrial>
  int32_t Resolve(int32_t id, Usable usable, OnTrial on_trial) const {
    if (usable(id)) return id;
    for (int32_t c : candidates_[id]) {
      if (usable(c)) return c;
    }
    if (on_trial(id)) return id;
    for (int32_t c : candidates_[id]) {
      if (on_trial(c)) return c;
    }
    return id;
  }

 private:
  std::vector<std::vector<int32_t>> candidates_;
};

}  // namespace omnidb
