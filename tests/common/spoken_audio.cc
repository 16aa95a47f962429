#include "tests/common/spoken_audio.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "clients/voice/wav.h"
#include "tests/common/child_process.h"

namespace coachd {

constexpr int kRate = 16000;

absl::StatusOr<std::vector<int16_t>> SayAt16k(const std::string& text,
                                              const std::string& voice,
                                              int words_per_minute,
                                              const std::string& scratch_dir) {
  const std::string stem = absl::StrCat(scratch_dir, "/say-", getpid());
  const std::string raw = stem + ".wav";
  const std::string wav = stem + "-16k.wav";
  const std::string log = stem + ".log";
  absl::Status s =
      RunToCompletion({"espeak-ng", "-v", voice, "-s",
                       absl::StrCat(words_per_minute), "-w", raw, text},
                      log);
  if (s.ok()) {
    s = RunToCompletion({"sox", raw, "-r", "16000", "-c", "1", "-b", "16", wav},
                        log);
  }
  absl::StatusOr<std::vector<int16_t>> samples = absl::InternalError("");
  if (s.ok()) {
    int rate = 0;
    samples = ReadWavSamples(wav, &rate);
    if (samples.ok() && rate != kRate) {
      samples = absl::InternalError(absl::StrCat("sox made ", rate, " Hz"));
    }
  } else {
    samples = s;
  }
  for (const std::string& path : {raw, wav, log}) std::remove(path.c_str());
  return samples;
}

void AppendPause(std::vector<int16_t>* audio, double seconds) {
  audio->insert(audio->end(), static_cast<size_t>(seconds * kRate), 0);
}

void AddHiss(std::vector<int16_t>* audio) {
  uint32_t x = 12345;
  for (int16_t& sample : *audio) {
    x = x * 1664525u + 1013904223u;
    const int hiss = static_cast<int>(x >> 25) - 64;  // -64..63
    sample = static_cast<int16_t>(
        std::clamp(static_cast<int>(sample) + hiss, -32768, 32767));
  }
}

}  // namespace coachd
