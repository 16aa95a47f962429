// The Home Assistant bridge end to end: a real mosquitto on a free loopback
// port, a real coachd (in process, sessions and boards in a real
// redis-server, a FakeClock whose timers the test fires), the bridge, and
// an independent MQTT client (MqttProbe) that checks what Home Assistant
// would see and presses its buttons. Discovery has what Home Assistant
// requires; states follow a played session within 1 s of each event;
// buttons drive the session and a forbidden press becomes an event; garbage
// changes nothing; a reminder raises its event and binary sensor; Home
// Assistant's birth message brings a republish; broker and coachd restarts
// are survived with nothing missed or applied twice; a person no longer
// served loses their device; kill -9 of the bridge process (paired, with no
// secret) makes the broker publish "offline"; a paired bridge refreshes its
// expired tokens and resumes, and a code approved by the wrong person is
// refused.
//
// Waits have limits only so that a broken test fails instead of hanging;
// the 1 s limits are the promise.
#include "clients/homeassistant/bridge.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "clients/homeassistant/ha_state.h"
#include "clients/homeassistant/person_credentials.h"
#include "coach/v1/auth.grpc.pb.h"
#include "coach/v1/scheduler.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "services/metrics/metrics_http_server.h"
#include "tests/coach/coach_redis_testing.h"
#include "tests/common/grpc_testing.h"
#include "tests/common/mosquitto_server.h"
#include "tests/common/mqtt_probe.h"
#include "tests/common/prometheus_scrape.h"
#include "tests/common/redis_server.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kPromise = absl::Seconds(1);  // The limit.
constexpr char kPerson[] = "alice";

std::string Topic(const std::string& object_id) {
  return absl::StrCat("coachd/alice/", object_id);
}

class BridgeTest : public ::testing::Test {
 protected:
  // coachd's clock starts at `start` (default: Monday 2026-01-05 07:00 UTC).
  explicit BridgeTest(absl::Time start = absl::FromUnixSeconds(1767596400))
      : clock_(start) {}

  void SetUp() override {
    std::string dir = ::testing::TempDir() + "coachd_ha_XXXXXX";
    ASSERT_NE(::mkdtemp(dir.data()), nullptr);
    dir_ = dir;
    auto redis = RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    auto broker = MosquittoServer::Start();
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = *std::move(broker);
    ASSERT_NO_FATAL_FAILURE(StartCoachd("127.0.0.1:0"));
    probe_ = std::make_unique<MqttProbe>(broker_->port());
    ASSERT_TRUE(probe_->WaitConnected());
    StartBridge();
    // What the bridge publishes last on connecting to the broker, after
    // every discovery config and state: its list of people. (A state topic
    // is no sign: the bridge publishes states as soon as coachd answers,
    // which can be before it has announced every config.)
    ASSERT_TRUE(probe_->WaitFor("coachd/bridge/test/people", kPerson,
                                absl::Seconds(10)));
    ASSERT_TRUE(
        probe_->WaitFor(Topic("week_sessions"), "None", absl::Seconds(10)));
  }

  void TearDown() override {
    bridge_.reset();
    if (server_ != nullptr) server_->Shutdown(absl::ZeroDuration());
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  void StartCoachd(const std::string& listen) {
    ServerOptions options = LoopbackServerOptions(&clock_);
    options.pairing.poll_interval = absl::ZeroDuration();
    options.listen = listen;
    absl::Status redis = UseRedisForCoaching(redis_->url(), &options);
    ASSERT_TRUE(redis.ok()) << redis;
    auto server = CoachServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                            grpc::InsecureChannelCredentials());
    sessions_ = coach::v1::SessionService::NewStub(channel);
    scheduler_ = coach::v1::SchedulerService::NewStub(channel);
  }

