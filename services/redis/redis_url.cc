#include "services/redis/redis_url.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace coachd {
namespace {

constexpr int kMaxDb = 1 << 20;  // Redis caps it by `databases` anyway.

absl::Status Bad(absl::string_view url, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("redis url \"", url, "\": ", why,
                   " (want redis://HOST:PORT[/DB] or unix://PATH)"));
}

// Parses a database index; false if it is not a number in range.
bool ParseDb(absl::string_view text, int* db) {
  return absl::SimpleAtoi(text, db) && *db >= 0 && *db < kMaxDb &&
         !absl::StartsWith(text, "+");
}

}  // namespace

std::string RedisAddress::ToString() const {
  if (!unix_path.empty()) {
    return db == 0 ? absl::StrCat("unix:", unix_path)
                   : absl::StrCat("unix:", unix_path, "?db=", db);
  }
  const std::string h =
      absl::StrContains(host, ':') ? absl::StrCat("[", host, "]") : host;
  return db == 0 ? absl::StrCat(h, ":", port)
                 : absl::StrCat(h, ":", port, "/", db);
}

absl::StatusOr<RedisAddress> ParseRedisUrl(absl::string_view url) {
  RedisAddress address;
  absl::string_view rest = url;
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
    return Bad(url, "the scheme must be redis:// or unix://");
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
  absl::string_view host = hostport;
  absl::string_view port;
  bool has_port = false;
  if (absl::ConsumePrefix(&host, "[")) {  // [IPv6]:PORT
    const size_t close = host.find(']');
    if (close == absl::string_view::npos) {
      return Bad(url, "missing ']' after the IPv6 host");
    }
    absl::string_view after = host.substr(close + 1);
    host = host.substr(0, close);
    if (!after.empty()) {
      if (!absl::ConsumePrefix(&after, ":")) {
        return Bad(url, "expected ':PORT' after the IPv6 host");
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
  if (host.empty()) return Bad(url, "the host is empty");
  if (has_port &&
      (!absl::SimpleAtoi(port, &address.port) || address.port <= 0 ||
       address.port > 65535 || absl::StartsWith(port, "+"))) {
    return Bad(url, "the port must be a number in 1..65535");
  }
  address.host = std::string(host);
  return address;
}

}  // namespace coachd
