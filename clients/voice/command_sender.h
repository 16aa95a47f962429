// Sends the person's commands to their session with SendCommand, the same
// way whether they were typed or spoken: a fresh command id each, the same
// id on every retry of one command (coachd applies it once).
//
//   CommandSender sender(channel, credentials->Provider(), session_id);
//   grpc::Status s = sender.Send(coach::v1::COMMAND_TYPE_PAUSE, "");
//
// Each command asks the provider for the token current then (a paired
// speaker's refreshes shortly before it expires), and one refused with
// UNAUTHENTICATED is sent again, under the same command id, with a
// refreshed token: spoken commands keep working past the token's expiry.
//
// Thread-safe: the typed-command thread and the listener share one.
#ifndef CLIENTS_VOICE_COMMAND_SENDER_H_
#define CLIENTS_VOICE_COMMAND_SENDER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "clients/common/token_provider.h"
#include "coach/v1/session.grpc.pb.h"

namespace coachd {

class CommandSender {
 public:
  // `channel` is shared; `tokens` gives the token of each call (used under
  // this sender's lock only, so it need not be thread-safe).
  CommandSender(std::shared_ptr<grpc::Channel> channel, TokenProvider tokens,
                std::string session_id);
  // A fixed `token` (FixedToken: it cannot be refreshed).
  CommandSender(std::shared_ptr<grpc::Channel> channel, std::string token,
                std::string session_id);

  // Sends `command` (with `note` for REPORT_DISCOMFORT) from a VOICE
  // device under a fresh command id; retries the same id up to three
  // times while coachd is UNAVAILABLE or slow (5 s each). Returns coachd's
  // answer: OK when applied, FAILED_PRECONDITION when the session's state
  // forbids it, etc.; UNAUTHENTICATED when even a refreshed token is
  // refused (the speaker was revoked).
  grpc::Status Send(coach::v1::CommandType command, const std::string& note);

  // Tokens refreshed after UNAUTHENTICATED so far.
  int refreshes() const;

 private:
  // The token for the next call; `refresh`: the last one was refused.
  absl::StatusOr<std::string> Token(bool refresh);

  std::unique_ptr<coach::v1::SessionService::Stub> stub_;
  const std::string session_id_;
  std::atomic<int> sent_{0};
  mutable absl::Mutex mu_;
  TokenProvider tokens_ ABSL_GUARDED_BY(mu_);
  int refreshes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace coachd

#endif  // CLIENTS_VOICE_COMMAND_SENDER_H_