  // Starts the bridge for `people`, with `tokens_for` (default: a device
  // token minted for each, valid 30 days).
  void StartBridge(
      std::vector<std::string> people = {kPerson},
      std::function<TokenProvider(const std::string&)> tokens_for = nullptr) {
    BridgeOptions options;
    options.names.bridge_id = "test";
    options.people = std::move(people);
    const absl::Time now = clock_.Now();
    options.tokens_for =
        tokens_for != nullptr
            ? std::move(tokens_for)
            : [now](const std::string& person) {
                return FixedToken(MintToken(kTestSecret,
                                            Identity{person, Role::kDevice},
                                            now, now + absl::Hours(24 * 30)));
              };
    options.channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                            grpc::InsecureChannelCredentials());
    options.mqtt.port = broker_->port();
    options.mqtt.client_id = "coachd-bridge-test";
    options.reconnect = {1000, absl::Milliseconds(20), absl::Milliseconds(200)};
    options.metrics = &metrics_;
    bridge_ = std::make_unique<Bridge>(std::move(options));
    ASSERT_TRUE(bridge_->Start().ok());
  }

  // The bridge's credentials for `person` in dir_, paired now if missing;
  // the code is approved by `approver`.
  absl::StatusOr<std::unique_ptr<DeviceCredentials>> PairFor(
      const std::string& person, const std::string& approver) {
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                            grpc::InsecureChannelCredentials());
    auto auth = coach::v1::AuthService::NewStub(channel);
    PairOptions fast;
    fast.max_wait = absl::Seconds(30);
    return PersonCredentials(
        channel, dir_, person, /*pair=*/true,
        [&](const std::string& who, const PairingPrompt& prompt) {
          EXPECT_EQ(who, person);
          coach::v1::ApprovePairingRequest request;
          request.set_user_code(prompt.user_code);
          request.set_name("Home Assistant");
          request.set_kind(coach::v1::PAIRED_KIND_HOME_ASSISTANT);
          coach::v1::ApprovePairingResponse response;
          auto context = TokenContext(approver, Role::kUser, clock_.Now());
          grpc::Status s =
              auth->ApprovePairing(context.get(), request, &response);
          EXPECT_TRUE(s.ok()) << s.error_message();
        },
        fast);
  }

  std::unique_ptr<grpc::ClientContext> Context() {
    return TokenContext(kPerson, Role::kDevice, clock_.Now());
  }

  std::string StartSession() {
    coach::v1::StartSessionRequest request;
    request.set_routine_id("demo");
    coach::v1::SessionView view;
    grpc::Status s = sessions_->StartSession(Context().get(), request, &view);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return view.session_id();
  }

  coach::v1::SessionView Get(const std::string& id) {
    coach::v1::GetSessionRequest request;
    request.set_session_id(id);
    coach::v1::SessionView view;
    grpc::Status s = sessions_->GetSession(Context().get(), request, &view);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return view;
  }

  // Waits until the bridge shows what coachd says of session `id` now:
  // its workout state and exercise, within the promised second.
  void ExpectStatesFollow(const std::string& id) {
    const coach::v1::SessionView view = Get(id);
    const std::string state =
        view.status().run_state() == coach::v1::RUN_STATE_FINISHED
            ? "idle"
            : WorkoutStateOf(view.status());
    EXPECT_TRUE(probe_->WaitFor(Topic("state"), state, kPromise))
        << "state " << probe_->Last(Topic("state")) << ", coachd: " << state
        << " at sequence " << view.last_sequence();
    if (state != "idle") {
      const std::string exercise = view.status().exercise_name().empty()
                                       ? "None"
                                       : view.status().exercise_name();
      EXPECT_TRUE(probe_->WaitFor(Topic("exercise"), exercise, kPromise))
          << probe_->Last(Topic("exercise")) << " vs " << exercise;
    }
  }

  void Press(const std::string& object_id,
             const std::string& payload = "PRESS") {
    probe_->Publish(Topic(object_id) + "/set", payload);
  }

  // The HA events published so far with `type`.
  int Events(const std::string& type) {
    int n = 0;
    for (const ProbeMessage& m : probe_->All()) {
      if (m.topic == Topic("event") &&
          absl::StrContains(m.payload, absl::StrCat("\"", type, "\""))) {
        ++n;
      }
    }
    return n;
  }

  bool WaitEvent(const std::string& type, int count = 1) {
    return probe_->Wait(
        [&](const std::vector<ProbeMessage>& all) {
          int n = 0;
          for (const ProbeMessage& m : all) {
            if (m.topic == Topic("event") &&
                absl::StrContains(m.payload, absl::StrCat("\"", type, "\""))) {
              ++n;
            }
          }
          return n >= count;
        },
        kPromise);
  }

  // Polls `done` every 5 ms until it holds; false after `cap`.
  static bool PollFor(absl::Duration cap, const std::function<bool()>& done) {
    const absl::Time limit = absl::Now() + cap;
    while (!done()) {
      if (absl::Now() > limit) return false;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return true;
  }

  // Polls coachd until `done` (an effect of a press travels MQTT, the
  // bridge and gRPC); false after the promised second.
  static bool Eventually(const std::function<bool()>& done) {
    const absl::Time limit = absl::Now() + kPromise;
    while (!done()) {
      if (absl::Now() > limit) return false;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return true;
  }

  // Moves the clock `seconds` forward one second at a time, firing timers.
  void Play(int seconds) {
    for (int i = 0; i < seconds; ++i) {
      clock_.Advance(absl::Seconds(1));
      server_->RunDueTimersForTest();
    }
  }

  FakeClock clock_;
  MetricsRegistry metrics_;  // The bridge's (BridgeOptions::metrics).
  std::string dir_;          // The bridge's credentials.
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<MosquittoServer> broker_;
  std::unique_ptr<CoachServer> server_;
  std::unique_ptr<coach::v1::SessionService::Stub> sessions_;
  std::unique_ptr<coach::v1::SchedulerService::Stub> scheduler_;
  std::unique_ptr<MqttProbe> probe_;
  std::unique_ptr<Bridge> bridge_;
};

// The config messages on the broker now, by topic.
std::map<std::string, std::string> Configs(MqttProbe& probe) {
  std::map<std::string, std::string> configs;
  for (const ProbeMessage& m : probe.All()) {
    if (absl::StartsWith(m.topic, "homeassistant/") &&
        absl::EndsWith(m.topic, "/config")) {
      configs[m.topic] = m.payload;
    }
  }
  return configs;
}

TEST_F(BridgeTest, DiscoveryHasWhatHomeAssistantRequiresWithUniqueIds) {
  std::map<std::string, std::string> configs = Configs(*probe_);
  ASSERT_EQ(configs.size(), 26u);
  std::set<std::string> unique_ids;
  std::map<std::string, int> components;
  for (const auto& [topic, payload] : configs) {
    SCOPED_TRACE(topic);
    const std::vector<std::string> parts = absl::StrSplit(topic, '/');
    ASSERT_EQ(parts.size(),
              5u);  // homeassistant/<component>/<node>/<id>/config
    const std::string& component = parts[1];
    ++components[component];
    google::protobuf::Struct config;
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(payload, &config).ok());
    const auto& f = config.fields();
    auto has = [&f](const char* key) { return f.count(key) > 0; };
    EXPECT_TRUE(unique_ids.insert(f.at("unique_id").string_value()).second);
    ASSERT_TRUE(has("device"));
    EXPECT_GT(f.at("device")
                  .struct_value()
                  .fields()
                  .at("identifiers")
                  .list_value()
                  .values_size(),
              0);
    ASSERT_TRUE(has("origin"));
    EXPECT_TRUE(f.at("origin").struct_value().fields().count("name"));
    EXPECT_EQ(f.at("availability_topic").string_value(),
              "coachd/bridge/test/availability");
    if (component == "sensor" || component == "binary_sensor" ||
        component == "event") {
      EXPECT_TRUE(has("state_topic"));
    }
    if (component == "event") {
      EXPECT_THAT(payload, HasSubstr("\"reminder_due\""));
      EXPECT_TRUE(has("event_types"));
    }
    if (component == "button" || component == "select" ||
        component == "number") {
      EXPECT_TRUE(has("command_topic"));
    }
    if (component == "select" ||
        (has("device_class") &&
         f.at("device_class").string_value() == "enum")) {
      EXPECT_GT(f.at("options").list_value().values_size(), 0);
    }
  }
  EXPECT_EQ(components["button"], 12);
  EXPECT_EQ(components["event"], 1);
  EXPECT_EQ(components["select"], 1);
  EXPECT_EQ(components["number"], 1);
  EXPECT_EQ(probe_->Last("coachd/bridge/test/availability"), "online");
  EXPECT_TRUE(probe_->WaitFor(Topic("training"), "OFF", kPromise));
}

