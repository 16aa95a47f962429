// The bridge's pure mapping, table-driven: discovery configs carry what
// Home Assistant requires per component with unique ids; board updates,
// session events and reminders become entity states and HA events; idle
// clears the session entities; command payloads parse or are refused with
// the reason.
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "clients/homeassistant/ha_discovery.h"
#include "clients/homeassistant/ha_state.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

using coach::v1::LiveUpdate;
using coach::v1::SessionEvent;
using google::protobuf::Struct;

Struct Parse(const std::string& json) {
  Struct s;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &s).ok())
      << json;
  return s;
}

TEST(HaDiscoveryTest, EveryConfigHasWhatItsComponentRequires) {
  HaNames names;
  names.bridge_id = "house";
  std::vector<MqttMessage> configs = DiscoveryConfigs(names, "alice@home");
  ASSERT_EQ(configs.size(), PersonEntities().size());
  std::set<std::string> ids;
  for (size_t i = 0; i < configs.size(); ++i) {
    const HaEntity& e = PersonEntities()[i];
    SCOPED_TRACE(e.object_id);
    EXPECT_TRUE(configs[i].retain);
    EXPECT_EQ(configs[i].topic,
              std::string("homeassistant/") + ComponentName(e.component) +
                  "/coachd_alice_home/" + e.object_id + "/config");
    Struct c = Parse(configs[i].payload);
    const auto& f = c.fields();
    ASSERT_TRUE(f.count("unique_id"));
    EXPECT_TRUE(ids.insert(f.at("unique_id").string_value()).second);
    EXPECT_EQ(f.at("availability_topic").string_value(),
              "coachd/bridge/house/availability");
    EXPECT_EQ(f.at("device")
                  .struct_value()
                  .fields()
                  .at("identifiers")
                  .list_value()
                  .values(0)
                  .string_value(),
              "coachd_alice_home");
    EXPECT_EQ(f.at("device").struct_value().fields().at("name").string_value(),
              "Back coach (alice@home)");
    EXPECT_FALSE(f.at("origin")
                     .struct_value()
                     .fields()
                     .at("name")
                     .string_value()
                     .empty());
    switch (e.component) {
      case HaComponent::kSensor:
      case HaComponent::kBinarySensor:
        EXPECT_TRUE(f.count("state_topic"));
        break;
      case HaComponent::kEvent:
        EXPECT_TRUE(f.count("state_topic"));
        EXPECT_EQ(f.at("event_types").list_value().values_size(),
                  static_cast<int>(EventTypes().size()));
        break;
      case HaComponent::kButton:
      case HaComponent::kNumber:
        EXPECT_TRUE(f.count("command_topic"));
        break;
      case HaComponent::kSelect:
        EXPECT_TRUE(f.count("command_topic"));
        EXPECT_EQ(f.at("options").list_value().values_size(), 5);
        break;
    }
  }
  struct Class {
    std::string object_id, device_class;
  };
  for (const Class& c : std::vector<Class>{{"state", "enum"},
                                           {"phase_ends", "timestamp"},
                                           {"next_reminder", "timestamp"}}) {
    SCOPED_TRACE(c.object_id);
    for (size_t i = 0; i < configs.size(); ++i) {
      if (PersonEntities()[i].object_id != c.object_id) continue;
      Struct s = Parse(configs[i].payload);
      EXPECT_EQ(s.fields().at("device_class").string_value(), c.device_class);
      if (c.device_class == "enum") {
        EXPECT_EQ(s.fields().at("options").list_value().values_size(), 8);
      }
    }
  }
}

TEST(HaDiscoveryTest, RemovalIsAnEmptyRetainedConfigPerEntity) {
  HaNames names;
  std::vector<MqttMessage> configs = DiscoveryConfigs(names, "bob");
  std::vector<MqttMessage> removals = DiscoveryRemovals(names, "bob");
  ASSERT_EQ(removals.size(), configs.size());
  for (size_t i = 0; i < removals.size(); ++i) {
    EXPECT_EQ(removals[i].topic, configs[i].topic);
    EXPECT_TRUE(removals[i].payload.empty());
    EXPECT_TRUE(removals[i].retain);
  }
}

