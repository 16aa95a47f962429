#include "clients/voice/command_sender.h"

#include <unistd.h>

#include <chrono>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/common/client_auth.h"

namespace coachd {

CommandSender::CommandSender(std::shared_ptr<grpc::Channel> channel,
                             TokenProvider tokens, std::string session_id)
    : stub_(coach::v1::SessionService::NewStub(channel)),
      session_id_(std::move(session_id)),
      tokens_(std::move(tokens)) {}

CommandSender::CommandSender(std::shared_ptr<grpc::Channel> channel,
                             std::string token, std::string session_id)
    : CommandSender(std::move(channel), FixedToken(std::move(token)),
                    std::move(session_id)) {}

absl::StatusOr<std::string> CommandSender::Token(bool refresh) {
  absl::MutexLock lock(&mu_);
  if (refresh) ++refreshes_;
  return tokens_(refresh);
}

int CommandSender::refreshes() const {
  absl::MutexLock lock(&mu_);
  return refreshes_;
}

grpc::Status CommandSender::Send(coach::v1::CommandType command,
                                 const std::string& note) {
  coach::v1::SendCommandRequest request;
  request.set_session_id(session_id_);
  request.set_command_id(absl::StrCat("voice-", getpid(), "-", ++sent_, "-",
                                      absl::ToUnixMicros(absl::Now())));
  request.set_command(command);
  request.set_from_kind(coach::v1::DEVICE_KIND_VOICE);
  if (command == coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT) {
    request.set_note(note);
  }
  grpc::Status status;
  bool refreshed = false;
  // Retry the same command id: applied once however often it is sent.
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<std::string> token = Token(/*refresh=*/false);
    if (!token.ok()) {
      return grpc::Status(static_cast<grpc::StatusCode>(token.status().code()),
                          std::string(token.status().message()));
    }
    grpc::ClientContext context;
    AddToken(&context, *token);
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
    coach::v1::SendCommandResponse response;
    status = stub_->SendCommand(&context, request, &response);
    if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED &&
        !refreshed) {
      // The token expired (or was revoked): refresh once, send again.
      refreshed = true;
      absl::StatusOr<std::string> fresh = Token(/*refresh=*/true);
      if (!fresh.ok()) return status;
      continue;
    }
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
        status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
      break;
    }
  }
  return status;
}

}  // namespace coachd
