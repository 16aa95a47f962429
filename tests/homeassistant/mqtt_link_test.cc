// The bridge's MQTT link against real mosquitto brokers that admit clients
// the way households set them up: users with passwords (mosquitto_passwd)
// and TLS with the household's own CA (made by the test with openssl). A
// link that gets in says "online" on its availability topic, which a second
// link, logged in the same way, reads back from the broker.
#include "clients/homeassistant/mqtt_link.h"

#include <stdlib.h>  // mkdtemp

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/common/mosquitto_server.h"
#include "tests/common/test_pki.h"

namespace coachd {
namespace {

// How long a link may take to log in on loopback (a bound, not a pace).
constexpr absl::Duration kLogin = absl::Seconds(10);
// How long a link that must not get in is given to try (several attempts).
constexpr absl::Duration kKeptOut = absl::Seconds(2);

// What one link reported, for the test thread to wait on.
class Recorder {
 public:
  MqttCallbacks Callbacks() {
    return MqttCallbacks{
        [this] {
          absl::MutexLock lock(&mu_);
          ++connects_;
        },
        nullptr,
        [this](const std::string& topic, const std::string& payload) {
          absl::MutexLock lock(&mu_);
          last_[topic] = payload;
          changed_ = true;
        },
        [this](const std::string& reason) {
          absl::MutexLock lock(&mu_);
          refused_ = reason;
        }};
  }

  // True once the link is connected, within `timeout`.
  bool AwaitConnect(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(
                                    +[](int* n) { return *n > 0; }, &connects_),
                                timeout);
  }

  // The broker's refusal in words, once it came within `timeout`; "" if none.
  std::string AwaitRefusal(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(
        absl::Condition(
            +[](std::string* s) { return !s->empty(); }, &refused_),
        timeout);
    return refused_;
  }

  // True once `topic` carried `payload`, within `timeout`.
  bool AwaitMessage(const std::string& topic, const std::string& payload,
                    absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto seen = [&] {
      mu_.AssertHeld();
      auto it = last_.find(topic);
      return it != last_.end() && it->second == payload;
    };
    const absl::Time deadline = absl::Now() + timeout;
    while (!seen()) {
      if (mu_.AwaitWithDeadline(absl::Condition(&changed_), deadline)) {
        changed_ = false;
      } else {
        return seen();
      }
    }
    return true;
  }

  int connects() {
    absl::MutexLock lock(&mu_);
    return connects_;
  }

 private:
  absl::Mutex mu_;
  int connects_ ABSL_GUARDED_BY(mu_) = 0;
  std::string refused_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> last_ ABSL_GUARDED_BY(mu_);
  bool changed_ ABSL_GUARDED_BY(mu_) = false;
};

class MqttLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = ::testing::TempDir() + "coachd_mqtt_XXXXXX";
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    broker_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  void StartBroker(const MosquittoOptions& options) {
    auto broker = MosquittoServer::StartWith(options);
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = *std::move(broker);
  }

  // A password file with `user` and `password` (mosquitto_passwd -b).
  std::string PasswordFile(const std::string& user,
                           const std::string& password) {
    const std::string file = dir_ + "/passwd";
    const std::string command =
        absl::StrCat("mosquitto_passwd -c -b ", file, " ", user, " ", password,
                     " >/dev/null 2>&1");
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    return file;
  }

  MqttOptions Options(const std::string& client_id) const {
    MqttOptions options;
    options.port = broker_->port();
    options.client_id = client_id;
    options.keepalive_seconds = 5;
    options.will_topic = absl::StrCat("test/", client_id, "/availability");
    return options;
  }

  std::string dir_;
  std::unique_ptr<MosquittoServer> broker_;
};

