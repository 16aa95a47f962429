// loadgen end to end against the bare baseline, in process on a loopback
// port: the baseline serves the SessionService method paths, and every mode
// of the driver sees every event exactly once.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "clients/loadgen/baseline_service.h"
#include "clients/loadgen/load_driver.h"
#include "coach/v1/session.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;

// A baseline server on 127.0.0.1:0 for one test.
class Baseline {
 public:
  explicit Baseline(BaselineOptions options) : service_(options) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterCallbackGenericService(&service_);
    server_ = builder.BuildAndStart();
  }
  ~Baseline() { server_->Shutdown(std::chrono::system_clock::now()); }

  std::string target() const { return absl::StrCat("127.0.0.1:", port_); }
  std::unique_ptr<coach::v1::SessionService::Stub> Stub() const {
    return coach::v1::SessionService::NewStub(
        grpc::CreateChannel(target(), grpc::InsecureChannelCredentials()));
  }

 private:
  BaselineService service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

BaselineOptions SmallSessions() {
  BaselineOptions options;
  options.event_bytes = 500;
  options.session_events = 20;
  options.start_events = 2;
  return options;
}

// Subscribes from `last_sequence` and collects the sequences until the end.
grpc::Status Collect(coach::v1::SessionService::Stub* stub,
                     const std::string& session_id, const std::string& epoch,
                     int64_t last_sequence, std::vector<int64_t>* sequences,
                     bool* finished) {
  grpc::ClientContext context;
  coach::v1::SubscribeRequest request;
  request.set_session_id(session_id);
  request.set_kind(coach::v1::DEVICE_KIND_VOICE);
  request.mutable_resume()->set_epoch(epoch);
  request.mutable_resume()->set_last_sequence(last_sequence);
  auto reader = stub->Subscribe(&context, request);
  coach::v1::SessionEvent event;
  *finished = false;
  while (reader->Read(&event)) {
    EXPECT_EQ(event.epoch(), epoch);
    EXPECT_EQ(event.session_id(), session_id);
    sequences->push_back(event.sequence());
    *finished = event.status().run_state() == coach::v1::RUN_STATE_FINISHED;
  }
  return reader->Finish();
}

// Sends the command `type` to `session_id`; the call's status.
grpc::Status Send(coach::v1::SessionService::Stub* stub,
                  const std::string& session_id, coach::v1::CommandType type) {
  grpc::ClientContext context;
  coach::v1::SendCommandRequest request;
  request.set_session_id(session_id);
  request.set_command_id(absl::StrCat("c-", type));
  request.set_command(type);
  coach::v1::SendCommandResponse response;
  return stub->SendCommand(&context, request, &response);
}

// Starts a session (paused, if asked); an empty view when that failed.
coach::v1::SessionView Start(coach::v1::SessionService::Stub* stub,
                             bool paused) {
  grpc::ClientContext context;
  coach::v1::StartSessionRequest request;
  request.set_routine_id("demo");
  request.set_paused(paused);
  coach::v1::SessionView view;
  EXPECT_TRUE(stub->StartSession(&context, request, &view).ok());
  return view;
}

TEST(BaselineTest, StreamsTheWholeSessionOrTheRestAfterAResume) {
  Baseline baseline(SmallSessions());
  auto stub = baseline.Stub();
  grpc::ClientContext start_context;
  coach::v1::StartSessionRequest start;
  start.set_routine_id("demo");
  coach::v1::SessionView view;
  ASSERT_TRUE(stub->StartSession(&start_context, start, &view).ok());
  EXPECT_EQ(view.last_sequence(), 2);

  struct Case {
    int64_t from;
    int64_t first;
  };
  for (const Case& c : std::vector<Case>{{0, 1}, {5, 6}, {19, 20}}) {
    SCOPED_TRACE(c.from);
    std::vector<int64_t> seen;
    bool finished = false;
    grpc::Status status = Collect(stub.get(), view.session_id(), view.epoch(),
                                  c.from, &seen, &finished);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(seen.size(), static_cast<size_t>(20 - c.from));
    for (size_t i = 0; i < seen.size(); ++i) {
      EXPECT_EQ(seen[i], c.first + static_cast<int64_t>(i));
    }
    EXPECT_TRUE(finished);
  }
}

