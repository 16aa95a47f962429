// End to end: the speaker's timing, played for real. A real coachd (on a
// free loopback port, a two-exercise catalogue so the session lasts
// seconds) runs a session; `voice --speak --audio_out=DIR` follows it,
// synthesizing every line with espeak-ng and writing one WAV per line named
// by its start. Once the session has ended (voice exits by itself), the
// files laid on a timeline never overlap, and each number of a hold's
// countdown starts within 150 ms of its second (seconds as the session's
// time scale makes them; the 150 ms are real time).
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/voice/wav.h"
#include "coach/v1/session.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/auth/jwt.h"
#include "tests/common/child_process.h"

namespace coachd {
namespace {

constexpr absl::Duration kBound = absl::Seconds(120);
constexpr char kSecret[] = "voice-speak-e2e-secret";
// How many times faster than real time the session runs: its seconds are
// half a second apart, and the session takes about 30 s.
constexpr double kTimeScale = 2;
// How far from its second a countdown number may start, in real time: the
// speaker's own delay (the event's way from coachd, espeak-ng) does not
// shrink with the time scale.
constexpr absl::Duration kTolerance = absl::Milliseconds(150);

// A warm-up of 10 s, then one exercise: one set of two reps, each held
// for three seconds (a countdown of three numbers per rep).
constexpr char kCatalog[] = R"pb(
  exercises {
    id: "warmup"
    name: "Warm-Up"
    area: AREA_WARMUP
    steps: "March on the spot."
    prescription { duration_seconds: 10 }
  }
  exercises {
    id: "superman"
    name: "Superman"
    area: AREA_LOWER
    steps: "Float your arms and legs up."
    steps: "Come back down with control."
    breathing { phase: BREATH_PHASE_EFFORT text: "Breathe out as you lift." }
    breathing { phase: BREATH_PHASE_RETURN text: "Breathe in as you lower." }
    prescription { sets: 1 reps: 2 hold_seconds: 3 tempo_seconds: 2 }
  }
  presets {
    id: "short"
    description: "A warm-up and a superman."
    request { focus: FOCUS_LOWER minutes: 5 level: LEVEL_INTERMEDIATE }
  }
)pb";

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

// A line the speaker wrote: "<unix ms>-<sequence>[-short].wav".
struct Line {
  int64_t seq = 0;
  absl::Time start;
  absl::Duration length;  // On the session's timeline (scaled).
  std::string name;
};

std::vector<Line> ReadLines(const std::string& dir) {
  std::vector<Line> lines;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    Line line;
    line.name = entry.path().filename().string();
    const std::vector<std::string> parts =
        absl::StrSplit(entry.path().stem().string(), '-');
    int64_t ms = 0;
    EXPECT_GE(parts.size(), 2u) << line.name;
    if (parts.size() < 2 || !absl::SimpleAtoi(parts[0], &ms) ||
        !absl::SimpleAtoi(parts[1], &line.seq)) {
      ADD_FAILURE() << "not a line's name: " << line.name;
      continue;
    }
    line.start = absl::FromUnixMillis(ms);
    int rate = 0;
    absl::StatusOr<std::vector<int16_t>> samples =
        ReadWavSamples(entry.path().string(), &rate);
    EXPECT_TRUE(samples.ok()) << line.name << ": " << samples.status();
    if (!samples.ok() || rate <= 0) continue;
    line.length = absl::Seconds(1) * samples->size() / rate / kTimeScale;
    lines.push_back(line);
  }
  // In the order they played: a line cut to nothing by the next one
  // shares its start.
  std::sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
    return a.start != b.start ? a.start < b.start : a.seq < b.seq;
  });
  return lines;
}

