#include "services/catalog/catalog.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace coachd {
namespace {

using ::coach::v1::BuildRoutineRequest;
using ::coach::v1::CatalogFile;
using ::coach::v1::Exercise;
using ::coach::v1::NamedPrescription;
using ::coach::v1::Prescription;
using ::coach::v1::RoutinePreset;
using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ParseInfoTree = ::google::protobuf::TextFormat::ParseInfoTree;

// A bad file lists at most this many problems (the rest are counted).
constexpr int kMaxReportedErrors = 20;

// Limits of a preset's request (the routine builder checks the same).
constexpr int kMinMinutes = 5, kMaxMinutes = 120;

// One problem found in the file, at a 1-based line.
struct FileError {
  int line;
  std::string text;  // "<name>:<line>: <reason>".
};

// Collects the text-format parser's errors with their lines.
class SyntaxErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  // `text` is what is being parsed; it must outlive the collector.
  SyntaxErrorCollector(absl::string_view name, absl::string_view text)
      : name_(name), lines_(absl::StrSplit(text, '\n')) {}

  void AddError(int line, google::protobuf::io::ColumnNumber /*column*/,
                const std::string& message) override {
    const int one_based = std::max(FixLine(line, message) + 1, 1);
    errors_.push_back(
        {one_based, absl::StrCat(name_, ":", one_based, ": ", message)});
  }

  std::vector<FileError>& errors() { return errors_; }

 private:
  // The parser reports an unknown enum name at the token after it, often
  // on the next line. Point at the line that holds the name instead.
  int FixLine(int line, absl::string_view message) const {
    constexpr absl::string_view kUnknownEnum =
        "Unknown enumeration value of \"";
    if (!absl::ConsumePrefix(&message, kUnknownEnum)) return line;
    const absl::string_view value = message.substr(0, message.find('"'));
    if (value.empty()) return line;
    const int last = std::min<int>(line, static_cast<int>(lines_.size()) - 1);
    for (int i = last; i >= 0; --i) {
      if (absl::StrContains(lines_[i], value)) return i;
    }
    return line;
  }

  std::string name_;
  std::vector<absl::string_view> lines_;
  std::vector<FileError> errors_;
};

// Joins errors (sorted by line, capped) into one INVALID_ARGUMENT status.
absl::Status ErrorsToStatus(std::vector<FileError> errors) {
  std::stable_sort(
      errors.begin(), errors.end(),
      [](const FileError& a, const FileError& b) { return a.line < b.line; });
  std::vector<std::string> lines;
  for (const FileError& error : errors) {
    if (static_cast<int>(lines.size()) == kMaxReportedErrors) {
      lines.push_back(absl::StrCat("(and ", errors.size() - kMaxReportedErrors,
                                   " more errors)"));
      break;
    }
    lines.push_back(error.text);
  }
  return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
}

// Ids are lower-case words of letters and digits joined by single dashes.
bool IsValidId(absl::string_view id) {
  if (id.empty() || id.front() == '-' || id.back() == '-') return false;
  char previous = 0;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    (c == '-' && previous != '-');
    if (!ok) return false;
    previous = c;
  }
  return true;
}

// "exercises[2] (\"superman\")", or "exercises[2]" when the id is empty.
std::string Where(absl::string_view list, int index, absl::string_view id) {
  if (id.empty()) return absl::StrCat(list, "[", index, "]");
  return absl::StrCat(list, "[", index, "] (\"", id, "\")");
}

// Checks a parsed CatalogFile, using the parser's locations to name the line
// of each problem. Problems without a line of their own (a missing field)
// are reported at the line of the enclosing entry.
class Validator {
 public:
  Validator(absl::string_view name, const CatalogFile& file,
            const ParseInfoTree& tree)
      : name_(name), file_(file), tree_(tree) {}

  std::vector<FileError> Run() {
    ValidateExercises();
    ValidatePrescriptions();
    ValidatePresets();
    ValidateTips();
    return std::move(errors_);
  }

 private:
  // The 1-based line of value `index` of `field` (a field of `type`) in
  // `tree`, or `fallback` when the parser recorded none. `index` is ignored
  // for singular fields.
  static int LineOf(const ParseInfoTree* tree, const Descriptor* type,
                    absl::string_view field, int index, int fallback) {
    if (tree == nullptr) return fallback;
    const FieldDescriptor* fd = type->FindFieldByName(std::string(field));
    if (fd == nullptr) return fallback;
    const int line = tree->GetLocation(fd, fd->is_repeated() ? index : -1).line;
    return line >= 0 ? line + 1 : fallback;
  }

