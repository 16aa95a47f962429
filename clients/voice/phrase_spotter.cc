#include "clients/voice/phrase_spotter.h"

#include <pocketsphinx.h>
#include <sphinxbase/ckd_alloc.h>
#include <sphinxbase/err.h>
#include <sphinxbase/fsg_model.h>
#include <sphinxbase/jsgf.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/check.h"

namespace coachd {
namespace {

constexpr char kCommandSearch[] = "commands";
constexpr char kAnswerSearch[] = "answers";
constexpr char kPhoneSearch[] = "phones";

// A decoder of the en-us model in `options.model_dir`, with no search yet;
// null when it cannot load.
ps_decoder_t* NewDecoder(const SpotterOptions& options) {
  const std::string hmm = options.model_dir + "/en-us";
  const std::string dict = options.model_dir + "/cmudict-en-us.dict";
  // Frames are 10 ms.
  const std::string post_speech = absl::StrCat(options.end_silence_ms / 10);
  cmd_ln_t* config = cmd_ln_init(
      nullptr, ps_args(), TRUE, "-hmm", hmm.c_str(), "-dict", dict.c_str(),
      "-logfn", "/dev/null", "-vad_postspeech", post_speech.c_str(),
      // The free phone loop in context-independent phones: fast, and a
      // fair rival for the phrase.
      "-allphone_ci", "yes", nullptr);
  if (config == nullptr) return nullptr;
  ps_decoder_t* ps = ps_init(config);
  cmd_ln_free_r(config);  // The decoder holds its own reference.
  return ps;
}

// Adds the JSGF grammar `jsgf_text` to `ps` as the search `name`, built
// from its public rule; false when it does not parse or build. What
// ps_set_jsgf_string does, but it frees the parsed grammar: PocketSphinx
// 0.8's own never does (LeakSanitizer saw ~36 KB per spotter).
bool SetJsgfSearch(ps_decoder_t* ps, const char* name,
                   const std::string& jsgf_text) {
  jsgf_t* jsgf = jsgf_parse_string(jsgf_text.c_str(), nullptr);
  if (jsgf == nullptr) return false;
  bool added = false;
  if (jsgf_rule_t* rule = jsgf_get_public_rule(jsgf); rule != nullptr) {
    fsg_model_t* fsg =
        jsgf_build_fsg(jsgf, rule, ps_get_logmath(ps),
                       cmd_ln_float32_r(ps_get_config(ps), "-lw"));
    if (fsg != nullptr) {
      added = ps_set_fsg(ps, name, fsg) >= 0;  // The search keeps its own.
      fsg_model_free(fsg);
    }
  }
  jsgf_grammar_free(jsgf);
  return added;
}

// Gives `ps` both grammars and the free phone loop, the command grammar
// selected; false when PocketSphinx refuses one.
bool AddSearches(ps_decoder_t* ps, const SpotterOptions& options) {
  return SetJsgfSearch(ps, kCommandSearch, PhraseGrammar(options.phrases)) &&
         SetJsgfSearch(ps, kAnswerSearch, PhraseGrammar(options.answers)) &&
         ps_set_allphone_file(ps, kPhoneSearch, nullptr) >= 0 &&
         ps_set_search(ps, kCommandSearch) >= 0;
}

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
  if (!std::filesystem::exists(options.model_dir + "/en-us/mdef") ||
      !std::filesystem::exists(options.model_dir + "/cmudict-en-us.dict")) {
    return absl::NotFoundError(
        absl::StrCat("model_dir: no PocketSphinx en-us model in ",
                     options.model_dir, " (install pocketsphinx-en-us)"));
  }
  err_set_logfp(nullptr);  // The library's own chatter; errors are ours.
  ps_decoder_t* live = NewDecoder(options);
  ps_decoder_t* whole = NewDecoder(options);
  auto free_both = [&] {
    if (live != nullptr) ps_free(live);
    if (whole != nullptr) ps_free(whole);
  };
  if (live == nullptr || whole == nullptr) {
    free_both();
    return absl::InternalError(
        absl::StrCat("PocketSphinx could not load ", options.model_dir));
  }
  // Words are checked first: a grammar with an unknown word is refused
  // without saying which.
  for (const auto* table : {&options.phrases, &options.answers}) {
    for (const CommandPhrase& p : *table) {
      for (absl::string_view word : absl::StrSplit(p.text, ' ')) {
        char* phones = ps_lookup_word(live, std::string(word).c_str());
        if (phones == nullptr) {
          free_both();
          return absl::InvalidArgumentError(
              absl::StrCat("phrase \"", p.text, "\": the word \"", word,
                           "\" is not in the dictionary"));
        }
        ckd_free(phones);
      }
    }
  }
  if (!AddSearches(live, options) || !AddSearches(whole, options)) {
    free_both();
    return absl::InternalError("PocketSphinx refused a grammar");
  }
  std::unique_ptr<PhraseSpotter> spotter(
      new PhraseSpotter(live, whole, options));
  spotter->Restart(Mode::kCommands);
  return spotter;
}

PhraseSpotter::PhraseSpotter(ps_decoder_t* live, ps_decoder_t* whole,
                             const SpotterOptions& options)
    : live_(live),
      whole_(whole),
      max_command_samples_(int64_t{options.max_command_ms} *
                           kSpotterSampleRate / 1000),
      end_silence_samples_(int64_t{options.end_silence_ms} *
                           kSpotterSampleRate / 1000),
      quiet_before_samples_(int64_t{options.quiet_before_ms} *
                            kSpotterSampleRate / 1000) {
  for (const CommandPhrase& p : options.phrases) {
    command_min_confidence_[p.text] = p.min_confidence;
  }
  for (const CommandPhrase& p : options.answers) {
    answer_min_confidence_[p.text] = p.min_confidence;
  }
}

PhraseSpotter::~PhraseSpotter() {
  ps_end_utt(live_);
  ps_free(live_);
  ps_free(whole_);
}

void PhraseSpotter::Restart(Mode mode) {
  ps_end_utt(live_);  // Returns an error, harmlessly, when none runs.
  mode_ = mode;
  ps_start_utt(live_);
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

std::optional<Spotted> PhraseSpotter::DecodeUtterance() {
  // The whole utterance at once: its cepstral mean is its own (batch),
  // never a running mean that has heard too little, or another voice.
  auto decode = [&](const char* search, int32_t* score) -> std::string {
    ps_set_search(whole_, search);
    ps_start_utt(whole_);
    ps_process_raw(whole_, utterance_.data(), utterance_.size(), FALSE, TRUE);
    ps_end_utt(whole_);
    const char* hyp = ps_get_hyp(whole_, score);
    return hyp == nullptr ? "" : hyp;
  };
  int32_t phrase_score = 0, phones_score = 0;
  const std::string phrase = decode(
      mode_ == Mode::kCommands ? kCommandSearch : kAnswerSearch, &phrase_score);
  const int frames = ps_get_n_frames(whole_);
  if (phrase.empty() || frames <= 0) return std::nullopt;
  decode(kPhoneSearch, &phones_score);
  Spotted spotted;
  spotted.phrase = phrase;
  spotted.answer = mode_ == Mode::kAnswer;
  spotted.confidence =
      static_cast<double>(phrase_score - phones_score) / frames;
  return spotted;
}

bool PhraseSpotter::Confident(const Spotted& spotted) const {
  const auto& table =
      spotted.answer ? answer_min_confidence_ : command_min_confidence_;
  const auto it = table.find(spotted.phrase);
  // The grammar says only its phrases.
  COACHD_DCHECK(it != table.end(), spotted.phrase);
  return it != table.end() && spotted.confidence >= it->second;
}

std::vector<Spotted> PhraseSpotter::Feed(absl::Span<const int16_t> samples) {
  std::vector<Spotted> heard;
  if (samples.empty()) return heard;
  // The live decoder only follows the voice activity (no search).
  ps_process_raw(live_, samples.data(), samples.size(), TRUE, FALSE);
  // The utterance's audio, with what came just before it (the decoder's
  // voice activity starts a little late), for the whole decode.
  if (!in_speech_ && utterance_.size() > kPreRollSamples) {
    utterance_.erase(utterance_.begin(), utterance_.end() - kPreRollSamples);
  }
  if (!too_long_) {
    utterance_.insert(utterance_.end(), samples.begin(), samples.end());
  }
  const int64_t chunk_start = fed_;
  fed_ += static_cast<int64_t>(samples.size());
  const bool was_in_speech = in_speech_;
  in_speech_ = ps_get_in_speech(live_) != 0;
  if (in_speech_ && !was_in_speech) {
    speech_start_ = chunk_start;
    isolated_ = speech_start_ - last_speech_end_ >= quiet_before_samples_;
  }
  if (in_speech_ && fed_ - speech_start_ > max_command_samples_) {
    too_long_ = true;
  }
  if (was_in_speech && !in_speech_) {  // An utterance ended.
    std::optional<Spotted> spotted;
    if (!too_long_) spotted = DecodeUtterance();
    utterance_.clear();
    // Talk, or words: the next command needs quiet after it. (A burst the
    // grammar cannot match at all, e.g. a noise, is neither.)
    if (too_long_ || spotted.has_value()) {
      last_speech_end_ = fed_ - end_silence_samples_;
    }
    if (spotted.has_value() && Confident(*spotted) &&
        (isolated_ || PhraseCommand(spotted->phrase) ==
                          coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT)) {
      spotted->sample = fed_;
      heard.push_back(*std::move(spotted));
    }
    Restart(Mode::kCommands);  // An answer window lasts one utterance.
  } else if (mode_ == Mode::kAnswer && !in_speech_ && fed_ >= answer_until_) {
    Restart(Mode::kCommands);  // Nobody answered.
  }
  return heard;
}

}  // namespace coachd
