// An independent MQTT client for tests (libmosquitto): subscribes to every
// topic of a broker, keeps each topic's last message (retained ones too) and
// every message in order, lets a test wait for a condition, and publishes.
//
//   MqttProbe probe(broker->port());
//   ASSERT_TRUE(probe.WaitConnected());
//   ASSERT_TRUE(probe.WaitFor("coachd/alice/state", "idle"));
#ifndef TESTS_COMMON_MQTT_PROBE_H_
#define TESTS_COMMON_MQTT_PROBE_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct mosquitto;
struct mosquitto_message;

namespace coachd {

// One message as the probe got it.
struct ProbeMessage {
  std::string topic;
  std::string payload;
  bool retained = false;  // Sent from the broker's store on subscribe.
  absl::Time at;          // When the probe got it.
};

// Thread-safe. Reconnects by itself after a broker restart.
class MqttProbe {
 public:
  // Connects to 127.0.0.1:`port` and subscribes to `pattern`.
  explicit MqttProbe(int port, std::string pattern = "#");
  ~MqttProbe();
  MqttProbe(const MqttProbe&) = delete;
  MqttProbe& operator=(const MqttProbe&) = delete;

  // Waits (up to `timeout`) for the subscription to be in place (the
  // broker's SUBACK).
  bool WaitConnected(absl::Duration timeout = absl::Seconds(10));

  // Waits until `ready` holds over the messages so far (called under the
  // probe's lock: must not call the probe).
  bool Wait(const std::function<bool(const std::vector<ProbeMessage>&)>& ready,
            absl::Duration timeout = absl::Seconds(10));

  // Waits until the last message on `topic` is `payload`.
  bool WaitFor(const std::string& topic, const std::string& payload,
               absl::Duration timeout = absl::Seconds(10));

  // The last payload on `topic` ("" if none).
  std::string Last(const std::string& topic);
  // Every message so far.
  std::vector<ProbeMessage> All();
  // Forgets the messages so far.
  void Clear();

  // Publishes (QoS 1).
  void Publish(const std::string& topic, const std::string& payload,
               bool retain = false);

 private:
  static void OnConnect(struct mosquitto* m, void* self, int rc);
  static void OnSubscribe(struct mosquitto* m, void* self, int mid, int count,
                          const int* granted);
  static void OnMessage(struct mosquitto* m, void* self,
                        const struct mosquitto_message* message);

  const std::string pattern_;
  struct mosquitto* mosq_;
  absl::Mutex mu_;
  bool subscribed_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<ProbeMessage> messages_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> last_ ABSL_GUARDED_BY(mu_);
};

}  // namespace coachd

#endif  // TESTS_COMMON_MQTT_PROBE_H_