TEST_F(BridgeTest, StatesFollowAPlayedSessionWithinASecondOfEachEvent) {
  const std::string id = StartSession();
  ASSERT_TRUE(WaitEvent("session_started"));
  EXPECT_TRUE(probe_->WaitFor(Topic("training"), "ON", kPromise));
  ExpectStatesFollow(id);
  // Every second of the session's first three minutes: each timer that
  // fires commits the next events, and the bridge must show them within the
  // promised second.
  for (int second = 1; second <= 180; ++second) {
    SCOPED_TRACE(absl::StrCat("second ", second));
    Play(1);
    ExpectStatesFollow(id);
    const coach::v1::SessionView view = Get(id);
    const std::string ends =
        view.status().has_deadline()
            ? absl::FormatTime(
                  "%Y-%m-%dT%H:%M:%E3S+00:00",
                  absl::FromUnixSeconds(view.status().deadline().seconds()) +
                      absl::Nanoseconds(view.status().deadline().nanos()),
                  absl::UTCTimeZone())
            : "None";
    EXPECT_TRUE(probe_->WaitFor(Topic("phase_ends"), ends, kPromise))
        << probe_->Last(Topic("phase_ends")) << " vs " << ends;
  }
  EXPECT_TRUE(probe_->Wait(
      [](const std::vector<ProbeMessage>& all) {
        for (auto m = all.rbegin(); m != all.rend(); ++m) {
          if (m->topic == "coachd/alice/exercise/attributes") {
            return absl::StrContains(m->payload, "\"sets\"") &&
                   absl::StrContains(m->payload, "\"next_exercise\"");
          }
        }
        return false;
      },
      kPromise));
  EXPECT_NE(probe_->Last(Topic("progress")), "None");
}

