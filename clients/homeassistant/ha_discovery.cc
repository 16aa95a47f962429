#include "clients/homeassistant/ha_discovery.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace coachd {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

constexpr char kOriginName[] = "coachd-homeassistant";
constexpr char kOriginVersion[] = "1.0";

Value Text(absl::string_view text) {
  Value v;
  v.set_string_value(std::string(text));
  return v;
}

Value Number(double number) {
  Value v;
  v.set_number_value(number);
  return v;
}

Value List(const std::vector<std::string>& items) {
  Value v;
  for (const std::string& item : items) {
    *v.mutable_list_value()->add_values() = Text(item);
  }
  return v;
}

std::string Json(const Struct& object) {
  std::string out;
  // Struct always converts.
  (void)google::protobuf::util::MessageToJsonString(object, &out);
  return out;
}

// Extra keys of each entity beyond the common ones.
void AddComponentKeys(const HaNames& names, absl::string_view person,
                      const HaEntity& e, Struct* config) {
  auto& f = *config->mutable_fields();
  const std::string state = StateTopic(names, person, e.object_id);
  switch (e.component) {
    case HaComponent::kSensor:
      f["state_topic"] = Text(state);
      if (e.object_id == "state") {
        f["device_class"] = Text("enum");
        f["options"] = List(WorkoutStates());
      } else if (e.object_id == "phase_ends" ||
                 e.object_id == "next_reminder") {
        f["device_class"] = Text("timestamp");
      } else if (e.object_id == "progress" || e.object_id == "adherence") {
        f["unit_of_measurement"] = Text("%");
        f["state_class"] = Text("measurement");
      } else if (e.object_id == "streak") {
        f["unit_of_measurement"] = Text("weeks");
      } else if (e.object_id == "exercise") {
        f["json_attributes_topic"] =
            Text(StateTopic(names, person, "exercise/attributes"));
      }
      break;
    case HaComponent::kBinarySensor:
      f["state_topic"] = Text(state);
      if (e.object_id == "training") f["device_class"] = Text("running");
      break;
    case HaComponent::kEvent:
      f["state_topic"] = Text(state);
      f["event_types"] = List(EventTypes());
      break;
    case HaComponent::kButton:
      f["command_topic"] = Text(CommandTopic(names, person, e.object_id));
      f["payload_press"] = Text("PRESS");
      break;
    case HaComponent::kSelect:
      f["command_topic"] = Text(CommandTopic(names, person, e.object_id));
      f["state_topic"] = Text(state);
      f["options"] = List(FocusOptions());
      break;
    case HaComponent::kNumber:
      f["command_topic"] = Text(CommandTopic(names, person, e.object_id));
      f["state_topic"] = Text(state);
      f["min"] = Number(kMinMinutes);
      f["max"] = Number(kMaxMinutes);
      f["step"] = Number(5);
      f["unit_of_measurement"] = Text("min");
      f["mode"] = Text("box");
      break;
  }
}

}  // namespace

const char* ComponentName(HaComponent component) {
  switch (component) {
    case HaComponent::kSensor:
      return "sensor";
    case HaComponent::kBinarySensor:
      return "binary_sensor";
    case HaComponent::kEvent:
      return "event";
    case HaComponent::kButton:
      return "button";
    case HaComponent::kSelect:
      return "select";
    case HaComponent::kNumber:
      return "number";
  }
  return "sensor";
}

const std::vector<HaEntity>& PersonEntities() {
  using C = HaComponent;
  static const auto* entities = new std::vector<HaEntity>{
      {C::kSensor, "state", "Workout state"},
      {C::kBinarySensor, "training", "Training now"},
      {C::kSensor, "exercise", "Current exercise"},
      {C::kSensor, "phase_ends", "Phase ends"},
      {C::kSensor, "progress", "Session progress"},
      {C::kSensor, "week_sessions", "Sessions this week"},
      {C::kSensor, "week_goal", "Sessions asked this week"},
      {C::kSensor, "streak", "Streak"},
      {C::kSensor, "adherence", "Adherence 4 weeks"},
      {C::kSensor, "next_reminder", "Next reminder"},
      {C::kBinarySensor, "reminder_due", "Reminder due"},
      {C::kEvent, "event", "Workout event"},
      {C::kButton, "start", "Start workout"},
      {C::kButton, "pause", "Pause"},
      {C::kButton, "resume", "Resume"},
      {C::kButton, "next", "Next"},
      {C::kButton, "previous", "Previous"},
      {C::kButton, "repeat", "Repeat"},
      {C::kButton, "set_done", "Set done"},
      {C::kButton, "it_hurts", "It hurts"},
      {C::kButton, "skip_exercise", "Skip exercise"},
      {C::kButton, "end", "End workout"},
      {C::kButton, "reminder_done", "Reminder done"},
      {C::kButton, "snooze_reminder", "Snooze reminder"},
      {C::kSelect, "focus", "Workout focus"},
      {C::kNumber, "minutes", "Workout minutes"},
  };
  return *entities;
}

