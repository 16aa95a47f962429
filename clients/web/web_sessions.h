// Who a browser is, kept by the gateway and never by the browser: the
// browser pairs (/pair: it shows a code the person approves, and the
// gateway keeps the device credentials it gets, refreshing them), or a
// person (or a coach) makes a one-time link with their coachd token. The
// browser gets an opaque session id in an HttpOnly cookie, and the gateway
// maps that id to the token. The browser never sees a token.
//
//   WebSessions sessions(&clock, "/var/lib/coachd-web/sessions");
//   absl::StatusOr<std::string> code = sessions.MakeLinkCode(token);
//   absl::StatusOr<std::string> sid = sessions.Redeem(*code);  // once only
//   std::optional<WebIdentity> who = sessions.Find(*sid);
//
// Sessions are written to a file (mode 0600, replaced atomically) when one
// is made or dropped, so a restarted gateway still knows its browsers. Link
// codes live only in memory: a code lost with a restart is made again.
#ifndef CLIENTS_WEB_WEB_SESSIONS_H_
#define CLIENTS_WEB_WEB_SESSIONS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/clock.h"

namespace coachd {

// Whose a browser session is.
struct WebIdentity {
  std::string token;    // The coachd token the gateway calls with.
  std::string subject;  // The token's sub, for the page's heading.
  std::string role;     // The token's role: "user", "device" or "coach".
  absl::Time expires = absl::InfiniteFuture();  // The token's exp.
  // A paired browser's: the refresh token (rotated at every refresh) and
  // its device id; empty for a linked one (its token is not renewed).
  std::string refresh_token;
  std::string device_id;
};

// A paired browser whose access token needs refreshing.
struct DueRefresh {
  std::string sid;
  std::string refresh_token;
};

// The sub, role and exp claims of a JWT, read without checking its
// signature (coachd checks it on every call). INVALID_ARGUMENT naming
// "token" when it is not a JWT with those claims.
absl::StatusOr<WebIdentity> ReadTokenClaims(absl::string_view token);

// A random id of `bytes` bytes from the kernel's generator, hex-encoded.
std::string RandomHex(int bytes);

// Thread-safe. `clock` must outlive this object.
class WebSessions {
 public:
  // How long a link code may wait to be opened.
  static constexpr absl::Duration kLinkTtl = absl::Minutes(10);
  // Link codes waiting at once, at most (RESOURCE_EXHAUSTED beyond).
  static constexpr int kMaxPendingCodes = 1000;
  // Browser sessions at once, at most (the oldest-expiring is dropped).
  static constexpr int kMaxSessions = 100000;

  // `file`: where sessions are kept; empty: in memory only.
  WebSessions(const Clock* clock, std::string file);
  WebSessions(const WebSessions&) = delete;
  WebSessions& operator=(const WebSessions&) = delete;

  // Reads the sessions file, if there is one (a missing file is empty).
  // INTERNAL naming the file and line for a line that does not parse.
  absl::Status Load();

  // A new one-time code for `token` (see ReadTokenClaims for its errors),
  // valid kLinkTtl.
  absl::StatusOr<std::string> MakeLinkCode(absl::string_view token);

  // Uses up `code`: a new browser session id. NOT_FOUND when the code is
  // unknown, used or expired; the session file's write errors.
  absl::StatusOr<std::string> Redeem(absl::string_view code);

  // A new browser session for paired credentials (`access_token` as
  // ReadTokenClaims reads it); its id. The session file's write errors.
  absl::StatusOr<std::string> AddPaired(absl::string_view access_token,
                                        std::string refresh_token,
                                        std::string device_id);

  // A paired session's refreshed credentials. NOT_FOUND when `sid` is gone
  // (logged out meanwhile); the session file's write errors.
  absl::Status UpdateTokens(absl::string_view sid,
                            absl::string_view access_token,
                            std::string refresh_token);

  // The paired sessions whose access token expires within `within`.
  std::vector<DueRefresh> DueForRefresh(absl::Duration within) const;

  // The identity of browser session `sid`; nullopt when unknown, or its
  // token has expired and cannot be refreshed (a linked one).
  std::optional<WebIdentity> Find(absl::string_view sid) const;

  // Forgets `sid` (log out).
  absl::Status Drop(absl::string_view sid);

 private:
  struct PendingCode {
    WebIdentity identity;
    absl::Time expires;
  };
  absl::Status SaveLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds `who` under a new id (dropping expired and, past kMaxSessions,
  // the oldest-expiring sessions) and saves; the id.
  absl::StatusOr<std::string> AddLocked(WebIdentity who)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether `who` is over: expired and not refreshable.
  bool OverLocked(const WebIdentity& who, absl::Time now) const;

  const Clock* const clock_;
  const std::string file_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, PendingCode> codes_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, WebIdentity> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace coachd

#endif  // CLIENTS_WEB_WEB_SESSIONS_H_
