// The bridge's connection to an MQTT broker over libmosquitto: connects
// with a last will ("offline", retained, on the availability topic),
// reconnects by itself with backoff, and runs libmosquitto's network loop
// on its own thread. Callbacks run on that thread and must not block (the
// bridge only queues what they carry). Publish may be called from any
// thread and never blocks on the network: libmosquitto queues the message.
//
//   MqttLink link(options, {.on_connect = ..., .on_message = ...});
//   absl::Status s = link.Start();
//   link.Publish({"coachd/alice/state", "idle", true});
#ifndef CLIENTS_HOMEASSISTANT_MQTT_LINK_H_
#define CLIENTS_HOMEASSISTANT_MQTT_LINK_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "clients/homeassistant/ha_discovery.h"

struct mosquitto;
struct mosquitto_message;

namespace coachd {

// Where the broker is and how to log in.
struct MqttOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id;  // Empty: libmosquitto makes one.
  std::string username;   // Empty: anonymous.
  std::string password;
  std::string ca_file;  // Set: TLS, the broker checked against this CA.
  int keepalive_seconds = 10;
  // The last will: published by the broker when the link dies.
  std::string will_topic;
  std::string will_payload = "offline";
};

// What the link reports, on its network thread. Must not block.
struct MqttCallbacks {
  std::function<void()> on_connect;     // Connected (again).
  std::function<void()> on_disconnect;  // Lost; it reconnects by itself.
  std::function<void(const std::string& topic, const std::string& payload)>
      on_message;
  // The broker refused the login (wrong user name or password, not
  // authorised): `reason` is its answer in words. The link keeps retrying
  // with backoff, in case the broker's users change.
  std::function<void(const std::string& reason)> on_refused;
};

// Thread-safe. Not copyable.
class MqttLink {
 public:
  MqttLink(MqttOptions options, MqttCallbacks callbacks);
  // Publishes the will's payload itself (a clean disconnect sends no will),
  // disconnects and stops the thread.
  ~MqttLink();
  MqttLink(const MqttLink&) = delete;
  MqttLink& operator=(const MqttLink&) = delete;

  // Starts connecting on the network thread. INVALID_ARGUMENT for bad
  // options (TLS files, credentials); the broker need not be up yet.
  absl::Status Start();

  // Queues `message` (QoS 1). False when libmosquitto refused it (not
  // connected: the bridge republishes everything on the next connect).
  bool Publish(const MqttMessage& message);

  // Subscribes to `pattern` (QoS 1). Call from on_connect.
  void Subscribe(const std::string& pattern);

 private:
  static void OnConnect(struct mosquitto* m, void* self, int rc);
  static void OnDisconnect(struct mosquitto* m, void* self, int rc);
  static void OnMessage(struct mosquitto* m, void* self,
                        const struct mosquitto_message* message);

  const MqttOptions options_;
  const MqttCallbacks callbacks_;
  struct mosquitto* mosq_ = nullptr;
  bool started_ = false;
};

}  // namespace coachd

#endif  // CLIENTS_HOMEASSISTANT_MQTT_LINK_H_
