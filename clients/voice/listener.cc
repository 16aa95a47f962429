#include "clients/voice/listener.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "clients/voice/command_phrases.h"

namespace coachd {

std::optional<Heard> HeardFilter::Take(const std::vector<Spotted>& chunk) {
  const Spotted* best = nullptr;
  coach::v1::CommandType best_command = coach::v1::COMMAND_TYPE_UNSPECIFIED;
  for (const Spotted& s : chunk) {
    const coach::v1::CommandType c = PhraseCommand(s.phrase);
    if (c == coach::v1::COMMAND_TYPE_UNSPECIFIED) continue;
    const bool pain = c == coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT;
    const bool best_pain =
        best_command == coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT;
    if (best == nullptr || (pain && !best_pain) ||
        (pain == best_pain && s.phrase.size() > best->phrase.size())) {
      best = &s;
      best_command = c;
    }
  }
  if (best == nullptr) return std::nullopt;
  const bool repeat =
      best_command == last_ && best->sample - last_sample_ < repeat_gap_;
  last_ = best_command;
  last_sample_ = best->sample;
  if (repeat) return std::nullopt;
  return Heard{best_command, best->phrase, best->sample};
}

void SpeakingTimes::Add(absl::Time start, absl::Time end) {
  absl::MutexLock lock(&mu_);
  // What ended a minute before this began can no longer overlap anything
  // the listener asks about.
  spans_.erase(std::remove_if(spans_.begin(), spans_.end(),
                              [&](const auto& s) {
                                return s.second < start - absl::Minutes(1);
                              }),
               spans_.end());
  spans_.emplace_back(start, end);
}

bool SpeakingTimes::Overlaps(absl::Time from, absl::Time to,
                             absl::Duration tail) const {
  absl::MutexLock lock(&mu_);
  for (const auto& [start, end] : spans_) {
    if (from <= end + tail && start <= to) return true;
  }
  return false;
}

Listener::Listener(std::unique_ptr<AudioSource> source,
                   std::unique_ptr<PhraseSpotter> spotter,
                   const SpeakingTimes* speaking, const Clock* clock,
                   ListenerOptions options,
                   std::function<void(const Heard&)> on_heard)
    : source_(std::move(source)),
      spotter_(std::move(spotter)),
      speaking_(speaking),
      clock_(clock),
      options_(options),
      on_heard_(std::move(on_heard)) {}

void Listener::Run() {
  constexpr int kRate = kSpotterSampleRate;
  HeardFilter filter(absl::ToInt64Milliseconds(options_.repeat_gap) * kRate /
                     1000);
  std::vector<int16_t> chunk(options_.chunk_samples);
  const absl::Time start = clock_->Now();
  int64_t read = 0;
  bool muted = false;
  while (!stop_) {
    const size_t n = source_->Read(absl::MakeSpan(chunk));
    if (n == 0) break;
    const absl::Time from = start + absl::Seconds(1) * read / kRate;
    read += static_cast<int64_t>(n);
    const absl::Time to = start + absl::Seconds(1) * read / kRate;
    if (options_.real_time && !source_->live()) {
      const absl::Duration ahead = to - clock_->Now();
      if (ahead > absl::ZeroDuration()) absl::SleepFor(ahead);
    }
    // The speaker's own voice is not listened to: left out, and what was
    // heard before it is forgotten, so no phrase spans the gap.
    if (speaking_ != nullptr &&
        speaking_->Overlaps(from, to, options_.echo_tail)) {
      if (!muted) spotter_->Reset();
      muted = true;
      continue;
    }
    muted = false;
    if (answer_requested_.exchange(false)) {
      spotter_->ListenForAnswer(
          absl::ToInt64Milliseconds(options_.answer_window) * kRate / 1000);
    }
    std::optional<Heard> heard =
        filter.Take(spotter_->Feed(absl::MakeConstSpan(chunk.data(), n)));
    if (heard.has_value()) {
      heard->sample = read;
      on_heard_(*heard);
    }
  }
}

}  // namespace coachd
