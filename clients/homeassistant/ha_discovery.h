// Home Assistant MQTT discovery for one person of the household: the
// retained config messages that make a device "Back coach (<person>)" appear
// with its entities, the empty retained messages that remove it, and the
// topics the bridge publishes states to and reads commands from. Pure
// functions of the names: no I/O, no clock.
//
//   HaNames names{.bridge_id = "home"};
//   for (const MqttMessage& m : DiscoveryConfigs(names, "alice")) Publish(m);
//
// Topics (NODE = NodeId(person), BASE = names.base_topic):
//   <discovery_prefix>/<component>/coachd_NODE/<object_id>/config  configs
//   BASE/NODE/<object_id>                 an entity's state (retained)
//   BASE/NODE/exercise/attributes         the current exercise's attributes
//   BASE/NODE/event                       the event entity (not retained)
//   BASE/NODE/<object_id>/set             commands (buttons, select, number)
//   BASE/bridge/<bridge_id>/availability  "online", or "offline" (last will)
//   BASE/bridge/<bridge_id>/people        the people the bridge announced
#ifndef CLIENTS_HOMEASSISTANT_HA_DISCOVERY_H_
#define CLIENTS_HOMEASSISTANT_HA_DISCOVERY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace coachd {

// One MQTT message to publish.
struct MqttMessage {
  std::string topic;
  std::string payload;
  bool retain = false;
};

// Where the bridge publishes.
struct HaNames {
  std::string discovery_prefix = "homeassistant";
  std::string base_topic = "coachd";
  std::string bridge_id = "coachd";  // One per household bridge.
};

// The kinds of entity the bridge announces.
enum class HaComponent {
  kSensor,
  kBinarySensor,
  kEvent,
  kButton,
  kSelect,
  kNumber
};

// "sensor", "binary_sensor", "event", "button", "select", "number".
const char* ComponentName(HaComponent component);

// One entity of a person's device.
struct HaEntity {
  HaComponent component;
  std::string object_id;  // Unique within the person: "state", "pause"...
  std::string name;       // Shown in Home Assistant: "Workout state".
};

// Every entity of a person, in a fixed order.
const std::vector<HaEntity>& PersonEntities();

// The workout states of the "state" enum sensor.
const std::vector<std::string>& WorkoutStates();

// The event types of the "event" entity.
const std::vector<std::string>& EventTypes();

// The workout focuses of the "focus" select.
const std::vector<std::string>& FocusOptions();

// The range of the "minutes" number.
inline constexpr int kMinMinutes = 5;
inline constexpr int kMaxMinutes = 120;

// `person` as a topic level and id part: ASCII letters, digits, '-' and '_'
// kept, every other byte '_'. Never empty ("_" for an empty id).
std::string NodeId(absl::string_view person);

// Home Assistant's slug of `text` (its slugify, for ASCII): letters
// lowercased, letters and digits kept, every run of anything else one '_',
// none at either end. "unnamed" when nothing is left.
std::string EntitySlug(absl::string_view text);

// The name of `person`'s device in Home Assistant: "Back coach (alice)".
std::string DeviceName(absl::string_view person);

// The entity id announced for `entity` of `person` (the config's
// default_entity_id): the component, a dot and the slug of the device's and
// the entity's names, as Home Assistant makes it itself when a config has
// none, e.g. "sensor.back_coach_alice_workout_state". The example dashboard
// and automations (deploy/homeassistant/) use these.
std::string DefaultEntityId(absl::string_view person, const HaEntity& entity);

// The state topic of `object_id` of `person`.
std::string StateTopic(const HaNames& names, absl::string_view person,
                       absl::string_view object_id);

// The command topic of `object_id` of `person`.
std::string CommandTopic(const HaNames& names, absl::string_view person,
                         absl::string_view object_id);

// Where a command topic points: the node (NodeId of a person) and the
// object id.
struct CommandTarget {
  std::string node;
  std::string object_id;
};

// The target of `topic` when it is a command topic, BASE/<node>/<object>/set
// with both levels non-empty and free of '/'; nullopt for any other topic.
std::optional<CommandTarget> ParseCommandTopic(const HaNames& names,
                                               absl::string_view topic);

// The bridge's availability topic (its MQTT last will).
std::string AvailabilityTopic(const HaNames& names);

// The retained list of people the bridge announced (comma-separated).
std::string PeopleTopic(const HaNames& names);

// Home Assistant's birth and last-will topic: "online" asks for a republish.
std::string HaStatusTopic(const HaNames& names);

// The discovery topic of `entity` of `person`.
std::string ConfigTopic(const HaNames& names, absl::string_view person,
                        const HaEntity& entity);

// The retained discovery configs of every entity of `person` (JSON objects
// with name, unique_id, default_entity_id, device, origin, availability and
// what the component
// requires: state_topic, command_topic, options, event_types...).
std::vector<MqttMessage> DiscoveryConfigs(const HaNames& names,
                                          absl::string_view person);

// Empty retained messages on every config topic of `person`: Home
// Assistant removes the entities and the device.
std::vector<MqttMessage> DiscoveryRemovals(const HaNames& names,
                                           absl::string_view person);

}  // namespace coachd

#endif  // CLIENTS_HOMEASSISTANT_HA_DISCOVERY_H_
