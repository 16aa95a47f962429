// Sends the person's commands to their session with SendCommand, the same
// way whether they were typed or spoken: a fresh command id each, the same
// id on every retry of one command (coachd applies it once).
//
//   CommandSender sender(channel, token, session_id);
//   grpc::Status s = sender.Send(coach::v1::COMMAND_TYPE_PAUSE, "");
//
// Thread-safe: the typed-command thread and the listener share one.
#ifndef CLIENTS_VOICE_COMMAND_SENDER_H_
#define CLIENTS_VOICE_COMMAND_SENDER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>

#include "coach/v1/session.grpc.pb.h"

namespace coachd {

class CommandSender {
 public:
  // `channel` is shared; `token` is sent with every call.
  CommandSender(std::shared_ptr<grpc::Channel> channel, std::string token,
                std::string session_id);

  // Sends `command` (with `note` for REPORT_DISCOMFORT) from a VOICE
  // device under a fresh command id; retries the same id up to three
  // times while coachd is UNAVAILABLE or slow (5 s each). Returns coachd's
  // answer: OK when applied, FAILED_PRECONDITION when the session's state
  // forbids it, etc.
  grpc::Status Send(coach::v1::CommandType command, const std::string& note);

 private:
  std::unique_ptr<coach::v1::SessionService::Stub> stub_;
  const std::string token_;
  const std::string session_id_;
  std::atomic<int> sent_{0};
};

}  // namespace coachd

#endif  // CLIENTS_VOICE_COMMAND_SENDER_H_
