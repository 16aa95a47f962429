// CatalogService, health and reflection of a real CoachServer, called over a
// real channel on 127.0.0.1 (port 0), with time driven by a FakeClock.
#include "services/catalog/catalog_service.h"

#include <google/protobuf/unknown_field_set.h>
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "coach/v1/catalog.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/auth/jwt.h"
#include "services/common/clock.h"
#include "services/server/coach_server.h"

namespace coachd {
namespace {

using ::coach::v1::Area;
using ::coach::v1::Equipment;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;

constexpr char kSecret[] = "catalog-service-test-secret";
// Bounds every call so a broken server fails the test instead of hanging it.
constexpr auto kCallBound = std::chrono::seconds(30);

std::string CatalogPath() {
  return std::string(COACHD_SOURCE_DIR) +
         "/services/catalog/back_catalog.textproto";
}

std::vector<std::string> Ids(const coach::v1::ListExercisesResponse& r) {
  std::vector<std::string> ids;
  for (const coach::v1::Exercise& e : r.exercises()) ids.push_back(e.id());
  return ids;
}

// Lists the services a server offers through reflection (v1alpha), without
// a token. The reflection stubs are not installed, so the call goes through
// the generic stub and the messages are read as raw protobuf fields:
// ServerReflectionRequest.list_services = 7; ServerReflectionResponse.
// list_services_response = 6 { repeated ServiceResponse service = 1
// { string name = 1 } }.
class ListServicesCall
    : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  // Starts the call on `stub`, which must outlive Wait().
  explicit ListServicesCall(grpc::GenericStub* stub) {
    static constexpr char kListServices[] = {0x3a, 0x00};
    grpc::Slice slice(kListServices, sizeof(kListServices));
    request_ = grpc::ByteBuffer(&slice, 1);
    context_.set_deadline(std::chrono::system_clock::now() + kCallBound);
    stub->PrepareBidiStreamingCall(
        &context_,
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  }

  void OnReadDone(bool ok) override { read_ok_ = ok; }
  void OnDone(const grpc::Status& status) override {
    status_ = status;
    done_.Notify();
  }

  // Blocks until the call is over (bounded by its deadline); returns the
  // service names, or the call's failure.
  grpc::Status Wait(std::set<std::string>* names) {
    done_.WaitForNotification();
    if (!status_.ok()) return status_;
    if (!read_ok_) return grpc::Status(grpc::StatusCode::INTERNAL, "no reply");
    std::vector<grpc::Slice> slices;
    if (!response_.Dump(&slices).ok()) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "unreadable reply");
    }
    std::string bytes;
    for (const grpc::Slice& s : slices) {
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    google::protobuf::UnknownFieldSet response;
    if (!response.ParseFromString(bytes)) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "unparsable reply");
    }
    for (int i = 0; i < response.field_count(); ++i) {
      if (response.field(i).number() != 6) continue;
      google::protobuf::UnknownFieldSet list;
      list.ParseFromString(response.field(i).length_delimited());
      for (int j = 0; j < list.field_count(); ++j) {
        google::protobuf::UnknownFieldSet service;
        service.ParseFromString(list.field(j).length_delimited());
        for (int k = 0; k < service.field_count(); ++k) {
          if (service.field(k).number() == 1) {
            names->insert(service.field(k).length_delimited());
          }
        }
      }
    }
    return grpc::Status::OK;
  }

 private:
  grpc::ClientContext context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  bool read_ok_ = false;
  grpc::Status status_;
  absl::Notification done_;
};

class CatalogServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.auth_secret = kSecret;
    options.catalog_path = CatalogPath();
    options.clock = &clock_;
    options.run_timer_thread = false;
    options.workers = 1;
    absl::StatusOr<std::unique_ptr<CoachServer>> server =
        CoachServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_GT(server_->port(), 0);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = coach::v1::CatalogService::NewStub(channel_);
    health_ = grpc::health::v1::Health::NewStub(channel_);
  }

  // A token for "alice" in `role`, valid for `ttl` from the fake clock's now.
  std::string Token(Role role = Role::kUser,
                    absl::Duration ttl = absl::Hours(1)) {
    return MintToken(kSecret, {"alice", role}, clock_.Now(),
                     clock_.Now() + ttl);
  }

  // A bounded client context; with `authorization` metadata unless null.
  static std::unique_ptr<grpc::ClientContext> Context(
      const std::string* authorization) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + kCallBound);
    if (authorization != nullptr) {
      context->AddMetadata("authorization", *authorization);
    }
    return context;
  }

  grpc::Status List(const coach::v1::ListExercisesRequest& request,
                    coach::v1::ListExercisesResponse* response) {
    const std::string bearer = "Bearer " + Token();
    return stub_->ListExercises(Context(&bearer).get(), request, response);
  }

  grpc::Status Get(const std::string& id, coach::v1::Exercise* response) {
    const std::string bearer = "Bearer " + Token();
    coach::v1::GetExerciseRequest request;
    request.set_id(id);
    return stub_->GetExercise(Context(&bearer).get(), request, response);
  }

  grpc::Status Build(const coach::v1::BuildRoutineRequest& request,
                     coach::v1::BuildRoutineResponse* response) {
    const std::string bearer = "Bearer " + Token();
    return stub_->BuildRoutine(Context(&bearer).get(), request, response);
  }

  FakeClock clock_;
  std::unique_ptr<CoachServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<coach::v1::CatalogService::Stub> stub_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