  // The parse tree of message value `index` of `field`, or nullptr.
  static const ParseInfoTree* Nested(const ParseInfoTree* tree,
                                     const Descriptor* type,
                                     absl::string_view field, int index) {
    if (tree == nullptr) return nullptr;
    const FieldDescriptor* fd = type->FindFieldByName(std::string(field));
    if (fd == nullptr) return nullptr;
    return tree->GetTreeForNested(fd, fd->is_repeated() ? index : -1);
  }

  void Error(int line, absl::string_view where, absl::string_view reason) {
    errors_.push_back(
        {line, absl::StrCat(name_, ":", line, ": ", where, ": ", reason)});
  }

  static std::string RangeReason(int lo, int hi, int got) {
    return absl::StrFormat("must be between %d and %d, got %d", lo, hi, got);
  }

  // Reports empty entries of a repeated string field, and an empty field
  // when `required`.
  void CheckStrings(
      const google::protobuf::RepeatedPtrField<std::string>& values,
      absl::string_view field, const ParseInfoTree* tree,
      const Descriptor* type, int line, absl::string_view where,
      bool required) {
    if (required && values.empty()) {
      Error(line, where, absl::StrCat(field, " is empty"));
    }
    for (int j = 0; j < values.size(); ++j) {
      if (values.Get(j).empty()) {
        Error(LineOf(tree, type, field, j, line), where,
              absl::StrCat(field, "[", j, "] is empty"));
      }
    }
  }

  // Checks that `p` is a possible prescription: timed or counted, within
  // the limits. `where` names `p` ("exercises[1] (\"x\").prescription").
  void ValidatePrescription(const Prescription& p, const ParseInfoTree* tree,
                            int line, const std::string& where) {
    const Descriptor* type = Prescription::descriptor();
    auto field_line = [&](absl::string_view field) {
      return LineOf(tree, type, field, -1, line);
    };
    auto check_range = [&](absl::string_view field, int value, int lo, int hi) {
      if (value < lo || value > hi) {
        Error(field_line(field), absl::StrCat(where, ".", field),
              RangeReason(lo, hi, value));
      }
    };
    if (p.duration_seconds() != 0) {
      // Timed: the duration and nothing of a counted move.
      check_range("duration_seconds", p.duration_seconds(), kMinDuration,
                  kMaxDuration);
      const std::pair<absl::string_view, bool> counted_fields[] = {
          {"sets", p.sets() != 0},
          {"reps", p.reps() != 0},
          {"hold_seconds", p.hold_seconds() != 0},
          {"tempo_seconds", p.tempo_seconds() != 0},
          {"rest_seconds", p.rest_seconds() != 0},
          {"per_side", p.per_side()},
          {"self_paced", p.self_paced()},
      };
      for (const auto& [field, set] : counted_fields) {
        if (set) {
          Error(field_line(field), absl::StrCat(where, ".", field),
                "a prescription is either timed (duration_seconds) or counted "
                "(sets and reps), not both");
        }
      }
      return;
    }
    check_range("sets", p.sets(), kMinSets, kMaxSets);
    check_range("reps", p.reps(), kMinReps, kMaxReps);
    // A self-paced set waits for "done": it needs no tempo.
    check_range("tempo_seconds", p.tempo_seconds(),
                p.self_paced() ? 0 : kMinTempo, kMaxTempo);
    check_range("hold_seconds", p.hold_seconds(), 0, kMaxHold);
    check_range("rest_seconds", p.rest_seconds(), 0, kMaxRest);
  }

