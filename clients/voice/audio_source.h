// Where the listener's audio comes from: 16 kHz mono 16-bit samples from
// the microphone (sox's `rec` on the default ALSA device), a WAV or raw
// file, or standard input (a pipe: WAV or raw).
//
//   auto source = AudioSource::Open("mic");   // or "-", or "take1.wav"
//   std::vector<int16_t> chunk(1600);
//   while (size_t n = (*source)->Read(absl::MakeSpan(chunk))) { ... }
//
// Not thread-safe: one thread reads. Owns its file and child process.
#ifndef CLIENTS_VOICE_AUDIO_SOURCE_H_
#define CLIENTS_VOICE_AUDIO_SOURCE_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace coachd {

class AudioSource {
 public:
  // "mic": the default capture device through `rec` (sox); "-": standard
  // input; anything else: a file. WAV input must be 16 kHz mono 16-bit
  // (INVALID_ARGUMENT naming what differs); input without a RIFF header is
  // taken as raw 16 kHz mono signed 16-bit little-endian. NOT_FOUND when
  // the file cannot be opened; UNAVAILABLE when `rec` cannot be started.
  static absl::StatusOr<std::unique_ptr<AudioSource>> Open(
      const std::string& spec);
  ~AudioSource();
  AudioSource(const AudioSource&) = delete;
  AudioSource& operator=(const AudioSource&) = delete;

  // Blocks until `out` is full or the audio ends; returns how many samples
  // were read (less than out.size() only at the end, 0 after it).
  size_t Read(absl::Span<int16_t> out);

  // Whether samples arrive as they are spoken (the microphone), rather
  // than as fast as they can be read.
  bool live() const { return child_ > 0; }

 private:
  AudioSource(int fd, bool owns_fd, pid_t child)
      : fd_(fd), owns_fd_(owns_fd), child_(child) {}
  // Reads the start of the stream; a WAV header is checked and skipped,
  // anything else is kept as the first samples.
  absl::Status ReadHeader();

  int fd_;
  bool owns_fd_;
  pid_t child_;          // `rec`, or 0.
  std::string pending_;  // Bytes read ahead of the samples asked for.
};

}  // namespace coachd

#endif  // CLIENTS_VOICE_AUDIO_SOURCE_H_
