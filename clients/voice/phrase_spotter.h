// Offline spotting of the spoken commands in 16 kHz mono audio with
// PocketSphinx. A command is said on its own: a short utterance with a
// pause before it. Each such utterance (voice activity between pauses) is
// decoded as a whole with a closed grammar of the command phrasings, its
// cepstral mean taken from the utterance itself, so the first phrase after
// start-up is heard as well as any later one. The same audio decoded as
// free phones gives the phrase's confidence: how much better the phrase
// fits than any sounds would, per frame. A phrase is taken only at or
// above its own threshold (CommandPhrase::min_confidence; pain phrases take
// any, erring on the side of stopping). Longer talk, and short phrases
// that follow other talk closely ("How to do it." in a text read aloud),
// are not commands and are not reported, pain excepted. After the speaker
// asks a question, the next utterance is decoded with the grammar of its
// answers instead.
//
// Why not PocketSphinx's keyword spotting (-kws): on synthesized voices it
// found at best half the phrasings and "that hurts" 2 times in 16, with
// 180 false detections in 160 s of other speech; the grammar finds every
// "that hurts" (docs/PERFORMANCE.md).
//
//   auto spotter = PhraseSpotter::Create(SpotterOptions());
//   for (each chunk of samples) {
//     for (const Spotted& s : (*spotter)->Feed(chunk)) Act(s.phrase);
//   }
//
// Not thread-safe: one thread feeds it. Owns its decoders.
#ifndef CLIENTS_VOICE_PHRASE_SPOTTER_H_
#define CLIENTS_VOICE_PHRASE_SPOTTER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "clients/voice/command_phrases.h"

struct ps_decoder_s;

namespace coachd {

// The sample rate the spotter takes (PocketSphinx's en-us model).
inline constexpr int kSpotterSampleRate = 16000;

// What the spotter needs.
struct SpotterOptions {
  // pocketsphinx-en-us: holds en-us/ (acoustic model) and
  // cmudict-en-us.dict.
  std::string model_dir = "/usr/share/pocketsphinx/model/en-us";
  // Heard while no question is open; at least one.
  std::vector<CommandPhrase> phrases = CommandPhrases();
  // The grammar of answers after a question; at least one.
  std::vector<CommandPhrase> answers = AnswerPhrases();
  // Speech longer than this is not a command (> 0).
  int max_command_ms = 2500;
  // Silence that ends an utterance (PocketSphinx's -vad_postspeech), > 0.
  int end_silence_ms = 250;
  // Quiet needed before a command (>= 0); pain phrases need none.
  int quiet_before_ms = 500;
};

// A phrase heard.
struct Spotted {
  std::string phrase;   // The phrasing's text, as in SpotterOptions.
  int64_t sample = 0;   // Samples fed up to the end of the chunk it came in.
  bool answer = false;  // Heard by the answer grammar.
  // How much better the phrase fits than free phones, per 10 ms frame, in
  // PocketSphinx's score units (ps_get_hyp's; negative: worse); at least
  // the phrase's min_confidence.
  double confidence = 0;
};

class PhraseSpotter {
 public:
  // Loads the model (twice: one decoder follows the voice activity live,
  // one decodes whole utterances) and both grammars. NOT_FOUND when
  // model_dir lacks the model; INVALID_ARGUMENT naming the field or the
  // phrase when a list is empty, a limit is not positive, or a phrase has a
  // word the dictionary lacks.
  static absl::StatusOr<std::unique_ptr<PhraseSpotter>> Create(
      const SpotterOptions& options);
  ~PhraseSpotter();
  PhraseSpotter(const PhraseSpotter&) = delete;
  PhraseSpotter& operator=(const PhraseSpotter&) = delete;

  // Decodes the next samples; returns the phrase of each utterance that
  // ended in them (end_silence_ms after its last word), at most one per
  // utterance.
  std::vector<Spotted> Feed(absl::Span<const int16_t> samples);

  // Hears the next utterance that begins within `window_samples` samples
  // with the answer grammar, then goes back to the command grammar.
  void ListenForAnswer(int64_t window_samples);

  // Forgets the utterance under way (it is never reported): the audio that
  // follows is not continuous with it, e.g. the microphone was muted while
  // the speaker talked.
  void Reset();

  // Samples fed so far.
  int64_t samples_fed() const { return fed_; }

 private:
  enum class Mode { kCommands, kAnswer };
  PhraseSpotter(ps_decoder_s* live, ps_decoder_s* whole,
                const SpotterOptions& options);
  void Restart(Mode mode);
  // Decodes utterance_ as a whole with the grammar of `mode_`, then as free
  // phones: the phrase with its confidence, or none when the grammar finds
  // no phrase. Thresholds are not applied here (Confident).
  std::optional<Spotted> DecodeUtterance();
  // Whether `spotted` is at or above its phrase's threshold.
  bool Confident(const Spotted& spotted) const;

  ps_decoder_s* live_;   // Owned. Voice activity only, chunk by chunk.
  ps_decoder_s* whole_;  // Owned. Whole utterances (batch cepstral mean).
  // Each phrasing's least confidence, in each grammar.
  std::map<std::string, double> command_min_confidence_;
  std::map<std::string, double> answer_min_confidence_;
  const int64_t max_command_samples_;
  const int64_t end_silence_samples_;
  const int64_t quiet_before_samples_;
  Mode mode_ = Mode::kCommands;
  bool in_speech_ = false;  // The decoder's voice activity.
  bool too_long_ = false;   // This utterance is talk: not decoded.
  static constexpr int64_t kNone = INT64_MIN / 2;
  int64_t speech_start_ = 0;  // Where this utterance's speech began.
  bool isolated_ = true;      // With enough quiet before it.
  // Where the last utterance's speech ended; none after Create or Reset.
  int64_t last_speech_end_ = kNone;
  int64_t fed_ = 0;
  static constexpr size_t kPreRollSamples = kSpotterSampleRate * 3 / 10;
  std::vector<int16_t> utterance_;  // Its audio, and the pre-roll.
  int64_t answer_until_ = 0;        // Sample the answer window closes at.
};

}  // namespace coachd

#endif  // CLIENTS_VOICE_PHRASE_SPOTTER_H_
