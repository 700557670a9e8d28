#include "duration.h"

#include <cmath>
#include <cstdlib>

namespace omnidb {

int64_t ValidateDurationMs(double ms) {
  if (!std::isfinite(ms) || ms <= 0 || ms > static_cast<double>(kMaxDurationMs)) return -1;
  if (std::floor(ms) != ms) return -1;
  return static_cast<int64_t>(ms);
}

int64_t ParseDuration(const std::string& text) {
  size_t i = 0;
  const size_t n = text.size();
  // Digits with at most one decimal point; no sign, no exponent, no spaces.
  bool digits = false, dot = false;
  while (i < n) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      digits = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
    ++i;
  }
  if (!digits) return -1;
  const std::string number = text.substr(0, i);
  const std::string unit = text.substr(i);
  double scale;
  if (unit == "ms" || unit.empty()) {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60 * 1000;
  } else if (unit == "h") {
    scale = 60 * 60 * 1000;
  } else {
    return -1;
  }
  const double amount = std::strtod(number.c_str(), nullptr);
  // Round to the nearest microsecond first so '0.1s' is 100 ms despite binary floats.
  const double ms = std::round(amount * scale * 1000) / 1000;
  return ValidateDurationMs(ms);
}

}  // namespace omnidb
