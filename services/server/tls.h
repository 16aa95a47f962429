// coachd's transport security: plaintext (loopback, the demo) or TLS from
// certificate files, optionally requiring client certificates (mutual TLS),
// reloaded on demand (SIGHUP) without dropping a connection.
//
// gRPC 1.51 can only watch files, so coachd serves from its own copies of
// the operator's files, kept in a private directory (mode 0700, removed when
// it stops): one generation directory per load and a symlink to the current
// one, switched atomically, which gRPC reads every second. Reload() reads
// the operator's files, checks them (each holds PEM, the key matches the
// certificate) and only then switches, so a half-written or mismatched
// renewal is refused and the certificate in use stays. New handshakes get
// the new files within about a second; open connections and their streams
// carry on untouched.
//
//   absl::StatusOr<std::unique_ptr<ServerTls>> tls =
//       ServerTls::Start({"server.pem", "server.key", ""});
//   builder.AddListeningPort(addr, (*tls)->credentials());
//   ... on SIGHUP: absl::Status reloaded = (*tls)->Reload();
#ifndef SERVICES_SERVER_TLS_H_
#define SERVICES_SERVER_TLS_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace coachd {

// Where the server's TLS material is. All empty: plaintext.
struct TlsFiles {
  std::string cert_file;  // PEM certificate chain (--tls_cert_file).
  std::string key_file;   // PEM private key (--tls_key_file).
  // PEM CAs that sign client certificates (--tls_client_ca_file); set: a
  // client without a certificate they sign is refused at the handshake.
  std::string client_ca_file;
};

// The server's credentials and, with TLS, the copies they are read from.
// Thread-safe.
class ServerTls {
 public:
  // Plaintext when `files` names no file; else TLS from checked copies of
  // the files. INVALID_ARGUMENT naming the flag when only one of cert and
  // key is given, a client CA comes without them, a file cannot be read or
  // holds no PEM, or the key does not match the certificate; INTERNAL when
  // the private directory cannot be made.
  static absl::StatusOr<std::unique_ptr<ServerTls>> Start(TlsFiles files);
  ~ServerTls();  // Removes the private directory.
  ServerTls(const ServerTls&) = delete;
  ServerTls& operator=(const ServerTls&) = delete;

  std::shared_ptr<grpc::ServerCredentials> credentials() const {
    return credentials_;
  }
  bool plaintext() const { return files_.cert_file.empty(); }
  // "plaintext", "TLS" or "mutual TLS".
  const char* mode() const;

  // Reads the files named at Start again and, when they pass the checks
  // Start makes, serves them to handshakes from about a second on; else
  // the error (as Start's) and nothing changes. FAILED_PRECONDITION when
  // plaintext.
  absl::Status Reload();

 private:
  explicit ServerTls(TlsFiles files) : files_(std::move(files)) {}
  // Copies the checked files into a new generation and points "live" at it.
  absl::Status Install() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const TlsFiles files_;
  std::string dir_;  // The private directory; empty when plaintext.
  std::shared_ptr<grpc::ServerCredentials> credentials_;
  absl::Mutex mu_;
  int generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace coachd

#endif  // SERVICES_SERVER_TLS_H_
