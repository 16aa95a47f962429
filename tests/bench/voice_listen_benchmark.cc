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
// Every utterance is decoded once with no threshold; the figures are then
// given twice from the same decodes: taking every phrase ("no
// thresholds") and taking a phrase only at or above its own
// min_confidence (command_phrases.cc, "per-phrase thresholds"), with the
// confidences seen per phrasing to tune that table by.
//
//   voice_listen_benchmark            # 4 voices x 3 speeds
//   voice_listen_benchmark --smoke    # 1 voice x 1 speed (ctest)
#include <unistd.h>

#include <algorithm>
#include <array>
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
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
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
#include "tests/common/spoken_audio.h"

ABSL_FLAG(bool, smoke, false, "One voice at one speed: a quick check.");
ABSL_FLAG(bool, list_confidences, false,
          "Print every confidence seen per phrasing, not only the range.");

namespace coachd {
namespace {

constexpr int kRate = kSpotterSampleRate;
constexpr char kSecret[] = "voice-listen-benchmark-secret";

// `text` said by espeak-ng, 16 kHz mono; empty on failure.
std::vector<int16_t> Say(const std::string& text, const std::string& voice,
                         int speed) {
  absl::StatusOr<std::vector<int16_t>> said =
      SayAt16k(text, voice, speed, "/tmp");
  if (!said.ok()) {
    std::fprintf(stderr, "%s\n", std::string(said.status().message()).c_str());
    return {};
  }
  return *std::move(said);
}

struct HeardAt {
  coach::v1::CommandType command;
  std::string phrase;
  double confidence;
  int64_t sample;
  absl::Duration cpu;  // Decoding the chunk it came in.
};

// What was heard in `audio`, fed in 100 ms chunks, [0] taking every phrase
// the grammar finds, [1] only those at or above their min_confidence.
std::array<std::vector<HeardAt>, 2> Hear(const std::vector<int16_t>& audio) {
  SpotterOptions options;
  for (auto* table : {&options.phrases, &options.answers}) {
    for (CommandPhrase& p : *table) {
      p.min_confidence = CommandPhrase::kAnyConfidence;
    }
  }
  auto spotter = PhraseSpotter::Create(options);
  if (!spotter.ok()) {
    std::fprintf(stderr, "%s\n",
                 std::string(spotter.status().message()).c_str());
    std::exit(1);
  }
  std::map<std::string, double> min_confidence;
  for (const CommandPhrase& p : CommandPhrases()) {
    min_confidence[p.text] = p.min_confidence;
  }
  std::array<HeardFilter, 2> filters = {HeardFilter(kRate * 3 / 2),
                                        HeardFilter(kRate * 3 / 2)};
  std::array<std::vector<HeardAt>, 2> heard;
  for (size_t i = 0; i < audio.size(); i += 1600) {
    const size_t n = std::min<size_t>(1600, audio.size() - i);
    const absl::Time t = absl::Now();
    std::vector<Spotted> spotted =
        (*spotter)->Feed(absl::MakeConstSpan(audio.data() + i, n));
    const absl::Duration cpu = absl::Now() - t;
    for (int with_thresholds : {0, 1}) {
      if (with_thresholds == 1) {
        spotted.erase(std::remove_if(spotted.begin(), spotted.end(),
                                     [&](const Spotted& s) {
                                       return s.confidence <
                                              min_confidence[s.phrase];
                                     }),
                      spotted.end());
      }
      if (auto h = filters[with_thresholds].Take(spotted)) {
        double confidence = 0;
        for (const Spotted& s : spotted) {
          if (s.phrase == h->phrase) confidence = s.confidence;
        }
        heard[with_thresholds].push_back({h->command, h->phrase, confidence,
                                          static_cast<int64_t>(i + n), cpu});
      }
    }
  }
  return heard;
}

// Confidences seen for one phrasing.
struct Seen {
  std::vector<double> right;  // Heard where it was said.
  std::vector<double> wrong;  // Heard where another phrasing was said.
  std::vector<double> other;  // Heard in other speech.
};

std::string Range(std::vector<double> v) {
  if (v.empty()) return "-";
  std::sort(v.begin(), v.end());
  if (absl::GetFlag(FLAGS_list_confidences)) {
    return absl::StrJoin(v, " ", [](std::string* out, double c) {
      absl::StrAppendFormat(out, "%.0f", c);
    });
  }
  return absl::StrFormat("%.0f..%.0f (n=%d)", v.front(), v.back(),
                         static_cast<int>(v.size()));
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

// The takes: every phrasing said once per voice and speed, with pauses.
struct Take {
  std::vector<int16_t> audio;
  std::vector<std::pair<int64_t, int64_t>> spans;  // Each phrasing's.
  std::array<std::vector<HeardAt>, 2> heard;
};

// Other speech, read by one voice.
struct OtherTake {
  std::string label;
  double minutes = 0;
  std::array<std::vector<HeardAt>, 2> heard;
};

// The phrase heard where `span` was said (up to a second after it), if any.
const HeardAt* HeardIn(const std::vector<HeardAt>& heard,
                       std::pair<int64_t, int64_t> span) {
  for (const HeardAt& h : heard) {
    if (h.sample >= span.first && h.sample <= span.second + kRate) return &h;
  }
  return nullptr;
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
  // Every phrase heard is sent: more than a person's minute allows.
  options.quotas.commands.max = 100000;
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
  std::vector<Take> takes;
  for (const std::string& voice : voices) {
    for (int speed : speeds) {
      Take take;
      AppendPause(&take.audio, 1.0);
      for (const CommandPhrase& p : phrases) {
        std::vector<int16_t> s = Say(p.text, voice, speed);
        take.spans.push_back(
            {static_cast<int64_t>(take.audio.size()),
             static_cast<int64_t>(take.audio.size() + s.size())});
        take.audio.insert(take.audio.end(), s.begin(), s.end());
        AppendPause(&take.audio, 1.2);
      }
      AddHiss(&take.audio);
      take.heard = Hear(take.audio);
      takes.push_back(std::move(take));
    }
  }
  std::ifstream in(std::string(COACHD_SOURCE_DIR) +
                   "/tests/clients/data/other_speech.txt");
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  std::vector<OtherTake> others;
  for (const std::string& voice : voices) {
    for (bool sentences : {false, true}) {
      std::vector<int16_t> audio;
      AppendPause(&audio, 1.0);
      if (sentences) {
        for (absl::string_view s :
             absl::StrSplit(text, '.', absl::SkipWhitespace())) {
          std::vector<int16_t> said_s = Say(std::string(s), voice, 165);
          audio.insert(audio.end(), said_s.begin(), said_s.end());
          AppendPause(&audio, 1.0);
        }
      } else {
        std::vector<int16_t> said_all = Say(text, voice, 165);
        audio.insert(audio.end(), said_all.begin(), said_all.end());
      }
      AddHiss(&audio);
      OtherTake other;
      other.label = absl::StrCat(
          voice, ", ",
          sentences ? "sentence by sentence, 1 s pauses" : "read on");
      other.minutes = audio.size() / (60.0 * kRate);
      other.heard = Hear(audio);
      others.push_back(std::move(other));
    }
  }

  // What confidence each phrasing was heard with: where it was said, where
  // another was said, and in other speech.
  std::map<std::string, Seen> seen;
  for (const Take& take : takes) {
    for (size_t i = 0; i < phrases.size(); ++i) {
      if (const HeardAt* h = HeardIn(take.heard[0], take.spans[i])) {
        (h->phrase == phrases[i].text ? seen[h->phrase].right
                                      : seen[h->phrase].wrong)
            .push_back(h->confidence);
      }
    }
  }
  for (const OtherTake& other : others) {
    for (const HeardAt& h : other.heard[0]) {
      seen[h.phrase].other.push_back(h.confidence);
    }
  }
  std::printf(
      "confidence (score per frame over free phones) heard with, no "
      "thresholds\n%-12s %-10s %-24s %-24s %-24s\n",
      "phrasing", "threshold", "where said", "where another was said",
      "in other speech");
  for (const CommandPhrase& p : phrases) {
    const Seen& s = seen[p.text];
    std::printf("%-12s %-10s %-24s %-24s %-24s\n", p.text,
                p.min_confidence == CommandPhrase::kAnyConfidence
                    ? "any"
                    : absl::StrFormat("%.0f", p.min_confidence).c_str(),
                Range(s.right).c_str(), Range(s.wrong).c_str(),
                Range(s.other).c_str());
  }

  int pain_missed_shipped = 0;
  for (int with_thresholds : {0, 1}) {
    std::printf("\n== %s ==\n",
                with_thresholds ? "per-phrase thresholds" : "no thresholds");
    std::map<std::string, std::map<std::string, int>> matrix;
    int pain_said = 0, pain_missed = 0, right = 0, said = 0;
    std::vector<double> latency_ms;
    for (const Take& take : takes) {
      for (size_t i = 0; i < phrases.size(); ++i) {
        const CommandPhrase& p = phrases[i];
        const HeardAt* h = HeardIn(take.heard[with_thresholds], take.spans[i]);
        const coach::v1::CommandType got =
            h == nullptr ? coach::v1::COMMAND_TYPE_UNSPECIFIED : h->command;
        if (h != nullptr && with_thresholds == 1) {
          // End of phrase to coachd's answer: the audio waited for, the
          // decoding, and the round trip.
          const absl::Time sent = absl::Now();
          sender.Send(h->command, p.text);
          const absl::Duration rpc = absl::Now() - sent;
          latency_ms.push_back(1000.0 * (h->sample - take.spans[i].second) /
                                   kRate +
                               absl::ToDoubleMilliseconds(h->cpu + rpc));
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
    std::printf("right: %d of %d (%.1f%%)\n", right, said,
                100.0 * right / said);
    std::printf("pain phrases missed: %d of %d (%.1f%%)\n", pain_missed,
                pain_said, 100.0 * pain_missed / pain_said);
    if (with_thresholds == 1) {
      pain_missed_shipped = pain_missed;
      std::printf(
          "end of phrase to command applied: p50 %.0f ms, p90 %.0f ms, max "
          "%.0f ms (n=%zu)\n",
          Percentile(latency_ms, 0.5), Percentile(latency_ms, 0.9),
          Percentile(latency_ms, 1.0), latency_ms.size());
    }
    for (const OtherTake& other : others) {
      const size_t n = other.heard[with_thresholds].size();
      std::printf(
          "other speech, %s: %zu false commands in %.1f min (%.2f per "
          "minute)\n",
          other.label.c_str(), n, other.minutes, n / other.minutes);
    }
  }
  (*server)->Shutdown(absl::ZeroDuration());
  return pain_missed_shipped == 0 ? 0 : 1;
}

}  // namespace
}  // namespace coachd

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return coachd::Main();
}
