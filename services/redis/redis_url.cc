#include "services/redis/redis_url.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace coachd {
namespace {

constexpr int kMaxDb = 1 << 20;  // Redis caps it by `databases` anyway.
constexpr int kSentinelPort = 26379;

absl::Status Bad(absl::string_view url, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("redis url \"", url, "\": ", why,
                   " (want redis://HOST:PORT[/DB], unix://PATH or "
                   "sentinel://HOST:PORT[,HOST:PORT...]/MASTER_NAME)"));
}

// Parses a database index; false if it is not a number in range.
bool ParseDb(absl::string_view text, int* db) {
  return absl::SimpleAtoi(text, db) && *db >= 0 && *db < kMaxDb &&
         !absl::StartsWith(text, "+");
}

// Parses "HOST[:PORT]" (HOST may be a [bracketed] IPv6 address) into `out`;
// `out->port` keeps its value when ":PORT" is left out. Names `what` (e.g.
// "the host") in the error.
absl::Status ParseHostPort(absl::string_view url, absl::string_view hostport,
                           absl::string_view what, HostPort* out) {
  absl::string_view host = hostport;
  absl::string_view port;
  bool has_port = false;
  if (absl::ConsumePrefix(&host, "[")) {  // [IPv6]:PORT
    const size_t close = host.find(']');
    if (close == absl::string_view::npos) {
      return Bad(url, absl::StrCat("missing ']' after the IPv6 ", what));
    }
    absl::string_view after = host.substr(close + 1);
    host = host.substr(0, close);
    if (!after.empty()) {
      if (!absl::ConsumePrefix(&after, ":")) {
        return Bad(url, absl::StrCat("expected ':PORT' after the IPv6 ", what));
      }
      port = after;
      has_port = true;
    }
  } else {
    const size_t colon = host.rfind(':');
    if (colon != absl::string_view::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
      has_port = true;
    }
  }
  if (host.empty()) return Bad(url, absl::StrCat(what, " is empty"));
  if (has_port && (!absl::SimpleAtoi(port, &out->port) || out->port <= 0 ||
                   out->port > 65535 || absl::StartsWith(port, "+"))) {
    return Bad(url, absl::StrCat("the port of ", what,
                                 " must be a number in "
                                 "1..65535"));
  }
  out->host = std::string(host);
  return absl::OkStatus();
}

// A master name as sentinel.conf accepts one, and nothing that would need
// quoting in a message.
bool ValidMasterName(absl::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

absl::StatusOr<RedisAddress> ParseSentinelUrl(absl::string_view url,
                                              absl::string_view rest) {
  if (absl::StrContains(rest, '@')) {
    return Bad(url, "credentials in the url are not supported");
  }
  const size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) {
    return Bad(url, "missing '/MASTER_NAME' after the Sentinels");
  }
  const absl::string_view name = rest.substr(slash + 1);
  if (!ValidMasterName(name)) {
    return Bad(url,
               "the master name must be letters, digits, '.', '-' or '_' "
               "(and no database: Sentinel setups use database 0)");
  }
  RedisAddress address;
  address.master_name = std::string(name);
  for (absl::string_view part : absl::StrSplit(rest.substr(0, slash), ',')) {
    HostPort sentinel;
    sentinel.port = kSentinelPort;
    absl::Status parsed = ParseHostPort(
        url, part, absl::StrCat("sentinel ", address.sentinels.size() + 1),
        &sentinel);
    if (!parsed.ok()) return parsed;
    address.sentinels.push_back(std::move(sentinel));
  }
  return address;
}

}  // namespace

std::string HostPort::ToString() const {
  return absl::StrContains(host, ':') ? absl::StrCat("[", host, "]:", port)
                                      : absl::StrCat(host, ":", port);
}

std::string RedisAddress::ToString() const {
  if (via_sentinel()) {
    return absl::StrCat("sentinel:",
                        absl::StrJoin(sentinels, ",",
                                      [](std::string* out, const HostPort& s) {
                                        out->append(s.ToString());
                                      }),
                        "/", master_name);
  }
  if (!unix_path.empty()) {
    return db == 0 ? absl::StrCat("unix:", unix_path)
                   : absl::StrCat("unix:", unix_path, "?db=", db);
  }
  const std::string h = HostPort{host, port}.ToString();
  return db == 0 ? h : absl::StrCat(h, "/", db);
}

absl::StatusOr<RedisAddress> ParseRedisUrl(absl::string_view url) {
  RedisAddress address;
  absl::string_view rest = url;
  if (absl::ConsumePrefix(&rest, "sentinel://")) {
    return ParseSentinelUrl(url, rest);
  }
  if (absl::ConsumePrefix(&rest, "unix://")) {
    absl::string_view path = rest;
    const size_t q = rest.find('?');
    if (q != absl::string_view::npos) {
      path = rest.substr(0, q);
      absl::string_view query = rest.substr(q + 1);
      if (!absl::ConsumePrefix(&query, "db=") || !ParseDb(query, &address.db)) {
        return Bad(url, "the only query option is db=N (N a number >= 0)");
      }
    }
    if (!absl::StartsWith(path, "/")) {
      return Bad(url, "the socket path must be absolute");
    }
    address.unix_path = std::string(path);
    return address;
  }
  if (!absl::ConsumePrefix(&rest, "redis://")) {
    return Bad(url, "the scheme must be redis://, unix:// or sentinel://");
  }
  if (absl::StrContains(rest, '@')) {
    return Bad(url, "credentials in the url are not supported");
  }
  absl::string_view hostport = rest;
  const size_t slash = rest.find('/');
  if (slash != absl::string_view::npos) {
    hostport = rest.substr(0, slash);
    absl::string_view db = rest.substr(slash + 1);
    if (!db.empty() && !ParseDb(db, &address.db)) {
      return Bad(url, "the database must be a number >= 0");
    }
  }
  HostPort endpoint;
  endpoint.port = address.port;
  absl::Status parsed = ParseHostPort(url, hostport, "the host", &endpoint);
  if (!parsed.ok()) return parsed;
  address.host = std::move(endpoint.host);
  address.port = endpoint.port;
  return address;
}

absl::Status LoadRedisPasswordFile(const std::string& path,
                                   absl::string_view flag,
                                   RedisAddress* address) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": ", path, ": cannot be read"));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  const std::vector<std::string> words =
      absl::StrSplit(absl::StripAsciiWhitespace(contents.str()),
                     absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (words.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": ", path, ": is empty"));
  }
  if (words.size() > 2 ||
      absl::StrContains(absl::StripAsciiWhitespace(contents.str()), '\n')) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": ", path,
                     ": must be one line, PASSWORD or USER PASSWORD"));
  }
  address->user = words.size() == 2 ? words[0] : "";
  address->password = words.back();
  return absl::OkStatus();
}

}  // namespace coachd
