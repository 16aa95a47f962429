#include "tests/common/mqtt_probe.h"

#include <mosquitto.h>

#include <mutex>

namespace coachd {

MqttProbe::MqttProbe(int port, std::string pattern)
    : pattern_(std::move(pattern)) {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
  mosq_ = mosquitto_new(nullptr, true, this);
  mosquitto_connect_callback_set(mosq_, &MqttProbe::OnConnect);
  mosquitto_message_callback_set(mosq_, &MqttProbe::OnMessage);
  mosquitto_subscribe_callback_set(mosq_, &MqttProbe::OnSubscribe);
  mosquitto_reconnect_delay_set(mosq_, 1, 1, false);
  mosquitto_connect_async(mosq_, "127.0.0.1", port, 5);
  mosquitto_loop_start(mosq_);
}

MqttProbe::~MqttProbe() {
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, false);
  mosquitto_destroy(mosq_);
}

void MqttProbe::OnConnect(struct mosquitto* m, void* self, int rc) {
  auto* probe = static_cast<MqttProbe*>(self);
  if (rc != 0) return;
  mosquitto_subscribe(m, nullptr, probe->pattern_.c_str(), 1);
}

void MqttProbe::OnSubscribe(struct mosquitto*, void* self, int, int,
                            const int*) {
  auto* probe = static_cast<MqttProbe*>(self);
  absl::MutexLock lock(&probe->mu_);
  probe->subscribed_ = true;  // The broker acknowledged (SUBACK).
}

void MqttProbe::OnMessage(struct mosquitto*, void* self,
                          const struct mosquitto_message* message) {
  auto* probe = static_cast<MqttProbe*>(self);
  ProbeMessage m;
  m.topic = message->topic;
  m.payload.assign(static_cast<const char*>(message->payload),
                   static_cast<size_t>(message->payloadlen));
  m.retained = message->retain;
  m.at = absl::Now();
  absl::MutexLock lock(&probe->mu_);
  probe->last_[m.topic] = m.payload;
  probe->messages_.push_back(std::move(m));
}

bool MqttProbe::WaitConnected(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&subscribed_), timeout);
}

bool MqttProbe::Wait(
    const std::function<bool(const std::vector<ProbeMessage>&)>& ready,
    absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto holds = [this, &ready]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return ready(messages_);
  };
  return mu_.AwaitWithTimeout(absl::Condition(&holds), timeout);
}

bool MqttProbe::WaitFor(const std::string& topic, const std::string& payload,
                        absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto holds = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = last_.find(topic);
    return it != last_.end() && it->second == payload;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&holds), timeout);
}

std::string MqttProbe::Last(const std::string& topic) {
  absl::MutexLock lock(&mu_);
  auto it = last_.find(topic);
  return it == last_.end() ? "" : it->second;
}

std::vector<ProbeMessage> MqttProbe::All() {
  absl::MutexLock lock(&mu_);
  return messages_;
}

void MqttProbe::Clear() {
  absl::MutexLock lock(&mu_);
  messages_.clear();
}

void MqttProbe::Publish(const std::string& topic, const std::string& payload,
                        bool retain) {
  mosquitto_publish(mosq_, nullptr, topic.c_str(),
                    static_cast<int>(payload.size()), payload.data(), 1,
                    retain);
}

}  // namespace coachd