TEST(BaselineTest, PauseAddsAnEventAndUnknownThingsAreRefused) {
  Baseline baseline(SmallSessions());
  auto stub = baseline.Stub();
  const coach::v1::SessionView view = Start(stub.get(), /*paused=*/false);
  ASSERT_TRUE(
      Send(stub.get(), view.session_id(), coach::v1::COMMAND_TYPE_PAUSE).ok());
  grpc::ClientContext get_context;
  coach::v1::GetSessionRequest get;
  get.set_session_id(view.session_id());
  coach::v1::SessionView now;
  ASSERT_TRUE(stub->GetSession(&get_context, get, &now).ok());
  EXPECT_EQ(now.last_sequence(), 3);

  grpc::ClientContext unknown_context;
  get.set_session_id("nope");
  grpc::Status unknown = stub->GetSession(&unknown_context, get, &now);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(unknown.error_message(), HasSubstr("session_id"));

  std::vector<int64_t> seen;
  bool finished = false;
  EXPECT_EQ(Collect(stub.get(), "nope", "e", 0, &seen, &finished).error_code(),
            grpc::StatusCode::NOT_FOUND);

  grpc::GenericStub generic(grpc::CreateChannel(
      baseline.target(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext other_context;
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  absl::Notification done;
  grpc::Status other;
  generic.UnaryCall(&other_context, "/coach.v1.CatalogService/ListExercises",
                    grpc::StubOptions(), &request, &response,
                    [&](grpc::Status s) {
                      other = s;
                      done.Notify();
                    });
  done.WaitForNotification();
  EXPECT_EQ(other.error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST(BaselineTest, ASessionStartedPausedStreamsToThePauseThenWaitsForResume) {
  Baseline baseline(SmallSessions());
  auto stub = baseline.Stub();
  const coach::v1::SessionView view = Start(stub.get(), /*paused=*/true);
  EXPECT_EQ(view.last_sequence(), 3);  // The start's 2, then the pause.

  grpc::ClientContext context;
  coach::v1::SubscribeRequest request;
  request.set_session_id(view.session_id());
  request.set_kind(coach::v1::DEVICE_KIND_DISPLAY);
  request.mutable_resume()->set_epoch(view.epoch());
  request.mutable_resume()->set_last_sequence(2);
  auto reader = stub->Subscribe(&context, request);
  coach::v1::SessionEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.sequence(), 3);  // The pause; then nothing until RESUME.

  ASSERT_TRUE(
      Send(stub.get(), view.session_id(), coach::v1::COMMAND_TYPE_RESUME).ok());
  std::vector<int64_t> rest;
  while (reader->Read(&event)) rest.push_back(event.sequence());
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_EQ(rest.size(), 17u);
  for (size_t i = 0; i < rest.size(); ++i) {
    EXPECT_EQ(rest[i], 4 + static_cast<int64_t>(i));
  }
  EXPECT_EQ(event.status().run_state(), coach::v1::RUN_STATE_FINISHED);
}

TEST(BaselineTest, AStreamOfAPausedSessionEndsWithItsCallNotAtResume) {
  // A stream held by a paused session and cancelled is let go by RESUME
  // (or the service's end) without writing: no leak, no crash.
  Baseline baseline(SmallSessions());
  auto stub = baseline.Stub();
  const coach::v1::SessionView view = Start(stub.get(), /*paused=*/true);
  {
    grpc::ClientContext context;
    coach::v1::SubscribeRequest request;
    request.set_session_id(view.session_id());
    request.set_kind(coach::v1::DEVICE_KIND_VOICE);
    auto reader = stub->Subscribe(&context, request);
    coach::v1::SessionEvent event;
    ASSERT_TRUE(reader->Read(&event));
    context.TryCancel();
    while (reader->Read(&event)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  EXPECT_TRUE(
      Send(stub.get(), view.session_id(), coach::v1::COMMAND_TYPE_RESUME).ok());
}

LoadConfig ConfigFor(const Baseline& baseline, LoadMode mode) {
  LoadConfig config;
  config.target = baseline.target();
  config.secret = "test-secret";
  config.label = "baseline";
  config.mode = mode;
  config.households = 4;
  config.channels = 2;
  config.duration = absl::Milliseconds(600);
  config.warmup = absl::ZeroDuration();
  config.settle = absl::Milliseconds(100);
  config.storm_gap = absl::Milliseconds(50);
  return config;
}

void ExpectExact(const LoadReport& report) {
  EXPECT_EQ(report.gaps, 0);
  EXPECT_EQ(report.missing, 0);
  EXPECT_EQ(report.duplicates, 0);
  EXPECT_EQ(report.stream_errors, 0) << report.first_error;
  EXPECT_EQ(report.rpc_errors, 0) << report.first_error;
}

// Every timed event was live. The two histograms' counts are read a moment
// apart while the last events still arrive, so they may differ by a few.
void ExpectAllLive(const LoadReport& report) {
  EXPECT_NEAR(report.live_latency_samples, report.latency_samples, 8);
  EXPECT_NEAR(report.live_latency_p99_us, report.latency_p99_us,
              report.latency_p99_us / 10 + 1);
}

TEST(LoadDriverTest, SaturationSeesEverySessionEventOncePerSubscriber) {
  Baseline baseline(SmallSessions());
  absl::StatusOr<LoadReport> report =
      RunLoad(ConfigFor(baseline, LoadMode::kSaturation));
  ASSERT_TRUE(report.ok()) << report.status();
  ExpectExact(*report);
  EXPECT_GT(report->delivered, 0);
  EXPECT_GT(report->sessions_finished, 0);
  EXPECT_EQ(report->streams, 8);
  EXPECT_NEAR(report->mean_event_bytes, 500, 10);
  // Every delivered event is timed (the window's edges may differ by a few).
  EXPECT_GT(report->latency_samples, report->delivered / 2);
  EXPECT_LE(report->latency_p50_us, report->latency_p99_us);
  EXPECT_LE(report->latency_p99_us, report->latency_max_us);
  // The baseline makes each event as it writes it, after the call opened:
  // every one is live, none replayed history.
  ExpectAllLive(*report);
}

TEST(LoadDriverTest, LiveResumesEverySessionStartedPausedAndAllIsLive) {
  Baseline baseline(SmallSessions());
  absl::StatusOr<LoadReport> report =
      RunLoad(ConfigFor(baseline, LoadMode::kLive));
  ASSERT_TRUE(report.ok()) << report.status();
  ExpectExact(*report);
  EXPECT_EQ(report->mode, "live");
  // Sessions end only after RESUME: households resumed them, and again.
  EXPECT_GT(report->sessions_finished, 4);
  EXPECT_EQ(report->streams, 8);
  EXPECT_GT(report->latency_samples, 0);
  ExpectAllLive(*report);
}

TEST(LoadDriverTest, CountsGapsAndDuplicatesOfAFaultyServer) {
  BaselineOptions options = SmallSessions();
  options.session_events = 21;
  options.fault_every = 5;  // Skips 5, 10, 15, 20; repeats 1, 6, 11, 16.
  Baseline baseline(options);
  absl::StatusOr<LoadReport> report =
      RunLoad(ConfigFor(baseline, LoadMode::kSaturation));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_GT(report->gaps, 0);
  EXPECT_EQ(report->silent_gaps, report->gaps);  // No snapshot announced them.
  EXPECT_EQ(report->missing, report->gaps);      // One event each.
  EXPECT_GT(report->duplicates, 0);
  EXPECT_EQ(report->subscribers_with_gaps, 8);
  EXPECT_EQ(report->subscribers_with_duplicates, 8);
  EXPECT_THAT(report->first_gap, HasSubstr("came"));
}

TEST(LoadDriverTest, IdleConnectsTwoStreamsPerHousehold) {
  Baseline baseline(SmallSessions());
  LoadConfig config = ConfigFor(baseline, LoadMode::kIdle);
  config.server_pid = getpid();  // The baseline runs in this process.
  absl::StatusOr<LoadReport> report = RunLoad(config);
  ASSERT_TRUE(report.ok()) << report.status();
  ExpectExact(*report);
  EXPECT_EQ(report->idle_connected, 8);
  EXPECT_GT(report->idle_rss_after_kb, 0);
  EXPECT_NE(report->idle_bytes_per_stream, -1);
}

TEST(LoadDriverTest, StormResumesEveryStreamWithoutGaps) {
  BaselineOptions options = SmallSessions();
  options.session_events = 1000000;  // Outlasts the test.
  options.interval = absl::Milliseconds(5);
  Baseline baseline(options);
  absl::StatusOr<LoadReport> report =
      RunLoad(ConfigFor(baseline, LoadMode::kStorm));
  ASSERT_TRUE(report.ok()) << report.status();
  ExpectExact(*report);
  EXPECT_EQ(report->storm_resumed, 8);
  EXPECT_GT(report->storm_resumes_per_s, 0);
}

TEST(LoadDriverTest, StalledMeasuresBothHalves) {
  BaselineOptions options = SmallSessions();
  options.session_events = 1000000;
  options.interval = absl::Milliseconds(5);
  Baseline baseline(options);
  absl::StatusOr<LoadReport> report =
      RunLoad(ConfigFor(baseline, LoadMode::kStalled));
  ASSERT_TRUE(report.ok()) << report.status();
  ExpectExact(*report);
  EXPECT_GT(report->stalled_received, 0);
  EXPECT_NE(report->stalled_a_p99_us, -1);
  EXPECT_NE(report->stalled_b_p99_us, -1);
}

TEST(LoadDriverTest, RefusesBadConfigNamingTheFlag) {
  Baseline baseline(SmallSessions());
  struct Case {
    std::string name;
    std::function<void(LoadConfig*)> change;
    std::string flag;
  };
  const std::vector<Case> cases = {
      {"remote target", [](LoadConfig* c) { c->target = "10.1.2.3:50051"; },
       "--target"},
      {"no households", [](LoadConfig* c) { c->households = 0; },
       "--households"},
      {"no channels", [](LoadConfig* c) { c->channels = 0; }, "--channels"},
      {"no secret", [](LoadConfig* c) { c->secret.clear(); }, "--secret_file"},
      {"no duration", [](LoadConfig* c) { c->duration = absl::ZeroDuration(); },
       "--duration"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    LoadConfig config = ConfigFor(baseline, LoadMode::kSaturation);
    c.change(&config);
    const absl::Status status = RunLoad(config).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr(c.flag));
  }
}

}  // namespace
}  // namespace coachd