TEST(HaDiscoveryTest, EntitySlugsAreMadeAsHomeAssistantMakesThem) {
  struct Case {
    std::string text, slug;
  };
  for (const Case& c : std::vector<Case>{
           {"Back coach (alice) Workout state",
            "back_coach_alice_workout_state"},
           {"Back coach (Bob-2) Set done", "back_coach_bob_2_set_done"},
           {"  --It hurts!--  ", "it_hurts"},
           {"a/b+c#d", "a_b_c_d"},
           {"()", "unnamed"},
           {"", "unnamed"}}) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(EntitySlug(c.text), c.slug);
  }
}

TEST(HaDiscoveryTest, EveryConfigAnnouncesItsOwnEntityId) {
  std::set<std::string> ids;
  for (const MqttMessage& m : DiscoveryConfigs(HaNames(), "alice")) {
    SCOPED_TRACE(m.topic);
    const Struct config = Parse(m.payload);
    const std::string id =
        config.fields().at("default_entity_id").string_value();
    // homeassistant/<component>/coachd_alice/<object_id>/config
    const std::string component = m.topic.substr(
        m.topic.find('/') + 1,
        m.topic.find('/', m.topic.find('/') + 1) - m.topic.find('/') - 1);
    EXPECT_EQ(id.rfind(component + ".back_coach_alice_", 0), 0u) << id;
    EXPECT_TRUE(ids.insert(id).second) << "twice: " << id;
  }
}

// The entity ids of coachd's device in an example file under
// deploy/homeassistant/ (other entities, a light, are the household's own).
std::vector<std::string> CoachEntityIdsIn(const std::string& file) {
  std::ifstream in(std::string(COACHD_SOURCE_DIR) + "/deploy/homeassistant/" +
                   file);
  EXPECT_TRUE(in.good()) << file;
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  const std::regex id("[a-z_]+\\.back_coach_[a-z0-9_]+");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(all.begin(), all.end(), id);
       it != std::sregex_iterator(); ++it) {
    out.push_back(it->str());
  }
  return out;
}

TEST(HaDiscoveryTest, TheExampleDashboardAndAutomationsUseOnlyAnnouncedIds) {
  std::set<std::string> announced;
  for (const MqttMessage& m : DiscoveryConfigs(HaNames(), "alice")) {
    announced.insert(
        Parse(m.payload).fields().at("default_entity_id").string_value());
  }
  const std::vector<std::string> dashboard = CoachEntityIdsIn("dashboard.yaml");
  const std::vector<std::string> automations =
      CoachEntityIdsIn("automations.yaml");
  EXPECT_GE(dashboard.size(), 10u);
  EXPECT_GE(automations.size(), 2u);
  for (const std::string& id : dashboard) {
    EXPECT_TRUE(announced.count(id))
        << "dashboard.yaml uses " << id << ", which the bridge never announces";
  }
  for (const std::string& id : automations) {
    EXPECT_TRUE(announced.count(id)) << "automations.yaml uses " << id
                                     << ", which the bridge never announces";
  }
}

TEST(HaDiscoveryTest, NodeIdsKeepOnlyTopicSafeCharacters) {
  struct Case {
    std::string person, node;
  };
  for (const Case& c : std::vector<Case>{{"alice", "alice"},
                                         {"a/b+c#d", "a_b_c_d"},
                                         {"Bob-2_x", "Bob-2_x"},
                                         {"", "_"}}) {
    SCOPED_TRACE(c.person);
    EXPECT_EQ(NodeId(c.person), c.node);
  }
}

