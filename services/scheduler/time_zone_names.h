// Which time zone names coachd accepts: IANA names only, never a path.
// absl::LoadTimeZone opens any string it is given as a file under (or, for
// an absolute path, outside) the zoneinfo directory, and keeps every name it
// ever loaded in memory for good. So a name is first checked against a
// strict pattern, then against the list of names the installed tzdata
// defines (its tzdata.zi), read once. Only then may it reach LoadTimeZone,
// which bounds absl's cache to that list (about 600 names).
//
//   absl::Status ok = ValidateTimeZoneName("Europe/London");  // OK
//   ValidateTimeZoneName("/dev/stdin");  // INVALID_ARGUMENT naming time_zone
#ifndef SERVICES_SCHEDULER_TIME_ZONE_NAMES_H_
#define SERVICES_SCHEDULER_TIME_ZONE_NAMES_H_

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace coachd {

// Longest name accepted (the longest IANA name has 32 characters).
inline constexpr size_t kMaxTimeZoneNameLength = 64;

// True when `name` has the shape of an IANA name: 1 to 3 parts separated by
// '/', each a letter followed by letters, digits, '_', '-' or '+'. Pure; no
// file is read. Rejects paths, "..", "file:", NUL and other bytes.
bool HasTimeZoneNameShape(absl::string_view name);

// The names (zones and links) defined by `tzdata_zi`, the text of a tzdata.zi
// file ("Z NAME ..." and "L TARGET NAME" lines). Pure.
absl::flat_hash_set<std::string> ParseTzdataNames(absl::string_view tzdata_zi);

// The names the installed tzdata defines: $TZDIR/tzdata.zi (default
// /usr/share/zoneinfo), read on first use and kept; "UTC" alone when the file
// cannot be read. Thread-safe. Call once at start-up so that no request pays
// for the read.
const absl::flat_hash_set<std::string>& KnownTimeZoneNames();

// OK when `name` has the shape above and is a known name. INVALID_ARGUMENT
// naming "time_zone" and why otherwise; the message never repeats more than
// kMaxTimeZoneNameLength bytes of the input.
absl::Status ValidateTimeZoneName(absl::string_view name);

}  // namespace coachd

#endif  // SERVICES_SCHEDULER_TIME_ZONE_NAMES_H_