TEST_F(MqttLinkTest, AUserWithThePasswordGetsInAndOthersAreRefused) {
  MosquittoOptions broker;
  broker.password_file = PasswordFile("bridge", "s3cret-word");
  ASSERT_NO_FATAL_FAILURE(StartBroker(broker));

  MqttOptions in = Options("bridge-in");
  in.username = "bridge";
  in.password = "s3cret-word";
  Recorder recorder;
  MqttLink link(in, recorder.Callbacks());
  ASSERT_TRUE(link.Start().ok());
  ASSERT_TRUE(recorder.AwaitConnect(kLogin));

  // A second link with the same login reads the first one's "online".
  MqttOptions reader_options = Options("reader");
  reader_options.username = "bridge";
  reader_options.password = "s3cret-word";
  reader_options.will_topic.clear();
  Recorder reader;
  MqttLink* reader_link = nullptr;
  MqttCallbacks callbacks = reader.Callbacks();
  auto connected = callbacks.on_connect;
  callbacks.on_connect = [&] {
    reader_link->Subscribe("test/#");
    connected();
  };
  MqttLink reader_mqtt(reader_options, callbacks);
  reader_link = &reader_mqtt;
  ASSERT_TRUE(reader_mqtt.Start().ok());
  EXPECT_TRUE(reader.AwaitMessage(in.will_topic, "online", kLogin));

  // A wrong password and an anonymous client are refused, and told why.
  MqttOptions wrong = Options("bridge-wrong");
  wrong.username = "bridge";
  wrong.password = "not-the-word";
  Recorder wrong_recorder;
  MqttLink wrong_link(wrong, wrong_recorder.Callbacks());
  ASSERT_TRUE(wrong_link.Start().ok());
  const std::string refusal = wrong_recorder.AwaitRefusal(kLogin);
  EXPECT_NE(refusal.find("not authorised"), std::string::npos) << refusal;

  Recorder anonymous_recorder;
  MqttLink anonymous(Options("anonymous"), anonymous_recorder.Callbacks());
  ASSERT_TRUE(anonymous.Start().ok());
  EXPECT_FALSE(anonymous_recorder.AwaitRefusal(kLogin).empty());
  EXPECT_EQ(wrong_recorder.connects(), 0);
  EXPECT_EQ(anonymous_recorder.connects(), 0);
}

TEST_F(MqttLinkTest, TlsWithTheHouseholdsCaGetsInAndNothingElseDoes) {
  TestPki pki(dir_);
  ASSERT_TRUE(pki.MakeCa("ca")) << "openssl could not make a CA";
  ASSERT_TRUE(pki.MakeLeaf("broker", "ca"));
  ASSERT_TRUE(pki.MakeCa("other"));
  MosquittoOptions broker;
  broker.cert_file = pki.Path("broker.pem");
  broker.key_file = pki.Path("broker.key");
  broker.ca_file = pki.Path("ca.pem");
  ASSERT_NO_FATAL_FAILURE(StartBroker(broker));

  MqttOptions tls = Options("bridge-tls");
  tls.ca_file = pki.Path("ca.pem");
  Recorder recorder;
  MqttLink link(tls, recorder.Callbacks());
  ASSERT_TRUE(link.Start().ok());
  EXPECT_TRUE(recorder.AwaitConnect(kLogin));

  // A link that trusts another CA, and one that speaks plaintext to the
  // TLS port, never get a session.
  MqttOptions other = Options("bridge-other-ca");
  other.ca_file = pki.Path("other.pem");
  Recorder other_recorder;
  MqttLink other_link(other, other_recorder.Callbacks());
  ASSERT_TRUE(other_link.Start().ok());
  Recorder plain_recorder;
  MqttLink plain_link(Options("bridge-plain"), plain_recorder.Callbacks());
  ASSERT_TRUE(plain_link.Start().ok());
  EXPECT_FALSE(other_recorder.AwaitConnect(kKeptOut));
  EXPECT_FALSE(plain_recorder.AwaitConnect(kKeptOut));
}

TEST_F(MqttLinkTest, AMissingCaFileIsRefusedAtStartNamingTheFlag) {
  ASSERT_NO_FATAL_FAILURE(StartBroker({}));
  MqttOptions options = Options("bridge-no-ca");
  options.ca_file = dir_ + "/no-such-ca.pem";
  Recorder recorder;
  MqttLink link(options, recorder.Callbacks());
  const absl::Status started = link.Start();
  EXPECT_EQ(started.code(), absl::StatusCode::kInvalidArgument) << started;
  EXPECT_NE(started.message().find("--mqtt_ca_file"), std::string::npos)
      << started;
}

}  // namespace
}  // namespace coachd