TEST(HaDiscoveryTest, CommandTopicsParseBackToTheirNodeAndObjectOnly) {
  HaNames names;
  for (const HaEntity& e : PersonEntities()) {
    SCOPED_TRACE(e.object_id);
    std::optional<CommandTarget> target =
        ParseCommandTopic(names, CommandTopic(names, "a/b", e.object_id));
    ASSERT_TRUE(target.has_value());
    EXPECT_EQ(target->node, "a_b");
    EXPECT_EQ(target->object_id, e.object_id);
  }
  for (const char* topic :
       {"coachd/alice/pause", "coachd/alice/pause/set/set", "coachd//pause/set",
        "coachd/alice//set", "coachd/alice/set", "other/alice/pause/set",
        "coachd/set", "", "coachd/bridge/coachd/availability",
        "coachd/alice/a/b/set"}) {
    SCOPED_TRACE(topic);
    EXPECT_FALSE(ParseCommandTopic(names, topic).has_value());
  }
}

coach::v1::LiveSession Row(const std::string& id, int64_t seq,
                           coach::v1::RunState state, const std::string& ex) {
  coach::v1::LiveSession row;
  row.set_session_id(id);
  row.set_session_sequence(seq);
  row.set_run_state(state);
  row.set_exercise_id(ex.empty() ? "" : "band-row");
  row.set_exercise_name(ex);
  row.set_set(1);
  row.set_sets(3);
  row.set_progress_percent(static_cast<int>(seq));
  return row;
}

LiveUpdate Update(coach::v1::LiveUpdateKind kind, const std::string& id,
                  int64_t seq, coach::v1::RunState state,
                  const std::string& exercise) {
  LiveUpdate u;
  u.set_kind(kind);
  u.set_session_id(id);
  *u.mutable_session() = Row(id, seq, state, exercise);
  return u;
}

TEST(HaStateTest, BoardUpdatesDriveTheEntitiesAndEvents) {
  using K = coach::v1::LiveUpdateKind;
  struct Step {
    std::string name;
    LiveUpdate update;
    std::string state, training, exercise;
    std::vector<std::string> events;
  };
  LiveUpdate ended = Update(K::LIVE_UPDATE_KIND_ENDED, "s1", 9,
                            coach::v1::RUN_STATE_FINISHED, "");
  ended.set_ended_early(true);
  ended.clear_session();
  LiveUpdate hurt = Update(K::LIVE_UPDATE_KIND_DISCOMFORT, "s1", 6,
                           coach::v1::RUN_STATE_DISCOMFORT, "Band row");
  hurt.set_note("knee");
  const std::vector<Step> steps = {
      {"started",
       Update(K::LIVE_UPDATE_KIND_STARTED, "s1", 1,
              coach::v1::RUN_STATE_RUNNING, ""),
       "warm_up",
       "ON",
       "None",
       {"session_started"}},
      {"exercise",
       Update(K::LIVE_UPDATE_KIND_EXERCISE_CHANGED, "s1", 4,
              coach::v1::RUN_STATE_RUNNING, "Band row"),
       "working",
       "ON",
       "Band row",
       {}},
      {"older row changes nothing",
       Update(K::LIVE_UPDATE_KIND_SET_DONE, "s1", 3,
              coach::v1::RUN_STATE_PAUSED, "Other"),
       "working",
       "ON",
       "Band row",
       {}},
      {"paused",
       Update(K::LIVE_UPDATE_KIND_PAUSED, "s1", 5, coach::v1::RUN_STATE_PAUSED,
              "Band row"),
       "paused",
       "ON",
       "Band row",
       {}},
      {"discomfort",
       hurt,
       "discomfort",
       "ON",
       "Band row",
       {"discomfort_reported"}},
      {"another session's end raises only its event",
       Update(K::LIVE_UPDATE_KIND_ENDED, "s0", 2, coach::v1::RUN_STATE_FINISHED,
              ""),
       "discomfort",
       "ON",
       "Band row",
       {"session_completed"}},
      {"ended early", ended, "idle", "OFF", "None", {"session_ended_early"}},
  };
  PersonView view;
  for (const Step& step : steps) {
    SCOPED_TRACE(step.name);
    std::vector<HaEvent> events = ApplyBoardUpdate(step.update, &view);
    std::vector<std::string> types;
    for (const HaEvent& e : events) types.push_back(e.type);
    EXPECT_EQ(types, step.events);
    std::map<std::string, std::string> s = EntityStates(view);
    EXPECT_EQ(s["state"], step.state);
    EXPECT_EQ(s["training"], step.training);
    EXPECT_EQ(s["exercise"], step.exercise);
  }
  // Idle clears every session entity.
  std::map<std::string, std::string> idle = EntityStates(view);
  EXPECT_EQ(idle["phase_ends"], "None");
  EXPECT_EQ(idle["progress"], "None");
  EXPECT_EQ(idle["exercise/attributes"], "{}");
}

