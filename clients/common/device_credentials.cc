#include "clients/common/device_credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace coachd {
namespace {

using coach::v1::PollPairingResponse;

absl::Status FromGrpc(const grpc::Status& status, absl::string_view what) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(what, ": ", status.error_message()));
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(10));
  return context;
}

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

}  // namespace

absl::Status SaveCredentials(const std::string& path,
                             const coach::v1::Credentials& credentials) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(credentials, &json).ok()) {
    return absl::InternalError("credentials: cannot be written as JSON");
  }
  const std::string temp = path + ".tmp";
  const int fd =
      ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "--credentials_file ", path, ": cannot write: ", std::strerror(errno)));
  }
  // An existing file keeps its mode through O_TRUNC: set it.
  bool ok = ::fchmod(fd, 0600) == 0;
  size_t written = 0;
  while (ok && written < json.size()) {
    const ssize_t n = ::write(fd, json.data() + written, json.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<size_t>(n);
  }
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(temp.c_str(), path.c_str()) != 0) {
    ::unlink(temp.c_str());
    return absl::UnavailableError(absl::StrCat(
        "--credentials_file ", path, ": cannot write: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<coach::v1::Credentials> LoadCredentials(
    const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(
        "--credentials_file ", path, ": not there; pair first with --pair"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  coach::v1::Credentials credentials;
  if (!google::protobuf::util::JsonStringToMessage(text.str(), &credentials)
           .ok() ||
      credentials.refresh_token().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--credentials_file ", path, ": not credentials saved by --pair"));
  }
  return credentials;
}

absl::StatusOr<TokenClaims> ReadClaims(absl::string_view jwt) {
  const std::vector<absl::string_view> parts = absl::StrSplit(jwt, '.');
  std::string payload;
  if (parts.size() != 3 || !absl::WebSafeBase64Unescape(parts[1], &payload)) {
    return absl::InvalidArgumentError(
        "token: not a JWT (three base64url parts)");
  }
  google::protobuf::Struct claims;
  if (!google::protobuf::util::JsonStringToMessage(payload, &claims).ok()) {
    return absl::InvalidArgumentError("token: its claims are not JSON");
  }
  const auto& f = claims.fields();
  auto sub = f.find("sub");
  auto role = f.find("role");
  auto exp = f.find("exp");
  if (sub == f.end() || !sub->second.has_string_value() ||
      sub->second.string_value().empty()) {
    return absl::InvalidArgumentError("token: no sub claim");
  }
  if (role == f.end() || !role->second.has_string_value()) {
    return absl::InvalidArgumentError("token: no role claim");
  }
  if (exp == f.end() || !exp->second.has_number_value()) {
    return absl::InvalidArgumentError("token: no exp claim");
  }
  return TokenClaims{
      sub->second.string_value(), role->second.string_value(),
      absl::FromUnixSeconds(static_cast<int64_t>(exp->second.number_value()))};
}

std::string SpokenUserCode(const std::string& user_code) {
  std::string spoken;
  for (char c : user_code) {
    if (c == '-') {
      spoken += ". ";
      continue;
    }
    if (!spoken.empty() && spoken.back() != ' ') spoken += ", ";
    spoken.push_back(c);
  }
  return spoken + ".";
}

DeviceCredentials::DeviceCredentials(std::shared_ptr<grpc::Channel> channel,
                                     std::string path,
                                     coach::v1::Credentials credentials,
                                     CredentialsOptions options)
    : stub_(coach::v1::AuthService::NewStub(channel)),
      path_(std::move(path)),
      options_(options),
      credentials_(std::move(credentials)) {}

absl::StatusOr<std::unique_ptr<DeviceCredentials>> DeviceCredentials::Pair(
    std::shared_ptr<grpc::Channel> channel, std::string path,
    const std::string& suggested_name,
    const std::function<void(const PairingPrompt&)>& show,
    PairOptions pair_options, CredentialsOptions options) {
  auto stub = coach::v1::AuthService::NewStub(channel);
  coach::v1::StartPairingRequest start_request;
  start_request.set_suggested_name(suggested_name);
  coach::v1::StartPairingResponse start;
  grpc::Status started =
      stub->StartPairing(Context().get(), start_request, &start);
  if (!started.ok()) return FromGrpc(started, "StartPairing");
  show(PairingPrompt{start.user_code(),
                     absl::Seconds(start.expires_in_seconds())});
  const absl::Time deadline =
      absl::Now() +
      std::min(pair_options.max_wait,
               absl::Seconds(start.expires_in_seconds()) + absl::Seconds(5));
  absl::Duration interval = absl::Seconds(start.interval_seconds());
  coach::v1::PollPairingRequest poll;
  poll.set_device_code(start.device_code());
  for (;;) {
    PollPairingResponse polled;
    grpc::Status s = stub->PollPairing(Context().get(), poll, &polled);
    if (!s.ok()) return FromGrpc(s, "PollPairing");
    switch (polled.state()) {
      case PollPairingResponse::APPROVED: {
        absl::Status saved = SaveCredentials(path, polled.credentials());
        if (!saved.ok()) return saved;
        return std::unique_ptr<DeviceCredentials>(
            new DeviceCredentials(std::move(channel), std::move(path),
                                  polled.credentials(), options));
      }
      case PollPairingResponse::DENIED:
        return absl::PermissionDeniedError(
            absl::StrCat("pairing ", start.user_code(), " was denied"));
      case PollPairingResponse::EXPIRED:
        return absl::DeadlineExceededError(absl::StrCat(
            "pairing ", start.user_code(), " expired unapproved; try again"));
      case PollPairingResponse::SLOW_DOWN:
      case PollPairingResponse::PENDING:
        interval = absl::Seconds(polled.interval_seconds());
        break;
      default:
        return absl::InternalError("PollPairing: unknown state");
    }
    if (absl::Now() + interval > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "pairing ", start.user_code(), ": nobody approved it in time"));
    }
    absl::SleepFor(interval);
  }
}

absl::StatusOr<std::unique_ptr<DeviceCredentials>> DeviceCredentials::Load(
    std::shared_ptr<grpc::Channel> channel, std::string path,
    CredentialsOptions options) {
  absl::StatusOr<coach::v1::Credentials> credentials = LoadCredentials(path);
  if (!credentials.ok()) return credentials.status();
  return std::unique_ptr<DeviceCredentials>(new DeviceCredentials(
      std::move(channel), std::move(path), *std::move(credentials), options));
}

absl::Status DeviceCredentials::RefreshLocked() {
  coach::v1::RefreshTokenRequest request;
  request.set_refresh_token(credentials_.refresh_token());
  coach::v1::Credentials next;
  grpc::Status s = stub_->RefreshToken(Context().get(), request, &next);
  if (!s.ok()) return FromGrpc(s, "RefreshToken");
  credentials_ = std::move(next);
  // The old refresh token is spent: keep the new one even if saving fails
  // (the device works until it restarts).
  return SaveCredentials(path_, credentials_);
}

absl::StatusOr<std::string> DeviceCredentials::AccessToken() {
  absl::MutexLock lock(&mu_);
  if (absl::Now() + options_.refresh_before >=
      TimeOf(credentials_.access_expires_at())) {
    absl::Status refreshed = RefreshLocked();
    if (!refreshed.ok() && !absl::IsUnavailable(refreshed)) return refreshed;
  }
  return credentials_.access_token();
}

absl::StatusOr<std::string> DeviceCredentials::Refresh(
    const std::string& seen) {
  absl::MutexLock lock(&mu_);
  if (credentials_.access_token() == seen) {
    absl::Status refreshed = RefreshLocked();
    if (!refreshed.ok()) return refreshed;
  }
  return credentials_.access_token();
}

TokenProvider DeviceCredentials::Provider() {
  // The token this provider last handed out: a refresh is asked for that
  // one, so streams that share the credentials refresh once between them.
  auto last = std::make_shared<std::string>();
  return [this, last](bool refresh) -> absl::StatusOr<std::string> {
    absl::StatusOr<std::string> token =
        refresh ? Refresh(*last) : AccessToken();
    if (token.ok()) *last = *token;
    return token;
  };
}

std::string DeviceCredentials::device_id() const {
  absl::MutexLock lock(&mu_);
  return credentials_.device_id();
}

}  // namespace coachd
