// The speaker's voice: says each event's SSML with espeak-ng (SSML mode),
// timed by SpeechPlanner: every line is synthesized to a WAV first, so its
// length is known, then played when its cue is due, in its short form (the
// first sentence) or not at all when it would run into the next timed cue,
// and cut by a newer line rather than queued. Audio goes to the default
// device through sox's `play`, or, with audio_out_dir, to one WAV file per
// line named by its start time (unix milliseconds) and event sequence:
// "1767596400123-42.wav" ("-short" before .wav for a short form).
//
//   TimedSpeaker speaker(&clock, &speaking_times, SpeakerOptions());
//   speaker.Say(event);  // Returns at once; speaks on its own thread.
//
// Thread-safe.
#ifndef CLIENTS_VOICE_TIMED_SPEAKER_H_
#define CLIENTS_VOICE_TIMED_SPEAKER_H_

#include <sys/types.h>

#include <deque>
#include <map>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "clients/voice/listener.h"
#include "clients/voice/speech_planner.h"
#include "coach/v1/session.pb.h"
#include "services/common/clock.h"

namespace coachd {

// How the speaker talks.
struct SpeakerOptions {
  std::string audio_out_dir;  // Empty: play on the default ALSA device.
  int words_per_minute = 165;
  // The session runs this many times faster than real time (coachd's
  // --time_scale): line lengths are divided by it when planning, so tests
  // can play a session quickly. >= 1.
  double time_scale = 1;
};

// The short form of an event's line: its first sentence when it has more
// than one, else none (empty). Pure.
std::string ShortForm(const coach::v1::Speech& speech);

class TimedSpeaker {
 public:
  // `clock` and `speaking` (may be null) must outlive the speaker.
  TimedSpeaker(const Clock* clock, SpeakingTimes* speaking,
               SpeakerOptions options);
  // Finishes the line being handled, then stops.
  ~TimedSpeaker();
  TimedSpeaker(const TimedSpeaker&) = delete;
  TimedSpeaker& operator=(const TimedSpeaker&) = delete;

  // Says `event`'s speech (if any) when it is due. Returns at once.
  void Say(const coach::v1::SessionEvent& event);

  // Waits until every event given so far has been handled (played lines
  // started, or their files written).
  void Drain();

 private:
  void Loop();
  void Handle(const coach::v1::SessionEvent& event);
  // The WAV of `text` (SSML when `ssml`), synthesized once.
  absl::StatusOr<std::string> Synthesize(const std::string& text, bool ssml);
  // Stops the line playing (its process, or shortens its file).
  void Cut(const Playback& cut);

  const Clock* clock_;
  SpeakingTimes* speaking_;
  const SpeakerOptions options_;
  SpeechPlanner planner_;                    // Only the thread uses these.
  std::map<std::string, std::string> wavs_;  // Text -> its WAV bytes.
  pid_t player_ = -1;                        // `play` of the line playing.
  std::string playing_path_;                 // Its file under audio_out_dir.
  int temp_ = 0;

  absl::Mutex mu_;
  std::deque<coach::v1::SessionEvent> events_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool busy_ ABSL_GUARDED_BY(mu_) = false;  // Handling an event.
  std::thread thread_;
};

}  // namespace coachd

#endif  // CLIENTS_VOICE_TIMED_SPEAKER_H_