  void ValidateExercises() {
    const Descriptor* file_type = CatalogFile::descriptor();
    const Descriptor* type = Exercise::descriptor();
    absl::flat_hash_map<std::string, int> id_lines;
    int first_warmup_line = 0;
    for (int i = 0; i < file_.exercises_size(); ++i) {
      const Exercise& ex = file_.exercises(i);
      const int line = LineOf(&tree_, file_type, "exercises", i, 1);
      const ParseInfoTree* tree = Nested(&tree_, file_type, "exercises", i);
      auto field_line = [&](absl::string_view field, int index = -1) {
        return LineOf(tree, type, field, index, line);
      };
      const std::string where = Where("exercises", i, ex.id());

      if (ex.id().empty()) {
        Error(line, where, "id is empty");
      } else if (!IsValidId(ex.id())) {
        Error(field_line("id"), where,
              absl::StrCat("id \"", ex.id(),
                           "\": use lower-case letters, digits and dashes"));
      } else if (auto [it, inserted] =
                     id_lines.emplace(ex.id(), field_line("id"));
                 !inserted) {
        Error(field_line("id"), where,
              absl::StrCat("duplicate id \"", ex.id(),
                           "\" (first used at line ", it->second, ")"));
      }
      if (ex.name().empty()) Error(line, where, "name is empty");

      if (ex.area() == coach::v1::AREA_UNSPECIFIED) {
        Error(line, where, "area is not set");
      } else if (!coach::v1::Area_IsValid(ex.area())) {
        Error(field_line("area"), where,
              absl::StrCat("area: unknown value ", ex.area()));
      } else if (ex.area() == coach::v1::AREA_WARMUP) {
        if (first_warmup_line == 0) {
          first_warmup_line = field_line("area");
        } else {
          Error(field_line("area"), where,
                absl::StrCat("a second warm-up: exactly one exercise may have "
                             "area AREA_WARMUP (the first is at line ",
                             first_warmup_line, ")"));
        }
        if (ex.equipment_size() > 0) {
          Error(field_line("equipment", 0), where,
                "the warm-up must need no equipment: every routine starts "
                "with it");
        }
        if (ex.prescription().duration_seconds() <= 0) {
          Error(field_line("prescription"), where,
                "the warm-up's prescription must be timed (duration_seconds)");
        }
      }

      for (int j = 0; j < ex.equipment_size(); ++j) {
        const int value = ex.equipment(j);
        if (value == coach::v1::EQUIPMENT_UNSPECIFIED ||
            !coach::v1::Equipment_IsValid(value)) {
          Error(field_line("equipment", j), where,
                absl::StrCat("equipment[", j, "]: unknown value ", value));
        }
      }

      CheckStrings(ex.target_muscles(), "target_muscles", tree, type, line,
                   where, /*required=*/false);
      CheckStrings(ex.setup(), "setup", tree, type, line, where,
                   /*required=*/false);
      CheckStrings(ex.steps(), "steps", tree, type, line, where,
                   /*required=*/true);
      CheckStrings(ex.safety(), "safety", tree, type, line, where,
                   /*required=*/false);

      for (int j = 0; j < ex.breathing_size(); ++j) {
        const coach::v1::BreathCue& cue = ex.breathing(j);
        const int cue_line = field_line("breathing", j);
        if (cue.phase() == coach::v1::BREATH_PHASE_UNSPECIFIED ||
            !coach::v1::BreathPhase_IsValid(cue.phase())) {
          Error(cue_line, where,
                absl::StrCat("breathing[", j,
                             "].phase is not set (BREATH_PHASE_EFFORT or "
                             "BREATH_PHASE_RETURN)"));
        }
        if (cue.text().empty()) {
          Error(cue_line, where,
                absl::StrCat("breathing[", j, "].text is empty"));
        }
      }

      if (!ex.side_names().empty()) {
        std::vector<absl::string_view> sides =
            absl::StrSplit(ex.side_names(), ',');
        if (sides.size() != 2 || sides[0].empty() || sides[1].empty()) {
          Error(field_line("side_names"), where,
                absl::StrCat("side_names \"", ex.side_names(),
                             "\": give two names separated by a comma, e.g. "
                             "\"left,right\""));
        }
      }

      if (!ex.has_prescription()) {
        Error(line, where, "prescription is missing");
      } else {
        ValidatePrescription(
            ex.prescription(), Nested(tree, type, "prescription", -1),
            field_line("prescription"), absl::StrCat(where, ".prescription"));
      }
      if (ex.has_beginner()) {
        const int beginner_line = field_line("beginner");
        ValidatePrescription(ex.beginner(), Nested(tree, type, "beginner", -1),
                             beginner_line, absl::StrCat(where, ".beginner"));
        const bool timed = ex.prescription().duration_seconds() > 0;
        if ((ex.beginner().duration_seconds() > 0) != timed) {
          Error(beginner_line, where,
                absl::StrCat("beginner must be ", timed ? "timed" : "counted",
                             " like the default prescription"));
        } else if (ex.beginner().per_side() != ex.prescription().per_side()) {
          Error(beginner_line, where,
                "beginner.per_side must match prescription.per_side");
        }
      }
    }
    if (first_warmup_line == 0) {
      const int line = file_.exercises_size() > 0
                           ? LineOf(&tree_, file_type, "exercises", 0, 1)
                           : 1;
      Error(line, "exercises",
            "no warm-up: exactly one exercise needs area AREA_WARMUP");
    }
  }

