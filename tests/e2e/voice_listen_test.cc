// End to end: the speaker hears spoken commands. Each command phrase is
// synthesized with espeak-ng in several voices and speeds, converted with
// sox to 16 kHz mono, laid out with pauses in a WAV file and played into
// `voice --listen=FILE` following a session of a real coachd. The commands
// must reach coachd (the session's summary counts them), "that hurts" and
// "it hurts" every time; a minute of other speech (the guide read aloud)
// must send none.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/voice/command_phrases.h"
#include "clients/voice/wav.h"
#include "coach/v1/session.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/jwt.h"
#include "tests/common/child_process.h"
#include "tests/common/spoken_audio.h"

namespace coachd {
namespace {

constexpr absl::Duration kBound = absl::Seconds(120);
constexpr int kRate = 16000;
constexpr char kSecret[] = "voice-listen-e2e-secret";

std::string BinaryDir() { return COACHD_BINARY_DIR; }

// A phrase as laid out in a test recording.
struct Placed {
  std::string text;
  coach::v1::CommandType command;
  double start = 0, end = 0;  // Seconds into the recording.
};

// A command line printed by voice: (heard "that hurts" at 12.40 s: ...).
struct HeardLine {
  std::string phrase;
  double at = 0;
  coach::v1::CommandType command = coach::v1::COMMAND_TYPE_UNSPECIFIED;
  std::string outcome;  // "sent" or "refused: message (CODE_NAME)".
};

std::vector<HeardLine> ParseHeard(const std::string& output) {
  static const std::regex kLine(
      R"re(\(heard "([^"]+)" at ([0-9.]+) s: ([a-z ]+) -> ([^\n]*)\)\n)re");
  std::vector<HeardLine> lines;
  for (auto it = std::sregex_iterator(output.begin(), output.end(), kLine);
       it != std::sregex_iterator(); ++it) {
    HeardLine line;
    line.phrase = (*it)[1];
    EXPECT_TRUE(absl::SimpleAtod((*it)[2].str(), &line.at));
    // Printed in words ("report discomfort"), never as the enum's name.
    std::string name = absl::AsciiStrToUpper((*it)[3].str());
    std::replace(name.begin(), name.end(), ' ', '_');
    EXPECT_TRUE(
        coach::v1::CommandType_Parse("COMMAND_TYPE_" + name, &line.command))
        << (*it)[3];
    line.outcome = (*it)[4];
    lines.push_back(line);
  }
  return lines;
}

std::string Describe(const std::vector<HeardLine>& heard) {
  std::string out;
  for (const HeardLine& h : heard) {
    absl::StrAppend(&out, "\n  ", h.at, " s \"", h.phrase, "\" -> ",
                    coach::v1::CommandType_Name(h.command), " ", h.outcome);
  }
  return out;
}

class VoiceListenTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string dir = ::testing::TempDir() + "voice_listen_XXXXXX";
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    dir_ = new std::string(dir);
    std::ofstream(*dir_ + "/secret") << kSecret;
    absl::StatusOr<std::unique_ptr<ChildProcess>> coachd = ChildProcess::Start(
        {BinaryDir() + "/services/server/coachd",
         "--auth_secret_file=" + *dir_ + "/secret", "--listen=127.0.0.1:0",
         "--port_file=" + *dir_ + "/port",
         // One coachd for the suite: alice leaves a session live per voice.
         "--max_live_sessions_per_person=0"},
        *dir_ + "/coachd.log");
    ASSERT_TRUE(coachd.ok()) << coachd.status();
    coachd_ = coachd->release();
    absl::StatusOr<int> port =
        WaitForPortFile(*coachd_, *dir_ + "/port", kBound);
    ASSERT_TRUE(port.ok()) << port.status();
    target_ = new std::string(absl::StrCat("127.0.0.1:", *port));
  }

  static void TearDownTestSuite() {
    delete coachd_;
    coachd_ = nullptr;
    if (dir_ != nullptr) std::filesystem::remove_all(*dir_);
    delete dir_;
    delete target_;
  }

  void SetUp() override {
    ASSERT_NE(target_, nullptr) << "coachd did not start";
    stub_ = coach::v1::SessionService::NewStub(
        grpc::CreateChannel(*target_, grpc::InsecureChannelCredentials()));
  }

  void Authorize(grpc::ClientContext* context) {
    const absl::Time now = absl::Now();
    context->AddMetadata("authorization",
                         "Bearer " + MintToken(kSecret, {"alice", Role::kUser},
                                               now, now + absl::Hours(1)));
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(30));
  }

