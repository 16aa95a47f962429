// MQTT messages as the Home Assistant bridge receives them on its command
// subscription (BASE/+/+/set): the input's first line is the topic, the
// rest the payload. The topic goes through ParseCommandTopic, the payload
// through ParseCommand for the topic's object id (the bridge's
// OnMqttMessage and OnCommand, without the broker), and the people list's
// ids through NodeId.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "clients/homeassistant/ha_discovery.h"
#include "clients/homeassistant/ha_state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace coachd;  // NOLINT: the fuzzer's entry point only.
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const absl::string_view topic = input.substr(0, newline);
  const absl::string_view payload = newline == absl::string_view::npos
                                        ? absl::string_view()
                                        : input.substr(newline + 1);
  const HaNames names;
  if (std::optional<CommandTarget> target = ParseCommandTopic(names, topic)) {
    absl::StatusOr<BridgeCommand> command =
        ParseCommand(target->object_id, payload);
    if (command.ok() && command->kind == BridgeCommand::kFocus) {
      FocusOf(command->text);
    }
  }
  // The same payload on every command topic the bridge serves.
  for (const HaEntity& entity : PersonEntities()) {
    ParseCommand(entity.object_id, payload).IgnoreError();
  }
  for (absl::string_view id : absl::StrSplit(payload, ',', absl::SkipEmpty())) {
    NodeId(id);
  }
  return 0;
}
