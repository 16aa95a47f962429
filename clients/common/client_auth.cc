#include "clients/common/client_auth.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "clients/common/channel_watch.h"
#include "services/auth/authenticator.h"
#include "services/auth/jwt.h"

ABSL_FLAG(std::string, tls_ca_file, "",
          "Connect to coachd over TLS, trusting the PEM CAs in this file. "
          "Empty: plaintext (loopback, the demo).");
ABSL_FLAG(std::string, tls_cert_file, "",
          "Mutual TLS: this client's PEM certificate (with --tls_key_file).");
ABSL_FLAG(std::string, tls_key_file, "",
          "Mutual TLS: the PEM private key of --tls_cert_file.");

namespace coachd {

absl::StatusOr<std::string> ResolveToken(const TokenSource& source) {
  if (!source.token.empty()) return source.token;
  if (source.secret_file.empty()) {
    return absl::InvalidArgumentError(
        "--token or --secret_file (with --sub) is required");
  }
  if (source.subject.empty()) {
    return absl::InvalidArgumentError("--sub: required to mint a token");
  }
  absl::StatusOr<Role> role = ParseRole(source.role);
  if (!role.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--role: ", role.status().message()));
  }
  absl::StatusOr<std::string> secret =
      LoadSecretFile(source.secret_file, "--secret_file");
  if (!secret.ok()) return secret.status();
  const absl::Time now = absl::Now();
  return MintToken(*secret, Identity{source.subject, *role}, now,
                   now + source.ttl);
}

bool RetryableStatus(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::UNIMPLEMENTED:
      return false;
    default:
      return true;
  }
}

void AddToken(grpc::ClientContext* context, const std::string& token) {
  context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
}

ClientTls ClientTlsFromFlags() {
  return ClientTls{absl::GetFlag(FLAGS_tls_ca_file),
                   absl::GetFlag(FLAGS_tls_cert_file),
                   absl::GetFlag(FLAGS_tls_key_file)};
}

std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(
    const ClientTls& tls) {
  if (tls.ca_file.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  auto Read = [](const char* flag, const std::string& path, std::string* out) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    *out = text.str();
    if (!in || out->empty()) {
      std::fprintf(stderr, "--%s: %s: cannot be read\n", flag, path.c_str());
      // Not empty: gRPC would trust the system's CAs instead. No
      // handshake succeeds with this.
      *out = "unreadable";
    }
  };
  Read("tls_ca_file", tls.ca_file, &options.pem_root_certs);
  if (!tls.cert_file.empty()) {
    Read("tls_cert_file", tls.cert_file, &options.pem_cert_chain);
  }
  if (!tls.key_file.empty()) {
    Read("tls_key_file", tls.key_file, &options.pem_private_key);
  }
  return grpc::SslCredentials(options);
}

namespace {

// A channel and the thread that keeps it polled and connecting. Members are
// destroyed in reverse: the thread stops before the channel goes.
struct KeptChannel {
  explicit KeptChannel(std::shared_ptr<grpc::Channel> c)
      : channel(std::move(c)),
        keeper(channel, ChannelWatchOptions{nullptr, nullptr,
                                            /*keep_connecting=*/true}) {}
  const std::shared_ptr<grpc::Channel> channel;
  ChannelWatch keeper;
};

}  // namespace

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target) {
  return MakeChannel(target, ClientTlsFromFlags());
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           const ClientTls& tls) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Reconnect quickly after a restart.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  auto kept = std::make_shared<KeptChannel>(
      grpc::CreateCustomChannel(target, MakeChannelCredentials(tls), args));
  // Shares ownership of the pair, points at the channel: the keeper lives
  // exactly as long as the channel's users. (The keeper's own copy is of
  // the inner pointer, so it keeps nothing alive by itself.)
  return std::shared_ptr<grpc::Channel>(kept, kept->channel.get());
}

}  // namespace coachd