  void ValidatePrescriptions() {
    const Descriptor* file_type = CatalogFile::descriptor();
    const Descriptor* type = NamedPrescription::descriptor();
    absl::flat_hash_map<std::string, int> id_lines;
    for (int i = 0; i < file_.prescriptions_size(); ++i) {
      const NamedPrescription& named = file_.prescriptions(i);
      const int line = LineOf(&tree_, file_type, "prescriptions", i, 1);
      const ParseInfoTree* tree = Nested(&tree_, file_type, "prescriptions", i);
      const int id_line = LineOf(tree, type, "id", -1, line);
      const std::string where = Where("prescriptions", i, named.id());
      if (named.id().empty()) {
        Error(line, where, "id is empty");
      } else if (!IsValidId(named.id())) {
        Error(id_line, where,
              absl::StrCat("id \"", named.id(),
                           "\": use lower-case letters, digits and dashes"));
      } else if (auto [it, inserted] = id_lines.emplace(named.id(), id_line);
                 !inserted) {
        Error(id_line, where,
              absl::StrCat("duplicate id \"", named.id(),
                           "\" (first used at line ", it->second, ")"));
      } else {
        prescription_ids_.emplace(named.id(), id_line);
      }
      const int p_line = LineOf(tree, type, "prescription", -1, line);
      if (!named.has_prescription()) {
        Error(line, where, "prescription is missing");
      } else if (named.prescription().duration_seconds() != 0) {
        Error(p_line, where,
              "a named prescription must be counted (sets and reps), not "
              "timed");
      } else {
        ValidatePrescription(named.prescription(),
                             Nested(tree, type, "prescription", -1), p_line,
                             absl::StrCat(where, ".prescription"));
      }
    }
  }

  void ValidatePresets() {
    const Descriptor* file_type = CatalogFile::descriptor();
    const Descriptor* type = RoutinePreset::descriptor();
    const Descriptor* request_type = BuildRoutineRequest::descriptor();
    absl::flat_hash_map<std::string, int> id_lines;
    for (int i = 0; i < file_.presets_size(); ++i) {
      const RoutinePreset& preset = file_.presets(i);
      const int line = LineOf(&tree_, file_type, "presets", i, 1);
      const ParseInfoTree* tree = Nested(&tree_, file_type, "presets", i);
      const int id_line = LineOf(tree, type, "id", -1, line);
      const std::string where = Where("presets", i, preset.id());
      if (preset.id().empty()) {
        Error(line, where, "id is empty");
      } else if (!IsValidId(preset.id())) {
        Error(id_line, where,
              absl::StrCat("id \"", preset.id(),
                           "\": use lower-case letters, digits and dashes"));
      } else if (auto [it, inserted] = id_lines.emplace(preset.id(), id_line);
                 !inserted) {
        Error(id_line, where,
              absl::StrCat("duplicate id \"", preset.id(),
                           "\" (first used at line ", it->second, ")"));
      }
      if (!preset.has_request()) {
        Error(line, where, "request is missing");
        continue;
      }
      const BuildRoutineRequest& request = preset.request();
      const int request_line = LineOf(tree, type, "request", -1, line);
      const ParseInfoTree* request_tree = Nested(tree, type, "request", -1);
      auto field_line = [&](absl::string_view field, int index = -1) {
        return LineOf(request_tree, request_type, field, index, request_line);
      };
      const std::string request_where = absl::StrCat(where, ".request");
      if (request.minutes() < kMinMinutes || request.minutes() > kMaxMinutes) {
        Error(field_line("minutes"), absl::StrCat(request_where, ".minutes"),
              RangeReason(kMinMinutes, kMaxMinutes, request.minutes()));
      }
      if (!coach::v1::Focus_IsValid(request.focus())) {
        Error(field_line("focus"), absl::StrCat(request_where, ".focus"),
              absl::StrCat("unknown value ", request.focus()));
      }
      if (!coach::v1::Level_IsValid(request.level())) {
        Error(field_line("level"), absl::StrCat(request_where, ".level"),
              absl::StrCat("unknown value ", request.level()));
      }
      for (int j = 0; j < request.equipment_size(); ++j) {
        const int value = request.equipment(j);
        if (value == coach::v1::EQUIPMENT_UNSPECIFIED ||
            !coach::v1::Equipment_IsValid(value)) {
          Error(field_line("equipment", j),
                absl::StrCat(request_where, ".equipment[", j, "]"),
                absl::StrCat("unknown value ", value));
        }
      }
      if (!request.prescription_id().empty() &&
          !prescription_ids_.contains(request.prescription_id())) {
        Error(field_line("prescription_id"),
              absl::StrCat(request_where, ".prescription_id"),
              absl::StrCat("unknown prescription \"", request.prescription_id(),
                           "\""));
      }
    }
  }

