// The two log formats as pure functions (FormatLogLine): a text line is one
// line; a JSON line parses as one object (protobuf's JSON parser, not our
// writer) whose members hold the text SafeText made of each field, however
// hostile: quotes, backslashes, newlines, bytes that are not UTF-8, a
// megabyte.
#include <string>

#include "absl/strings/match.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "services/common/log.h"
#include "services/common/safe_text.h"

namespace coachd {
namespace {

constexpr char kTime[] = "2026-01-05T07:00:00.000Z";

google::protobuf::Struct Parse(const std::string& line) {
  google::protobuf::Struct parsed;
  const auto status =
      google::protobuf::util::JsonStringToMessage(line, &parsed);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << line;
  return parsed;
}

TEST(LogFormatTest, ATextLineIsLevelTimeAndTheSafeMessage) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, LogLevel::kWarning, kTime, "a\nb",
                          {{"method", "X/Y"}}),
            "W 2026-01-05T07:00:00.000Z a\\nb");
}

TEST(LogFormatTest, EveryHostileFieldStaysInsideOneJsonObject) {
  struct Case {
    const char* name;
    std::string value;
  };
  const Case cases[] = {
      {"plain", "alice"},
      {"quote", "a\"b"},
      {"forged member", "x\",\"level\":\"error"},
      {"backslash", "a\\b\\"},
      {"newline", "bob\nI 2026-01-05T07:00:00.000Z forged"},
      {"controls", std::string("\r\t\x1b\x7f\0z", 6)},
      {"not utf-8", "caf\xe9 \xff\xfe \xc0\xaf \xed\xa0\x80"},
      {"utf-8", "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x92\xaa"},
      {"cut utf-8", "\xe2\x9c"},
      {"a megabyte", std::string(1 << 20, 'x')},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string line =
        FormatLogLine(LogFormat::kJson, LogLevel::kInfo, kTime, c.value,
                      {{"caller", c.value}, LogField::Number("ms", 12.25, 2)});
    EXPECT_FALSE(absl::StrContains(line, "\n"));
    EXPECT_LT(line.size(), 3 * kMaxLogMessageBytes + 200);
    const google::protobuf::Struct parsed = Parse(line);
    const auto& f = parsed.fields();
    ASSERT_EQ(f.size(), 5u) << line;
    EXPECT_EQ(f.at("ts").string_value(), kTime);
    EXPECT_EQ(f.at("level").string_value(), "info");
    EXPECT_EQ(f.at("ms").number_value(), 12.25);
    const std::string safe = SafeText(c.value, kMaxLogMessageBytes);
    if (std::string(c.name) == "not utf-8" ||
        std::string(c.name) == "cut utf-8") {
      // A byte that is not UTF-8 reads as the text \xNN.
      EXPECT_TRUE(absl::StrContains(f.at("msg").string_value(), "\\x"))
          << f.at("msg").string_value();
    } else {
      EXPECT_EQ(f.at("msg").string_value(), safe);
      EXPECT_EQ(f.at("caller").string_value(), safe);
    }
  }
}

TEST(LogFormatTest, LevelsAreWordsInJson) {
  for (const auto& [level, word] : {std::pair{LogLevel::kDebug, "debug"},
                                    {LogLevel::kInfo, "info"},
                                    {LogLevel::kWarning, "warning"},
                                    {LogLevel::kError, "error"}}) {
    SCOPED_TRACE(word);
    EXPECT_EQ(Parse(FormatLogLine(LogFormat::kJson, level, kTime, "m", {}))
                  .fields()
                  .at("level")
                  .string_value(),
              word);
  }
}

TEST(LogFormatTest, AnUnknownFormatNameIsRefusedNamingTheFlag) {
  const absl::Status bad = SetLogFormatByName("yaml");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(bad.message(), "--log_format")) << bad;
  EXPECT_TRUE(SetLogFormatByName("json").ok());
  EXPECT_TRUE(SetLogFormatByName("text").ok());
}

}  // namespace
}  // namespace coachd