TEST_F(BridgeTest, ButtonsDriveTheSessionAndAForbiddenPressIsAnEvent) {
  Press("pause");  // Nothing runs: refused, as an event.
  ASSERT_TRUE(WaitEvent("command_rejected"));
  const std::string id = StartSession();
  ASSERT_TRUE(probe_->WaitFor(Topic("training"), "ON", kPromise));
  Press("pause");
  ASSERT_TRUE(probe_->WaitFor(Topic("state"), "paused", kPromise));
  EXPECT_EQ(Get(id).status().run_state(), coach::v1::RUN_STATE_PAUSED);
  Press("resume");
  ASSERT_TRUE(probe_->Wait(
      [](const std::vector<ProbeMessage>& all) {
        for (auto m = all.rbegin(); m != all.rend(); ++m) {
          if (m->topic == "coachd/alice/state") return m->payload != "paused";
        }
        return false;
      },
      kPromise));
  EXPECT_EQ(Get(id).status().run_state(), coach::v1::RUN_STATE_RUNNING);
  const int64_t before = Get(id).last_sequence();
  Press("next");
  EXPECT_TRUE(Eventually([&] { return Get(id).last_sequence() > before; }));
  const int item = Get(id).status().item_index();
  Press("skip_exercise");
  EXPECT_TRUE(Eventually([&] {
    const coach::v1::SessionStatus now = Get(id).status();
    return now.item_index() > item ||
           now.step_kind() == coach::v1::STEP_KIND_EXERCISE_DONE;
  }));
  ExpectStatesFollow(id);
  Press("set_done");  // Not awaiting "done" now: coachd refuses it.
  EXPECT_TRUE(WaitEvent("command_rejected", 2));
  Press("end");
  EXPECT_TRUE(probe_->WaitFor(Topic("state"), "idle", kPromise));
  EXPECT_TRUE(WaitEvent("session_ended_early"));
  EXPECT_EQ(Get(id).status().run_state(), coach::v1::RUN_STATE_FINISHED);
  EXPECT_EQ(probe_->Last(Topic("exercise")), "None");
  EXPECT_EQ(probe_->Last(Topic("phase_ends")), "None");
  EXPECT_TRUE(probe_->WaitFor(Topic("training"), "OFF", kPromise));
}

TEST_F(BridgeTest, GarbageOnEveryCommandTopicChangesNothing) {
  const std::string id = StartSession();
  ASSERT_TRUE(probe_->WaitFor(Topic("training"), "ON", kPromise));
  const coach::v1::SessionView before = Get(id);
  const std::vector<std::string> garbage = {"",
                                            "press",
                                            "{\"x\":1}",
                                            std::string("\0\xff\xfe", 3),
                                            std::string(5000, 'A'),
                                            "-1",
                                            "NaN"};
  for (const HaEntity& e : PersonEntities()) {
    if (e.component != HaComponent::kButton &&
        e.component != HaComponent::kSelect &&
        e.component != HaComponent::kNumber) {
      continue;
    }
    for (const std::string& g : garbage) Press(e.object_id, g);
  }
  Press("no_such_button");
  probe_->Publish("coachd/nobody/pause/set", "PRESS");
  // A valid press after the garbage is applied: everything before it was
  // read (one MQTT connection keeps the order).
  Press("minutes", "30");
  ASSERT_TRUE(probe_->WaitFor(Topic("minutes"), "30", kPromise));
  const coach::v1::SessionView after = Get(id);
  EXPECT_EQ(after.last_sequence(), before.last_sequence());
  EXPECT_EQ(after.status().run_state(), before.status().run_state());
  EXPECT_EQ(probe_->Last(Topic("focus")), "balanced");
  EXPECT_EQ(bridge_->Stats().malformed,
            static_cast<int64_t>(14 * garbage.size() + 2));
  EXPECT_EQ(Events("command_rejected"), 0);
}