  void ValidateTips() {
    CheckStrings(file_.tips(), "tips", &tree_, CatalogFile::descriptor(), 1,
                 "file", /*required=*/false);
  }

  const std::string name_;
  const CatalogFile& file_;
  const ParseInfoTree& tree_;
  // Valid named prescription ids, with their lines.
  absl::flat_hash_map<std::string, int> prescription_ids_;
  std::vector<FileError> errors_;
};

}  // namespace

absl::StatusOr<Catalog> Catalog::LoadFromFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open catalog file (it is a directory)"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open catalog file"));
  }
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  if (in.bad()) {
    return absl::DataLossError(
        absl::StrCat(path, ": cannot read catalog file"));
  }
  return LoadFromText(text, path);
}

absl::StatusOr<Catalog> Catalog::LoadFromText(absl::string_view text,
                                              absl::string_view name) {
  CatalogFile file;
  ParseInfoTree tree;
  const std::string input(text);
  SyntaxErrorCollector collector(name, input);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&collector);
  parser.WriteLocationsTo(&tree);
  if (!parser.ParseFromString(input, &file)) {
    if (collector.errors().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ":1: cannot parse the catalogue"));
    }
    return ErrorsToStatus(std::move(collector.errors()));
  }

  std::vector<FileError> errors = Validator(name, file, tree).Run();
  if (!errors.empty()) return ErrorsToStatus(std::move(errors));

  Catalog catalog;
  catalog.file_ = std::move(file);
  const CatalogFile& f = catalog.file_;
  catalog.exercises_.assign(f.exercises().begin(), f.exercises().end());
  for (size_t i = 0; i < catalog.exercises_.size(); ++i) {
    const Exercise& ex = catalog.exercises_[i];
    catalog.exercise_index_.emplace(ex.id(), i);
    if (ex.area() == coach::v1::AREA_WARMUP) catalog.warmup_index_ = i;
  }
  for (int i = 0; i < f.prescriptions_size(); ++i) {
    catalog.prescription_index_.emplace(f.prescriptions(i).id(), i);
  }
  for (int i = 0; i < f.presets_size(); ++i) {
    catalog.preset_index_.emplace(f.presets(i).id(), i);
  }
  return catalog;
}

const coach::v1::Exercise* Catalog::FindExercise(absl::string_view id) const {
  auto it = exercise_index_.find(id);
  return it == exercise_index_.end() ? nullptr : &exercises_[it->second];
}

const coach::v1::Prescription* Catalog::FindPrescription(
    absl::string_view id) const {
  auto it = prescription_index_.find(id);
  if (it == prescription_index_.end()) return nullptr;
  return &file_.prescriptions(static_cast<int>(it->second)).prescription();
}

const coach::v1::RoutinePreset* Catalog::FindPreset(
    absl::string_view id) const {
  auto it = preset_index_.find(id);
  if (it == preset_index_.end()) return nullptr;
  return &file_.presets(static_cast<int>(it->second));
}

const coach::v1::Exercise& Catalog::warmup() const {
  return exercises_[warmup_index_];
}

}  // namespace coachd