TEST(HaStateTest, ASnapshotTakesTheNewestLiveSessionOrIdle) {
  PersonView view;
  LiveUpdate snapshot;
  snapshot.set_kind(coach::v1::LIVE_UPDATE_KIND_SNAPSHOT);
  auto* old_row = snapshot.mutable_board()->add_sessions();
  *old_row = Row("old", 3, coach::v1::RUN_STATE_PAUSED, "Bird dog");
  old_row->mutable_started_at()->set_seconds(100);
  auto* new_row = snapshot.mutable_board()->add_sessions();
  *new_row = Row("new", 2, coach::v1::RUN_STATE_RUNNING, "Band row");
  new_row->mutable_started_at()->set_seconds(200);
  EXPECT_TRUE(ApplyBoardUpdate(snapshot, &view).empty());
  ASSERT_TRUE(view.session.has_value());
  EXPECT_EQ(view.session->session_id, "new");
  snapshot.mutable_board()->clear_sessions();
  ApplyBoardUpdate(snapshot, &view);
  EXPECT_FALSE(view.session.has_value());
}

TEST(HaStateTest, SessionEventsGiveTheDetailOnceEach) {
  PersonView view;
  ApplyBoardUpdate(Update(coach::v1::LIVE_UPDATE_KIND_STARTED, "s1", 1,
                          coach::v1::RUN_STATE_RUNNING, ""),
                   &view);
  SessionEvent started;
  started.set_session_id("s1");
  started.set_sequence(1);
  for (const char* name : {"Warm-up", "Band row", "Bird dog"}) {
    started.mutable_session_started()
        ->mutable_routine()
        ->add_items()
        ->set_exercise_name(name);
  }
  // The board's row of the same commit came first: the event still applies.
  ApplySessionEvent(started, &view);
  EXPECT_EQ(view.session->items.size(), 3u);
  view.session->items.clear();
  SessionEvent snapshot;
  snapshot.set_session_id("s1");
  snapshot.set_sequence(1);
  *snapshot.mutable_snapshot()->mutable_session()->mutable_routine() =
      started.session_started().routine();
  ApplySessionEvent(snapshot, &view);  // A snapshot always brings the items.
  ASSERT_EQ(view.session->items.size(), 3u);

  struct Step {
    std::string name;
    int64_t sequence;
    coach::v1::StepKind kind;
    int64_t deadline;  // Unix seconds; 0: none.
    std::string state, phase_ends, next;
  };
  const std::vector<Step> steps = {
      {"hold", 2, coach::v1::STEP_KIND_HOLD, 1700000000, "holding",
       "2023-11-14T22:13:20.000+00:00", "Bird dog"},
      {"repeated sequence ignored", 2, coach::v1::STEP_KIND_REST, 0, "holding",
       "2023-11-14T22:13:20.000+00:00", "Bird dog"},
      {"rest", 3, coach::v1::STEP_KIND_REST, 1700000030, "resting",
       "2023-11-14T22:13:50.000+00:00", "Bird dog"},
      {"self-paced", 4, coach::v1::STEP_KIND_AWAIT_DONE, 0, "working", "None",
       "Bird dog"},
  };
  for (const Step& step : steps) {
    SCOPED_TRACE(step.name);
    SessionEvent e;
    e.set_session_id("s1");
    e.set_sequence(step.sequence);
    auto* status = e.mutable_status();
    status->set_run_state(coach::v1::RUN_STATE_RUNNING);
    status->set_step_kind(step.kind);
    status->set_item_index(1);
    status->set_exercise_name("Band row");
    status->set_rep(2);
    status->set_reps(8);
    if (step.deadline != 0)
      status->mutable_deadline()->set_seconds(step.deadline);
    ApplySessionEvent(e, &view);
    std::map<std::string, std::string> s = EntityStates(view);
    EXPECT_EQ(s["state"], step.state);
    EXPECT_EQ(s["phase_ends"], step.phase_ends);
    EXPECT_THAT(s["exercise/attributes"],
                ::testing::HasSubstr("\"next_exercise\":\"" + step.next));
  }
  SessionEvent cue;
  cue.set_session_id("s1");
  cue.set_sequence(5);
  cue.mutable_coach_cue()->set_text("Slower");
  std::vector<HaEvent> events = ApplySessionEvent(cue, &view);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "coach_cue");
  EXPECT_THAT(EventPayload(events[0]),
              ::testing::HasSubstr("\"event_type\":\"coach_cue\""));
  SessionEvent other = cue;
  other.set_session_id("s2");
  other.set_sequence(9);
  EXPECT_TRUE(ApplySessionEvent(other, &view).empty());
}

