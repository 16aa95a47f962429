// coachd's transport security: plaintext (loopback, the demo) or TLS from
// certificate files, optionally requiring client certificates (mutual TLS).
// gRPC re-reads the files every `reload_interval`: a renewed certificate is
// used for new connections, and open connections and their streams carry on
// untouched. A key and certificate that do not match are not taken (the
// pair in use stays).
//
//   TlsFiles tls{"server.pem", "server.key", ""};
//   absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds =
//       MakeServerCredentials(tls);
#ifndef SERVICES_SERVER_TLS_H_
#define SERVICES_SERVER_TLS_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace coachd {

// Where the server's TLS material is. All empty: plaintext.
struct TlsFiles {
  std::string cert_file;  // PEM certificate chain (--tls_cert_file).
  std::string key_file;   // PEM private key (--tls_key_file).
  // PEM CAs that sign client certificates (--tls_client_ca_file); set: a
  // client without a certificate they sign is refused at the handshake.
  std::string client_ca_file;
  // How often the files are read again (at least 1 s).
  absl::Duration reload_interval = absl::Seconds(5);
};

// Plaintext credentials when `files` names no file; else TLS (and mutual
// TLS with a client CA) watching the files. INVALID_ARGUMENT naming the flag
// when only one of cert and key is given, a client CA comes without them, or
// a file cannot be read or holds no PEM block.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files);

}  // namespace coachd

#endif  // SERVICES_SERVER_TLS_H_
