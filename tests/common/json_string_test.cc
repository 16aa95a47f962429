// The shared JSON string escaper: the exact literal for each kind of byte,
// and for every single byte and a spread of hostile strings a literal that
// protobuf's JSON parser (not ours) reads back as one string: the text
// itself when it was valid UTF-8.
#include "services/common/json_string.h"

#include <string>

#include "absl/strings/match.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

// The string `literal` holds, read by protobuf's JSON parser; fails the test
// when it is not valid JSON.
std::string ReadBack(const std::string& literal) {
  google::protobuf::Struct parsed;
  const auto status = google::protobuf::util::JsonStringToMessage(
      "{\"s\":" + literal + "}", &parsed);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << literal;
  return parsed.fields().at("s").string_value();
}

TEST(JsonStringTest, EachKindOfByteHasItsEscape) {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"", R"("")"},
      {"plain", R"("plain")"},
      {"a\"b\\c", R"("a\"b\\c")"},
      {"line\nbreak\r\t", R"("line\nbreak\r\t")"},
      {std::string("\x00\x01\x1f\x7f", 4), R"("\u0000\u0001\u001f\u007f")"},
      {"\xE2\x80\xA8 \xE2\x80\xA9", R"("\u2028 \u2029")"},
      {"caf\xC3\xA9 \xF0\x9F\x92\xAA", "\"caf\xC3\xA9 \xF0\x9F\x92\xAA\""},
      {"bad \xff \xC3", R"("bad \\xff \\xc3")"},
      {"\xED\xA0\x80", R"("\\xed\\xa0\\x80")"},  // A surrogate.
      {"\xC0\xAF", R"("\\xc0\\xaf")"},           // An overlong '/'.
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.out);
    EXPECT_EQ(JsonString(c.in), c.out);
  }
  std::string appended = "x=";
  AppendJsonString(&appended, "y");
  EXPECT_EQ(appended, "x=\"y\"");
}

TEST(JsonStringTest, EveryByteMakesValidJsonOnOneLine) {
  for (int b = 0; b < 256; ++b) {
    SCOPED_TRACE(b);
    const std::string in = "<" + std::string(1, static_cast<char>(b)) + ">";
    const std::string literal = JsonString(in);
    EXPECT_FALSE(absl::StrContains(literal, "\n"));
    const std::string back = ReadBack(literal);
    if (b < 0x80) {
      EXPECT_EQ(back, in);
    } else {
      EXPECT_EQ(back, "<\\x" + std::string(1, "0123456789abcdef"[b >> 4]) +
                          std::string(1, "0123456789abcdef"[b & 15]) + ">");
    }
  }
}

TEST(JsonStringTest, ValidUtf8ReadsBackAsItWas) {
  const std::string texts[] = {
      "Rest 30 s \xE2\x80\x94 then the row",
      "\xE2\x80\xA8\xE2\x80\xA9",
      "\"\\\"\\\\\" and {\"json\": [1]}",
      "\xF4\x8F\xBF\xBF max code point",
  };
  for (const std::string& text : texts) {
    EXPECT_EQ(ReadBack(JsonString(text)), text);
  }
}

}  // namespace
}  // namespace coachd
