// What the tests of coaching over real gRPC share: a client of one coachd
// (its session and coach stubs, tokens minted at the test clock's time)
// with the calls those tests make, and readers of server streams.
//
//   CoachTestClient client(server->port(), &clock_);
//   coach::v1::SessionView view = client.Start("alice");
//   TestStream<LiveUpdate> board = client.Watch("coach-bob");
//   ReadUntil(board, IsKind(coach::v1::LIVE_UPDATE_KIND_STARTED));
#ifndef TESTS_COMMON_COACH_CLIENT_TESTING_H_
#define TESTS_COMMON_COACH_CLIENT_TESTING_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "coach/v1/coach.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "tests/common/grpc_testing.h"

namespace coachd {

// A server stream and its context (which must outlive the reader).
template <typename T>
struct TestStream {
  using Message = T;
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::ClientReader<T>> reader;

  // Reads to the end of the stream; its final status.
  grpc::Status Drain() {
    T ignored;
    while (reader->Read(&ignored)) {
    }
    return reader->Finish();
  }
};

// Reads messages up to and including the first that `stop` accepts. A test
// failure if the stream ends first (then the last element is empty, so that
// callers' back() stays valid).
// (`stop` may be any callable: T comes from the stream alone.)
template <typename T>
std::vector<T> ReadUntil(
    TestStream<T>& stream,
    const std::function<bool(const typename TestStream<T>::Message&)>& stop) {
  std::vector<T> messages;
  T message;
  while (stream.reader->Read(&message)) {
    messages.push_back(message);
    if (stop(message)) return messages;
  }
  ADD_FAILURE() << "the stream ended early: "
                << stream.reader->Finish().error_message();
  messages.emplace_back();
  return messages;
}

// Accepts a live update of `kind`.
inline std::function<bool(const coach::v1::LiveUpdate&)> IsKind(
    coach::v1::LiveUpdateKind kind) {
  return [kind](const coach::v1::LiveUpdate& u) { return u.kind() == kind; };
}

// Accepts a live update at `sequence` or later.
inline std::function<bool(const coach::v1::LiveUpdate&)> Through(
    int64_t sequence) {
  return [sequence](const coach::v1::LiveUpdate& u) {
    return u.sequence() >= sequence;
  };
}

// Reads session events up to and including `sequence`.
inline std::vector<coach::v1::SessionEvent> ReadThrough(
    TestStream<coach::v1::SessionEvent>& stream, int64_t sequence) {
  return ReadUntil(stream, [sequence](const coach::v1::SessionEvent& e) {
    return e.sequence() >= sequence;
  });
}

// A client of the coachd on 127.0.0.1:`port`, with kTestSecret tokens valid
// from `clock`'s time (`clock` must outlive it). Calls that must succeed
// (Start, Do) record a test failure when they do not. Not thread-safe.
class CoachTestClient {
 public:
  CoachTestClient(int port, const Clock* clock)
      : CoachTestClient(grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                            grpc::InsecureChannelCredentials()),
                        clock) {}

  // The same over `channel` (TLS, or through a proxy).
  CoachTestClient(std::shared_ptr<grpc::Channel> channel, const Clock* clock)
      : clock_(clock),
        channel_(std::move(channel)),
        sessions_(coach::v1::SessionService::NewStub(channel_)),
        coaches_(coach::v1::CoachService::NewStub(channel_)) {}

  // A context with a token for `sub` in `role`.
  std::unique_ptr<grpc::ClientContext> Context(const std::string& sub,
                                               Role role) const {
    return TokenContext(sub, role, clock_->Now());
  }

  // Starts the demo routine for `person` (a device token).
  coach::v1::SessionView Start(const std::string& person) {
    coach::v1::StartSessionRequest request;
    request.set_routine_id("demo");
    coach::v1::SessionView view;
    auto context = Context(person, Role::kDevice);
    grpc::Status s = sessions_->StartSession(context.get(), request, &view);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return view;
  }

  // Links `person` and `coach` by consent (the coach makes a link code, the
  // person links with it), or unlinks them as the person.
  grpc::Status Link(const std::string& person, const std::string& coach,
                    bool unlink = false,
                    coach::v1::LinkCoachResponse* out = nullptr) {
    coach::v1::LinkCoachRequest request;
    if (unlink) {
      request.set_coach_id(coach);
      request.set_unlink(true);
    } else {
      coach::v1::CreateLinkCodeResponse code;
      grpc::Status made = CreateLinkCode(coach, &code);
      if (!made.ok()) return made;
      request.set_code(code.code());
    }
    return LinkCoach(person, request, out);
  }