TEST_F(CatalogServiceTest, EveryBadCredentialIsUnauthenticatedSayingWhich) {
  const std::string wrong_secret =
      MintToken("not the server's secret", {"alice", Role::kUser}, clock_.Now(),
                clock_.Now() + absl::Hours(1));
  struct Case {
    const char* name;
    bool send_metadata;
    std::string authorization;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"no metadata", false, "", "missing authorization metadata"},
      {"basic scheme", true, "Basic x", "must be 'Bearer <JWT>'"},
      {"bearer without token", true, "Bearer ", "must be 'Bearer <JWT>'"},
      {"token without scheme", true, Token(), "must be 'Bearer <JWT>'"},
      {"malformed token", true, "Bearer not-a-jwt",
       "malformed: a JWT has three dot-separated parts"},
      {"garbage parts", true, "Bearer a.b.c", "malformed: header"},
      {"wrong secret", true, "Bearer " + wrong_secret, "bad signature"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto context = Context(c.send_metadata ? &c.authorization : nullptr);
    coach::v1::ListExercisesResponse response;
    grpc::Status status = stub_->ListExercises(
        context.get(), coach::v1::ListExercisesRequest(), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_THAT(status.error_message(), HasSubstr(c.message));
    EXPECT_EQ(response.exercises_size(), 0);
  }
}

TEST_F(CatalogServiceTest, EveryRpcRequiresAToken) {
  coach::v1::ListExercisesResponse list;
  EXPECT_EQ(
      stub_->ListExercises(Context(nullptr).get(), {}, &list).error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  coach::v1::GetExerciseRequest get;
  get.set_id("cat-cow");
  coach::v1::Exercise exercise;
  EXPECT_EQ(
      stub_->GetExercise(Context(nullptr).get(), get, &exercise).error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  coach::v1::BuildRoutineRequest build;
  build.set_minutes(30);
  coach::v1::BuildRoutineResponse routine;
  EXPECT_EQ(
      stub_->BuildRoutine(Context(nullptr).get(), build, &routine).error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(CatalogServiceTest, TokenExpiresByTheServersClock) {
  const std::string bearer = "Bearer " + Token(Role::kUser, absl::Minutes(1));
  coach::v1::ListExercisesResponse response;
  grpc::Status status =
      stub_->ListExercises(Context(&bearer).get(), {}, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();

  clock_.Advance(absl::Minutes(1));  // exp == now: expired.
  status = stub_->ListExercises(Context(&bearer).get(), {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(),
              HasSubstr("expired at 2026-01-05T07:01:00Z"));
}

TEST_F(CatalogServiceTest, EveryRoleMayBrowse) {
  for (Role role : {Role::kUser, Role::kDevice, Role::kCoach}) {
    SCOPED_TRACE(RoleName(role));
    const std::string bearer = "Bearer " + Token(role);
    coach::v1::ListExercisesResponse response;
    grpc::Status status =
        stub_->ListExercises(Context(&bearer).get(), {}, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
}

TEST_F(CatalogServiceTest, ListsAllNineInCatalogueOrder) {
  coach::v1::ListExercisesResponse response;
  grpc::Status status = List({}, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(
      Ids(response),
      ElementsAreArray({"warmup", "bent-over-row", "reverse-fly", "band-row",
                        "single-arm-row", "superman", "glute-bridge", "cat-cow",
                        "thoracic-rotation"}));
}

TEST_F(CatalogServiceTest, ListFiltersByAreaAndEquipment) {
  struct Case {
    const char* name;
    Area area;
    bool filter_equipment;
    std::vector<Equipment> equipment;
    std::vector<std::string> ids;
  };
  const std::vector<Case> cases = {
      {"upper",
       coach::v1::AREA_UPPER,
       false,
       {},
       {"bent-over-row", "reverse-fly"}},
      {"mid", coach::v1::AREA_MID, false, {}, {"band-row", "single-arm-row"}},
      {"lower", coach::v1::AREA_LOWER, false, {}, {"superman", "glute-bridge"}},
      {"mobility",
       coach::v1::AREA_MOBILITY,
       false,
       {},
       {"cat-cow", "thoracic-rotation"}},
      {"warm-up", coach::v1::AREA_WARMUP, false, {}, {"warmup"}},
      {"bodyweight only",
       coach::v1::AREA_UNSPECIFIED,
       true,
       {},
       {"warmup", "superman", "glute-bridge", "cat-cow", "thoracic-rotation"}},
      {"dumbbells",
       coach::v1::AREA_UNSPECIFIED,
       true,
       {coach::v1::EQUIPMENT_DUMBBELLS},
       {"warmup", "bent-over-row", "reverse-fly", "superman", "glute-bridge",
        "cat-cow", "thoracic-rotation"}},
      {"dumbbells and bench: single-arm row needs both",
       coach::v1::AREA_MID,
       true,
       {coach::v1::EQUIPMENT_DUMBBELLS, coach::v1::EQUIPMENT_BENCH},
       {"single-arm-row"}},
      {"band, mid back",
       coach::v1::AREA_MID,
       true,
       {coach::v1::EQUIPMENT_RESISTANCE_BAND},
       {"band-row"}},
      {"bench alone, upper back",
       coach::v1::AREA_UPPER,
       true,
       {coach::v1::EQUIPMENT_BENCH},
       {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    coach::v1::ListExercisesRequest request;
    request.set_area(c.area);
    request.set_has_equipment_filter(c.filter_equipment);
    for (Equipment e : c.equipment) request.add_equipment(e);
    coach::v1::ListExercisesResponse response;
    grpc::Status status = List(request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_THAT(Ids(response), ElementsAreArray(c.ids));
  }
}

TEST_F(CatalogServiceTest, ListRejectsUnknownEnumValues) {
  coach::v1::ListExercisesRequest bad_area;
  bad_area.set_area(static_cast<Area>(42));
  coach::v1::ListExercisesRequest bad_equipment;
  bad_equipment.set_has_equipment_filter(true);
  bad_equipment.add_equipment(coach::v1::EQUIPMENT_UNSPECIFIED);
  struct Case {
    const char* name;
    coach::v1::ListExercisesRequest request;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"area", bad_area, "area: unknown value 42"},
           {"equipment", bad_equipment, "equipment: unknown value 0"}}) {
    SCOPED_TRACE(c.name);
    coach::v1::ListExercisesResponse response;
    grpc::Status status = List(c.request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr(c.message));
  }
}

TEST_F(CatalogServiceTest, GetExerciseFindsOneById) {
  coach::v1::Exercise exercise;
  grpc::Status status = Get("single-arm-row", &exercise);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(exercise.id(), "single-arm-row");
  EXPECT_EQ(exercise.area(), coach::v1::AREA_MID);
  EXPECT_THAT(exercise.equipment(),
              ElementsAreArray({coach::v1::EQUIPMENT_DUMBBELLS,
                                coach::v1::EQUIPMENT_BENCH}));
  EXPECT_GT(exercise.steps_size(), 0);
  EXPECT_TRUE(exercise.prescription().per_side());
}

TEST_F(CatalogServiceTest, GetExerciseErrorsNameTheId) {
  struct Case {
    const char* id;
    grpc::StatusCode code;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"", grpc::StatusCode::INVALID_ARGUMENT, "id: required"},
           {"no-such-move", grpc::StatusCode::NOT_FOUND,
            "id: no exercise \"no-such-move\""}}) {
    SCOPED_TRACE(c.id);
    coach::v1::Exercise exercise;
    grpc::Status status = Get(c.id, &exercise);
    EXPECT_EQ(status.error_code(), c.code);
    EXPECT_THAT(status.error_message(), HasSubstr(c.message));
  }
}

TEST_F(CatalogServiceTest, BuildsABalancedRoutineDeterministically) {
  coach::v1::BuildRoutineRequest request;
  request.set_focus(coach::v1::FOCUS_BALANCED);
  request.set_minutes(30);
  request.set_level(coach::v1::LEVEL_BEGINNER);
  request.add_equipment(coach::v1::EQUIPMENT_DUMBBELLS);
  request.add_equipment(coach::v1::EQUIPMENT_RESISTANCE_BAND);
  request.add_equipment(coach::v1::EQUIPMENT_BENCH);
  coach::v1::BuildRoutineResponse first;
  grpc::Status status = Build(request, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const coach::v1::Routine& routine = first.routine();
  ASSERT_GT(routine.items_size(), 0);
  EXPECT_EQ(routine.items(0).exercise_id(), "warmup");
  EXPECT_LE(routine.estimated_seconds(), 30 * 60);
  std::set<int> areas;
  for (const coach::v1::RoutineItem& item : routine.items()) {
    areas.insert(item.area());
  }
  EXPECT_THAT(areas,
              IsSupersetOf({coach::v1::AREA_UPPER, coach::v1::AREA_MID,
                            coach::v1::AREA_LOWER, coach::v1::AREA_MOBILITY}));

  coach::v1::BuildRoutineResponse second;
  status = Build(request, &second);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(first, second));
}

TEST_F(CatalogServiceTest, BuildRoutineWithTooFewMinutesNamesMinutes) {
  coach::v1::BuildRoutineRequest request;
  request.set_focus(coach::v1::FOCUS_BALANCED);
  request.set_minutes(3);
  coach::v1::BuildRoutineResponse response;
  grpc::Status status = Build(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              HasSubstr("minutes: must be between 5 and 120, got 3"));
  EXPECT_FALSE(response.has_routine());
}

TEST_F(CatalogServiceTest, HealthIsServingWithoutAToken) {
  HealthCheckRequest request;
  request.set_service("");
  HealthCheckResponse response;
  grpc::Status status =
      health_->Check(Context(nullptr).get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
}

TEST_F(CatalogServiceTest, ShutdownReportsNotServingThenStops) {
  HealthCheckRequest request;
  request.set_service("");
  auto watch_context = Context(nullptr);
  std::unique_ptr<grpc::ClientReaderInterface<HealthCheckResponse>> watch =
      health_->Watch(watch_context.get(), request);
  HealthCheckResponse update;
  ASSERT_TRUE(watch->Read(&update));
  ASSERT_EQ(update.status(), HealthCheckResponse::SERVING);

  // The watch is an in-flight call: Shutdown waits for it (up to the grace)
  // after reporting NOT_SERVING, so it runs beside the reader.
  std::thread stopper([this] { server_->Shutdown(absl::Seconds(30)); });
  const bool got_update = watch->Read(&update);
  watch_context->TryCancel();
  watch->Finish();
  stopper.join();
  ASSERT_TRUE(got_update);
  EXPECT_EQ(update.status(), HealthCheckResponse::NOT_SERVING);

  // Stopped: a new check fails, or at most answers NOT_SERVING.
  HealthCheckResponse after;
  grpc::Status status = health_->Check(Context(nullptr).get(), request, &after);
  if (status.ok()) {
    EXPECT_EQ(after.status(), HealthCheckResponse::NOT_SERVING);
  } else {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  }
}

TEST_F(CatalogServiceTest, ReflectionListsTheServicesWithoutAToken) {
  grpc::GenericStub stub(channel_);
  ListServicesCall call(&stub);
  std::set<std::string> names;
  grpc::Status status = call.Wait(&names);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(names,
              IsSupersetOf({"coach.v1.CatalogService", "grpc.health.v1.Health",
                            "grpc.reflection.v1alpha.ServerReflection"}));
}

// A failed start returns its status and tears down what it built (it once
// crashed shutting down a server it never started).
TEST(CoachServerStartTest, FailuresAreStatusesNamingTheCause) {
  FakeClock clock;
  const std::string missing = absl::StrCat(::testing::TempDir(), "no-catalog");
  struct Case {
    const char* name;
    std::string secret;
    std::string catalog;
    std::string listen;
    absl::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"empty secret", "", CatalogPath(), "127.0.0.1:0",
       absl::StatusCode::kFailedPrecondition, "secret is empty"},
      {"missing catalogue", kSecret, missing, "127.0.0.1:0",
       absl::StatusCode::kNotFound, missing},
      {"port not a number", kSecret, CatalogPath(), "127.0.0.1:no-port",
       absl::StatusCode::kInvalidArgument, "--listen: must be HOST:PORT"},
      {"port out of range", kSecret, CatalogPath(), "127.0.0.1:99999",
       absl::StatusCode::kInvalidArgument, "got \"127.0.0.1:99999\""},
      {"address not on this machine", kSecret, CatalogPath(), "192.0.2.1:0",
       absl::StatusCode::kUnavailable, "cannot listen on 192.0.2.1:0"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ServerOptions options;
    options.listen = c.listen;
    options.auth_secret = c.secret;
    options.catalog_path = c.catalog;
    options.clock = &clock;
    options.run_timer_thread = false;
    absl::StatusOr<std::unique_ptr<CoachServer>> server =
        CoachServer::Start(std::move(options));
    ASSERT_FALSE(server.ok());
    EXPECT_EQ(server.status().code(), c.code);
    EXPECT_THAT(std::string(server.status().message()), HasSubstr(c.message));
  }
}

}  // namespace
}  // namespace coachd
