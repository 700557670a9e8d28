#include "scheduler.h"

namespace omnidb {

void Scheduler::Add(int64_t due, TimerKind kind, int32_t conn, uint64_t token) {
  heap_.push(TimerEntry{due, next_seq_++, kind, conn, token});
}

bool Scheduler::PopDue(int64_t now, TimerEntry* out) {
  if (heap_.empty() || heap_.top().due > now) return false;
  *out = heap_.top();
  heap_.pop();
  return true;
}

bool Scheduler::Peek(TimerEntry* out) const {
  if (heap_.empty()) return false;
  *out = heap_.top();
  return true;
}

}  // namespace omnidb
