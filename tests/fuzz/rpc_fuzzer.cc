// Every coach.v1 request through its service handler: a whole coachd on the
// embedded store (CoachServer, a FakeClock, no timer threads), called over
// its in-process channel (no socket), so each request meets what a real
// one meets: gRPC's parsing, the unparsed-request interceptor, the
// authenticator, the handler and its logic, the stores.
//
// Input: byte 0 picks the RPC (kMethods), byte 1 the caller (low 3 bits,
// kCallers) and how far the clock moves first (the other bits, in
// seconds); the rest is the serialized request, sent as it is. When it
// parses as the method's request and its top-level session_id or
// reminder_id is "@", "@" stands for the newest session or reminder the
// fuzzer made, so commands reach a live session.
// Streams are read for their first message, then cancelled.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "coach/v1/auth.grpc.pb.h"
#include "coach/v1/catalog.grpc.pb.h"
#include "coach/v1/coach.grpc.pb.h"
#include "coach/v1/scheduler.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "services/auth/jwt.h"
#include "services/common/clock.h"
#include "services/common/log.h"
#include "services/server/coach_server.h"
#include "tests/fuzz/quiet_protobuf.h"

namespace coachd {
namespace {

constexpr char kSecret[] = "fuzz-secret";

// The RPCs by input byte 0 (modulo their number). Append only: the seed
// corpus names them by index.
constexpr const char* kMethods[] = {
    "coach.v1.CatalogService.ListExercises",     // 0
    "coach.v1.CatalogService.GetExercise",       // 1
    "coach.v1.CatalogService.BuildRoutine",      // 2
    "coach.v1.SessionService.StartSession",      // 3
    "coach.v1.SessionService.GetSession",        // 4
    "coach.v1.SessionService.Subscribe",         // 5
    "coach.v1.SessionService.SendCommand",       // 6
    "coach.v1.CoachService.LinkCoach",           // 7
    "coach.v1.CoachService.ListClients",         // 8
    "coach.v1.CoachService.WatchLive",           // 9
    "coach.v1.CoachService.WatchMySessions",     // 10
    "coach.v1.CoachService.SendCue",             // 11
    "coach.v1.CoachService.GetSessionSummary",   // 12
    "coach.v1.SchedulerService.SetGoal",         // 13
    "coach.v1.SchedulerService.GetProgress",     // 14
    "coach.v1.SchedulerService.LogWorkout",      // 15
    "coach.v1.SchedulerService.WatchReminders",  // 16
    "coach.v1.SchedulerService.AckReminder",     // 17
    "coach.v1.AuthService.StartPairing",         // 18
    "coach.v1.AuthService.PollPairing",          // 19
    "coach.v1.AuthService.ApprovePairing",       // 20
    "coach.v1.AuthService.DenyPairing",          // 21
    "coach.v1.AuthService.RefreshToken",         // 22
    "coach.v1.AuthService.ListDevices",          // 23
    "coach.v1.AuthService.RevokeDevice",         // 24
    "coach.v1.CoachService.CreateLinkCode",      // 25
    "coach.v1.CoachService.UnlinkClient",        // 26
};
constexpr int kMethodCount = sizeof(kMethods) / sizeof(kMethods[0]);

// The callers by input byte 1 (low 3 bits): alice (who linked coach
// carol at start-up), her device, bob, carol, and no token at all.
struct Caller {
  const char* subject;  // Empty: no authorization header.
  Role role;
};
constexpr Caller kCallers[] = {
    {"alice", Role::kUser},   {"alice", Role::kDevice}, {"bob", Role::kUser},
    {"carol", Role::kCoach},  {"", Role::kUser},        {"alice", Role::kUser},
    {"alice", Role::kDevice}, {"carol", Role::kCoach},
};

// One coachd for the whole run, and what the fuzzer made in it.
struct World {
  FakeClock clock;
  std::unique_ptr<CoachServer> server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::GenericStub> stub;
  std::string session_id = "none";   // The newest session started.
  std::string reminder_id = "none";  // The newest reminder seen.
};

std::string PathOf(const google::protobuf::MethodDescriptor& method) {
  return "/" + method.service()->full_name() + "/" + method.name();
}

void Authorize(World& world, const Caller& caller,
               grpc::ClientContext* context) {
  if (caller.subject[0] == '\0') return;
  const absl::Time now = world.clock.Now();
  context->AddMetadata(
      "authorization",
      "Bearer " + MintToken(kSecret, Identity{caller.subject, caller.role}, now,
                            now + absl::Hours(1)));
}

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// Calls `method` with `request`; the response (the first message of a
// stream), when one came, goes to `response`. Bounded: a stream with
// nothing to say within 50 ms, or any call past 5 s, is cancelled.
grpc::Status Call(World& world,
                  const google::protobuf::MethodDescriptor& method,
                  const Caller& caller, const std::string& request,
                  grpc::ByteBuffer* response, bool* got_response) {
  grpc::ClientContext context;
  Authorize(world, caller, &context);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  grpc::CompletionQueue cq;
  grpc::Status status;
  void* tag = nullptr;
  bool ok = false;
  *got_response = false;
  if (!method.server_streaming()) {
    std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
        world.stub->PrepareUnaryCall(&context, PathOf(method),
                                     ToBuffer(request), &cq);
    call->StartCall();
    call->Finish(response, &status, reinterpret_cast<void*>(1));
    cq.Next(&tag, &ok);
    *got_response = status.ok();
  } else {
    std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
        world.stub->PrepareCall(&context, PathOf(method), &cq);
    call->StartCall(reinterpret_cast<void*>(1));
    cq.Next(&tag, &ok);
    if (ok) {
      call->WriteLast(ToBuffer(request), grpc::WriteOptions(),
                      reinterpret_cast<void*>(2));
      cq.Next(&tag, &ok);
      call->Read(response, reinterpret_cast<void*>(3));
      const auto until =
          std::chrono::system_clock::now() + std::chrono::milliseconds(50);
      if (cq.AsyncNext(&tag, &ok, until) ==
          grpc::CompletionQueue::NextStatus::GOT_EVENT) {
        *got_response = ok;
      } else {
        context.TryCancel();
        cq.Next(&tag, &ok);  // The read, failed by the cancel.
      }
    }
    context.TryCancel();
    call->Finish(&status, reinterpret_cast<void*>(4));
    cq.Next(&tag, &ok);
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

// Replaces "@" in the top-level session_id/reminder_id fields of the
// parsed request; false when `bytes` does not parse (then it goes as it
// is).
bool Substitute(const World& world,
                const google::protobuf::MethodDescriptor& method,
                std::string* bytes) {
  const google::protobuf::Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(
          method.input_type());
  if (prototype == nullptr) return false;
  std::unique_ptr<google::protobuf::Message> message(prototype->New());
  if (!message->ParseFromString(*bytes)) return false;
  const google::protobuf::Reflection* reflection = message->GetReflection();
  bool changed = false;
  for (const auto& [name, value] : {std::pair<const char*, const std::string*>{
                                        "session_id", &world.session_id},
                                    {"reminder_id", &world.reminder_id}}) {
    const google::protobuf::FieldDescriptor* field =
        method.input_type()->FindFieldByName(name);
    if (field == nullptr || field->is_repeated() ||
        field->type() != google::protobuf::FieldDescriptor::TYPE_STRING ||
        reflection->GetString(*message, field) != "@") {
      continue;
    }
    reflection->SetString(message.get(), field, *value);
    changed = true;
  }
  if (changed) *bytes = message->SerializeAsString();
  return true;
}

// The bytes of `buffer` ("" if it cannot be read).
std::string BytesOf(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (!buffer.Dump(&slices).ok()) return bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return bytes;
}

// Remembers the session or reminder a response names, for "@".
void Remember(World& world, const google::protobuf::MethodDescriptor& method,
              const grpc::ByteBuffer& response) {
  const std::string bytes = BytesOf(response);
  if (method.name() == "StartSession") {
    coach::v1::SessionView view;
    if (view.ParseFromString(bytes) && !view.session_id().empty()) {
      world.session_id = view.session_id();
    }
  } else if (method.name() == "WatchReminders") {
    coach::v1::Reminder reminder;
    if (reminder.ParseFromString(bytes) && !reminder.reminder_id().empty()) {
      world.reminder_id = reminder.reminder_id();
    }
  }
}

World& TheWorld() {
  static World* world = [] {
    SetMinLogLevel(LogLevel::kError);  // One line per call otherwise.
    auto* w = new World();
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.auth_secret = kSecret;
    options.catalog_path = std::string(COACHD_SOURCE_DIR) +
                           "/services/catalog/back_catalog.textproto";
    options.clock = &w->clock;
    options.run_timer_thread = false;
    options.workers = 2;
    absl::StatusOr<std::unique_ptr<CoachServer>> server =
        CoachServer::Start(std::move(options));
    if (!server.ok()) {
      fprintf(stderr, "rpc_fuzzer: %s\n", server.status().ToString().c_str());
      abort();
    }
    w->server = *std::move(server);
    w->channel = w->server->InProcessChannelForTest();
    w->stub = std::make_unique<grpc::GenericStub>(w->channel);
    // alice links carol, and starts a session: "@" has a target from the
    // first input on.
    const google::protobuf::DescriptorPool* pool =
        google::protobuf::DescriptorPool::generated_pool();
    // Links need both sides: carol makes a code, alice links with it.
    grpc::ByteBuffer response;
    bool got = false;
    Call(*w, *pool->FindMethodByName(kMethods[25]), kCallers[3],
         coach::v1::CreateLinkCodeRequest().SerializeAsString(), &response,
         &got);
    coach::v1::CreateLinkCodeResponse code;
    if (!got || !code.ParseFromString(BytesOf(response))) {
      fprintf(stderr, "rpc_fuzzer: carol could not make a link code\n");
      abort();
    }
    coach::v1::LinkCoachRequest link;
    link.set_code(code.code());
    Call(*w, *pool->FindMethodByName(kMethods[7]), kCallers[0],
         link.SerializeAsString(), &response, &got);
    if (!got) {
      fprintf(stderr, "rpc_fuzzer: alice could not link carol\n");
      abort();
    }
    coach::v1::StartSessionRequest start;
    start.set_routine_id("demo");
    const auto* start_method = pool->FindMethodByName(kMethods[3]);
    Call(*w, *start_method, kCallers[0], start.SerializeAsString(), &response,
         &got);
    if (got) Remember(*w, *start_method, response);
    return w;
  }();
  return *world;
}

}  // namespace
}  // namespace coachd

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace coachd;  // NOLINT: the fuzzer's entry point only.
  if (size < 2) return 0;
  World& world = TheWorld();
  const google::protobuf::MethodDescriptor* method =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
          kMethods[data[0] % kMethodCount]);
  if (method == nullptr) abort();  // kMethods is out of date.
  const Caller& caller = kCallers[data[1] & 7];
  world.clock.Advance(absl::Seconds(data[1] >> 3));
  world.server->RunDueTimersForTest();
  world.server->scheduler().RunDueForTest();
  std::string request(reinterpret_cast<const char*>(data) + 2, size - 2);
  Substitute(world, *method, &request);
  grpc::ByteBuffer response;
  bool got = false;
  Call(world, *method, caller, request, &response, &got);
  if (got) Remember(world, *method, response);
  return 0;
}
