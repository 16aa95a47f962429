// End to end with Redis: coachd as real processes on a real redis-server
// (the harness's, on a free loopback port), sessions played fast
// (--time_scale) so that a whole routine takes seconds. A subscriber in the
// test follows a session event by event and resumes from where it was when
// its stream breaks; at the end it must have seen every sequence from 1 to
// SessionDone exactly once, in one epoch.
//   - kill -9 coachd mid-session and start it again: the session continues;
//   - two replicas, the subscriber on B, the session driven by A; kill -9 A:
//     B takes the timers over and the subscriber's stream never breaks;
//   - Redis restarted with deploy/redis/redis.conf: the session survives;
//   - Redis stopped: UNAVAILABLE and NOT_SERVING within seconds, then both
//     recover without restarting coachd;
//   - a --lease_ttl too short to renew stops coachd, naming the flag.
// Every wait polls in short steps under an overall cap; every child is
// killed in teardown.
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "coach/v1/session.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/auth/jwt.h"
#include "tests/common/redis_server.h"

extern char** environ;

namespace coachd {
namespace {

using ::testing::HasSubstr;

constexpr char kSecret[] = "replica-e2e-secret";
// Sessions play this many times faster: the demo routine (638 s) in ~11 s.
constexpr char kTimeScale[] = "60";
constexpr char kLeaseTtl[] = "1s";
// Caps on waits. Only a broken coachd gets near them.
constexpr absl::Duration kStartCap = absl::Seconds(30);
constexpr absl::Duration kSessionCap = absl::Seconds(120);
constexpr absl::Duration kOutageCap = absl::Seconds(20);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Polls `done` every 20 ms until it holds or `cap` passes.
bool PollUntil(const std::function<bool()>& done, absl::Duration cap) {
  const absl::Time give_up = absl::Now() + cap;
  while (!done()) {
    if (absl::Now() >= give_up) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

// One coachd process. Killed (SIGKILL) when destroyed if still running.
class Coachd {
 public:
  // Starts coachd on 127.0.0.1:0 with `flags` added; waits for its port
  // (or, unless `must_start`, for it to exit).
  Coachd(const std::string& dir, const std::string& name,
         const std::vector<std::string>& flags, bool must_start = true)
      : port_file_(dir + "/" + name + ".port"),
        log_path_(dir + "/" + name + ".log") {
    std::remove(port_file_.c_str());
    std::vector<std::string> args = {
        std::string(COACHD_BINARY_DIR) + "/services/server/coachd",
        "--listen=127.0.0.1:0", "--port_file=" + port_file_};
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // Append: a restarted replica keeps its predecessor's log.
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
    const int spawned = posix_spawn(&pid_, args[0].c_str(), &actions, nullptr,
                                    argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
      ADD_FAILURE() << "cannot run " << args[0] << ": "
                    << std::strerror(spawned);
      pid_ = -1;
      return;
    }
    pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
    PollUntil(
        [&] {
          const std::string text = ReadFile(port_file_);
          if (absl::EndsWith(text, "\n") &&
              absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &port_)) {
            return true;
          }
          return Exited();
        },
        kStartCap);
    if (port_ <= 0 && must_start) {
      ADD_FAILURE() << "coachd did not start:\n" << Log();
    }
  }

  ~Coachd() { Kill(); }
  Coachd(const Coachd&) = delete;
  Coachd& operator=(const Coachd&) = delete;

  // kill -9, and reap.
  void Kill() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (pidfd_ >= 0) {
      close(pidfd_);
      pidfd_ = -1;
    }
  }

  // Reaps the process once it has exited; its exit code, or -1 when it is
  // still running or was killed by a signal.
  int ExitCode() {
    if (pid_ <= 0 || !Exited()) return -1;
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  bool Exited() const {
    if (pidfd_ < 0) return true;
    pollfd fd = {pidfd_, POLLIN, 0};
    return poll(&fd, 1, 0) == 1;
  }

  int port() const { return port_; }
  std::string target() const { return absl::StrCat("127.0.0.1:", port_); }
  std::string Log() const { return ReadFile(log_path_); }

 private:
  const std::string port_file_;
  const std::string log_path_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int port_ = 0;
};

std::string Token() {
  return MintToken(kSecret, {"alice", Role::kUser}, absl::Now(),
                   absl::Now() + absl::Hours(1));
}

// Follows one session from its first event, resuming after every broken
// stream at the target `target()` names then.
class Subscriber {
 public:
  Subscriber(std::string session_id, std::string epoch,
             std::function<std::string()> target)
      : session_id_(std::move(session_id)),
        epoch_(std::move(epoch)),
        target_(std::move(target)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Subscriber() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
      if (context_ != nullptr) context_->TryCancel();
    }
    thread_.join();
  }

  // Waits until at least `n` events arrived (or SessionDone); false after
  // `cap`.
  bool WaitForEvents(size_t n, absl::Duration cap) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return sequences_.size() >= n || done_;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), cap) &&
           sequences_.size() >= n;
  }
  bool WaitForDone(absl::Duration cap) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&done_), cap);
  }

  // Every sequence received, in order; problems seen (snapshots, epochs).
  std::vector<int64_t> sequences() const {
    absl::MutexLock lock(&mu_);
    return sequences_;
  }
  std::vector<std::string> problems() const {
    absl::MutexLock lock(&mu_);
    return problems_;
  }
  int reconnects() const {
    absl::MutexLock lock(&mu_);
    return reconnects_;
  }
  // When the event after sequence `after` arrived.
  absl::Time ArrivalAfter(int64_t after) const {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < sequences_.size(); ++i) {
      if (sequences_[i] > after) return arrivals_[i];
    }
    return absl::InfiniteFuture();
  }

 private:
  void Run() {
    std::string current;
    std::shared_ptr<grpc::Channel> channel;
    for (;;) {
      const std::string target = target_();
      if (target != current) {
        current = target;
        channel =
            grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
      }
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + Token());
      coach::v1::SubscribeRequest request;
      request.set_session_id(session_id_);
      request.set_kind(coach::v1::DEVICE_KIND_DISPLAY);
      {
        absl::MutexLock lock(&mu_);
        if (stop_ || done_) return;
        request.mutable_resume()->set_epoch(epoch_);
        request.mutable_resume()->set_last_sequence(
            sequences_.empty() ? 0 : sequences_.back());
        context_ = &context;
      }
      auto reader = coach::v1::SessionService::NewStub(channel)->Subscribe(
          &context, request);
      coach::v1::SessionEvent event;
      while (reader->Read(&event)) Record(event);
      const grpc::Status status = reader->Finish();
      absl::MutexLock lock(&mu_);
      context_ = nullptr;
      if (stop_ || done_) return;
      ++reconnects_;
      // A client waits a little before reconnecting.
      mu_.AwaitWithTimeout(absl::Condition(&stop_), absl::Milliseconds(100));
    }
  }

  void Record(const coach::v1::SessionEvent& event) {
    absl::MutexLock lock(&mu_);
    if (event.has_snapshot()) {
      problems_.push_back(absl::StrCat("snapshot at ", event.sequence(), ": ",
                                       event.snapshot().reason()));
      return;
    }
    if (event.epoch() != epoch_) {
      problems_.push_back(
          absl::StrCat("epoch ", event.epoch(), " at ", event.sequence()));
    }
    sequences_.push_back(event.sequence());
    arrivals_.push_back(absl::Now());
    if (event.has_session_done()) done_ = true;
  }

  const std::string session_id_;
  const std::string epoch_;
  const std::function<std::string()> target_;
  mutable absl::Mutex mu_;
  std::vector<int64_t> sequences_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Time> arrivals_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> problems_ ABSL_GUARDED_BY(mu_);
  int reconnects_ ABSL_GUARDED_BY(mu_) = 0;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_;
};

