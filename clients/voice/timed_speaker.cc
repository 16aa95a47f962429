#include "clients/voice/timed_speaker.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "clients/voice/wav.h"

extern char** environ;

namespace coachd {
namespace {

// Runs argv and waits for it; true when it exits 0.
bool Run(std::vector<std::string> argv) {
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid;
  if (posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) !=
      0) {
    return false;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

}  // namespace

std::string ShortForm(const coach::v1::Speech& speech) {
  const std::string& text = speech.text();
  const size_t end = text.find_first_of(".!?");
  if (end == std::string::npos || end + 1 >= text.size()) return "";
  const std::string rest = text.substr(end + 1);
  if (rest.find_first_not_of(" \t\n") == std::string::npos) return "";
  return text.substr(0, end + 1);
}

TimedSpeaker::TimedSpeaker(const Clock* clock, SpeakingTimes* speaking,
                           SpeakerOptions options)
    : clock_(clock),
      speaking_(speaking),
      options_(std::move(options)),
      thread_([this] { Loop(); }) {}

TimedSpeaker::~TimedSpeaker() {
  {
    absl::MutexLock lock(&mu_);
    done_ = true;
  }
  thread_.join();
  if (player_ > 0) {
    kill(player_, SIGTERM);
    waitpid(player_, nullptr, 0);
  }
}

void TimedSpeaker::Say(const coach::v1::SessionEvent& event) {
  if (event.speech().text().empty()) return;
  absl::MutexLock lock(&mu_);
  events_.push_back(event);
}

void TimedSpeaker::Loop() {
  for (;;) {
    coach::v1::SessionEvent event;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](TimedSpeaker* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return s->done_ || !s->events_.empty();
          },
          this));
      if (events_.empty()) return;
      event = std::move(events_.front());
      events_.pop_front();
      busy_ = true;
    }
    Handle(event);
    absl::MutexLock lock(&mu_);
    busy_ = false;
  }
}

void TimedSpeaker::Drain() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](TimedSpeaker* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return s->events_.empty() && !s->busy_;
      },
      this));
}

absl::StatusOr<std::string> TimedSpeaker::Synthesize(const std::string& text,
                                                     bool ssml) {
  const std::string key = absl::StrCat(ssml ? "s:" : "t:", text);
  auto it = wavs_.find(key);
  if (it != wavs_.end()) return it->second;
  const std::string path =
      (std::filesystem::temp_directory_path() /
       absl::StrCat("voice-", getpid(), "-", ++temp_ % 4, ".wav"))
          .string();
  std::vector<std::string> argv = {
      "espeak-ng", "-s", absl::StrCat(options_.words_per_minute), "-w", path};
  if (ssml) argv.push_back("-m");
  argv.push_back(text);
  if (!Run(argv)) {
    return absl::UnavailableError(
        "espeak-ng could not be run (install espeak-ng to hear the coach)");
  }
  int rate = 0;
  absl::StatusOr<std::vector<int16_t>> samples = ReadWavSamples(path, &rate);
  std::remove(path.c_str());
  if (!samples.ok()) return samples.status();
  // espeak-ng ends each line with a sentence's pause: silence that would
  // count against the line's room before the next cue.
  size_t end = samples->size();
  while (end > 0 && std::abs((*samples)[end - 1]) < 328) --end;  // < 1%
  samples->resize(std::min(samples->size(), end + rate / 50));   // + 20 ms
  if (wavs_.size() > 256) wavs_.clear();  // Bounded; numbers come back.
  return wavs_[key] = EncodeWav(*samples, rate);
}

void TimedSpeaker::Cut(const Playback& cut) {
  if (options_.audio_out_dir.empty()) {
    if (player_ > 0) {
      kill(player_, SIGTERM);
      waitpid(player_, nullptr, 0);
      player_ = -1;
    }
    return;
  }
  // The file keeps only what was heard before the newer line began.
  std::ifstream in(playing_path_, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  absl::StatusOr<WavFormat> format = ParseWavHeader(bytes.str());
  if (!format.ok()) return;
  const int64_t keep =
      static_cast<int64_t>(absl::ToDoubleSeconds(cut.length) *
                           options_.time_scale * format->sample_rate);
  const std::string all = bytes.str();
  std::vector<int16_t> samples;
  for (int64_t i = 0; i < keep && format->data_offset + 2 * i + 1 < all.size();
       ++i) {
    const size_t at = format->data_offset + 2 * i;
    samples.push_back(
        static_cast<int16_t>(static_cast<uint8_t>(all[at]) |
                             static_cast<uint8_t>(all[at + 1]) << 8));
  }
  std::ofstream(playing_path_, std::ios::binary | std::ios::trunc)
      << EncodeWav(samples, format->sample_rate);
}

void TimedSpeaker::Handle(const coach::v1::SessionEvent& event) {
  const coach::v1::Speech& speech = event.speech();
  const bool ssml = !speech.ssml().empty();
  absl::StatusOr<std::string> full =
      Synthesize(ssml ? speech.ssml() : speech.text(), ssml);
  if (!full.ok()) {
    std::fprintf(stderr, "voice: %s\n",
                 std::string(full.status().message()).c_str());
    return;
  }
  const std::string short_text = ShortForm(speech);
  absl::StatusOr<std::string> short_wav = short_text.empty()
                                              ? absl::StatusOr<std::string>("")
                                              : Synthesize(short_text, false);
  auto length = [&](const std::string& wav) {
    absl::StatusOr<WavFormat> format = ParseWavHeader(wav);
    return format.ok() ? WavDuration(*format) / options_.time_scale
                       : absl::ZeroDuration();
  };
  Cue cue;
  cue.id = event.sequence();
  cue.due = FromProto(event.server_time());
  if (event.status().has_deadline()) {
    cue.next_due = FromProto(event.status().deadline());
  }
  cue.full = length(*full);
  cue.short_form = short_wav.ok() ? length(*short_wav) : absl::ZeroDuration();
  cue.always = event.has_hold_countdown();
  if (cue.full <= absl::ZeroDuration()) return;
  const Plan plan = planner_.Add(cue, clock_->Now());
  if (plan.cut.has_value()) Cut(*plan.cut);
  if (!plan.play.has_value()) return;
  const Playback& play = *plan.play;
  const std::string& wav = play.short_form ? *short_wav : *full;
  if (speaking_ != nullptr) {
    speaking_->Add(play.start, play.start + play.length);
  }
  if (!options_.audio_out_dir.empty()) {
    playing_path_ = absl::StrCat(options_.audio_out_dir, "/",
                                 absl::ToUnixMillis(play.start), "-", play.id,
                                 play.short_form ? "-short" : "", ".wav");
    std::ofstream(playing_path_, std::ios::binary) << wav;
    return;
  }
  const absl::Duration wait = play.start - clock_->Now();
  if (wait > absl::ZeroDuration()) absl::SleepFor(wait);
  if (player_ > 0) {  // Ended by now, or cut above.
    waitpid(player_, nullptr, 0);
    player_ = -1;
  }
  playing_path_ = (std::filesystem::temp_directory_path() /
                   absl::StrCat("voice-", getpid(), "-playing.wav"))
                      .string();
  std::ofstream(playing_path_, std::ios::binary) << wav;
  std::vector<std::string> argv = {"play", "-q", playing_path_};
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  if (posix_spawnp(&player_, "play", nullptr, nullptr, args.data(), environ) !=
      0) {
    player_ = -1;
    std::fprintf(stderr, "voice: cannot run play (install sox)\n");
  }
}

}  // namespace coachd