const std::vector<std::string>& WorkoutStates() {
  static const auto* states = new std::vector<std::string>{
      "idle",    "warm_up", "working",    "holding",
      "resting", "paused",  "discomfort", "finished"};
  return *states;
}

const std::vector<std::string>& EventTypes() {
  static const auto* types = new std::vector<std::string>{
      "session_started",     "session_completed", "session_ended_early",
      "discomfort_reported", "reminder_due",      "coach_cue",
      "command_rejected"};
  return *types;
}

const std::vector<std::string>& FocusOptions() {
  static const auto* options = new std::vector<std::string>{
      "balanced", "upper", "mid", "lower", "mobility"};
  return *options;
}

std::string NodeId(absl::string_view person) {
  std::string id;
  for (char c : person) {
    id.push_back(absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                         c == '-' || c == '_'
                     ? c
                     : '_');
  }
  return id.empty() ? "_" : id;
}

std::string StateTopic(const HaNames& names, absl::string_view person,
                       absl::string_view object_id) {
  return absl::StrCat(names.base_topic, "/", NodeId(person), "/", object_id);
}

std::string CommandTopic(const HaNames& names, absl::string_view person,
                         absl::string_view object_id) {
  return absl::StrCat(StateTopic(names, person, object_id), "/set");
}

std::optional<CommandTarget> ParseCommandTopic(const HaNames& names,
                                               absl::string_view topic) {
  if (!absl::ConsumePrefix(&topic, absl::StrCat(names.base_topic, "/")) ||
      !absl::ConsumeSuffix(&topic, "/set")) {
    return std::nullopt;
  }
  const size_t slash = topic.find('/');
  if (slash == absl::string_view::npos || slash == 0 ||
      slash + 1 == topic.size() ||
      topic.find('/', slash + 1) != absl::string_view::npos) {
    return std::nullopt;
  }
  return CommandTarget{std::string(topic.substr(0, slash)),
                       std::string(topic.substr(slash + 1))};
}

std::string AvailabilityTopic(const HaNames& names) {
  return absl::StrCat(names.base_topic, "/bridge/", names.bridge_id,
                      "/availability");
}

std::string PeopleTopic(const HaNames& names) {
  return absl::StrCat(names.base_topic, "/bridge/", names.bridge_id, "/people");
}

std::string HaStatusTopic(const HaNames& names) {
  return absl::StrCat(names.discovery_prefix, "/status");
}

std::string EntitySlug(absl::string_view text) {
  std::string slug;
  bool gap = false;
  for (const char c : text) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      if (gap && !slug.empty()) slug.push_back('_');
      gap = false;
      slug.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    } else {
      gap = true;
    }
  }
  return slug.empty() ? "unnamed" : slug;
}

std::string DeviceName(absl::string_view person) {
  return absl::StrCat("Back coach (", person, ")");
}

std::string DefaultEntityId(absl::string_view person, const HaEntity& entity) {
  return absl::StrCat(
      ComponentName(entity.component), ".",
      EntitySlug(absl::StrCat(DeviceName(person), " ", entity.name)));
}

std::string ConfigTopic(const HaNames& names, absl::string_view person,
                        const HaEntity& entity) {
  return absl::StrCat(names.discovery_prefix, "/",
                      ComponentName(entity.component), "/coachd_",
                      NodeId(person), "/", entity.object_id, "/config");
}

std::vector<MqttMessage> DiscoveryConfigs(const HaNames& names,
                                          absl::string_view person) {
  const std::string node = NodeId(person);
  Struct device;
  {
    auto& f = *device.mutable_fields();
    f["identifiers"] = List({absl::StrCat("coachd_", node)});
    f["name"] = Text(DeviceName(person));
    f["manufacturer"] = Text("coachd");
    f["model"] = Text("Back workout coach");
  }
  Struct origin;
  (*origin.mutable_fields())["name"] = Text(kOriginName);
  (*origin.mutable_fields())["sw_version"] = Text(kOriginVersion);
  std::vector<MqttMessage> out;
  for (const HaEntity& e : PersonEntities()) {
    Struct config;
    auto& f = *config.mutable_fields();
    f["name"] = Text(e.name);
    f["unique_id"] = Text(absl::StrCat("coachd_", node, "_", e.object_id));
    f["default_entity_id"] = Text(DefaultEntityId(person, e));
    f["availability_topic"] = Text(AvailabilityTopic(names));
    f["payload_available"] = Text("online");
    f["payload_not_available"] = Text("offline");
    *f["device"].mutable_struct_value() = device;
    *f["origin"].mutable_struct_value() = origin;
    AddComponentKeys(names, person, e, &config);
    out.push_back({ConfigTopic(names, person, e), Json(config), true});
  }
  return out;
}

std::vector<MqttMessage> DiscoveryRemovals(const HaNames& names,
                                           absl::string_view person) {
  std::vector<MqttMessage> out;
  for (const HaEntity& e : PersonEntities()) {
    out.push_back({ConfigTopic(names, person, e), "", true});
  }
  return out;
}

}  // namespace coachd
