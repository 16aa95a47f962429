// The little of RIFF/WAVE the speaker needs: reading the format of PCM
// files (espeak-ng's output, test recordings) and writing 16-bit PCM.
// Pure apart from the two file functions.
//
//   absl::StatusOr<WavFormat> f = ParseWavHeader(bytes);
//   absl::Duration d = WavDuration(*f);
#ifndef CLIENTS_VOICE_WAV_H_
#define CLIENTS_VOICE_WAV_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace coachd {

// What a WAV file holds.
struct WavFormat {
  int sample_rate = 0;  // Samples per second per channel.
  int channels = 0;
  int bits = 0;            // Per sample; only 16 is read.
  size_t data_offset = 0;  // Where the samples begin in the file.
  size_t data_bytes = 0;   // How many bytes of samples follow (clipped to
                           // what the bytes given hold).
};

// The format of the WAV file whose first bytes are `bytes` (the whole file
// or at least its header). INVALID_ARGUMENT naming the field when it is not
// RIFF/WAVE, not PCM, not 16-bit, or has no data chunk.
absl::StatusOr<WavFormat> ParseWavHeader(absl::string_view bytes);

// How long the samples of `format` play. format.sample_rate > 0.
absl::Duration WavDuration(const WavFormat& format);

// A 44-byte-header 16-bit PCM WAV file of `samples` (mono) at `rate`.
std::string EncodeWav(absl::Span<const int16_t> samples, int sample_rate);

// The mono 16-bit samples of the WAV file at `path` and their rate.
// NOT_FOUND when it cannot be read; ParseWavHeader's errors; only mono.
absl::StatusOr<std::vector<int16_t>> ReadWavSamples(const std::string& path,
                                                    int* sample_rate);

}  // namespace coachd

#endif  // CLIENTS_VOICE_WAV_H_
