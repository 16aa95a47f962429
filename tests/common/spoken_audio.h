// Speech for the listening tests: a text said by espeak-ng in a voice and
// speed, converted with sox to the spotter's 16 kHz mono, and the quiet
// room's hiss laid over a recording. Shared by the spotter's tests, the
// end-to-end listening test and the listening benchmark.
//
//   absl::StatusOr<std::vector<int16_t>> said =
//       SayAt16k("that hurts", "en-us", 165, scratch_dir);
//   AppendPause(&audio, 1.0);
//   AddHiss(&audio);
#ifndef TESTS_COMMON_SPOKEN_AUDIO_H_
#define TESTS_COMMON_SPOKEN_AUDIO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace coachd {

// `text` said by espeak-ng with `voice` (e.g. "en-us+f2") at
// `words_per_minute`, as 16 kHz mono samples. Scratch files go to
// `scratch_dir` (which must exist) and are removed. INTERNAL with the
// tool's output when espeak-ng or sox fails.
absl::StatusOr<std::vector<int16_t>> SayAt16k(const std::string& text,
                                              const std::string& voice,
                                              int words_per_minute,
                                              const std::string& scratch_dir);

// Appends `seconds` (>= 0) of digital silence at 16 kHz.
void AppendPause(std::vector<int16_t>* audio, double seconds);

// Lays a faint fixed pseudo-random hiss over `audio` (a room is never
// digitally silent; every run hears the same hiss).
void AddHiss(std::vector<int16_t>* audio);

}  // namespace coachd

#endif  // TESTS_COMMON_SPOKEN_AUDIO_H_
