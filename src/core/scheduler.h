// A queue of deadlines for the orchestrator's timed work: health-check rounds,
// check timeouts, retries, and open -> half-open resets.
//
// The scheduler knows no clock and owns no OS timer: the host asks next_due(),
// arms one timer for it (a JS timer in the addon: the host's setTimeout or a
// ManualClock), and calls PopDue() when it fires. Entries are never cancelled; each
// carries a token that its handler compares with current state, so a stale entry
// is a no-op (and its owner drops it from the top with Pop(), see
// Orchestrator::next_due()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <queue>
#include <vector>

namespace omnidb {

enum class TimerKind : int32_t {
  kHealthRound = 0,   // start a check on every connection that has one
  kCheckTimeout = 1,  // token: the check's token
  kCheckRetry = 2,    // token: the check's token (the retry continues that check)
  kCircuitReset = 3,  // token: the circuit's generation
};

struct TimerEntry {
  int64_t due = 0;
  uint64_t seq = 0;  // insertion order breaks ties, so equal deadlines run FIFO
  TimerKind kind = TimerKind::kHealthRound;
  int32_t conn = -1;
  uint64_t token = 0;
};

class Scheduler {
 public:
  void Add(int64_t due, TimerKind kind, int32_t conn, uint64_t token);
  // The earliest deadline, or -1 when nothing is queued.
  int64_t next_due() const { return heap_.empty() ? -1 : heap_.top().due; }
  // Removes and returns the earliest entry due at or before `now`.
  bool PopDue(int64_t now, TimerEntry* out);
  // The earliest entry, due or not; false when nothing is queued.
  bool Peek(TimerEntry* out) const;
  void Pop() { heap_.pop(); }
  void Clear() { heap_ = {}; }
  size_t size() const { return heap_.size(); }

 private:
  struct Later {
    bool operator()(const TimerEntry& a, const TimerEntry& b) const {
      return a.due != b.due ? a.due > b.due : a.seq > b.seq;
    }
  };
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, Later> heap_;
  uint64_t next_seq_ = 0;
};

}  // namespace omnidb