TEST(VoiceSpeakTest, PlayedLinesNeverOverlapAndCountdownsLandOnTheirSeconds) {
  std::string dir = ::testing::TempDir() + "voice_speak_XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  std::ofstream(dir + "/secret") << kSecret;
  std::ofstream(dir + "/catalog.textproto") << kCatalog;
  const std::string audio_dir = dir + "/audio";
  std::filesystem::create_directories(audio_dir);
  absl::StatusOr<std::unique_ptr<ChildProcess>> coachd = ChildProcess::Start(
      {std::string(COACHD_BINARY_DIR) + "/services/server/coachd",
       "--auth_secret_file=" + dir + "/secret", "--listen=127.0.0.1:0",
       "--port_file=" + dir + "/port",
       "--catalog=" + dir + "/catalog.textproto",
       absl::StrCat("--time_scale=", kTimeScale)},
      dir + "/coachd.log");
  ASSERT_TRUE(coachd.ok()) << coachd.status();
  absl::StatusOr<int> port = WaitForPortFile(**coachd, dir + "/port", kBound);
  ASSERT_TRUE(port.ok()) << port.status();
  const std::string target = absl::StrCat("127.0.0.1:", *port);
  auto stub = coach::v1::SessionService::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  auto authorize = [](grpc::ClientContext* context) {
    const absl::Time now = absl::Now();
    context->AddMetadata("authorization",
                         "Bearer " + MintToken(kSecret, {"alice", Role::kUser},
                                               now, now + absl::Hours(1)));
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(120));
  };

  coach::v1::StartSessionRequest start;
  start.set_routine_id("short");
  coach::v1::SessionView view;
  {
    grpc::ClientContext context;
    authorize(&context);
    const grpc::Status s = stub->StartSession(&context, start, &view);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  absl::StatusOr<std::unique_ptr<ChildProcess>> voice = ChildProcess::Start(
      {std::string(COACHD_BINARY_DIR) + "/clients/voice/voice",
       "--target=" + target, "--secret_file=" + dir + "/secret", "--sub=alice",
       "--role=device", "--session=" + view.session_id(), "--speak",
       "--audio_out=" + audio_dir,
       absl::StrCat("--speech_time_scale=", kTimeScale), "--commands=false"},
      dir + "/voice.log");
  ASSERT_TRUE(voice.ok()) << voice.status();
  // The session runs by itself; voice exits when it is finished.
  const int status = (*voice)->Wait(kBound);
  ASSERT_NE(status, -1) << "voice still running: " << (*voice)->Output();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << status << ": " << (*voice)->Output();

  // The session's events, replayed from the start: when each was due.
  std::map<int64_t, coach::v1::SessionEvent> events;
  {
    coach::v1::SubscribeRequest request;
    request.set_session_id(view.session_id());
    request.set_kind(coach::v1::DEVICE_KIND_VOICE);
    request.mutable_resume()->set_epoch(view.epoch());
    request.mutable_resume()->set_last_sequence(0);
    grpc::ClientContext context;
    authorize(&context);
    auto reader = stub->Subscribe(&context, request);
    coach::v1::SessionEvent event;
    while (reader->Read(&event)) {
      events[event.sequence()] = event;
      if (event.has_session_done()) context.TryCancel();
    }
  }
  ASSERT_FALSE(events.empty());
  ASSERT_TRUE(events.rbegin()->second.has_session_done());

  const std::vector<Line> lines = ReadLines(audio_dir);
  ASSERT_GE(lines.size(), 6u) << (*voice)->Output();
  std::string timeline;
  for (const Line& line : lines) {
    absl::StrAppend(&timeline, "\n  ", line.name, " ",
                    absl::FormatDuration(line.length), " \"",
                    events[line.seq].speech().text(), "\"");
  }
  SCOPED_TRACE(timeline);
  // Never two at once (file names have whole milliseconds).
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    EXPECT_LE(lines[i].start + lines[i].length,
              lines[i + 1].start + absl::Milliseconds(1))
        << lines[i].name << " runs into " << lines[i + 1].name;
  }
  // Every countdown number is said, on its second: the hold's first
  // number when its event is due, then one a second.
  int numbers = 0;
  absl::Duration worst;
  absl::Time hold_start;
  for (const auto& [seq, event] : events) {
    if (!event.has_hold_countdown()) continue;
    const auto& countdown = event.hold_countdown();
    if (countdown.seconds_left() == countdown.hold_seconds()) {
      hold_start = FromProto(event.server_time());
    }
    const absl::Time second =
        hold_start +
        absl::Seconds(countdown.hold_seconds() - countdown.seconds_left()) /
            kTimeScale;
    const auto line =
        std::find_if(lines.begin(), lines.end(),
                     [seq = seq](const Line& l) { return l.seq == seq; });
    ++numbers;
    ASSERT_NE(line, lines.end()) << "countdown " << seq << " not said";
    worst = std::max(worst, absl::AbsDuration(line->start - second));
    EXPECT_LE(absl::AbsDuration(line->start - second), kTolerance)
        << line->name << " is " << absl::FormatDuration(line->start - second)
        << " off its second";
  }
  EXPECT_EQ(numbers, 6);  // Two reps, three numbers each.
  std::printf("%zu lines; countdown numbers at most %s off their seconds\n",
              lines.size(), absl::FormatDuration(worst).c_str());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace coachd
