#include "clients/voice/phrase_spotter.h"

#include <pocketsphinx.h>
#include <sphinxbase/ckd_alloc.h>
#include <sphinxbase/err.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace coachd {
namespace {

constexpr char kCommandSearch[] = "commands";
constexpr char kAnswerSearch[] = "answers";

}  // namespace

absl::StatusOr<std::unique_ptr<PhraseSpotter>> PhraseSpotter::Create(
    const SpotterOptions& options) {
  if (options.phrases.empty()) {
    return absl::InvalidArgumentError("phrases: at least one is needed");
  }
  if (options.answers.empty()) {
    return absl::InvalidArgumentError("answers: at least one is needed");
  }
  if (options.max_command_ms <= 0 || options.end_silence_ms <= 0 ||
      options.quiet_before_ms < 0) {
    return absl::InvalidArgumentError(
        "max_command_ms and end_silence_ms must be positive, "
        "quiet_before_ms not negative");
  }
  const std::string hmm = options.model_dir + "/en-us";
  const std::string dict = options.model_dir + "/cmudict-en-us.dict";
  if (!std::filesystem::exists(hmm + "/mdef") ||
      !std::filesystem::exists(dict)) {
    return absl::NotFoundError(
        absl::StrCat("model_dir: no PocketSphinx en-us model in ",
                     options.model_dir, " (install pocketsphinx-en-us)"));
  }
  err_set_logfp(nullptr);  // The library's own chatter; errors are ours.
  // Frames are 10 ms.
  const std::string post_speech = absl::StrCat(options.end_silence_ms / 10);
  cmd_ln_t* config = cmd_ln_init(
      nullptr, ps_args(), TRUE, "-hmm", hmm.c_str(), "-dict", dict.c_str(),
      "-logfn", "/dev/null", "-vad_postspeech", post_speech.c_str(), nullptr);
  if (config == nullptr) return absl::InternalError("PocketSphinx config");
  ps_decoder_t* ps = ps_init(config);
  cmd_ln_free_r(config);  // The decoder holds its own reference.
  if (ps == nullptr) {
    return absl::InternalError(
        absl::StrCat("PocketSphinx could not load ", options.model_dir));
  }
  std::unique_ptr<PhraseSpotter> spotter(new PhraseSpotter(ps, options));
  for (const auto* table : {&options.phrases, &options.answers}) {
    for (const CommandPhrase& p : *table) {
      for (absl::string_view word : absl::StrSplit(p.text, ' ')) {
        char* phones = ps_lookup_word(ps, std::string(word).c_str());
        if (phones == nullptr) {
          return absl::InvalidArgumentError(
              absl::StrCat("phrase \"", p.text, "\": the word \"", word,
                           "\" is not in the dictionary"));
        }
        ckd_free(phones);
      }
    }
  }
  if (ps_set_jsgf_string(ps, kCommandSearch,
                         PhraseGrammar(options.phrases).c_str()) < 0 ||
      ps_set_jsgf_string(ps, kAnswerSearch,
                         PhraseGrammar(options.answers).c_str()) < 0) {
    return absl::InternalError("PocketSphinx refused a grammar");
  }
  spotter->mode_ = Mode::kAnswer;  // So that Restart selects the search.
  spotter->Restart(Mode::kCommands);
  return spotter;
}

PhraseSpotter::PhraseSpotter(ps_decoder_t* decoder,
                             const SpotterOptions& options)
    : decoder_(decoder),
      max_command_samples_(int64_t{options.max_command_ms} *
                           kSpotterSampleRate / 1000),
      end_silence_samples_(int64_t{options.end_silence_ms} *
                           kSpotterSampleRate / 1000),
      quiet_before_samples_(int64_t{options.quiet_before_ms} *
                            kSpotterSampleRate / 1000) {}

PhraseSpotter::~PhraseSpotter() {
  ps_end_utt(decoder_);
  ps_free(decoder_);
}

void PhraseSpotter::Restart(Mode mode) {
  ps_end_utt(decoder_);  // Returns an error, harmlessly, when none runs.
  if (mode != mode_) {
    ps_set_search(decoder_,
                  mode == Mode::kCommands ? kCommandSearch : kAnswerSearch);
    mode_ = mode;
  }
  ps_start_utt(decoder_);
  in_speech_ = false;
  too_long_ = false;
}

void PhraseSpotter::Reset() {
  Restart(mode_);
  last_speech_end_ = kNone;  // What follows the gap starts afresh.
}

void PhraseSpotter::ListenForAnswer(int64_t window_samples) {
  answer_until_ = fed_ + window_samples;
  if (mode_ != Mode::kAnswer) Restart(Mode::kAnswer);
}

std::vector<Spotted> PhraseSpotter::Feed(absl::Span<const int16_t> samples) {
  std::vector<Spotted> heard;
  if (samples.empty()) return heard;
  // Talk longer than a command is only followed for its end (no search).
  ps_process_raw(decoder_, samples.data(), samples.size(), too_long_, FALSE);
  // The utterance's audio, with what came just before it (the decoder's
  // voice activity starts a little late), for the later passes.
  if (!in_speech_ && utterance_.size() > kPreRollSamples) {
    utterance_.erase(utterance_.begin(), utterance_.end() - kPreRollSamples);
  }
  if (!too_long_) {
    utterance_.insert(utterance_.end(), samples.begin(), samples.end());
  }
  const int64_t chunk_start = fed_;
  fed_ += static_cast<int64_t>(samples.size());
  const bool was_in_speech = in_speech_;
  in_speech_ = ps_get_in_speech(decoder_) != 0;
  if (in_speech_ && !was_in_speech) {
    speech_start_ = chunk_start;
    isolated_ = speech_start_ - last_speech_end_ >= quiet_before_samples_;
  }
  if (in_speech_ && fed_ - speech_start_ > max_command_samples_) {
    too_long_ = true;
  }
  if (was_in_speech && !in_speech_) {  // An utterance ended.
    ps_end_utt(decoder_);
    const char* hyp = ps_get_hyp(decoder_, nullptr);
    // Decoded again, up to three times, once the decoder's cepstral mean
    // has heard the utterance: a live decoder starts with a mean that fits
    // no voice, and the first utterances after start-up (or a new voice)
    // come out wrong or empty in the first pass. Short: a few ms each.
    for (int pass = 0; !too_long_ && pass < 3; ++pass) {
      ps_start_utt(decoder_);
      ps_process_raw(decoder_, utterance_.data(), utterance_.size(), FALSE,
                     FALSE);
      ps_end_utt(decoder_);
      hyp = ps_get_hyp(decoder_, nullptr);
      if (hyp != nullptr && hyp[0] != '\0') break;
    }
    utterance_.clear();
    // Talk, or words: the next command needs quiet after it. (A burst the
    // grammar cannot match at all, e.g. a noise, is neither.)
    if (too_long_ || (hyp != nullptr && hyp[0] != '\0')) {
      last_speech_end_ = fed_ - end_silence_samples_;
    }
    if (!too_long_ && hyp != nullptr && hyp[0] != '\0' &&
        (isolated_ ||
         PhraseCommand(hyp) == coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT)) {
      heard.push_back({hyp, fed_, mode_ == Mode::kAnswer});
    }
    Restart(Mode::kCommands);  // An answer window lasts one utterance.
  } else if (mode_ == Mode::kAnswer && !in_speech_ && fed_ >= answer_until_) {
    Restart(Mode::kCommands);  // Nobody answered.
  }
  return heard;
}

}  // namespace coachd