TEST_F(BridgeTest, AReminderRaisesItsEventAndBinarySensorUntilDone) {
  coach::v1::SetGoalRequest goal;
  goal.mutable_goal()->set_time_zone("UTC");
  goal.mutable_goal()->mutable_reminder_time()->set_hours(7);
  goal.mutable_goal()->mutable_reminder_time()->set_minutes(30);
  coach::v1::SetGoalResponse unused;
  grpc::Status s = scheduler_->SetGoal(
      TokenContext(kPerson, Role::kUser, clock_.Now()).get(), goal, &unused);
  ASSERT_TRUE(s.ok()) << s.error_message();
  clock_.Advance(absl::Minutes(30));  // 07:30 UTC.
  EXPECT_EQ(server_->scheduler().RunDueForTest(), 1);
  EXPECT_TRUE(WaitEvent("reminder_due"));
  EXPECT_TRUE(probe_->WaitFor(Topic("reminder_due"), "ON", kPromise));
  Press("reminder_done");
  EXPECT_TRUE(probe_->WaitFor(Topic("reminder_due"), "OFF", kPromise));
  EXPECT_TRUE(probe_->WaitFor(Topic("week_goal"), "3", kPromise));
}

TEST_F(BridgeTest, HomeAssistantsBirthMessageBringsARepublish) {
  probe_->Clear();
  probe_->Publish("homeassistant/status", "online");
  EXPECT_TRUE(probe_->Wait(
      [](const std::vector<ProbeMessage>& all) {
        int configs = 0;
        bool state = false;
        for (const ProbeMessage& m : all) {
          if (absl::EndsWith(m.topic, "/config") && !m.retained) ++configs;
          if (m.topic == "coachd/alice/state" && m.payload == "idle") {
            state = true;
          }
        }
        return configs == 26 && state;
      },
      kPromise));
}

TEST_F(BridgeTest, ABrokerRestartIsSurvivedWithDiscoveryAndStateAgain) {
  const std::string id = StartSession();
  ASSERT_TRUE(probe_->WaitFor(Topic("training"), "ON", kPromise));
  broker_->Kill();
  Play(20);  // The session goes on while the broker is down.
  ASSERT_TRUE(broker_->Restart().ok());
  // Nothing was retained by the new broker: what it has comes from the
  // bridge after it reconnected.
  ASSERT_TRUE(probe_->Wait(
      [](const std::vector<ProbeMessage>& all) {
        int configs = 0;
        for (const ProbeMessage& m : all) {
          if (absl::EndsWith(m.topic, "/config")) ++configs;
        }
        return configs >= 52;  // Before the restart, and again.
      },
      absl::Seconds(15)));
  ASSERT_TRUE(probe_->WaitFor("coachd/bridge/test/availability", "online",
                              absl::Seconds(15)));
  ExpectStatesFollow(id);
  Press("pause");
  EXPECT_TRUE(probe_->WaitFor(Topic("state"), "paused", kPromise));
  EXPECT_EQ(Events("session_started"), 1);
}