// Checks that `seq` is exactly 1..n.
void ExpectOneToN(const std::vector<int64_t>& seq) {
  ASSERT_FALSE(seq.empty());
  for (size_t i = 0; i < seq.size(); ++i) {
    if (seq[i] != static_cast<int64_t>(i) + 1) {
      ADD_FAILURE() << "event " << i << " has sequence " << seq[i]
                    << " (expected " << i + 1 << ")";
      return;
    }
  }
}

class ReplicaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir_template = ::testing::TempDir() + "coachd_replica_XXXXXX";
    ASSERT_NE(mkdtemp(dir_template.data()), nullptr) << dir_template;
    dir_ = dir_template;
    secret_file_ = dir_ + "/secret";
    std::ofstream(secret_file_) << kSecret;
  }

  void TearDown() override {
    // Children first (coachd processes, then Redis).
    replicas_.clear();
    redis_.reset();
    std::error_code ignored;
    if (!HasFailure()) std::filesystem::remove_all(dir_, ignored);
  }

  void StartRedis(bool deploy_config) {
    RedisServerOptions options;
    if (deploy_config) {
      options.config_file =
          std::string(COACHD_SOURCE_DIR) + "/deploy/redis/redis.conf";
    }
    absl::StatusOr<std::unique_ptr<RedisServer>> redis =
        RedisServer::Start(options);
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
  }

  // Starts (or restarts) the replica `name`.
  Coachd& StartReplica(const std::string& name) {
    auto& slot = replicas_[name];
    slot.reset();
    slot = std::make_unique<Coachd>(
        dir_, name,
        std::vector<std::string>{"--auth_secret_file=" + secret_file_,
                                 "--redis=" + redis_->url(),
                                 absl::StrCat("--time_scale=", kTimeScale),
                                 absl::StrCat("--lease_ttl=", kLeaseTtl)});
    return *slot;
  }

  // The replica's address now (it changes when it restarts).
  std::function<std::string()> TargetOf(const std::string& name) {
    return [this, name] {
      absl::MutexLock lock(&targets_mu_);
      return targets_[name];
    };
  }
  void Publish(const std::string& name) {
    absl::MutexLock lock(&targets_mu_);
    targets_[name] = replicas_[name]->target();
  }

  std::unique_ptr<coach::v1::SessionService::Stub> Stub(
      const std::string& name) {
    return coach::v1::SessionService::NewStub(grpc::CreateChannel(
        replicas_[name]->target(), grpc::InsecureChannelCredentials()));
  }

  // Starts the demo routine on replica `name`.
  coach::v1::SessionView StartSession(const std::string& name) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + Token());
    context.set_deadline(absl::ToChronoTime(absl::Now() + kStartCap));
    coach::v1::StartSessionRequest request;
    request.set_routine_id("demo");
    coach::v1::SessionView view;
    const grpc::Status status =
        Stub(name)->StartSession(&context, request, &view);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return view;
  }

  grpc::Status GetSession(const std::string& name, const std::string& id) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + Token());
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    coach::v1::GetSessionRequest request;
    request.set_session_id(id);
    coach::v1::SessionView view;
    return Stub(name)->GetSession(&context, request, &view);
  }

  grpc::health::v1::HealthCheckResponse::ServingStatus Health(
      const std::string& name) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
    grpc::health::v1::HealthCheckResponse response;
    const grpc::Status status =
        grpc::health::v1::Health::NewStub(
            grpc::CreateChannel(replicas_[name]->target(),
                                grpc::InsecureChannelCredentials()))
            ->Check(&context, {}, &response);
    return status.ok() ? response.status()
                       : grpc::health::v1::HealthCheckResponse::UNKNOWN;
  }

  // Waits for SessionDone and checks the subscriber saw 1..n, once each.
  void ExpectWholeSession(Subscriber& subscriber) {
    ASSERT_TRUE(subscriber.WaitForDone(kSessionCap))
        << "no SessionDone; last sequences seen: "
        << (subscriber.sequences().empty() ? 0 : subscriber.sequences().back())
        << "\n"
        << Logs();
    EXPECT_THAT(subscriber.problems(), ::testing::IsEmpty());
    ExpectOneToN(subscriber.sequences());
  }

  std::string Logs() const {
    std::string all;
    for (const auto& [name, replica] : replicas_) {
      if (replica != nullptr) {
        absl::StrAppend(&all, "--- ", name, " ---\n", replica->Log());
      }
    }
    return all;
  }

  std::string dir_;
  std::string secret_file_;
  std::unique_ptr<RedisServer> redis_;
  std::map<std::string, std::unique_ptr<Coachd>> replicas_;
  absl::Mutex targets_mu_;
  std::map<std::string, std::string> targets_ ABSL_GUARDED_BY(targets_mu_);
};

