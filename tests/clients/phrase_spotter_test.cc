#include "clients/voice/phrase_spotter.h"

#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;

TEST(PhraseSpotterTest, BadOptionsNameWhatIsWrong) {
  struct Case {
    const char* name;
    SpotterOptions options;
    absl::StatusCode code;
    const char* message;
  };
  std::vector<Case> cases;
  cases.push_back({"no model", {}, absl::StatusCode::kNotFound, "model_dir"});
  cases.back().options.model_dir = "/nonexistent";
  cases.push_back({"unknown word",
                   {},
                   absl::StatusCode::kInvalidArgument,
                   "the word \"zzqx\" is not in the dictionary"});
  cases.back().options.phrases = {{"zzqx now", coach::v1::COMMAND_TYPE_PAUSE}};
  cases.push_back(
      {"no phrases", {}, absl::StatusCode::kInvalidArgument, "phrases"});
  cases.back().options.phrases.clear();
  cases.push_back(
      {"no answers", {}, absl::StatusCode::kInvalidArgument, "answers"});
  cases.back().options.answers.clear();
  cases.push_back(
      {"no length", {}, absl::StatusCode::kInvalidArgument, "max_command_ms"});
  cases.back().options.max_command_ms = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto spotter = PhraseSpotter::Create(c.options);
    ASSERT_FALSE(spotter.ok());
    EXPECT_EQ(spotter.status().code(), c.code);
    EXPECT_THAT(spotter.status().message(), HasSubstr(c.message));
  }
}

TEST(PhraseSpotterTest, SilenceAndHissAreNoCommand) {
  auto spotter = PhraseSpotter::Create(SpotterOptions());
  ASSERT_TRUE(spotter.ok()) << spotter.status();
  std::vector<int16_t> chunk(1600);
  uint32_t x = 1;
  for (int i = 0; i < 50; ++i) {  // Five seconds.
    for (int16_t& s : chunk) {
      x = x * 1664525u + 1013904223u;
      s = static_cast<int16_t>(static_cast<int>(x >> 25) - 64);
    }
    EXPECT_THAT((*spotter)->Feed(chunk), ::testing::IsEmpty());
  }
  EXPECT_EQ((*spotter)->samples_fed(), 50 * 1600);
}

}  // namespace
}  // namespace coachd
