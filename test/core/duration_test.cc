// ParseDuration / ValidateDurationMs: every accepted form and every rejection.
// The JS layer validates all duration options through these, so the cases here
// are the ones users can type.
#include "core/duration.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace omnidb {
namespace {

constexpr int64_t kInvalid = -1;
constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kWeek = 7 * 24 * kHour;

TEST(ParseDuration, MaxIsOneWeek) { EXPECT_EQ(kMaxDurationMs, kWeek); }

// ---- accepted forms -----------------------------------------------------------

TEST(ParseDuration, Milliseconds) { EXPECT_EQ(ParseDuration("250ms"), 250); }
TEST(ParseDuration, Seconds) { EXPECT_EQ(ParseDuration("30s"), 30 * kSecond); }
TEST(ParseDuration, Minutes) { EXPECT_EQ(ParseDuration("5m"), 5 * kMinute); }
TEST(ParseDuration, Hours) { EXPECT_EQ(ParseDuration("1h"), kHour); }
TEST(ParseDuration, BareNumberIsMilliseconds) { EXPECT_EQ(ParseDuration("250"), 250); }
TEST(ParseDuration, OneMillisecondIsTheSmallest) { EXPECT_EQ(ParseDuration("1ms"), 1); }
TEST(ParseDuration, FractionalSeconds) { EXPECT_EQ(ParseDuration("1.5s"), 1500); }

TEST(ParseDuration, TenthOfASecond) { EXPECT_EQ(ParseDuration("0.1s"), 100); }

TEST(ParseDuration, DecimalsThatBinaryFloatsMissStillLandOnWholeMilliseconds) {
  // In doubles 1.001 * 1000 is 1000.9999999999999, 4.1 * 60000 is 245999.99999999997
  // and 0.07 * 3600000 is 252000.00000000003.
  EXPECT_EQ(ParseDuration("1.001s"), 1001);
  EXPECT_EQ(ParseDuration("4.1m"), 246000);
  EXPECT_EQ(ParseDuration("0.07h"), 252000);
}

TEST(ParseDuration, FractionalMinutesAndHours) {
  EXPECT_EQ(ParseDuration("1.5m"), 90 * kSecond);
  EXPECT_EQ(ParseDuration("0.5h"), 30 * kMinute);
}

TEST(ParseDuration, WholeMillisecondWrittenWithAFraction) {
  EXPECT_EQ(ParseDuration("2.0ms"), 2);
  EXPECT_EQ(ParseDuration("0.001s"), 1);
}

TEST(ParseDuration, ExactlyOneWeekIsAccepted) {
  EXPECT_EQ(ParseDuration("168h"), kWeek);
  EXPECT_EQ(ParseDuration("10080m"), kWeek);
  EXPECT_EQ(ParseDuration("604800s"), kWeek);
  EXPECT_EQ(ParseDuration("604800000ms"), kWeek);
  EXPECT_EQ(ParseDuration("604800000"), kWeek);
}

// ---- rejections ----------------------------------------------------------------

struct Rejection {
  const char* label;  // test name suffix
  const char* text;
};

class ParseDurationRejects : public ::testing::TestWithParam<Rejection> {};

TEST_P(ParseDurationRejects, ReturnsMinusOne) {
  EXPECT_EQ(ParseDuration(GetParam().text), kInvalid) << "input: '" << GetParam().text << "'";
}

INSTANTIATE_TEST_SUITE_P(
    AllForms, ParseDurationRejects,
    ::testing::Values(
        Rejection{"Empty", ""}, Rejection{"UnknownUnit", "30x"}, Rejection{"Negative", "-1"},
        Rejection{"NegativeWithUnit", "-5s"}, Rejection{"ZeroSeconds", "0s"}, Rejection{"Zero", "0"},
        Rejection{"ZeroMilliseconds", "0ms"}, Rejection{"ZeroWithFraction", "0.0s"},
        Rejection{"Exponent", "1e3"}, Rejection{"LeadingSpace", " 5s"}, Rejection{"SpaceBeforeUnit", "5 s"},
        Rejection{"TrailingSpace", "5s "}, Rejection{"UnitWithoutNumber", "s"}, Rejection{"LoneDot", "."},
        Rejection{"TwoDecimalPoints", "1.2.3s"}, Rejection{"PlusSign", "+5s"},
        Rejection{"UppercaseUnit", "5S"}, Rejection{"CompoundUnits", "1h30m"}, Rejection{"DayUnit", "1d"},
        Rejection{"MicrosecondUnit", "5us"}, Rejection{"Hex", "0x10"}, Rejection{"Infinity", "Infinity"},
        Rejection{"NaN", "NaN"}, Rejection{"FractionalMilliseconds", "1.5ms"},
        Rejection{"BareFractionalMilliseconds", "1.5"}, Rejection{"SubMillisecondSeconds", "0.0005s"},
        Rejection{"OverOneWeekInHours", "169h"}, Rejection{"OverOneWeekBySeconds", "604801s"},
        Rejection{"OverOneWeekByOneMs", "604800001"}),
    [](const ::testing::TestParamInfo<Rejection>& info) { return std::string(info.param.label); });

TEST(ParseDuration, RejectsANumberTooLargeForADouble) {
  // strtod gives +inf for 400 nines.
  EXPECT_EQ(ParseDuration(std::string(400, '9') + "h"), kInvalid);
}

// ---- ValidateDurationMs ----------------------------------------------------------

TEST(ValidateDurationMs, AcceptsWholePositiveMilliseconds) {
  EXPECT_EQ(ValidateDurationMs(1), 1);
  EXPECT_EQ(ValidateDurationMs(250), 250);
  EXPECT_EQ(ValidateDurationMs(30000.0), 30 * kSecond);
}

TEST(ValidateDurationMs, AcceptsExactlyOneWeek) {
  EXPECT_EQ(ValidateDurationMs(static_cast<double>(kWeek)), kWeek);
}

TEST(ValidateDurationMs, RejectsOverOneWeek) {
  EXPECT_EQ(ValidateDurationMs(static_cast<double>(kWeek + 1)), kInvalid);
  EXPECT_EQ(ValidateDurationMs(1e300), kInvalid);
}

TEST(ValidateDurationMs, RejectsZero) {
  EXPECT_EQ(ValidateDurationMs(0.0), kInvalid);
  EXPECT_EQ(ValidateDurationMs(-0.0), kInvalid);
}

TEST(ValidateDurationMs, RejectsNegative) {
  EXPECT_EQ(ValidateDurationMs(-1), kInvalid);
  EXPECT_EQ(ValidateDurationMs(-30000), kInvalid);
}

TEST(ValidateDurationMs, RejectsFractionalMilliseconds) {
  EXPECT_EQ(ValidateDurationMs(1.5), kInvalid);
  EXPECT_EQ(ValidateDurationMs(0.5), kInvalid);
  EXPECT_EQ(ValidateDurationMs(std::numeric_limits<double>::denorm_min()), kInvalid);
}

TEST(ValidateDurationMs, RejectsNaN) {
  EXPECT_EQ(ValidateDurationMs(std::numeric_limits<double>::quiet_NaN()), kInvalid);
}

TEST(ValidateDurationMs, RejectsInfinity) {
  EXPECT_EQ(ValidateDurationMs(std::numeric_limits<double>::infinity()), kInvalid);
  EXPECT_EQ(ValidateDurationMs(-std::numeric_limits<double>::infinity()), kInvalid);
}

}  // namespace
}  // namespace omnidb
