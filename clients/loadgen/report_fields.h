// The two renderings every loadgen report shares: an aligned table for people
// and one flat JSON line (no nesting, so a shell script can pick fields with
// sed). A report lists its figures in print order; -1 (or an empty string)
// marks a figure that was not measured, and both renderings leave it out.
//
//   std::vector<ReportField> f = {{"mode", std::string("chaos")},
//                                 {"gaps", int64_t{0}}};
//   std::cout << FormatFieldTable(f) << FormatFieldJson(f) << "\n";
#ifndef CLIENTS_LOADGEN_REPORT_FIELDS_H_
#define CLIENTS_LOADGEN_REPORT_FIELDS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace coachd {

// A figure: a count, a measurement, or a text.
using ReportValue = std::variant<int64_t, double, std::string>;

// One figure with its JSON key.
using ReportField = std::pair<std::string, ReportValue>;

// The measured fields as "  key   value" lines, doubles with 3 decimals.
std::string FormatFieldTable(const std::vector<ReportField>& fields);

// The measured fields as one JSON object on one line (no trailing newline);
// strings are escaped.
std::string FormatFieldJson(const std::vector<ReportField>& fields);

}  // namespace coachd

#endif  // CLIENTS_LOADGEN_REPORT_FIELDS_H_
