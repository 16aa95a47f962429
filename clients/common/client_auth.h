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

// Transport security of a client's channel. Empty: plaintext.
struct ClientTls {
  std::string ca_file;    // PEM CAs that sign coachd's certificate.
  std::string cert_file;  // Mutual TLS: this client's PEM certificate...
  std::string key_file;   // ...and its key.
};

// The client TLS flags: --tls_ca_file, --tls_cert_file, --tls_key_file.
ClientTls ClientTlsFromFlags();

// Channel credentials for `tls`: plaintext when it names no CA, else TLS
// (with a client certificate when given). A file that cannot be read is
// reported once on stderr and leaves the channel unable to connect
// (UNAVAILABLE), never plaintext.
std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(
    const ClientTls& tls);

// A channel to `target` (host:port) with keepalive pings, so a dead server
// is noticed while a stream is idle, and TLS as `tls` says. The channel
// keeps itself polled and connecting for as long as any copy of the
// pointer lives: it owns a ChannelWatch with keep_connecting (a thread
// waiting on its state), so a client of gRPC's synchronous API reconnects
// within the channel's reconnect backoff after a proxy or a server
// restarts, instead of leaving the attempts to gRPC's 5 s backup poller
// (channel_watch.h says why that can take minutes, or forever, with TLS).
// Every coachd client makes its channel here for that reason. Dropping the
// last copy stops the thread (within ChannelWatch::kPoll).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           const ClientTls& tls);

// MakeChannel with TLS as the flags say (ClientTlsFromFlags).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target);

}  // namespace coachd

#endif  // CLIENTS_COMMON_CLIENT_AUTH_H_
