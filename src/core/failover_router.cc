#include "failover_router.h"

#include <algorithm>
#include <functional>

namespace omnidb {

namespace {

int32_t IndexOf(const std::vector<std::string>& names, const std::string& name) {
  auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : static_cast<int32_t>(it - names.begin());
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

}  // namespace

std::string FailoverRouter::Validate(const std::vector<std::string>& names, const Spec& spec) {
  const size_t n = names.size();
  std::vector<std::vector<int32_t>> edges(n);
  for (const auto& [primary, backups] : spec) {
    const int32_t p = IndexOf(names, primary);
    if (p < 0) {
      return "Failover config error: primary \"" + primary +
             "\" not found in connections. Available: " + JoinNames(names);
    }
    for (const auto& backup : backups) {
      if (backup == primary) {
        return "Failover config error: \"" + primary + "\" cannot fail over to itself";
      }
      const int32_t b = IndexOf(names, backup);
      if (b < 0) {
        return "Failover config error: backup \"" + backup + "\" for primary \"" + primary +
               "\" not found in connections. Available: " + JoinNames(names);
      }
      if (std::find(edges[p].begin(), edges[p].end(), b) != edges[p].end()) {
        return "Failover config error: backup \"" + backup + "\" listed twice for primary \"" + primary +
               "\"";
      }
      edges[p].push_back(b);
    }
  }
  // Depth-first search with colours; the grey path is the cycle when we meet it again.
  std::vector<int> colour(n, 0);  // 0 white, 1 on the path, 2 done
  std::vector<int32_t> path;
  std::string cycle;
  std::function<bool(int32_t)> visit = [&](int32_t v) {
    colour[v] = 1;
    path.push_back(v);
    for (int32_t w : edges[v]) {
      if (colour[w] == 1) {
        auto start = std::find(path.begin(), path.end(), w);
        for (auto it = start; it != path.end(); ++it) cycle += names[*it] + " → ";
        cycle += names[w];
        return true;
      }
      if (colour[w] == 0 && visit(w)) return true;
    }
    path.pop_back();
    colour[v] = 2;
    return false;
  };
  for (size_t v = 0; v < n; ++v) {
    if (colour[v] == 0 && visit(static_cast<int32_t>(v))) {
      return "Circular failover detected: " + cycle;
    }
  }
  return "";
}

FailoverRouter::FailoverRouter(const std::vector<std::vector<int32_t>>& backups)
    : candidates_(backups.size()) {
  for (size_t p = 0; p < backups.size(); ++p) {
    std::vector<int32_t>& out = candidates_[p];
    std::vector<bool> seen(backups.size(), false);
    seen[p] = true;
    std::vector<int32_t> queue(backups[p].begin(), backups[p].end());
    for (size_t i = 0; i < queue.size(); ++i) {
      const int32_t c = queue[i];
      if (seen[c]) continue;
      seen[c] = true;
      out.push_back(c);
      for (int32_t next : backups[c]) queue.push_back(next);
    }
  }
}

}  // namespace omnidb
