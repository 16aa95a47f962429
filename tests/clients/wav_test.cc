#include "clients/voice/wav.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;

TEST(WavTest, EncodedFilesParseBackWithTheirLength) {
  const std::vector<int16_t> samples(22050, 7);  // One second at 22.05 kHz.
  const std::string wav = EncodeWav(samples, 22050);
  absl::StatusOr<WavFormat> format = ParseWavHeader(wav);
  ASSERT_TRUE(format.ok()) << format.status();
  EXPECT_EQ(format->sample_rate, 22050);
  EXPECT_EQ(format->channels, 1);
  EXPECT_EQ(format->bits, 16);
  EXPECT_EQ(format->data_offset, 44u);
  EXPECT_EQ(format->data_bytes, 44100u);
  EXPECT_EQ(WavDuration(*format), absl::Seconds(1));
}

TEST(WavTest, StreamedSizesTakeWhatThereIs) {
  std::string wav = EncodeWav(std::vector<int16_t>(1600, 0), 16000);
  wav[40] = wav[41] = wav[42] = wav[43] = '\xff';  // Size unknown.
  absl::StatusOr<WavFormat> format = ParseWavHeader(wav);
  ASSERT_TRUE(format.ok()) << format.status();
  EXPECT_EQ(WavDuration(*format), absl::Milliseconds(100));
}

TEST(WavTest, BadHeadersNameWhatIsWrong) {
  const std::string good = EncodeWav(std::vector<int16_t>(10, 0), 16000);
  std::string not_pcm = good;
  not_pcm[20] = 3;  // IEEE float.
  std::string eight_bit = good;
  eight_bit[34] = 8;
  std::string no_data = good.substr(0, 36);
  struct Case {
    std::string bytes;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "not a RIFF/WAVE file"},
      {"RIFF....AVI LIST", "not a RIFF/WAVE file"},
      {not_pcm, "format 3 is not PCM"},
      {eight_bit, "8 bits per sample"},
      {no_data, "no data chunk"},
      {good.substr(0, 12), "no fmt chunk"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    absl::StatusOr<WavFormat> format = ParseWavHeader(c.bytes);
    ASSERT_FALSE(format.ok());
    EXPECT_EQ(format.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(format.status().message(), HasSubstr(c.message));
  }
}

}  // namespace
}  // namespace coachd
