#include "services/scheduler/time_zone_names.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/log.h"

namespace coachd {
namespace {

constexpr int kMaxParts = 3;

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '-' || c == '+';
}

absl::flat_hash_set<std::string>* LoadKnownNames() {
  const char* dir = std::getenv("TZDIR");
  const std::string path =
      absl::StrCat(dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo",
                   "/tzdata.zi");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  auto* names = new absl::flat_hash_set<std::string>(
      ParseTzdataNames(in ? text.str() : std::string()));
  if (names->empty()) {
    LogWarning(absl::StrCat("time zones: cannot read ", path,
                            "; only UTC is accepted"));
  }
  names->insert("UTC");
  return names;
}

}  // namespace

bool HasTimeZoneNameShape(absl::string_view name) {
  if (name.empty() || name.size() > kMaxTimeZoneNameLength) return false;
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() > kMaxParts) return false;
  for (absl::string_view part : parts) {
    if (part.empty() ||
        !absl::ascii_isalpha(static_cast<unsigned char>(part[0]))) {
      return false;
    }
    for (char c : part) {
      if (!IsNameChar(c)) return false;
    }
  }
  return true;
}

absl::flat_hash_set<std::string> ParseTzdataNames(absl::string_view tzdata_zi) {
  absl::flat_hash_set<std::string> names;
  for (absl::string_view line : absl::StrSplit(tzdata_zi, '\n')) {
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    absl::string_view name;
    if (fields.size() >= 2 && fields[0] == "Z") name = fields[1];
    if (fields.size() >= 3 && fields[0] == "L") name = fields[2];
    if (HasTimeZoneNameShape(name)) names.insert(std::string(name));
  }
  return names;
}

const absl::flat_hash_set<std::string>& KnownTimeZoneNames() {
  static const absl::flat_hash_set<std::string>* names = LoadKnownNames();
  return *names;
}

absl::Status ValidateTimeZoneName(absl::string_view name) {
  if (name.empty()) {
    return absl::InvalidArgumentError(
        "time_zone: required, an IANA name such as \"Europe/London\"");
  }
  if (name.size() > kMaxTimeZoneNameLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("time_zone: longer than ", kMaxTimeZoneNameLength,
                     " characters; an IANA name such as \"Europe/London\""));
  }
  if (!HasTimeZoneNameShape(name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "time_zone: \"", absl::CHexEscape(name),
        "\" is not an IANA name (letters, digits, '_', '-', '+' in at most ",
        kMaxParts, " parts separated by '/'; never a path)"));
  }
  if (!KnownTimeZoneNames().contains(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("time_zone: unknown IANA time zone \"", name, "\""));
  }
  return absl::OkStatus();
}

}  // namespace coachd
