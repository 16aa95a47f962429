#include "tests/common/prometheus_scrape.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace coachd {
namespace {

bool NameChar(char c, bool first) {
  return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         c == ':' ||
         (!first && absl::ascii_isdigit(static_cast<unsigned char>(c)));
}

absl::Status Bad(int line, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", why));
}

// The family a sample's name belongs to (histograms add suffixes).
std::string FamilyOf(const std::string& name,
                     const std::map<std::string, std::string>& types) {
  if (types.count(name)) return name;
  for (absl::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (absl::EndsWith(name, suffix)) {
      std::string base = name.substr(0, name.size() - suffix.size());
      if (types.count(base)) return base;
    }
  }
  return name;
}

}  // namespace

absl::StatusOr<HttpReply> HttpGet(int port, absl::string_view path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket failed");
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("cannot connect to ", port));
  }
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return absl::UnavailableError("send failed");
  }
  std::string raw;
  char buf[4096];
  for (int reads = 0; reads < 100000; ++reads) {  // Bounded: 400 MB at most.
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  const size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos || !absl::StartsWith(raw, "HTTP/1.")) {
    return absl::InternalError(absl::StrCat("not an HTTP reply: ", raw));
  }
  HttpReply reply;
  reply.body = raw.substr(end + 4);
  std::vector<std::string> lines = absl::StrSplit(raw.substr(0, end), "\r\n");
  std::vector<std::string> status_line = absl::StrSplit(lines[0], ' ');
  if (status_line.size() < 2 ||
      !absl::SimpleAtoi(status_line[1], &reply.status)) {
    return absl::InternalError(absl::StrCat("bad status line: ", lines[0]));
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    if (absl::EqualsIgnoreCase(lines[i].substr(0, colon), "content-type")) {
      reply.content_type =
          std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
    }
  }
  return reply;
}

std::string SeriesKey(absl::string_view name, const MetricLabels& labels) {
  std::string key(name);
  if (labels.empty()) return key;
  key += '{';
  bool first = true;
  for (const auto& [label, value] : labels) {
    if (!first) key += ',';
    first = false;
    absl::StrAppend(&key, label, "=\"", value, "\"");
  }
  key += '}';
  return key;
}

double ScrapedMetrics::Value(absl::string_view name,
                             const MetricLabels& labels) const {
  auto it = series.find(SeriesKey(name, labels));
  return it == series.end() ? -1 : it->second;
}

absl::StatusOr<ScrapedMetrics> ParsePrometheusText(absl::string_view text) {
  ScrapedMetrics out;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    if (line.empty()) continue;
    if (absl::StartsWith(line, "#")) {
      std::vector<std::string> words =
          absl::StrSplit(line, absl::MaxSplits(' ', 3));
      if (words.size() >= 4 && words[1] == "TYPE") {
        if (out.types.count(words[2])) return Bad(number, "TYPE twice");
        out.types[words[2]] = words[3];
      }
      continue;
    }
    size_t i = 0;
    while (i < line.size() && NameChar(line[i], i == 0)) ++i;
    if (i == 0) return Bad(number, "no metric name");
    const std::string name(line.substr(0, i));
    MetricLabels labels;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        size_t start = i;
        while (i < line.size() && NameChar(line[i], i == start) &&
               line[i] != ':')
          ++i;
        const std::string label(line.substr(start, i - start));
        if (label.empty() || i + 1 >= line.size() || line[i] != '=' ||
            line[i + 1] != '"') {
          return Bad(number, "label without =\"value\"");
        }
        i += 2;
        std::string value;
        while (i < line.size() && line[i] != '"') {
          if (line[i] == '\\') {
            if (i + 1 >= line.size()) return Bad(number, "escape at the end");
            const char e = line[i + 1];
            if (e == 'n') {
              value += '\n';
            } else if (e == '\\' || e == '"') {
              value += e;
            } else {
              return Bad(number, "bad escape");
            }
            i += 2;
          } else {
            value += line[i++];
          }
        }
        if (i >= line.size()) return Bad(number, "unterminated label value");
        ++i;  // The closing quote.
        if (!labels.emplace(label, value).second) {
          return Bad(number, "label twice");
        }
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size()) return Bad(number, "unterminated labels");
      ++i;  // '}'
    }
    if (i >= line.size() || line[i] != ' ') return Bad(number, "no value");
    const std::string value_text(line.substr(i + 1));
    double value = 0;
    if (value_text == "+Inf") {
      value = HUGE_VAL;
    } else if (value_text == "-Inf") {
      value = -HUGE_VAL;
    } else if (value_text == "NaN") {
      value = std::nan("");
    } else if (!absl::SimpleAtod(value_text, &value)) {
      return Bad(number, absl::StrCat("bad value \"", value_text, "\""));
    }
    if (!out.types.count(FamilyOf(name, out.types))) {
      return Bad(number, absl::StrCat(name, " before its # TYPE"));
    }
    if (!out.series.emplace(SeriesKey(name, labels), value).second) {
      return Bad(number, "series twice");
    }
  }
  return out;
}

absl::StatusOr<ScrapedMetrics> ScrapeMetrics(int port) {
  absl::StatusOr<HttpReply> reply = HttpGet(port, "/metrics");
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) {
    return absl::InternalError(
        absl::StrCat("GET /metrics answered ", reply->status));
  }
  absl::StatusOr<ScrapedMetrics> parsed = ParsePrometheusText(reply->body);
  if (!parsed.ok()) {
    return absl::Status(parsed.status().code(),
                        absl::StrCat(parsed.status().message(), "\n",
                                     reply->body));
  }
  return parsed;
}

}  // namespace coachd
