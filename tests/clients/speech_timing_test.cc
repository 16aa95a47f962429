// The speaker's timing, played: a stretch of a session's cues (a long step
// cue right before a hold, the hold's countdown, a rest, a coach cue that
// interrupts) said by TimedSpeaker with espeak-ng into --audio_out files,
// on a fake clock. Laid on a timeline, the files never overlap and each
// countdown number starts within 150 ms of its second.
#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "clients/voice/timed_speaker.h"
#include "clients/voice/wav.h"
#include "gtest/gtest.h"
#include "services/common/clock.h"

namespace coachd {
namespace {

google::protobuf::Timestamp Proto(absl::Time t) {
  google::protobuf::Timestamp p;
  p.set_seconds(absl::ToUnixSeconds(t));
  p.set_nanos(
      static_cast<int>((t - absl::FromUnixSeconds(absl::ToUnixSeconds(t))) /
                       absl::Nanoseconds(1)));
  return p;
}

// An event as coachd renders it: sentences, SSML with pauses between them.
coach::v1::SessionEvent Event(int64_t seq, absl::Time at,
                              std::optional<absl::Time> deadline,
                              std::vector<std::string> sentences,
                              bool countdown = false) {
  coach::v1::SessionEvent e;
  e.set_sequence(seq);
  *e.mutable_server_time() = Proto(at);
  if (deadline.has_value()) {
    *e.mutable_status()->mutable_deadline() = Proto(*deadline);
  }
  std::string text, ssml = "<speak>";
  for (size_t i = 0; i < sentences.size(); ++i) {
    if (i > 0) {
      text += " ";
      ssml += "<break time=\"300ms\"/>";
    }
    text += sentences[i];
    ssml += sentences[i];
  }
  e.mutable_speech()->set_text(text);
  e.mutable_speech()->set_ssml(ssml + "</speak>");
  if (countdown) e.mutable_hold_countdown()->set_seconds_left(1);
  return e;
}

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

struct Line {
  int64_t seq;
  absl::Time start;
  absl::Duration length;
};

TEST(SpeechTimingTest, PlayedLinesNeverOverlapAndCountdownsLandOnTheirSeconds) {
  const std::string dir = ::testing::TempDir() + "speech_timing";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const absl::Time t0 = absl::FromUnixSeconds(1767596400);
  FakeClock clock(t0);
  SpeakingTimes speaking;
  SpeakerOptions options;
  options.audio_out_dir = dir;
  std::vector<coach::v1::SessionEvent> events = {
      Event(1, t0, t0 + absl::Seconds(2),
            {"Lie face down with your arms and legs extended.",
             "Engage your core, then slowly lift your arms, chest and legs "
             "off the ground as high as feels comfortable."}),
      Event(2, t0 + absl::Seconds(2), t0 + absl::Seconds(3), {"Hold, three."},
            true),
      Event(3, t0 + absl::Seconds(3), t0 + absl::Seconds(4), {"Two."}, true),
      Event(4, t0 + absl::Seconds(4), t0 + absl::Seconds(5), {"One."}, true),
      Event(5, t0 + absl::Seconds(5), t0 + absl::Seconds(35),
            {"Rest for thirty seconds.", "Breathe easy."}),
      Event(6, t0 + absl::Seconds(6), std::nullopt,
            {"Your coach says: keep your chin tucked on the next set."}),
  };
  {
    TimedSpeaker speaker(&clock, &speaking, options);
    for (const auto& e : events) {
      clock.Set(FromProto(e.server_time()));
      speaker.Say(e);
      speaker.Drain();  // Each event is handled when it comes.
    }
  }
  std::vector<Line> lines;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().stem().string();
    std::vector<std::string> parts = absl::StrSplit(name, '-');
    ASSERT_GE(parts.size(), 2u) << name;
    int64_t ms = 0, seq = 0;
    ASSERT_TRUE(absl::SimpleAtoi(parts[0], &ms)) << name;
    ASSERT_TRUE(absl::SimpleAtoi(parts[1], &seq)) << name;
    int rate = 0;
    auto samples = ReadWavSamples(entry.path().string(), &rate);
    ASSERT_TRUE(samples.ok()) << samples.status();
    lines.push_back({seq, absl::FromUnixMillis(ms),
                     absl::Seconds(1) * samples->size() / rate});
  }
  std::sort(lines.begin(), lines.end(),
            [](const Line& a, const Line& b) { return a.start < b.start; });
  ASSERT_GE(lines.size(), 5u);
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    SCOPED_TRACE(lines[i].seq);
    EXPECT_LE(lines[i].start + lines[i].length, lines[i + 1].start)
        << "line " << lines[i].seq << " runs into line " << lines[i + 1].seq;
  }
  for (const Line& line : lines) {
    if (line.seq < 2 || line.seq > 4) continue;  // The countdown.
    const absl::Time second = t0 + absl::Seconds(line.seq);
    EXPECT_LE(absl::AbsDuration(line.start - second), absl::Milliseconds(150))
        << "countdown line " << line.seq;
  }
}

}  // namespace
}  // namespace coachd
