// Duration strings ('250ms', '30s', '5m', '1h') and plain millisecond counts.
// The JS layer validates every option through this one parser, so the core and
// the error messages agree on what a valid duration is.
#pragma once

#include <cstdint>
#include <string>

namespace omnidb {

// Largest duration accepted: one week. Anything longer is almost certainly a unit
// mistake ('30000s'), and it keeps every deadline far from int64 overflow.
constexpr int64_t kMaxDurationMs = 7LL * 24 * 60 * 60 * 1000;

// Parses `text` into milliseconds. Returns -1 when it is not a positive duration:
// empty, a negative or zero amount, an unknown unit, trailing junk, or over the max.
// Fractions are allowed ('1.5s' = 1500 ms) and must land on a whole millisecond.
int64_t ParseDuration(const std::string& text);

// Same rules for a number of milliseconds: finite, > 0, whole, <= max.
int64_t ValidateDurationMs(double ms);

}  // namespace omnidb
