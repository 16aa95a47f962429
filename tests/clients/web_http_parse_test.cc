// The gateway's pure HTTP decisions: event ids, query parameters, the
// bearer token, JSON bodies, cookies, the same-origin check, command names,
// status mapping.
#include <optional>
#include <string>

#include "clients/web/http_parse.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

TEST(EventIdTest, ALastEventIdParsesBackToTheEpochAndSequenceItCameFrom) {
  struct Case {
    std::string id;
    bool ok;
    std::string epoch;
    int64_t sequence;
  };
  const Case cases[] = {
      {"e1:42", true, "e1", 42}, {EventId("abc", 0), true, "abc", 0},
      {"a:b:7", true, "a:b", 7},  // The sequence follows the last colon.
      {" e1:5 ", true, "e1", 5}, {"", false, "", 0},
      {"e1", false, "", 0},      {":5", false, "", 0},
      {"e1:", false, "", 0},     {"e1:-3", false, "", 0},
      {"e1:4x", false, "", 0},   {"e1:99999999999999999999999", false, "", 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.id);
    std::optional<coach::v1::ResumePosition> at = ParseEventId(c.id);
    ASSERT_EQ(at.has_value(), c.ok);
    if (!c.ok) continue;
    EXPECT_EQ(at->epoch(), c.epoch);
    EXPECT_EQ(at->last_sequence(), c.sequence);
  }
}

TEST(EventIdTest, TheHeaderWinsOverTheQueryParameterAndNeitherMeansAfresh) {
  struct Case {
    std::string header, parameter;
    std::optional<int64_t> sequence;
  };
  const Case cases[] = {
      {"e1:5", "e1:9", 5},
      {"", "e1:9", 9},
      {"", "", std::nullopt},
      {"junk", "e1:9", std::nullopt},  // A header that does not parse.
      {"", "e1:", std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.header + " | " + c.parameter);
    std::optional<coach::v1::ResumePosition> at =
        ResumeFrom(c.header, c.parameter);
    ASSERT_EQ(at.has_value(), c.sequence.has_value());
    if (at.has_value()) {
      EXPECT_EQ(at->last_sequence(), *c.sequence);
    }
  }
}

TEST(QueryTest, ParametersAreFoundByNameAndDecoded) {
  struct Case {
    std::string query, name;
    std::optional<std::string> value;
  };
  const Case cases[] = {
      {"code=K7Q&session=s1", "session", "s1"},
      {"code=K7Q&session=s1", "code", "K7Q"},
      {"code=K7Q", "session", std::nullopt},
      {"", "code", std::nullopt},
      {"session=", "session", ""},
      {"a=1&a=2", "a", "1"},              // The first one counts.
      {"flag&code=x", "code", "x"},       // Parts without '=' are skipped.
      {"last=e1%3A42", "last", "e1:42"},  // %XX decoded.
      {"text=a+b%20c", "text", "a b c"},  // '+' is a space.
      {"s=%zz%4", "s", "%zz%4"},          // Not two hex digits: kept.
      {"s=%", "s", "%"},
      {"s%65ssion=v", "session", "v"},  // Names are decoded too.
      {"s=a%00b", "s", std::string("a\0b", 3)},
      {"s=x=y", "s", "x=y"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.query + " / " + c.name);
    EXPECT_EQ(QueryValue(c.query, c.name), c.value);
  }
}

TEST(BearerTest, OnlyABearerHeaderCarriesAToken) {
  EXPECT_EQ(BearerToken("Bearer abc.def.ghi"), "abc.def.ghi");
  EXPECT_EQ(BearerToken("Bearer "), "");
  EXPECT_EQ(BearerToken("bearer abc"), "");
  EXPECT_EQ(BearerToken("Basic YWxpY2U6"), "");
  EXPECT_EQ(BearerToken(""), "");
}

TEST(JsonBodyTest, APostBodyIsAJsonObjectWithStringMembers) {
  absl::StatusOr<google::protobuf::Struct> body =
      ParseJsonBody(R"({"session":"s1","command":"pause","minutes":15})");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(StringField(*body, "session"), "s1");
  EXPECT_EQ(StringField(*body, "command"), "pause");
  EXPECT_EQ(StringField(*body, "minutes"), "");  // Not a string.
  EXPECT_EQ(StringField(*body, "note"), "");     // Missing.
  for (const char* bad : {"", "[1,2]", "\"s1\"", "{", "{\"a\":}", "null"}) {
    SCOPED_TRACE(bad);
    absl::StatusOr<google::protobuf::Struct> parsed = ParseJsonBody(bad);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(parsed.status().message(), testing::HasSubstr("body"));
  }
}

