#include "clients/homeassistant/mqtt_link.h"

#include <mosquitto.h>

#include <algorithm>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"

namespace coachd {
namespace {

void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

}  // namespace

MqttLink::MqttLink(MqttOptions options, MqttCallbacks callbacks)
    : options_(std::move(options)), callbacks_(std::move(callbacks)) {
  InitLibraryOnce();
  mosq_ = mosquitto_new(
      options_.client_id.empty() ? nullptr : options_.client_id.c_str(),
      /*clean_session=*/true, this);
  mosquitto_connect_callback_set(mosq_, &MqttLink::OnConnect);
  mosquitto_disconnect_callback_set(mosq_, &MqttLink::OnDisconnect);
  mosquitto_message_callback_set(mosq_, &MqttLink::OnMessage);
  mosquitto_reconnect_delay_set(mosq_, 1, 5, /*exponential=*/true);
}

MqttLink::~MqttLink() {
  if (started_) {
    // A clean stop sends no will: say "offline" ourselves first.
    if (!options_.will_topic.empty()) {
      Publish({options_.will_topic, options_.will_payload, true});
    }
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, /*force=*/false);
  }
  mosquitto_destroy(mosq_);
}

absl::Status MqttLink::Start() {
  if (!options_.will_topic.empty()) {
    int rc = mosquitto_will_set(mosq_, options_.will_topic.c_str(),
                                static_cast<int>(options_.will_payload.size()),
                                options_.will_payload.data(), 1,
                                /*retain=*/true);
    if (rc != MOSQ_ERR_SUCCESS) {
      return absl::InvalidArgumentError(
          absl::StrCat("mqtt will: ", mosquitto_strerror(rc)));
    }
  }
  if (!options_.username.empty()) {
    int rc = mosquitto_username_pw_set(
        mosq_, options_.username.c_str(),
        options_.password.empty() ? nullptr : options_.password.c_str());
    if (rc != MOSQ_ERR_SUCCESS) {
      return absl::InvalidArgumentError(
          absl::StrCat("--mqtt_username: ", mosquitto_strerror(rc)));
    }
  }
  if (!options_.ca_file.empty()) {
    int rc = mosquitto_tls_set(mosq_, options_.ca_file.c_str(), nullptr,
                               nullptr, nullptr, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--mqtt_ca_file ", options_.ca_file, ": ", mosquitto_strerror(rc)));
    }
  }
  // connect_async: the loop thread connects, and retries while the broker
  // is down or refuses us (its TLS certificate, our login: the household may
  // fix either while the bridge runs). A first attempt may fail here already
  // (a TLS handshake can finish within the call): it is logged and retried.
  int rc = mosquitto_connect_async(mosq_, options_.host.c_str(), options_.port,
                                   options_.keepalive_seconds);
  if (rc == MOSQ_ERR_INVAL) {
    return absl::InvalidArgumentError(
        absl::StrCat("mqtt connect to ", options_.host, ":", options_.port,
                     ": ", mosquitto_strerror(rc)));
  }
  if (rc != MOSQ_ERR_SUCCESS) {
    LogWarning(absl::StrCat("mqtt: connect to ", options_.host, ":",
                            options_.port, ": ", mosquitto_strerror(rc),
                            "; retrying"));
  }
  rc = mosquitto_loop_start(mosq_);
  if (rc != MOSQ_ERR_SUCCESS) {
    return absl::InternalError(
        absl::StrCat("mqtt loop: ", mosquitto_strerror(rc)));
  }
  started_ = true;
  return absl::OkStatus();
}

bool MqttLink::Publish(const MqttMessage& message) {
  int rc = mosquitto_publish(mosq_, nullptr, message.topic.c_str(),
                             static_cast<int>(message.payload.size()),
                             message.payload.data(), 1, message.retain);
  return rc == MOSQ_ERR_SUCCESS;
}

void MqttLink::Subscribe(const std::string& pattern) {
  mosquitto_subscribe(mosq_, nullptr, pattern.c_str(), 1);
}

void MqttLink::OnConnect(struct mosquitto*, void* self, int rc) {
  auto* link = static_cast<MqttLink*>(self);
  if (rc != 0) {
    const std::string reason = mosquitto_connack_string(rc);
    LogWarning(absl::StrCat("mqtt: broker refused the connection: ", reason));
    if (link->callbacks_.on_refused) link->callbacks_.on_refused(reason);
    return;
  }
  if (!link->options_.will_topic.empty()) {
    link->Publish({link->options_.will_topic, "online", true});
  }
  if (link->callbacks_.on_connect) link->callbacks_.on_connect();
}

void MqttLink::OnDisconnect(struct mosquitto*, void* self, int rc) {
  auto* link = static_cast<MqttLink*>(self);
  if (rc != 0) LogWarning("mqtt: connection lost; reconnecting");
  if (link->callbacks_.on_disconnect) link->callbacks_.on_disconnect();
}

void MqttLink::OnMessage(struct mosquitto*, void* self,
                         const struct mosquitto_message* message) {
  auto* link = static_cast<MqttLink*>(self);
  if (!link->callbacks_.on_message || message->topic == nullptr) return;
  link->callbacks_.on_message(
      message->topic,
      std::string(static_cast<const char*>(message->payload),
                  static_cast<size_t>(std::max(0, message->payloadlen))));
}

}  // namespace coachd
