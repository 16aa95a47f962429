// How well the speaker hears: every command phrasing said by espeak-ng in
// several voices and speeds (sox to 16 kHz mono, a faint hiss over it) is
// fed to the PhraseSpotter as a microphone would deliver it; each command
// heard is sent with CommandSender to a coachd in this process. Prints the
// confusion matrix (phrase x command heard, over voices x speeds), the miss
// rate of the pain phrases, false commands per minute of other speech (the
// guide read aloud, whole and sentence by sentence), and the time from the
// end of a phrase to coachd's answer: the trailing silence the recognizer
// waits for, plus its CPU time, plus the SendCommand round trip.
//
//   voice_listen_benchmark            # 4 voices x 3 speeds
//   voice_listen_benchmark --smoke    # 1 voice x 1 speed (ctest)
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "clients/voice/command_phrases.h"
#include "clients/voice/command_sender.h"
#include "clients/voice/listener.h"
#include "clients/voice/phrase_spotter.h"
#include "clients/voice/wav.h"
#include "coach/v1/session.grpc.pb.h"
#include "services/auth/jwt.h"
#include "services/server/coach_server.h"

ABSL_FLAG(bool, smoke, false, "One voice at one speed: a quick check.");

namespace coachd {
namespace {

constexpr int kRate = kSpotterSampleRate;
constexpr char kSecret[] = "voice-listen-benchmark-secret";

// `text` said by espeak-ng, 16 kHz mono; empty on failure.
std::vector<int16_t> Say(const std::string& text, const std::string& voice,
                         int speed) {
  const std::string raw = absl::StrCat("/tmp/vlb-", getpid(), ".wav");
  const std::string wav = absl::StrCat("/tmp/vlb-", getpid(), "-16k.wav");
  const std::string say =
      absl::StrCat("espeak-ng -v ", voice, " -s ", speed, " -w ", raw, " \"",
                   text, "\" && sox ", raw, " -r 16000 -c 1 -b 16 ", wav);
  std::vector<int16_t> samples;
  if (std::system(say.c_str()) == 0) {
    int rate = 0;
    auto read = ReadWavSamples(wav, &rate);
    if (read.ok() && rate == kRate) samples = *read;
  }
  std::remove(raw.c_str());
  std::remove(wav.c_str());
  return samples;
}

void Pause(std::vector<int16_t>* audio, double seconds) {
  audio->insert(audio->end(), static_cast<size_t>(seconds * kRate), 0);
}

void Hiss(std::vector<int16_t>* audio) {
  uint32_t x = 12345;
  for (int16_t& s : *audio) {
    x = x * 1664525u + 1013904223u;
    s = static_cast<int16_t>(std::clamp(
        static_cast<int>(s) + static_cast<int>(x >> 25) - 64, -32768, 32767));
  }
}

struct HeardAt {
  coach::v1::CommandType command;
  int64_t sample;
  absl::Duration cpu;  // Decoding the chunk it came in.
};

// Feeds `audio` in 100 ms chunks; what was heard.
std::vector<HeardAt> Hear(const std::vector<int16_t>& audio) {
  auto spotter = PhraseSpotter::Create(SpotterOptions());
  if (!spotter.ok()) {
    std::fprintf(stderr, "%s\n",
                 std::string(spotter.status().message()).c_str());
    std::exit(1);
  }
  HeardFilter filter(kRate * 3 / 2);
  std::vector<HeardAt> heard;
  for (size_t i = 0; i < audio.size(); i += 1600) {
    const size_t n = std::min<size_t>(1600, audio.size() - i);
    const absl::Time t = absl::Now();
    auto spotted = (*spotter)->Feed(absl::MakeConstSpan(audio.data() + i, n));
    const absl::Duration cpu = absl::Now() - t;
    if (auto h = filter.Take(spotted)) {
      heard.push_back({h->command, static_cast<int64_t>(i + n), cpu});
    }
  }
  return heard;
}

std::string Short(coach::v1::CommandType c) {
  if (c == coach::v1::COMMAND_TYPE_UNSPECIFIED) return "none";
  std::string name = coach::v1::CommandType_Name(c);
  return absl::AsciiStrToLower(name.substr(strlen("COMMAND_TYPE_")));
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

int Main() {
  std::vector<std::string> voices = {"en-us", "en-gb", "en-us+f2", "en-us+m3"};
  std::vector<int> speeds = {130, 165, 200};
  if (absl::GetFlag(FLAGS_smoke)) {
    voices = {"en-us"};
    speeds = {165};
  }
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.auth_secret = kSecret;
  options.catalog_path = std::string(COACHD_SOURCE_DIR) +
                         "/services/catalog/back_catalog.textproto";
  auto server = CoachServer::Start(std::move(options));
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n",
                 std::string(server.status().message()).c_str());
    return 1;
  }
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                          grpc::InsecureChannelCredentials());
  const std::string token =
      MintToken(kSecret, {"bench", Role::kUser}, absl::Now(),
                absl::Now() + absl::Hours(1));
  auto stub = coach::v1::SessionService::NewStub(channel);
  coach::v1::StartSessionRequest start;
  start.set_routine_id("demo");
  coach::v1::SessionView view;
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  if (!stub->StartSession(&context, start, &view).ok()) return 1;
  CommandSender sender(channel, token, view.session_id());

