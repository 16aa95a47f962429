// The speaker's ears: audio in, session commands out. Reads an
// AudioSource in chunks, leaves out what was captured while the speaker
// itself talked (SpeakingTimes), spots command phrases, and hands each
// command heard to a callback, pain first and at once.
//
//   SpeakingTimes speaking;
//   Listener listener(std::move(source), std::move(spotter), &speaking,
//                     &clock, [&](const Heard& h) { sender.Send(...); });
//   listener.Run();  // Until the audio ends.
#ifndef CLIENTS_VOICE_LISTENER_H_
#define CLIENTS_VOICE_LISTENER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "clients/voice/audio_source.h"
#include "clients/voice/phrase_spotter.h"
#include "coach/v1/session.pb.h"
#include "services/common/clock.h"

namespace coachd {

// A command heard.
struct Heard {
  coach::v1::CommandType command = coach::v1::COMMAND_TYPE_UNSPECIFIED;
  std::string phrase;  // What was spotted, e.g. "that hurts".
  int64_t sample = 0;  // Audio position (samples) it was heard at.
};

// Turns what the spotter reports into commands: one per chunk (pain first,
// then the longest phrasing: "i'm done" over "done"), and the same command
// again within `repeat_gap` of audio says nothing new ("stop, stop!") and
// is dropped. Pure; not thread-safe.
class HeardFilter {
 public:
  explicit HeardFilter(int64_t repeat_gap_samples)
      : repeat_gap_(repeat_gap_samples) {}
  // The command to send for the phrases spotted in one chunk, if any.
  std::optional<Heard> Take(const std::vector<Spotted>& chunk);

 private:
  const int64_t repeat_gap_;
  coach::v1::CommandType last_ = coach::v1::COMMAND_TYPE_UNSPECIFIED;
  int64_t last_sample_ = 0;
};

// When the speaker talks, so the listener does not hear itself.
// Thread-safe: the speaking thread adds, the listening thread asks.
class SpeakingTimes {
 public:
  // The speaker plays sound from `start` to `end` (start <= end).
  void Add(absl::Time start, absl::Time end);
  // Whether [from, to] overlaps some [start, end + tail]: audio captured
  // then may hold the speaker's own voice or its echo.
  bool Overlaps(absl::Time from, absl::Time to, absl::Duration tail) const;

 private:
  mutable absl::Mutex mu_;
  // Kept short: intervals that ended long ago are dropped on Add.
  std::vector<std::pair<absl::Time, absl::Time>> spans_ ABSL_GUARDED_BY(mu_);
};

// How the listener runs.
struct ListenerOptions {
  int chunk_samples = 1600;  // 100 ms: how often the spotter reports.
  // Pace a file at the speed it was recorded (true), as a microphone
  // would deliver it, or read it as fast as possible (false: tests).
  bool real_time = false;
  // Sound after the speaker stops still echoes in the room this long.
  absl::Duration echo_tail = absl::Milliseconds(250);
  // How long an answer may take to start after a question.
  absl::Duration answer_window = absl::Seconds(6);
  // The same command heard again within this is one utterance.
  absl::Duration repeat_gap = absl::Milliseconds(1500);
};

class Listener {
 public:
  // `speaking` and `clock` must outlive the listener; `on_heard` runs on
  // the listening thread and should not block for long (SendCommand is
  // fine). `speaking` may be null when the speaker does not talk.
  Listener(std::unique_ptr<AudioSource> source,
           std::unique_ptr<PhraseSpotter> spotter,
           const SpeakingTimes* speaking, const Clock* clock,
           ListenerOptions options, std::function<void(const Heard&)> on_heard);

  // Listens until the audio ends or Stop(). Call once.
  void Run();
  // Makes Run return after the chunk it is reading. Thread-safe.
  void Stop() { stop_ = true; }
  // The speaker just asked a question: the next utterance is heard with
  // the answer grammar. Thread-safe.
  void ExpectAnswer() { answer_requested_ = true; }

 private:
  std::unique_ptr<AudioSource> source_;
  std::unique_ptr<PhraseSpotter> spotter_;
  const SpeakingTimes* speaking_;
  const Clock* clock_;
  const ListenerOptions options_;
  std::function<void(const Heard&)> on_heard_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> answer_requested_{false};
};

}  // namespace coachd

#endif  // CLIENTS_VOICE_LISTENER_H_
