#include "clients/loadgen/report_fields.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "services/common/json_string.h"

namespace coachd {
namespace {

bool Measured(const ReportValue& v) {
  if (const int64_t* i = std::get_if<int64_t>(&v)) return *i != -1;
  if (const double* d = std::get_if<double>(&v)) return *d != -1;
  return !std::get<std::string>(v).empty();
}

std::string Plain(const ReportValue& v) {
  if (const int64_t* i = std::get_if<int64_t>(&v)) return absl::StrCat(*i);
  if (const double* d = std::get_if<double>(&v)) {
    return absl::StrFormat("%.3f", *d);
  }
  return std::get<std::string>(v);
}

}  // namespace

std::string FormatFieldTable(const std::vector<ReportField>& fields) {
  std::string out;
  for (const auto& [key, value] : fields) {
    if (!Measured(value)) continue;
    absl::StrAppendFormat(&out, "  %-28s %s\n", key, Plain(value));
  }
  return out;
}

std::string FormatFieldJson(const std::vector<ReportField>& fields) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : fields) {
    if (!Measured(value)) continue;
    const std::string text = std::holds_alternative<std::string>(value)
                                 ? JsonString(std::get<std::string>(value))
                                 : Plain(value);
    parts.push_back(absl::StrCat("\"", key, "\":", text));
  }
  return absl::StrCat("{", absl::StrJoin(parts, ","), "}");
}

}  // namespace coachd
