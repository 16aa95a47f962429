// The Home Assistant bridge of one household: for each person, keeps their
// own board (WatchMySessions), their current session (Subscribe) and their
// reminders (WatchReminders) open with resume, maps what comes to entity
// states and HA events (ha_state.h, pure) and publishes what changed over
// MQTT, with discovery (ha_discovery.h); maps command topics to coach.v1
// calls with fresh command ids.
//
// Threads: libmosquitto's network thread only queues (never blocks); one
// worker applies every input in order and publishes; blocking gRPC stream
// readers (one per stream) queue what they read and wait when the queue is
// full; unary calls are asynchronous and queue their results.
//
//   Bridge bridge(options);
//   absl::Status s = bridge.Start();   // runs until destroyed
#ifndef CLIENTS_HOMEASSISTANT_BRIDGE_H_
#define CLIENTS_HOMEASSISTANT_BRIDGE_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "clients/common/channel_watch.h"
#include "clients/common/reconnect.h"
#include "clients/common/token_provider.h"
#include "clients/homeassistant/ha_discovery.h"
#include "clients/homeassistant/ha_state.h"
#include "clients/homeassistant/mqtt_link.h"
#include "coach/v1/coach.grpc.pb.h"
#include "coach/v1/scheduler.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "services/metrics/metrics.h"

namespace coachd {

// What the bridge serves and where.
struct BridgeOptions {
  HaNames names;
  std::vector<std::string> people;  // Each gets a device in Home Assistant.
  // Where the tokens to act for `person` come from (a device of theirs,
  // paired: DeviceCredentials::Provider, refreshed by itself; or
  // FixedToken). Called once per stream and once for the unary calls, each
  // provider then used by one thread only.
  std::function<TokenProvider(const std::string& person)> tokens_for;
  std::shared_ptr<grpc::Channel> channel;  // To coachd.
  MqttOptions mqtt;                        // will_topic is set by the bridge.
  int queue_limit = 4096;                  // Inputs waiting for the worker.
  absl::Duration progress_every = absl::Minutes(5);  // GetProgress refresh.
  int snooze_minutes = 10;
  ReconnectOptions reconnect{1000000, absl::Milliseconds(100),
                             absl::Seconds(2)};
  // Where the bridge's metrics go (the coachd_ha_* families, see
  // Bridge); null: a registry of its own, never served. Must outlive the
  // bridge.
  MetricsRegistry* metrics = nullptr;
};

// Counters (for tests, the benchmark and the metrics).
struct BridgeStats {
  int64_t inputs = 0;             // Inputs the worker applied.
  int64_t published = 0;          // MQTT messages published.
  int64_t states = 0;             // ... of them entity states,
  int64_t events = 0;             // ... and HA events (the rest: discovery).
  int64_t dropped = 0;            // Inputs dropped: the queue was full.
  int64_t accepted = 0;           // Commands done (coachd said OK, or local).
  int64_t rejected = 0;           // Commands refused (logged, and an HA event).
  int64_t malformed = 0;          // Command payloads ignored.
  int64_t mqtt_connects = 0;      // Connections to the broker made.
  int64_t mqtt_disconnects = 0;   // Connections to the broker lost.
  int64_t sessions_followed = 0;  // Sessions the bridge began to follow.
};

// Its metrics (BridgeOptions::metrics):
//   coachd_ha_mqtt_connects_total, coachd_ha_mqtt_disconnects_total
//   coachd_ha_commands_total{result="accepted|rejected|malformed"}
//   coachd_ha_messages_published_total{kind="state|event|discovery"}
//   coachd_ha_inputs_dropped_total
//   coachd_ha_sessions_followed_total, coachd_ha_people
//   coachd_ha_grpc_stream_reconnects_total{stream="board|session|reminders"}
//   coachd_ha_grpc_connects_total, coachd_ha_grpc_connect_failures_total
class Bridge {
 public:
  explicit Bridge(BridgeOptions options);
  // Stops every stream and thread; the MQTT link says "offline" and
  // disconnects cleanly.
  ~Bridge();
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

  // Connects to the broker (retrying by itself) and opens every person's
  // streams. INVALID_ARGUMENT for bad MQTT options.
  absl::Status Start();

  BridgeStats Stats() const;

 private:
  struct Person;
  struct Input;

  // Queues `input`; `wait` blocks while the queue is full (stream readers),
  // else a full queue drops it with a log line (the MQTT thread, callbacks).
  void Push(Input input, bool wait);
  void RunWorker();
  void Apply(Input& input);
  void OnMqttConnected();
  void OnMqttMessage(const std::string& topic, const std::string& payload);
  void OnCommand(Person& p, const std::string& object_id,
                 const std::string& payload);
  void Reject(Person& p, const std::string& what, const std::string& why);
  void PublishAll(Person& p);
  void PublishChanges(Person& p);
  void PublishEvents(Person& p, const std::vector<HaEvent>& events);
  // What a message is, for the metrics.
  enum class Published { kState, kEvent, kDiscovery };
  void Publish(const MqttMessage& message,
               Published kind = Published::kDiscovery);
  // Adds the coachd_ha_* families to the registry (constructor).
  void RegisterMetrics();
  void FollowSession(Person& p);
  void RefreshProgress(Person& p);
  void WatchBoard(Person* p);
  void WatchReminders(Person* p);
  // Starts an asynchronous unary call as `p` (its current token; refreshed
  // first when its last call was refused UNAUTHENTICATED; a 10 s deadline):
  // start(context, request*, response*, callback) issues it; done(status,
  // response&) runs on a gRPC thread and must not block. Counted in
  // calls_in_flight_, which the destructor waits to drain. Worker only.
  template <typename Response, typename Request, typename Issue,
            typename OnDone>
  void Call(Person& p, Request request, Issue start, OnDone done);

  const BridgeOptions options_;
  std::unique_ptr<coach::v1::SessionService::Stub> sessions_;
  std::unique_ptr<coach::v1::CoachService::Stub> coaches_;
  std::unique_ptr<coach::v1::SchedulerService::Stub> scheduler_;
  std::map<std::string, std::unique_ptr<Person>> people_;  // By node id.
  std::unique_ptr<MqttLink> mqtt_;

  mutable absl::Mutex mu_;
  std::deque<Input> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  int calls_in_flight_ ABSL_GUARDED_BY(mu_) = 0;  // Async unary calls.
  BridgeStats stats_ ABSL_GUARDED_BY(mu_);

  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> command_ids_{0};
  std::thread worker_;
  std::vector<std::thread> readers_;

  std::unique_ptr<MetricsRegistry> own_metrics_;  // Without options.metrics.
  MetricsRegistry* metrics_ = nullptr;
  CounterFamily* reconnects_ = nullptr;  // By stream.
  std::unique_ptr<ChannelWatch> channel_watch_;
  // Last: removed first, before anything they read is destroyed.
  std::vector<CallbackRegistration> registrations_;
};

}  // namespace coachd

#endif  // CLIENTS_HOMEASSISTANT_BRIDGE_H_
