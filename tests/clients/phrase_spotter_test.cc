#include "clients/voice/phrase_spotter.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/spoken_audio.h"

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

// What a fresh spotter hears in `audio`, fed in 100 ms chunks as a
// microphone delivers it.
std::vector<Spotted> HearAll(const std::vector<int16_t>& audio,
                             const SpotterOptions& options = {}) {
  auto spotter = PhraseSpotter::Create(options);
  EXPECT_TRUE(spotter.ok()) << spotter.status();
  std::vector<Spotted> heard;
  if (!spotter.ok()) return heard;
  for (size_t i = 0; i < audio.size(); i += 1600) {
    const size_t n = std::min<size_t>(1600, audio.size() - i);
    for (Spotted& s : (*spotter)->Feed(absl::MakeConstSpan(&audio[i], n))) {
      heard.push_back(std::move(s));
    }
  }
  return heard;
}

// The first thing a spotter hears is decoded as well as any later phrase:
// its cepstral mean is the utterance's own, never a start-up guess that
// fits no voice; and speech that starts the audio is not cut.
TEST(PhraseSpotterTest, TheVeryFirstPhraseIsHeard) {
  const std::string dir = ::testing::TempDir();
  for (const char* voice : {"en-us", "en-gb", "en-us+f2", "en-us+m3"}) {
    for (const char* text : {"that hurts", "pause", "skip this"}) {
      absl::StatusOr<std::vector<int16_t>> said =
          SayAt16k(text, voice, 165, dir);
      ASSERT_TRUE(said.ok()) << said.status();
      for (double lead : {0.0, 0.5}) {
        SCOPED_TRACE(
            absl::StrCat("\"", text, "\" in ", voice, " after ", lead, " s"));
        std::vector<int16_t> audio;
        AppendPause(&audio, lead);
        audio.insert(audio.end(), said->begin(), said->end());
        AppendPause(&audio, 1.0);
        AddHiss(&audio);
        // Said again after a pause: heard the same, and the first time
        // fits at least as well.
        AppendPause(&audio, 0.2);
        audio.insert(audio.end(), said->begin(), said->end());
        AppendPause(&audio, 1.0);
        AddHiss(&audio);
        const std::vector<Spotted> heard = HearAll(audio);
        ASSERT_EQ(heard.size(), 2u);
        EXPECT_EQ(heard[0].phrase, text);
        EXPECT_EQ(heard[1].phrase, text);
        EXPECT_GE(heard[0].confidence, heard[1].confidence - 2.0);
      }
    }
  }
}

// A phrase is taken at or above its own threshold and not below it; pain
// is taken whatever the others' thresholds.
TEST(PhraseSpotterTest, EachPhraseIsTakenOnlyAtItsOwnThreshold) {
  const std::string dir = ::testing::TempDir();
  std::vector<int16_t> audio;
  for (const char* text : {"pause", "resume", "that hurts"}) {
    AppendPause(&audio, 1.0);
    absl::StatusOr<std::vector<int16_t>> said =
        SayAt16k(text, "en-us", 165, dir);
    ASSERT_TRUE(said.ok()) << said.status();
    audio.insert(audio.end(), said->begin(), said->end());
  }
  AppendPause(&audio, 1.0);
  AddHiss(&audio);
  struct Case {
    const char* name;
    double pause_min;  // "pause"'s threshold; "resume" none can meet.
    std::vector<std::string> heard;
  };
  const std::vector<Case> cases = {
      {"any", CommandPhrase::kAnyConfidence, {"pause", "that hurts"}},
      {"as well as free phones", 0, {"that hurts"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    SpotterOptions options;
    for (CommandPhrase& p : options.phrases) {
      const std::string text = p.text;
      if (text == "pause") p.min_confidence = c.pause_min;
      if (text == "resume") p.min_confidence = 1e9;
    }
    std::vector<std::string> heard;
    for (const Spotted& s : HearAll(audio, options)) {
      heard.push_back(s.phrase);
      EXPECT_LE(s.confidence, 0.5) << s.phrase;  // Never better than phones.
    }
    EXPECT_EQ(heard, c.heard);
  }
}

}  // namespace
}  // namespace coachd