TEST(HaStateTest, ARemindersDueRaisesOneEventUntilItIsDone) {
  PersonView view;
  coach::v1::Reminder r;
  r.set_reminder_id("2026-12-07");
  r.set_state(coach::v1::REMINDER_STATE_DUE);
  r.set_version(1);
  EXPECT_EQ(ApplyReminder(r, &view).size(), 1u);
  EXPECT_EQ(EntityStates(view)["reminder_due"], "ON");
  r.set_version(2);
  EXPECT_TRUE(ApplyReminder(r, &view).empty());  // The same one again.
  coach::v1::Reminder old = r;
  old.set_version(1);
  old.set_state(coach::v1::REMINDER_STATE_DONE);
  ApplyReminder(old, &view);  // Older: ignored.
  EXPECT_EQ(EntityStates(view)["reminder_due"], "ON");
  r.set_state(coach::v1::REMINDER_STATE_DONE);
  r.set_version(3);
  EXPECT_TRUE(ApplyReminder(r, &view).empty());
  EXPECT_EQ(EntityStates(view)["reminder_due"], "OFF");
}

TEST(HaStateTest, CommandPayloadsParseOrAreRefusedWithTheReason) {
  struct Case {
    std::string object_id, payload;
    bool ok;
    std::string error;  // A part of the message.
  };
  const std::vector<Case> cases = {
      {"pause", "PRESS", true, ""},
      {"it_hurts", " PRESS\n", true, ""},
      {"start", "PRESS", true, ""},
      {"snooze_reminder", "PRESS", true, ""},
      {"focus", "upper", true, ""},
      {"minutes", "25", true, ""},
      {"minutes", "30.0", true, ""},
      {"pause", "press", false, "PRESS"},
      {"pause", "", false, "PRESS"},
      {"pause", std::string("\xff\x00garbage", 9), false, "PRESS"},
      {"focus", "legs", false, "focus options"},
      {"minutes", "4", false, "5..120"},
      {"minutes", "12.5", false, "whole number"},
      {"minutes", "nan", false, "whole number"},
      {"minutes", "{}", false, "whole number"},
      {"fly", "PRESS", false, "no command"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.object_id + " <- " + c.payload);
    absl::StatusOr<BridgeCommand> command =
        ParseCommand(c.object_id, c.payload);
    EXPECT_EQ(command.ok(), c.ok) << command.status();
    if (!c.ok) {
      EXPECT_EQ(command.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(command.status().message(), ::testing::HasSubstr(c.error));
    }
  }
  EXPECT_EQ(ParseCommand("it_hurts", "PRESS")->command,
            coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT);
  EXPECT_EQ(ParseCommand("minutes", "30.0")->number, 30);
  EXPECT_EQ(FocusOf("mobility"), coach::v1::FOCUS_MOBILITY);
}

}  // namespace
}  // namespace coachd
