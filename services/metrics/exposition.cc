#include "services/metrics/exposition.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace coachd {
namespace {

// Escapes \ and newline, and " too when `quote` (label values; help text
// keeps its quotes).
std::string Escape(absl::string_view text, bool quote) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\' || (quote && c == '"')) {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// {a="x",b="y"} with `extra` (already escaped: le="...") appended; empty
// when there is no label at all.
std::string LabelText(const std::vector<std::string>& names,
                      const std::vector<std::string>& values,
                      absl::string_view extra = {}) {
  if (names.empty() && extra.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    absl::StrAppend(&out, names[i], "=\"",
                    Escape(i < values.size() ? values[i] : "", /*quote=*/true),
                    "\"");
  }
  if (!extra.empty()) {
    if (!names.empty()) out += ',';
    absl::StrAppend(&out, extra);
  }
  out += '}';
  return out;
}

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  char buf[32];
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

std::string RenderPrometheusText(
    const std::vector<MetricFamilySnapshot>& families) {
  std::string out;
  for (const MetricFamilySnapshot& f : families) {
    absl::StrAppend(&out, "# HELP ", f.name, " ",
                    Escape(f.help, /*quote=*/false), "\n");
    absl::StrAppend(&out, "# TYPE ", f.name, " ", TypeName(f.type), "\n");
    for (const MetricSample& s : f.samples) {
      if (f.type != MetricType::kHistogram) {
        absl::StrAppend(&out, f.name, LabelText(f.label_names, s.label_values),
                        " ", FormatMetricValue(s.value), "\n");
        continue;
      }
      int64_t cumulative = 0;
      for (size_t i = 0; i <= f.bucket_bounds.size(); ++i) {
        if (i < s.bucket_counts.size()) cumulative += s.bucket_counts[i];
        const std::string le = absl::StrCat(
            "le=\"",
            i < f.bucket_bounds.size() ? FormatMetricValue(f.bucket_bounds[i])
                                       : "+Inf",
            "\"");
        absl::StrAppend(&out, f.name, "_bucket",
                        LabelText(f.label_names, s.label_values, le), " ",
                        cumulative, "\n");
      }
      const std::string labels = LabelText(f.label_names, s.label_values);
      absl::StrAppend(&out, f.name, "_sum", labels, " ",
                      FormatMetricValue(s.sum), "\n");
      absl::StrAppend(&out, f.name, "_count", labels, " ", cumulative, "\n");
    }
  }
  return out;
}

}  // namespace coachd
