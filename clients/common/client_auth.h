// What every coachd client does first: pick a token (given, or minted from
// the shared secret for local use) and open a channel to coachd.
//
//   absl::StatusOr<std::string> token = ResolveToken(flags);
//   auto stub = coach::v1::SessionService::NewStub(MakeChannel(target));
//   grpc::ClientContext ctx;  AddToken(&ctx, *token);
#ifndef CLIENTS_COMMON_CLIENT_AUTH_H_
#define CLIENTS_COMMON_CLIENT_AUTH_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace coachd {

// Where a client's token comes from.
struct TokenSource {
  std::string token;          // Used as is when set.
  std::string secret_file;    // Else minted from this secret...
  std::string subject;        // ...for this sub...
  std::string role = "user";  // ...and role.
  absl::Duration ttl = absl::Hours(24);
};

// The token to send. INVALID_ARGUMENT naming the flag when neither a token
// nor a secret file with a subject is given; the secret file's errors.
absl::StatusOr<std::string> ResolveToken(const TokenSource& source);

// Adds "authorization: Bearer <token>" to `context`.
void AddToken(grpc::ClientContext* context, const std::string& token);

// Whether a stream that ended with `code` is worth reopening: yes for
// transient trouble (UNAVAILABLE, a restart, a deadline); no when asking
// again cannot help (NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED,
// INVALID_ARGUMENT, FAILED_PRECONDITION, UNIMPLEMENTED).
bool RetryableStatus(grpc::StatusCode code);

// An insecure channel to `target` (host:port) with keepalive pings, so a
// dead server is noticed while a stream is idle.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target);

}  // namespace coachd

#endif  // CLIENTS_COMMON_CLIENT_AUTH_H_