  // CreateLinkCode as `coach` (a coach token).
  grpc::Status CreateLinkCode(const std::string& coach,
                              coach::v1::CreateLinkCodeResponse* out) {
    auto context = Context(coach, Role::kCoach);
    return coaches_->CreateLinkCode(context.get(), {}, out);
  }

  // LinkCoach with `request` as `person` (a user token).
  grpc::Status LinkCoach(const std::string& person,
                         const coach::v1::LinkCoachRequest& request,
                         coach::v1::LinkCoachResponse* out = nullptr) {
    coach::v1::LinkCoachResponse unused;
    auto context = Context(person, Role::kUser);
    return coaches_->LinkCoach(context.get(), request,
                               out != nullptr ? out : &unused);
  }

  // UnlinkClient of `person` as `coach`.
  grpc::Status UnlinkClient(const std::string& coach, const std::string& person,
                            coach::v1::UnlinkClientResponse* out = nullptr) {
    coach::v1::UnlinkClientRequest request;
    request.set_person_id(person);
    coach::v1::UnlinkClientResponse unused;
    auto context = Context(coach, Role::kCoach);
    return coaches_->UnlinkClient(context.get(), request,
                                  out != nullptr ? out : &unused);
  }

  // Sends command `type` to session `id` as `sub` in `role`, with a new
  // command id; the response goes to `*out` when given.
  grpc::Status Command(const std::string& sub, Role role, const std::string& id,
                       coach::v1::CommandType type,
                       const std::string& note = "",
                       coach::v1::SendCommandResponse* out = nullptr) {
    coach::v1::SendCommandRequest request;
    request.set_session_id(id);
    request.set_command(type);
    // Unique in the process: clients of two replicas may command one
    // session, and a repeated id would be applied once.
    static std::atomic<int> command_ids{0};
    request.set_command_id(absl::StrCat("cmd-", ++command_ids));
    request.set_note(note);
    coach::v1::SendCommandResponse response;
    auto context = Context(sub, role);
    return sessions_->SendCommand(context.get(), request,
                                  out != nullptr ? out : &response);
  }

  // A command by the person's device that must succeed.
  void Do(const std::string& person, const std::string& id,
          coach::v1::CommandType type, const std::string& note = "") {
    grpc::Status s = Command(person, Role::kDevice, id, type, note);
    EXPECT_TRUE(s.ok()) << coach::v1::CommandType_Name(type) << ": "
                        << s.error_message();
  }

  grpc::Status ListClients(const std::string& sub, Role role,
                           coach::v1::ListClientsResponse* out) {
    auto context = Context(sub, role);
    return coaches_->ListClients(context.get(), {}, out);
  }

  // WatchLive as `coach`.
  TestStream<coach::v1::LiveUpdate> Watch(
      const std::string& coach,
      const coach::v1::ResumePosition* resume = nullptr,
      Role role = Role::kCoach) {
    coach::v1::WatchLiveRequest request;
    if (resume != nullptr) *request.mutable_resume() = *resume;
    TestStream<coach::v1::LiveUpdate> stream;
    stream.context = Context(coach, role);
    stream.reader = coaches_->WatchLive(stream.context.get(), request);
    return stream;
  }

  // WatchMySessions as `sub` in `role`.
  TestStream<coach::v1::LiveUpdate> WatchMine(
      const std::string& sub, Role role,
      const coach::v1::ResumePosition* resume = nullptr) {
    coach::v1::WatchMySessionsRequest request;
    if (resume != nullptr) *request.mutable_resume() = *resume;
    TestStream<coach::v1::LiveUpdate> stream;
    stream.context = Context(sub, role);
    stream.reader = coaches_->WatchMySessions(stream.context.get(), request);
    return stream;
  }

  // Subscribe to session `id` as `sub` in `role`, from a `kind` device.
  TestStream<coach::v1::SessionEvent> Subscribe(
      const std::string& sub, Role role, const std::string& id,
      coach::v1::DeviceKind kind,
      const coach::v1::ResumePosition* resume = nullptr) {
    coach::v1::SubscribeRequest request;
    request.set_session_id(id);
    request.set_kind(kind);
    if (resume != nullptr) *request.mutable_resume() = *resume;
    TestStream<coach::v1::SessionEvent> stream;
    stream.context = Context(sub, role);
    stream.reader = sessions_->Subscribe(stream.context.get(), request);
    return stream;
  }

  coach::v1::SessionService::Stub& sessions() { return *sessions_; }
  coach::v1::CoachService::Stub& coaches() { return *coaches_; }

 private:
  const Clock* clock_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<coach::v1::SessionService::Stub> sessions_;
  std::unique_ptr<coach::v1::CoachService::Stub> coaches_;
};

}  // namespace coachd

#endif  // TESTS_COMMON_COACH_CLIENT_TESTING_H_