  const std::vector<CommandPhrase>& phrases = CommandPhrases();
  std::map<std::string, std::map<std::string, int>> matrix;
  int pain_said = 0, pain_missed = 0, right = 0, said = 0;
  std::vector<double> latency_ms;
  for (const std::string& voice : voices) {
    for (int speed : speeds) {
      std::vector<int16_t> audio;
      std::vector<std::pair<int64_t, int64_t>> spans;
      Pause(&audio, 1.0);
      for (const CommandPhrase& p : phrases) {
        std::vector<int16_t> s = Say(p.text, voice, speed);
        spans.push_back({static_cast<int64_t>(audio.size()),
                         static_cast<int64_t>(audio.size() + s.size())});
        audio.insert(audio.end(), s.begin(), s.end());
        Pause(&audio, 1.2);
      }
      Hiss(&audio);
      const std::vector<HeardAt> heard = Hear(audio);
      for (size_t i = 0; i < phrases.size(); ++i) {
        const CommandPhrase& p = phrases[i];
        coach::v1::CommandType got = coach::v1::COMMAND_TYPE_UNSPECIFIED;
        for (const HeardAt& h : heard) {
          if (h.sample >= spans[i].first &&
              h.sample <= spans[i].second + kRate) {
            got = h.command;
            // End of phrase to coachd's answer: the audio waited for, the
            // decoding, and the round trip.
            const absl::Time sent = absl::Now();
            sender.Send(h.command, p.text);
            const absl::Duration rpc = absl::Now() - sent;
            latency_ms.push_back(1000.0 * (h.sample - spans[i].second) / kRate +
                                 absl::ToDoubleMilliseconds(h.cpu + rpc));
            break;
          }
        }
        ++matrix[p.text][Short(got)];
        ++said;
        if (got == p.command) ++right;
        if (p.command == coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT) {
          ++pain_said;
          if (got != p.command) ++pain_missed;
        }
      }
    }
  }
  // The confusion matrix.
  std::vector<std::string> columns;
  for (const auto& [phrase, row] : matrix) {
    for (const auto& [c, n] : row) {
      if (std::find(columns.begin(), columns.end(), c) == columns.end()) {
        columns.push_back(c);
      }
    }
  }
  std::sort(columns.begin(), columns.end());
  std::printf("phrase x command heard, over %zu voices x %zu speeds\n",
              voices.size(), speeds.size());
  std::printf("%-12s", "said");
  for (const std::string& c : columns) std::printf(" %-18s", c.c_str());
  std::printf("\n");
  for (const CommandPhrase& p : phrases) {
    std::printf("%-12s", p.text);
    for (const std::string& c : columns) {
      std::printf(" %-18d", matrix[p.text][c]);
    }
    std::printf("\n");
  }
  std::printf("right: %d of %d (%.1f%%)\n", right, said, 100.0 * right / said);
  std::printf("pain phrases missed: %d of %d (%.1f%%)\n", pain_missed,
              pain_said, 100.0 * pain_missed / pain_said);
  std::printf(
      "end of phrase to command applied: p50 %.0f ms, p90 %.0f ms, max %.0f "
      "ms (n=%zu)\n",
      Percentile(latency_ms, 0.5), Percentile(latency_ms, 0.9),
      Percentile(latency_ms, 1.0), latency_ms.size());
  // Other speech.
  std::ifstream in(std::string(COACHD_SOURCE_DIR) +
                   "/tests/clients/data/other_speech.txt");
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  for (const std::string& voice : voices) {
    for (bool sentences : {false, true}) {
      std::vector<int16_t> audio;
      Pause(&audio, 1.0);
      if (sentences) {
        for (absl::string_view s :
             absl::StrSplit(text, '.', absl::SkipWhitespace())) {
          std::vector<int16_t> said_s = Say(std::string(s), voice, 165);
          audio.insert(audio.end(), said_s.begin(), said_s.end());
          Pause(&audio, 1.0);
        }
      } else {
        std::vector<int16_t> said_all = Say(text, voice, 165);
        audio.insert(audio.end(), said_all.begin(), said_all.end());
      }
      Hiss(&audio);
      const double minutes = audio.size() / (60.0 * kRate);
      const std::vector<HeardAt> heard = Hear(audio);
      std::printf(
          "other speech, %s, %s: %zu false commands in %.1f min (%.2f per "
          "minute)\n",
          voice.c_str(),
          sentences ? "sentence by sentence, 1 s pauses" : "read on",
          heard.size(), minutes, heard.size() / minutes);
    }
  }
  (*server)->Shutdown(absl::ZeroDuration());
  return pain_missed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace coachd

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return coachd::Main();
}