  std::string StartSession() {
    coach::v1::StartSessionRequest request;
    request.set_routine_id("demo");
    coach::v1::SessionView view;
    grpc::ClientContext context;
    Authorize(&context);
    grpc::Status s = stub_->StartSession(&context, request, &view);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return view.session_id();
  }

  coach::v1::SessionView GetSession(const std::string& id) {
    coach::v1::GetSessionRequest request;
    request.set_session_id(id);
    coach::v1::SessionView view;
    grpc::ClientContext context;
    Authorize(&context);
    grpc::Status s = stub_->GetSession(&context, request, &view);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return view;
  }

  // `text` said by espeak-ng, as 16 kHz mono samples.
  std::vector<int16_t> Say(const std::string& text, const std::string& voice,
                           int speed) {
    absl::StatusOr<std::vector<int16_t>> said =
        SayAt16k(text, voice, speed, *dir_);
    EXPECT_TRUE(said.ok()) << said.status();
    return said.ok() ? *std::move(said) : std::vector<int16_t>();
  }

  // Writes `audio` with a quiet room's hiss over it to a WAV file in the
  // test's folder; returns its path.
  static std::string WriteWav(const std::string& name,
                              std::vector<int16_t> audio) {
    AddHiss(&audio);
    const std::string path = *dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << EncodeWav(audio, kRate);
    return path;
  }

  // Runs voice --listen=`wav` on `session` until the audio ends; returns
  // what it printed.
  std::string Listen(const std::string& session, const std::string& wav,
                     bool real_time = false) {
    const std::string out = wav + ".out";
    std::vector<std::string> argv = {BinaryDir() + "/clients/voice/voice",
                                     "--target=" + *target_,
                                     "--secret_file=" + *dir_ + "/secret",
                                     "--sub=alice",
                                     "--role=device",
                                     "--session=" + session,
                                     "--listen=" + wav,
                                     "--commands=false"};
    if (real_time) argv.push_back("--listen_real_time");
    absl::StatusOr<std::unique_ptr<ChildProcess>> voice =
        ChildProcess::Start(argv, out);
    EXPECT_TRUE(voice.ok()) << voice.status();
    if (!voice.ok()) return "";
    EXPECT_TRUE((*voice)->WaitForOutput("(end of audio)", kBound))
        << (*voice)->Output();
    (*voice)->Terminate();
    return (*voice)->Output();
  }

  static std::string* dir_;
  static std::string* target_;
  static ChildProcess* coachd_;
  std::unique_ptr<coach::v1::SessionService::Stub> stub_;
};

std::string* VoiceListenTest::dir_ = nullptr;
std::string* VoiceListenTest::target_ = nullptr;
ChildProcess* VoiceListenTest::coachd_ = nullptr;

TEST_F(VoiceListenTest, SpokenCommandsInSeveralVoicesReachCoachd) {
  struct Take {
    const char* voice;
    int speed;
  };
  const std::vector<Take> takes = {{"en-us", 140},    {"en-us", 190},
                                   {"en-gb", 140},    {"en-gb", 190},
                                   {"en-us+f2", 140}, {"en-us+f2", 190}};
  int phrases = 0, right = 0;
  for (const Take& take : takes) {
    SCOPED_TRACE(absl::StrCat(take.voice, " at ", take.speed, " wpm"));
    std::vector<int16_t> audio;
    std::vector<Placed> placed;
    AppendPause(&audio, 1.0);
    for (const CommandPhrase& p : CommandPhrases()) {
      std::vector<int16_t> said = Say(p.text, take.voice, take.speed);
      Placed at{p.text, p.command};
      at.start = static_cast<double>(audio.size()) / kRate;
      audio.insert(audio.end(), said.begin(), said.end());
      at.end = static_cast<double>(audio.size()) / kRate;
      placed.push_back(at);
      AppendPause(&audio, 1.2);
    }
    const std::string session = StartSession();
    const std::vector<HeardLine> heard = ParseHeard(Listen(
        session,
        WriteWav(absl::StrCat("take-", take.voice, "-", take.speed, ".wav"),
                 audio)));
    // Each command heard belongs to a phrase said (none out of nowhere)
    // and reached coachd: OK, or coachd's own FAILED_PRECONDITION when the
    // session's state forbids it just then.
    int hurts_heard = 0;
    for (const HeardLine& h : heard) {
      SCOPED_TRACE(absl::StrCat("heard \"", h.phrase, "\" at ", h.at));
      EXPECT_THAT(
          h.outcome,
          ::testing::AnyOf(
              "sent",
              ::testing::AllOf(::testing::StartsWith("refused: "),
                               ::testing::EndsWith("(FAILED_PRECONDITION)"))));
      const Placed* source = nullptr;
      for (const Placed& p : placed) {
        if (h.at >= p.start && h.at <= p.end + 1.0) source = &p;
      }
      ASSERT_NE(source, nullptr) << "a command where nothing was said";
      ++phrases;
      if (h.command == source->command) ++right;
      if (h.command == coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT) {
        EXPECT_EQ(h.outcome, "sent");
        ++hurts_heard;
      }
    }
    // "that hurts" and "it hurts" are never missed, and coachd recorded
    // both reports with the words said.
    for (const Placed& p : placed) {
      if (p.command != coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT) continue;
      bool found = false;
      for (const HeardLine& h : heard) {
        found |= h.at >= p.start && h.at <= p.end + 1.0 &&
                 h.command == coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT;
      }
      EXPECT_TRUE(found) << "missed \"" << p.text << "\" said at " << p.start
                         << " s; heard: " << Describe(heard);
    }
    const coach::v1::SessionView view = GetSession(session);
    EXPECT_EQ(view.summary().discomfort_size(), hurts_heard);
    for (const auto& d : view.summary().discomfort()) {
      EXPECT_THAT(d.note(), ::testing::EndsWith("hurts"));
    }
  }
  // Most phrasings are heard as what they say (docs/PERFORMANCE.md has
  // the confusion matrix); the rest are close phrasings ("done" as "go on").
  const int said = static_cast<int>(takes.size() * CommandPhrases().size());
  EXPECT_GE(right * 100, said * 70)
      << right << " of " << said << " right, " << phrases << " heard";
}