TEST(CookieTest, TheNamedCookieIsFoundAmongOthersAndOnlyByItsWholeName) {
  struct Case {
    std::string header;
    std::optional<std::string> value;
  };
  const Case cases[] = {
      {"coachd_web=abc", "abc"},
      {"a=1; coachd_web=abc; b=2", "abc"},
      {"a=1;coachd_web=\"q\"", "q"},
      {"xcoachd_web=abc", std::nullopt},
      {"coachd_web_old=abc", std::nullopt},
      {"", std::nullopt},
      {"coachd_web", std::nullopt},
      {"coachd_web=", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.header);
    EXPECT_EQ(CookieValue(c.header, "coachd_web"), c.value);
  }
}

TEST(CookieTest, TheSessionCookieIsHttpOnlyAndSameSiteStrict) {
  EXPECT_EQ(SessionCookie("coachd_web", "s1", 60, false),
            "coachd_web=s1; Path=/; Max-Age=60; HttpOnly; SameSite=Strict");
  EXPECT_THAT(SessionCookie("coachd_web", "s1", 60, true),
              ::testing::EndsWith("; Secure"));
}

TEST(SameOriginTest, OnlyPostsFromThisSitesPagesPass) {
  struct Case {
    const char* name;
    RequestOrigin request;
    bool ok;
  };
  const Case cases[] = {
      {"same origin",
       {"tablet:8080", "http://tablet:8080", "same-origin"},
       true},
      {"https behind a proxy", {"coach.home", "https://coach.home", ""}, true},
      {"fetch metadata only", {"tablet:8080", "", "same-origin"}, true},
      {"another site",
       {"tablet:8080", "http://evil.example", "cross-site"},
       false},
      {"same site, other origin",
       {"tablet:8080", "http://tablet:9090", "same-site"},
       false},
      {"origin of another host",
       {"tablet:8080", "http://evil.example", ""},
       false},
      {"opaque origin", {"tablet:8080", "null", ""}, false},
      {"nothing said", {"tablet:8080", "", ""}, false},
      {"no host", {"", "http://tablet:8080", ""}, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::Status status = CheckSameOrigin(c.request);
    EXPECT_EQ(status.ok(), c.ok) << status;
    if (!c.ok) {
      EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
    }
  }
}

TEST(CommandTest, EveryButtonNamesItsCommandAndOthersAreRefusedByField) {
  EXPECT_EQ(*ParseCommand("pause"), coach::v1::COMMAND_TYPE_PAUSE);
  EXPECT_EQ(*ParseCommand("resume"), coach::v1::COMMAND_TYPE_RESUME);
  EXPECT_EQ(*ParseCommand("next"), coach::v1::COMMAND_TYPE_NEXT);
  EXPECT_EQ(*ParseCommand("set_done"), coach::v1::COMMAND_TYPE_SET_DONE);
  EXPECT_EQ(*ParseCommand("hurts"), coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT);
  EXPECT_EQ(*ParseCommand("mobility"),
            coach::v1::COMMAND_TYPE_SWITCH_TO_MOBILITY);
  for (const char* bad : {"", "PAUSE", "stop", "pause "}) {
    SCOPED_TRACE(bad);
    absl::StatusOr<coach::v1::CommandType> c = ParseCommand(bad);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(c.status().message()),
                ::testing::StartsWith("command:"));
  }
}

TEST(HttpStatusTest, EachGrpcCodeMapsToItsHttpStatus) {
  const std::pair<int, int> cases[] = {
      {0, 200}, {3, 400},  {16, 401}, {7, 403},  {5, 404}, {9, 409},
      {8, 429}, {14, 503}, {4, 504},  {13, 500}, {2, 500}};
  for (const auto& [grpc_code, http] : cases) {
    SCOPED_TRACE(grpc_code);
    EXPECT_EQ(HttpStatusFor(grpc_code), http);
  }
}

TEST(PlainIdTest, IdsInUrlsAreShortAndPlain) {
  EXPECT_TRUE(IsPlainId("s-1a2b_3.c"));
  EXPECT_FALSE(IsPlainId(""));
  EXPECT_FALSE(IsPlainId("a/b"));
  EXPECT_FALSE(IsPlainId("a b"));
  EXPECT_FALSE(IsPlainId(std::string(129, 'a')));
}

}  // namespace
}  // namespace coachd