TEST_F(ReplicaTest, LeaseTtlTooShortStopsNamingTheFlag) {
  StartRedis(/*deploy_config=*/false);
  Coachd coachd(dir_, "short",
                {"--auth_secret_file=" + secret_file_,
                 "--redis=" + redis_->url(), "--lease_ttl=100ms"},
                /*must_start=*/false);
  ASSERT_TRUE(PollUntil([&] { return coachd.Exited(); }, kStartCap));
  EXPECT_EQ(coachd.ExitCode(), 2);
  EXPECT_THAT(coachd.Log(),
              HasSubstr("--lease_ttl: must be at least 300ms, got 100ms"));
}

TEST_F(ReplicaTest, KilledCoachdRestartsAndItsSessionContinues) {
  StartRedis(/*deploy_config=*/false);
  StartReplica("a");
  Publish("a");
  const coach::v1::SessionView view = StartSession("a");
  ASSERT_FALSE(view.session_id().empty());
  Subscriber subscriber(view.session_id(), view.epoch(), TargetOf("a"));
  ASSERT_TRUE(subscriber.WaitForEvents(20, kSessionCap)) << Logs();

  replicas_["a"]->Kill();
  const size_t seen_at_kill = subscriber.sequences().size();
  StartReplica("a");
  Publish("a");

  ExpectWholeSession(subscriber);
  EXPECT_GT(subscriber.sequences().size(), seen_at_kill + 20)
      << "the session did not continue after the restart";
  EXPECT_GE(subscriber.reconnects(), 1);
  EXPECT_THAT(replicas_["a"]->Log(),
              HasSubstr("driving the timers of session " + view.session_id()));
}