TEST_F(VoiceListenTest, OtherSpeechSendsNoCommand) {
  std::ifstream in(std::string(COACHD_SOURCE_DIR) +
                   "/tests/clients/data/other_speech.txt");
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  ASSERT_GT(text.size(), 1000u);
  std::vector<int16_t> audio;
  AppendPause(&audio, 1.0);
  std::vector<int16_t> said = Say(text, "en-us", 160);
  audio.insert(audio.end(), said.begin(), said.end());
  AppendPause(&audio, 1.0);
  ASSERT_GE(audio.size(), 60u * kRate) << "less than a minute of speech";
  const std::string session = StartSession();
  const std::string output = Listen(session, WriteWav("other.wav", audio));
  EXPECT_THAT(ParseHeard(output), ::testing::IsEmpty()) << output;
  const coach::v1::SessionView view = GetSession(session);
  EXPECT_EQ(view.summary().pauses(), 0);
  EXPECT_EQ(view.summary().discomfort_size(), 0);
}

TEST_F(VoiceListenTest, AfterThatHurtsTheAnswerIsHeard) {
  // Played at the speed it was recorded, so that the question (the
  // discomfort event) reaches the speaker before the answer is said.
  std::vector<int16_t> audio;
  AppendPause(&audio, 1.0);
  std::vector<int16_t> hurts = Say("that hurts", "en-us", 150);
  audio.insert(audio.end(), hurts.begin(), hurts.end());
  AppendPause(&audio, 1.5);
  std::vector<int16_t> answer = Say("skip it", "en-us", 150);
  audio.insert(audio.end(), answer.begin(), answer.end());
  AppendPause(&audio, 1.0);
  const std::string session = StartSession();
  const std::string output =
      Listen(session, WriteWav("answer.wav", audio), /*real_time=*/true);
  const std::vector<HeardLine> heard = ParseHeard(output);
  ASSERT_EQ(heard.size(), 2u) << output;
  EXPECT_EQ(heard[0].command, coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT);
  EXPECT_EQ(heard[0].outcome, "sent");
  EXPECT_EQ(heard[1].command, coach::v1::COMMAND_TYPE_SKIP_EXERCISE);
  EXPECT_EQ(heard[1].outcome, "sent");
}

TEST_F(VoiceListenTest, AFileThatIsNotSixteenKilohertzMonoIsRefused) {
  const std::string path = *dir_ + "/stereo.wav";
  std::string wav = EncodeWav(std::vector<int16_t>(100, 0), 44100);
  std::ofstream(path, std::ios::binary) << wav;
  const std::string out = *dir_ + "/refused.out";
  absl::StatusOr<std::unique_ptr<ChildProcess>> voice = ChildProcess::Start(
      {BinaryDir() + "/clients/voice/voice", "--target=" + *target_,
       "--secret_file=" + *dir_ + "/secret", "--sub=alice", "--role=device",
       "--session=any", "--listen=" + path},
      out);
  ASSERT_TRUE(voice.ok()) << voice.status();
  const int status = (*voice)->Wait(kBound);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_THAT((*voice)->Output(), ::testing::HasSubstr("44100 Hz"));
}

}  // namespace
}  // namespace coachd
