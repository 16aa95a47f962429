// Browser identity in the gateway: one-time link codes traded for opaque
// session ids, kept in a file a restarted gateway reads back.
#include "clients/web/web_sessions.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/jwt.h"
#include "services/common/clock.h"

namespace coachd {
namespace {

std::string Token(const FakeClock& clock, const std::string& sub, Role role,
                  absl::Duration ttl = absl::Hours(1)) {
  return MintToken("secret", {sub, role}, clock.Now(), clock.Now() + ttl);
}

TEST(WebSessionsTest, ALinkCodeWorksOnceForTheTokensOwner) {
  FakeClock clock;
  WebSessions sessions(&clock, "");
  absl::StatusOr<std::string> code =
      sessions.MakeLinkCode(Token(clock, "alice", Role::kUser));
  ASSERT_TRUE(code.ok()) << code.status();
  absl::StatusOr<std::string> sid = sessions.Redeem(*code);
  ASSERT_TRUE(sid.ok()) << sid.status();
  EXPECT_EQ(sid->size(), 64u);  // 32 random bytes, hex.
  std::optional<WebIdentity> who = sessions.Find(*sid);
  ASSERT_TRUE(who.has_value());
  EXPECT_EQ(who->subject, "alice");
  EXPECT_EQ(who->role, "user");
  EXPECT_EQ(sessions.Redeem(*code).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(WebSessionsTest, ACodeExpiresAfterItsTtl) {
  FakeClock clock;
  WebSessions sessions(&clock, "");
  std::string code = *sessions.MakeLinkCode(Token(clock, "alice", Role::kUser));
  clock.Advance(WebSessions::kLinkTtl);
  EXPECT_EQ(sessions.Redeem(code).status().code(), absl::StatusCode::kNotFound);
}

TEST(WebSessionsTest, ASessionEndsWithItsToken) {
  FakeClock clock;
  WebSessions sessions(&clock, "");
  std::string sid = *sessions.Redeem(*sessions.MakeLinkCode(
      Token(clock, "alice", Role::kUser, absl::Minutes(30))));
  EXPECT_TRUE(sessions.Find(sid).has_value());
  clock.Advance(absl::Minutes(30));
  EXPECT_FALSE(sessions.Find(sid).has_value());
}

TEST(WebSessionsTest, WhatIsNotAUsableTokenIsRefusedNamingTheToken) {
  FakeClock clock;
  WebSessions sessions(&clock, "");
  for (const std::string& bad :
       {std::string(""), std::string("a.b"), std::string("a.!!!.c"),
        Token(clock, "alice", Role::kUser, absl::Seconds(-1))}) {
    SCOPED_TRACE(bad);
    absl::StatusOr<std::string> code = sessions.MakeLinkCode(bad);
    ASSERT_FALSE(code.ok());
    EXPECT_EQ(code.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(code.status().message()),
                ::testing::StartsWith("token:"));
  }
}

TEST(WebSessionsTest, UnknownSessionIdsFindNobody) {
  FakeClock clock;
  WebSessions sessions(&clock, "");
  EXPECT_FALSE(sessions.Find("").has_value());
  EXPECT_FALSE(sessions.Find("nobody").has_value());
}

TEST(WebSessionsTest, ARestartedGatewayKnowsItsBrowsersFromTheFile) {
  FakeClock clock;
  const std::string dir = testing::TempDir() + "/web_sessions_test";
  std::filesystem::create_directories(dir);
  const std::string file = dir + "/sessions";
  std::remove(file.c_str());
  std::string alice, bob;
  {
    WebSessions sessions(&clock, file);
    ASSERT_TRUE(sessions.Load().ok());
    alice = *sessions.Redeem(
        *sessions.MakeLinkCode(Token(clock, "alice", Role::kUser)));
    bob = *sessions.Redeem(
        *sessions.MakeLinkCode(Token(clock, "bob", Role::kCoach)));
    ASSERT_TRUE(sessions.Drop(alice).ok());
  }
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  WebSessions again(&clock, file);
  ASSERT_TRUE(again.Load().ok());
  EXPECT_FALSE(again.Find(alice).has_value());
  ASSERT_TRUE(again.Find(bob).has_value());
  EXPECT_EQ(again.Find(bob)->role, "coach");
}

TEST(WebSessionsTest, ABrokenFileStopsTheLoadNamingFileAndLine) {
  FakeClock clock;
  const std::string file = testing::TempDir() + "/web_sessions_broken";
  std::ofstream(file) << "only-one-field\n";
  WebSessions sessions(&clock, file);
  absl::Status loaded = sessions.Load();
  EXPECT_EQ(loaded.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(loaded.message()),
              ::testing::HasSubstr(file + ":1:"));
}

}  // namespace
}  // namespace coachd