TEST_F(ReplicaTest, SecondReplicaTakesOverWhenTheDriverIsKilled) {
  StartRedis(/*deploy_config=*/false);
  StartReplica("a");
  StartReplica("b");
  Publish("b");
  const coach::v1::SessionView view = StartSession("a");  // a drives it.
  ASSERT_FALSE(view.session_id().empty());
  Subscriber subscriber(view.session_id(), view.epoch(), TargetOf("b"));
  ASSERT_TRUE(subscriber.WaitForEvents(20, kSessionCap)) << Logs();

  replicas_["a"]->Kill();
  const absl::Time killed = absl::Now();
  const int64_t last_at_kill = subscriber.sequences().back();

  ExpectWholeSession(subscriber);
  EXPECT_EQ(subscriber.reconnects(), 0) << "b's stream broke";
  EXPECT_THAT(replicas_["b"]->Log(),
              HasSubstr("driving the timers of session " + view.session_id()));
  std::cout << "[ replica ] first event after kill -9 of the driver: "
            << absl::FormatDuration(subscriber.ArrivalAfter(last_at_kill) -
                                    killed)
            << " (lease ttl " << kLeaseTtl << ")" << std::endl;
}

TEST_F(ReplicaTest, SessionSurvivesARedisRestartWithTheDeployedConfig) {
  StartRedis(/*deploy_config=*/true);
  StartReplica("a");
  Publish("a");
  const coach::v1::SessionView view = StartSession("a");
  ASSERT_FALSE(view.session_id().empty());
  Subscriber subscriber(view.session_id(), view.epoch(), TargetOf("a"));
  ASSERT_TRUE(subscriber.WaitForEvents(20, kSessionCap)) << Logs();

  ASSERT_TRUE(redis_->Stop().ok());  // SIGTERM: the AOF is flushed.
  ASSERT_TRUE(redis_->Restart().ok());

  ExpectWholeSession(subscriber);
  EXPECT_TRUE(GetSession("a", view.session_id()).ok());
}

TEST_F(ReplicaTest, RedisStoppedMeansUnavailableAndNotServingThenRecovery) {
  StartRedis(/*deploy_config=*/true);
  StartReplica("a");
  Publish("a");
  const coach::v1::SessionView view = StartSession("a");
  ASSERT_FALSE(view.session_id().empty());
  Subscriber subscriber(view.session_id(), view.epoch(), TargetOf("a"));
  ASSERT_TRUE(subscriber.WaitForEvents(20, kSessionCap)) << Logs();
  ASSERT_EQ(Health("a"), grpc::health::v1::HealthCheckResponse::SERVING);

  ASSERT_TRUE(redis_->Stop().ok());
  const absl::Time stopped = absl::Now();
  grpc::Status status;
  ASSERT_TRUE(PollUntil(
      [&] {
        status = GetSession("a", view.session_id());
        return status.error_code() == grpc::StatusCode::UNAVAILABLE;
      },
      kOutageCap))
      << "GetSession: " << status.error_code() << " " << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("unreachable"));
  const absl::Time unavailable = absl::Now();
  ASSERT_TRUE(PollUntil(
      [&] {
        return Health("a") ==
               grpc::health::v1::HealthCheckResponse::NOT_SERVING;
      },
      kOutageCap));
  const absl::Time not_serving = absl::Now();
  // Stay down past the lease ttl: the replica loses its leases too.
  absl::SleepFor(absl::Seconds(2));

  ASSERT_TRUE(redis_->Restart().ok());
  const absl::Time restarted = absl::Now();
  ASSERT_TRUE(PollUntil(
      [&] {
        return Health("a") == grpc::health::v1::HealthCheckResponse::SERVING;
      },
      kOutageCap))
      << Logs();
  const absl::Time serving = absl::Now();
  ASSERT_TRUE(PollUntil([&] { return GetSession("a", view.session_id()).ok(); },
                        kOutageCap));
  ExpectWholeSession(subscriber);
  std::cout << "[ replica ] redis stopped: UNAVAILABLE after "
            << absl::FormatDuration(unavailable - stopped)
            << ", NOT_SERVING after "
            << absl::FormatDuration(not_serving - stopped)
            << "; restarted: SERVING after "
            << absl::FormatDuration(serving - restarted) << std::endl;
}

}  // namespace
}  // namespace coachd
