#include "clients/web/web_sessions.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "clients/common/device_credentials.h"

namespace coachd {

absl::StatusOr<WebIdentity> ReadTokenClaims(absl::string_view token) {
  absl::StatusOr<TokenClaims> claims = ReadClaims(token);
  if (!claims.ok()) return claims.status();
  WebIdentity who;
  who.token = std::string(token);
  who.subject = std::move(claims->subject);
  who.role = std::move(claims->role);
  who.expires = claims->expires;
  return who;
}

std::string RandomHex(int bytes) {
  std::string raw(static_cast<size_t>(bytes), '\0');
  size_t got = 0;
  while (got < raw.size()) {
    const ssize_t n = getrandom(raw.data() + got, raw.size() - got, 0);
    if (n < 0 && errno == EINTR) continue;
    // getrandom never fails on Linux 3.17+ once the pool is ready.
    if (n <= 0) std::abort();
    got += static_cast<size_t>(n);
  }
  return absl::BytesToHexString(raw);
}

WebSessions::WebSessions(const Clock* clock, std::string file)
    : clock_(clock), file_(std::move(file)) {}

absl::Status WebSessions::Load() {
  if (file_.empty()) return absl::OkStatus();
  std::ifstream in(file_);
  if (!in) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    std::vector<std::string> fields = absl::StrSplit(line, ' ');
    absl::StatusOr<WebIdentity> who =
        fields.size() == 2 || fields.size() == 4
            ? ReadTokenClaims(fields[1])
            : absl::InvalidArgumentError(
                  "want: SID TOKEN [REFRESH_TOKEN DEVICE_ID]");
    if (!who.ok()) {
      return absl::InternalError(
          absl::StrCat(file_, ":", number, ": ", who.status().message()));
    }
    if (fields.size() == 4) {
      who->refresh_token = fields[2];
      who->device_id = fields[3];
    }
    sessions_[fields[0]] = *std::move(who);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> WebSessions::MakeLinkCode(absl::string_view token) {
  absl::StatusOr<WebIdentity> who = ReadTokenClaims(token);
  if (!who.ok()) return who.status();
  const absl::Time now = clock_->Now();
  if (who->expires <= now) {
    return absl::InvalidArgumentError("token: expired");
  }
  absl::MutexLock lock(&mu_);
  absl::erase_if(codes_,
                 [&](const auto& kv) { return kv.second.expires <= now; });
  if (codes_.size() >= static_cast<size_t>(kMaxPendingCodes)) {
    return absl::ResourceExhaustedError(
        "link codes: too many waiting to be opened");
  }
  std::string code = RandomHex(16);
  codes_[code] = {*std::move(who), now + kLinkTtl};
  return code;
}

absl::StatusOr<std::string> WebSessions::Redeem(absl::string_view code) {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto it = codes_.find(code);
  if (it == codes_.end() || it->second.expires <= now) {
    if (it != codes_.end()) codes_.erase(it);
    return absl::NotFoundError("code: unknown, already used or expired");
  }
  WebIdentity who = std::move(it->second.identity);
  codes_.erase(it);
  return AddLocked(std::move(who));
}

bool WebSessions::OverLocked(const WebIdentity& who, absl::Time now) const {
  return who.refresh_token.empty() && who.expires <= now;
}

absl::StatusOr<std::string> WebSessions::AddLocked(WebIdentity who) {
  const absl::Time now = clock_->Now();
  absl::erase_if(sessions_,
                 [&](const auto& kv) { return OverLocked(kv.second, now); });
  if (sessions_.size() >= static_cast<size_t>(kMaxSessions)) {
    auto oldest = sessions_.begin();
    for (auto s = sessions_.begin(); s != sessions_.end(); ++s) {
      if (s->second.expires < oldest->second.expires) oldest = s;
    }
    sessions_.erase(oldest);
  }
  std::string sid = RandomHex(32);
  sessions_[sid] = std::move(who);
  absl::Status saved = SaveLocked();
  if (!saved.ok()) {
    sessions_.erase(sid);
    return saved;
  }
  return sid;
}

absl::StatusOr<std::string> WebSessions::AddPaired(
    absl::string_view access_token, std::string refresh_token,
    std::string device_id) {
  absl::StatusOr<WebIdentity> who = ReadTokenClaims(access_token);
  if (!who.ok()) return who.status();
  who->refresh_token = std::move(refresh_token);
  who->device_id = std::move(device_id);
  absl::MutexLock lock(&mu_);
  return AddLocked(*std::move(who));
}

absl::Status WebSessions::UpdateTokens(absl::string_view sid,
                                       absl::string_view access_token,
                                       std::string refresh_token) {
  absl::StatusOr<WebIdentity> fresh = ReadTokenClaims(access_token);
  if (!fresh.ok()) return fresh.status();
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(sid);
  if (it == sessions_.end()) {
    return absl::NotFoundError("sid: no such browser session (logged out)");
  }
  it->second.token = std::move(fresh->token);
  it->second.expires = fresh->expires;
  it->second.refresh_token = std::move(refresh_token);
  return SaveLocked();
}

std::vector<DueRefresh> WebSessions::DueForRefresh(
    absl::Duration within) const {
  const absl::Time by = clock_->Now() + within;
  std::vector<DueRefresh> due;
  absl::MutexLock lock(&mu_);
  for (const auto& [sid, who] : sessions_) {
    if (!who.refresh_token.empty() && who.expires <= by) {
      due.push_back({sid, who.refresh_token});
    }
  }
  return due;
}

std::optional<WebIdentity> WebSessions::Find(absl::string_view sid) const {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(sid);
  if (it == sessions_.end() || OverLocked(it->second, clock_->Now())) {
    return std::nullopt;
  }
  return it->second;
}

absl::Status WebSessions::Drop(absl::string_view sid) {
  absl::MutexLock lock(&mu_);
  if (sessions_.erase(sid) == 0) return absl::OkStatus();
  return SaveLocked();
}

absl::Status WebSessions::SaveLocked() {
  if (file_.empty()) return absl::OkStatus();
  std::string text;
  for (const auto& [sid, who] : sessions_) {
    absl::StrAppend(&text, sid, " ", who.token);
    if (!who.refresh_token.empty()) {
      absl::StrAppend(&text, " ", who.refresh_token, " ", who.device_id);
    }
    absl::StrAppend(&text, "\n");
  }
  const std::string tmp = file_ + ".tmp";
  const int fd =
      open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InternalError(
        absl::StrCat(tmp, ": cannot write: ", std::strerror(errno)));
  }
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      return absl::InternalError(
          absl::StrCat(tmp, ": cannot write: ", std::strerror(errno)));
    }
    written += static_cast<size_t>(n);
  }
  if (close(fd) != 0 || std::rename(tmp.c_str(), file_.c_str()) != 0) {
    return absl::InternalError(
        absl::StrCat(file_, ": cannot replace: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace coachd
