#include "services/server/tls.h"

#include <fcntl.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace coachd {
namespace {

// How often gRPC reads coachd's copies (they change only on Reload).
constexpr unsigned int kCopiesPollSeconds = 1;

// The contents of `path`, which must hold a PEM block.
absl::StatusOr<std::string> ReadPem(const char* flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": ", path, ": cannot be read"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (!absl::StrContains(text.str(), "-----BEGIN ")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": ", path, ": holds no PEM block"));
  }
  return text.str();
}

// The first certificate of a PEM text; null when there is none.
X509* FirstCertificate(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

// OK when `cert_pem` starts with a certificate whose key is `key_pem`, and
// `ca_pem` (when set) holds a certificate.
absl::Status CheckPair(const TlsFiles& files, const std::string& cert_pem,
                       const std::string& key_pem, const std::string& ca_pem) {
  X509* cert = FirstCertificate(cert_pem);
  if (cert == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_cert_file: ", files.cert_file, ": holds no certificate"));
  }
  BIO* bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  const bool matches = key != nullptr && X509_check_private_key(cert, key) == 1;
  EVP_PKEY_free(key);
  X509_free(cert);
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_key_file: ", files.key_file, ": holds no private key"));
  }
  if (!matches) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_key_file: ", files.key_file,
        ": is not the key of the certificate in ", files.cert_file));
  }
  if (!files.client_ca_file.empty()) {
    X509* ca = FirstCertificate(ca_pem);
    if (ca == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("--tls_client_ca_file: ", files.client_ca_file,
                       ": holds no certificate"));
    }
    X509_free(ca);
  }
  return absl::OkStatus();
}

// Writes `text` to `path` (new, mode 0600).
absl::Status WritePrivate(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    return absl::InternalError(
        absl::StrCat("TLS copy ", path, ": cannot create"));
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      ::close(fd);
      return absl::InternalError(
          absl::StrCat("TLS copy ", path, ": cannot write"));
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerTls>> ServerTls::Start(TlsFiles files) {
  if (files.cert_file.empty() && files.key_file.empty()) {
    if (!files.client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "--tls_client_ca_file: needs --tls_cert_file and --tls_key_file");
    }
    std::unique_ptr<ServerTls> tls(new ServerTls(std::move(files)));
    tls->credentials_ = grpc::InsecureServerCredentials();
    return tls;
  }
  if (files.cert_file.empty() || files.key_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        files.cert_file.empty() ? "--tls_cert_file" : "--tls_key_file",
        ": required with ",
        files.cert_file.empty() ? "--tls_key_file" : "--tls_cert_file"));
  }
  std::unique_ptr<ServerTls> tls(new ServerTls(std::move(files)));
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp",
                                 "/coachd-tls-XXXXXX");
  if (::mkdtemp(dir.data()) == nullptr) {  // Mode 0700.
    return absl::InternalError(
        absl::StrCat("TLS: cannot make a private directory like ", dir));
  }
  tls->dir_ = dir;
  {
    absl::MutexLock lock(&tls->mu_);
    absl::Status installed = tls->Install();
    if (!installed.ok()) return installed;
  }
  const std::string live = tls->dir_ + "/live/";
  const TlsFiles& f = tls->files_;
  auto provider =
      f.client_ca_file.empty()
          ? std::make_shared<
                grpc::experimental::FileWatcherCertificateProvider>(
                live + "key.pem", live + "cert.pem", kCopiesPollSeconds)
          : std::make_shared<
                grpc::experimental::FileWatcherCertificateProvider>(
                live + "key.pem", live + "cert.pem", live + "ca.pem",
                kCopiesPollSeconds);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (f.client_ca_file.empty()) {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    options.watch_root_certs();
    options.set_cert_request_type(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  tls->credentials_ = grpc::experimental::TlsServerCredentials(options);
  return tls;
}

ServerTls::~ServerTls() {
  credentials_.reset();
  if (dir_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

const char* ServerTls::mode() const {
  if (plaintext()) return "plaintext";
  return files_.client_ca_file.empty() ? "TLS" : "mutual TLS";
}

absl::Status ServerTls::Reload() {
  if (plaintext()) {
    return absl::FailedPreconditionError(
        "plaintext: no TLS files to reload (--tls_cert_file)");
  }
  absl::MutexLock lock(&mu_);
  return Install();
}

absl::Status ServerTls::Install() {
  absl::StatusOr<std::string> cert = ReadPem("tls_cert_file", files_.cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem("tls_key_file", files_.key_file);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> ca = std::string();
  if (!files_.client_ca_file.empty()) {
    ca = ReadPem("tls_client_ca_file", files_.client_ca_file);
    if (!ca.ok()) return ca.status();
  }
  absl::Status checked = CheckPair(files_, *cert, *key, *ca);
  if (!checked.ok()) return checked;

  const int generation = generation_ + 1;
  const std::string name = absl::StrCat("gen-", generation);
  const std::string gen = absl::StrCat(dir_, "/", name);
  if (::mkdir(gen.c_str(), 0700) != 0) {
    return absl::InternalError(absl::StrCat("TLS copy ", gen, ": cannot make"));
  }
  for (const auto& [file, text] :
       {std::pair<const char*, const std::string*>{"cert.pem", &*cert},
        {"key.pem", &*key},
        {"ca.pem", &*ca}}) {
    absl::Status written = WritePrivate(absl::StrCat(gen, "/", file), *text);
    if (!written.ok()) return written;
  }
  // Switch "live" to the new generation in one rename: gRPC reads the
  // three files of one generation, never a mix.
  const std::string next = dir_ + "/live.next";
  ::unlink(next.c_str());
  if (::symlink(name.c_str(), next.c_str()) != 0 ||
      ::rename(next.c_str(), (dir_ + "/live").c_str()) != 0) {
    return absl::InternalError(
        absl::StrCat("TLS copy ", dir_, "/live: cannot switch"));
  }
  generation_ = generation;
  // The generation before stays (gRPC may be reading it); older ones go.
  std::error_code ignored;
  std::filesystem::remove_all(absl::StrCat(dir_, "/gen-", generation - 2),
                              ignored);
  return absl::OkStatus();
}

}  // namespace coachd