TEST_F(BridgeTest, ACoachdRestartResumesWithNothingMissedOrTwice) {
  const std::string id = StartSession();
  ASSERT_TRUE(WaitEvent("session_started"));
  Play(30);
  ExpectStatesFollow(id);
  const int port = server_->port();
  server_->Shutdown(absl::ZeroDuration());
  server_.reset();
  ASSERT_NO_FATAL_FAILURE(StartCoachd(absl::StrCat("127.0.0.1:", port)));
  // The new coachd continues the session from Redis.
  Play(30);
  coach::v1::SendCommandRequest pause;
  pause.set_session_id(id);
  pause.set_command(coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT);
  pause.set_command_id("test-hurt");
  coach::v1::SendCommandResponse out;
  // The test's channel saw the old coachd go: it may be in reconnect backoff.
  auto context = Context();
  context->set_wait_for_ready(true);
  grpc::Status s = sessions_->SendCommand(context.get(), pause, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(probe_->WaitFor(Topic("state"), "discomfort", absl::Seconds(10)));
  EXPECT_TRUE(WaitEvent("discomfort_reported"));
  Press("end");
  EXPECT_TRUE(probe_->WaitFor(Topic("state"), "idle", kPromise));
  EXPECT_TRUE(WaitEvent("session_ended_early"));
  EXPECT_EQ(Events("session_started"), 1);
  EXPECT_EQ(Events("discomfort_reported"), 1);
  EXPECT_EQ(Events("session_ended_early"), 1);
}

TEST_F(BridgeTest, ItsMetricsMoveWithConnectsCommandsStatesAndReconnects) {
  // The bridge's registry served as --metrics_listen serves it, scraped and
  // parsed over loopback HTTP.
  absl::StatusOr<std::unique_ptr<MetricsHttpServer>> http =
      MetricsHttpServer::Start("127.0.0.1:0", [this] {
        return RenderPrometheusText(metrics_.Collect());
      });
  ASSERT_TRUE(http.ok()) << http.status();
  auto scrape = [&] {
    absl::StatusOr<ScrapedMetrics> m = ScrapeMetrics((*http)->port());
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? *std::move(m) : ScrapedMetrics{};
  };
  // Polls the scrape until `done` (counts follow MQTT and gRPC callbacks).
  auto until = [&](const std::function<bool(const ScrapedMetrics&)>& done) {
    ScrapedMetrics m;
    PollFor(absl::Seconds(15), [&] { return done(m = scrape()); });
    return m;
  };
  auto commands = [](const ScrapedMetrics& m, const std::string& result) {
    return m.Value("coachd_ha_commands_total", {{"result", result}});
  };
  auto reconnects = [](const ScrapedMetrics& m, const std::string& stream) {
    return m.Value("coachd_ha_grpc_stream_reconnects_total",
                   {{"stream", stream}});
  };
  ScrapedMetrics m = scrape();
  EXPECT_EQ(m.Value("coachd_ha_people"), 1);
  EXPECT_EQ(m.Value("coachd_ha_mqtt_connects_total"), 1);
  EXPECT_EQ(m.Value("coachd_ha_mqtt_disconnects_total"), 0);
  EXPECT_GE(m.Value("coachd_ha_grpc_connects_total"), 1);
  EXPECT_GT(m.Value("coachd_ha_messages_published_total", {{"kind", "state"}}),
            0);
  EXPECT_GT(
      m.Value("coachd_ha_messages_published_total", {{"kind", "discovery"}}),
      0);
  EXPECT_EQ(m.Value("coachd_ha_sessions_followed_total"), 0);
  for (const char* result : {"accepted", "rejected", "malformed"}) {
    EXPECT_EQ(commands(m, result), 0) << result;
  }
  for (const char* stream : {"board", "session", "reminders"}) {
    EXPECT_EQ(reconnects(m, stream), 0) << stream;
  }

  Press("pause");  // Nothing runs: rejected.
  ASSERT_TRUE(WaitEvent("command_rejected"));
  Press("no_such_button");  // Malformed.
  Press("minutes", "30");   // Accepted, by the bridge itself.
  ASSERT_TRUE(probe_->WaitFor(Topic("minutes"), "30", kPromise));
  m = scrape();
  EXPECT_EQ(commands(m, "rejected"), 1);
  EXPECT_EQ(commands(m, "malformed"), 1);
  EXPECT_EQ(commands(m, "accepted"), 1);
  const double events =
      m.Value("coachd_ha_messages_published_total", {{"kind", "event"}});
  EXPECT_GE(events, 1);  // The rejection's.

  const std::string id = StartSession();
  ASSERT_TRUE(probe_->WaitFor(Topic("training"), "ON", kPromise));
  Press("pause");  // Accepted by coachd.
  ASSERT_TRUE(probe_->WaitFor(Topic("state"), "paused", kPromise));
  m = until(
      [&](const ScrapedMetrics& s) { return commands(s, "accepted") >= 2; });
  EXPECT_EQ(commands(m, "accepted"), 2);
  EXPECT_EQ(commands(m, "rejected"), 1);
  EXPECT_EQ(m.Value("coachd_ha_sessions_followed_total"), 1);
  EXPECT_GT(m.Value("coachd_ha_messages_published_total", {{"kind", "event"}}),
            events);  // session_started, paused...

  // The broker restarts: one disconnect, one more connect.
  broker_->Kill();
  ASSERT_TRUE(broker_->Restart().ok());
  m = until([](const ScrapedMetrics& s) {
    return s.Value("coachd_ha_mqtt_connects_total") >= 2;
  });
  EXPECT_EQ(m.Value("coachd_ha_mqtt_connects_total"), 2);
  EXPECT_GE(m.Value("coachd_ha_mqtt_disconnects_total"), 1);

  // coachd restarts: each of the person's three streams is reopened, and
  // the channel connects again.
  const double connects = m.Value("coachd_ha_grpc_connects_total");
  const int port = server_->port();
  server_->Shutdown(absl::ZeroDuration());
  server_.reset();
  ASSERT_NO_FATAL_FAILURE(StartCoachd(absl::StrCat("127.0.0.1:", port)));
  m = until([&](const ScrapedMetrics& s) {
    return reconnects(s, "board") >= 1 && reconnects(s, "session") >= 1 &&
           reconnects(s, "reminders") >= 1 &&
           s.Value("coachd_ha_grpc_connects_total") > connects;
  });
  for (const char* stream : {"board", "session", "reminders"}) {
    EXPECT_GE(reconnects(m, stream), 1) << stream;
  }
  EXPECT_GT(m.Value("coachd_ha_grpc_connects_total"), connects);
  EXPECT_EQ(m.Value("coachd_ha_sessions_followed_total"), 1)
      << "the same session, resumed, was counted again";
  (void)id;
}

TEST_F(BridgeTest, APersonNoLongerServedHasTheirDeviceRemoved) {
  ASSERT_EQ(Configs(*probe_).size(), 26u);
  bridge_.reset();  // A clean stop says "offline" too (no will is sent).
  EXPECT_TRUE(
      probe_->WaitFor("coachd/bridge/test/availability", "offline", kPromise));
  probe_->Clear();
  StartBridge({"bob"});  // The same bridge id, without alice.
  EXPECT_TRUE(probe_->WaitFor("coachd/bridge/test/availability", "online",
                              absl::Seconds(5)));
  EXPECT_TRUE(probe_->Wait(
      [](const std::vector<ProbeMessage>& all) {
        int removed = 0, bobs = 0;
        for (const ProbeMessage& m : all) {
          if (!absl::EndsWith(m.topic, "/config")) continue;
          if (absl::StrContains(m.topic, "/coachd_alice/") &&
              m.payload.empty()) {
            ++removed;
          }
          if (absl::StrContains(m.topic, "/coachd_bob/")) ++bobs;
        }
        return removed == 26 && bobs == 26;
      },
      absl::Seconds(5)));
  EXPECT_EQ(probe_->Last("coachd/bridge/test/people"), "bob");
}

// Paired credentials are refreshed by the client's own clock: coachd's fake
// clock starts at the real time.
class PairedBridgeTest : public BridgeTest {
 protected:
  PairedBridgeTest() : BridgeTest(absl::Now()) {}
};

TEST_F(PairedBridgeTest, KillingTheBridgeProcessMakesTheBrokerSayOffline) {
  // The process holds bob's paired credentials, never coachd's secret.
  ASSERT_TRUE(PairFor("bob", "bob").ok());
  const std::string binary =
      std::string(COACHD_BINARY_DIR) + "/clients/homeassistant/homeassistant";
  const std::string port = absl::StrCat("--mqtt_port=", broker_->port());
  const std::string target =
      absl::StrCat("--target=127.0.0.1:", server_->port());
  const std::string credentials_flag = "--credentials_dir=" + dir_;
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::execl(binary.c_str(), binary.c_str(), "--people=bob", "--bridge_id=proc",
            port.c_str(), target.c_str(), credentials_flag.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const std::string availability = "coachd/bridge/proc/availability";
  EXPECT_TRUE(probe_->WaitFor(availability, "online", absl::Seconds(10)));
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  // The broker notices the dead connection (keepalive 10 s at most 1.5x).
  EXPECT_TRUE(probe_->WaitFor(availability, "offline", absl::Seconds(20)));
}

TEST_F(PairedBridgeTest, SigtermStopsTheBridgeProcessCleanlyAndItSaysOffline) {
  ASSERT_TRUE(PairFor("bob", "bob").ok());
  const std::string binary =
      std::string(COACHD_BINARY_DIR) + "/clients/homeassistant/homeassistant";
  const std::string port = absl::StrCat("--mqtt_port=", broker_->port());
  const std::string target =
      absl::StrCat("--target=127.0.0.1:", server_->port());
  const std::string credentials_flag = "--credentials_dir=" + dir_;
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::execl(binary.c_str(), binary.c_str(), "--people=bob", "--bridge_id=term",
            port.c_str(), target.c_str(), credentials_flag.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const std::string availability = "coachd/bridge/term/availability";
  EXPECT_TRUE(probe_->WaitFor(availability, "online", absl::Seconds(10)));
  probe_->Clear();
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  // Exits by itself (under ThreadSanitizer too, where a handler that waited
  // on an absl::Notification never ran), with 0; a clean stop says offline.
  int status = -1;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (::waitpid(pid, &status, WNOHANG) == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  if (status == -1) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  ASSERT_TRUE(WIFEXITED(status)) << "still running 20 s after SIGTERM";
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(probe_->WaitFor(availability, "offline", absl::Seconds(5)));
}

TEST_F(PairedBridgeTest,
       APairedBridgeRefreshesItsTokensAndResumesWithNothingMissed) {
  absl::StatusOr<std::unique_ptr<DeviceCredentials>> credentials =
      PairFor(kPerson, kPerson);
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  struct stat st;
  ASSERT_EQ(::stat((dir_ + "/alice.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  bridge_.reset();
  DeviceCredentials* paired = credentials->get();
  StartBridge({kPerson},
              [paired](const std::string&) { return paired->Provider(); });
  const std::string id = StartSession();
  Play(3);
  ExpectStatesFollow(id);

  // alice pauses; then coachd's clock passes the paired token's 15 minutes:
  // every stream of the bridge ends UNAUTHENTICATED, and it refreshes (the
  // device is seen again at the new time) and resumes by itself.
  coach::v1::SendCommandRequest pause;
  pause.set_session_id(id);
  pause.set_command(coach::v1::COMMAND_TYPE_PAUSE);
  pause.set_command_id("test-pause");
  coach::v1::SendCommandResponse paused;
  ASSERT_TRUE(sessions_->SendCommand(Context().get(), pause, &paused).ok());
  EXPECT_TRUE(probe_->WaitFor(Topic("state"), "paused", kPromise))
      << probe_->Last(Topic("state"));
  clock_.Advance(absl::Minutes(16));
  const absl::Time advanced = clock_.Now();
  auto auth = coach::v1::AuthService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                          grpc::InsecureChannelCredentials()));
  EXPECT_TRUE(PollFor(absl::Seconds(10), [&] {
    coach::v1::ListDevicesResponse devices;
    auto context = TokenContext(kPerson, Role::kUser, clock_.Now());
    return auth->ListDevices(context.get(), {}, &devices).ok() &&
           devices.devices_size() == 1 &&
           devices.devices(0).last_seen().seconds() >=
               absl::ToUnixSeconds(advanced);
  })) << "the bridge never refreshed its token";

  // A button press carries the fresh token, and the states follow.
  Press("resume");
  EXPECT_TRUE(Eventually([&] {
    return Get(id).status().run_state() == coach::v1::RUN_STATE_RUNNING;
  }));
  EXPECT_EQ(Events("command_rejected"), 0);
  ExpectStatesFollow(id);
  Play(2);
  ExpectStatesFollow(id);
}

TEST_F(PairedBridgeTest, ACodeApprovedBySomeoneElseIsRefusedAndNotKept) {
  absl::StatusOr<std::unique_ptr<DeviceCredentials>> credentials =
      PairFor("carol", "dave");
  EXPECT_TRUE(absl::IsFailedPrecondition(credentials.status()))
      << credentials.status();
  EXPECT_THAT(credentials.status().message(), HasSubstr("approved by dave"));
  EXPECT_NE(::access((dir_ + "/carol.json").c_str(), F_OK), 0);
  // Without --pair a person with no credentials is told to pair.
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                          grpc::InsecureChannelCredentials());
  absl::StatusOr<std::unique_ptr<DeviceCredentials>> none =
      PersonCredentials(channel, dir_, "carol", /*pair=*/false,
                        [](const std::string&, const PairingPrompt&) {});
  EXPECT_TRUE(absl::IsNotFound(none.status())) << none.status();
  EXPECT_THAT(none.status().message(), HasSubstr("--pair"));
  EXPECT_TRUE(
      absl::IsInvalidArgument(PersonCredentialsPath(dir_, "../etc").status()));
}

}  // namespace
}  // namespace coachd
