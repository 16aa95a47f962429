// The codes of pairing: user codes drawn from the alphabet, shown with a
// dash, typed in any case; secrets naming their owner.
#include "services/auth/codes.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/pairing/pairing.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;

TEST(CodesTest, NewUserCodesUseOnlyTheAlphabetAndDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string code = NewUserCode();
    ASSERT_EQ(code.size(), static_cast<size_t>(kUserCodeLength));
    for (char c : code) {
      EXPECT_NE(kUserCodeAlphabet.find(c), absl::string_view::npos) << code;
    }
    seen.insert(code);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(CodesTest, TheAlphabetHasNoLookAlikesOrVowels) {
  for (char c : std::string("0O1IL2Z5S8BUVAE")) {
    EXPECT_EQ(kUserCodeAlphabet.find(c), absl::string_view::npos) << c;
  }
}

TEST(CodesTest, NormalizeTable) {
  struct Case {
    std::string typed;
    std::string normalized;  // Empty: INVALID_ARGUMENT.
    std::string message;
  };
  const Case cases[] = {
      {"KQ7-4PMX", "KQ74PMX", ""},
      {"kq74pmx", "KQ74PMX", ""},
      {" kq7 4pmx ", "KQ74PMX", ""},
      {"KQ7-4PM", "", "7 characters"},
      {"KQ7-4PMXX", "", "7 characters"},
      {"KQ7-4PM0", "", "'0' is not in user codes"},
      {"", "", "7 characters"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.typed);
    absl::StatusOr<std::string> got = NormalizeUserCode(c.typed, "user_code");
    if (c.normalized.empty()) {
      EXPECT_TRUE(absl::IsInvalidArgument(got.status()));
      EXPECT_THAT(got.status().message(), HasSubstr("user_code"));
      EXPECT_THAT(got.status().message(), HasSubstr(c.message));
    } else {
      EXPECT_EQ(*got, c.normalized);
    }
  }
}

TEST(CodesTest, FormatPutsTheDashAfterThree) {
  EXPECT_EQ(FormatUserCode("KQ74PMX"), "KQ7-4PMX");
}

TEST(CodesTest, OwnedSecretsNameTheirOwner) {
  const std::string secret = NewOwnedSecret("dev-1");
  EXPECT_EQ(*OwnerOfSecret(secret, "refresh_token"), "dev-1");
  EXPECT_NE(NewOwnedSecret("dev-1"), secret);
  for (const std::string& bad :
       {std::string("dev-1"), std::string(".abc"), secret + "0",
        "dev-1." + std::string(64, 'g')}) {
    SCOPED_TRACE(bad);
    absl::StatusOr<std::string> owner = OwnerOfSecret(bad, "refresh_token");
    EXPECT_TRUE(absl::IsInvalidArgument(owner.status()));
    EXPECT_THAT(owner.status().message(), HasSubstr("refresh_token"));
  }
}

TEST(CodesTest, HashesAndComparisons) {
  EXPECT_EQ(Sha256("a").size(), 32u);
  EXPECT_TRUE(SecretsEqual("abc", "abc"));
  EXPECT_FALSE(SecretsEqual("abc", "abd"));
  EXPECT_FALSE(SecretsEqual("abc", "ab"));
}

TEST(CodesTest, PeerAddressDropsThePort) {
  EXPECT_EQ(PeerAddress("ipv4:10.0.0.2:5311"), "ipv4:10.0.0.2");
  EXPECT_EQ(PeerAddress("ipv6:[::1]:5311"), "ipv6:[::1]");
  EXPECT_EQ(PeerAddress("unix:/tmp/s"), "unix:/tmp/s");
}

}  // namespace
}  // namespace coachd
