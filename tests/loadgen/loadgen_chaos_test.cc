// loadgen --mode=chaos against real coachd processes on free loopback ports,
// with one fault each test injects itself while households run:
//   - on a real redis-server, coachd is killed (-9) mid-run and started
//     again on the same port and Redis: every promise holds (the run is
//     driven in process, so the report's figures are checked too);
//   - on a primary, a replica and three Sentinels, the primary is killed
//     (-9) and Sentinel promotes the replica: coachd follows, and lost
//     writes show only as explicit new epochs;
//   - nginx (TLS) in front of coachd, restarted under load: every household
//     is back through it within seconds;
//   - coachd on its embedded store, killed and started again: every session
//     is lost, and the loadgen binary's --check must fail naming it.
// Faults are injected once the households are sending commands (coachd's
// log shows them), never after a fixed sleep.
#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "clients/loadgen/chaos_driver.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/child_process.h"
#include "tests/common/nginx_server.h"
#include "tests/common/redis_failover.h"
#include "tests/common/redis_server.h"
#include "tests/common/test_pki.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kSecret[] = "chaos-test-secret";

// A temporary directory for one test's files, removed with it.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/coachd-chaos-XXXXXX";
    const char* made = mkdtemp(pattern);
    EXPECT_NE(made, nullptr);
    path_ = made != nullptr ? made : "/tmp";
  }
  ~TempDir() {
    if (path_ != "/tmp") std::filesystem::remove_all(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

int Count(absl::string_view text, absl::string_view what) {
  int n = 0;
  for (size_t at = text.find(what); at != absl::string_view::npos;
       at = text.find(what, at + what.size())) {
    ++n;
  }
  return n;
}

// coachd on 127.0.0.1:`port` (0: any), sessions 20 times faster.
std::unique_ptr<ChildProcess> StartCoachd(const std::string& dir,
                                          const std::string& name, int port,
                                          const std::vector<std::string>& extra,
                                          int* bound) {
  const std::string port_file = absl::StrCat(dir, "/", name, ".port");
  std::vector<std::string> argv = {
      std::string(COACHD_BINARY_DIR) + "/services/server/coachd",
      "--auth_secret_file=" + dir + "/secret",
      absl::StrCat("--listen=127.0.0.1:", port),
      "--port_file=" + port_file,
      "--time_scale=20",
      "--lease_ttl=1s",
      "--max_commands_per_minute=0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  absl::StatusOr<std::unique_ptr<ChildProcess>> child =
      ChildProcess::Start(argv, absl::StrCat(dir, "/", name, ".log"));
  if (!child.ok()) {
    ADD_FAILURE() << child.status();
    return nullptr;
  }
  absl::StatusOr<int> got =
      WaitForPortFile(**child, port_file, absl::Seconds(30));
  if (!got.ok()) {
    ADD_FAILURE() << got.status();
    return nullptr;
  }
  *bound = *got;
  return *std::move(child);
}

// Waits (bounded) until coachd has answered `n` commands: households are
// mid-session.
void WaitForCommands(const ChildProcess& coachd, int n) {
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (Count(coachd.Output(), "SendCommand") < n) {
    ASSERT_LT(absl::Now(), give_up) << "no commands reached coachd";
    absl::SleepFor(absl::Milliseconds(50));
  }
}

void WriteSecret(const std::string& dir) {
  std::ofstream(dir + "/secret") << kSecret << "\n";
}

// The tests' households: three on two connections for 10 s, a command
// every 250 ms, against `port` on loopback.
ChaosConfig SmallRun(int port) {
  ChaosConfig config;
  config.target = absl::StrCat("127.0.0.1:", port);
  config.secret = kSecret;
  config.households = 3;
  config.channels = 2;
  config.duration = absl::Seconds(10);
  config.command_interval = absl::Milliseconds(250);
  return config;
}

// Counts into `failed` each failed try of a household's command.
void CountFailedCommands(ChaosConfig* config, std::atomic<int>* failed) {
  config->on_error = [failed](absl::string_view what, const grpc::Status&) {
    if (absl::StartsWith(what, "SendCommand")) failed->fetch_add(1);
  };
}

// Waits (at most 30 s) until a household's command has failed: the fault
// was felt, and the household will try that command id again.
void WaitForAFailedCommand(const std::atomic<int>& failed) {
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (failed.load() == 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
}

TEST(ChaosRunTest, EveryPromiseHoldsThroughAKillAndRestartOfCoachd) {
  absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  const TempDir temp;
  const std::string& dir = temp.path();
  WriteSecret(dir);
  const std::vector<std::string> on_redis = {"--redis=" + (*redis)->url()};
  int port = 0;
  std::unique_ptr<ChildProcess> coachd =
      StartCoachd(dir, "first", 0, on_redis, &port);
  ASSERT_NE(coachd, nullptr);

  ChaosConfig config = SmallRun(port);
  // Room for the reminder: it falls on the next minute boundary.
  config.grace = absl::Seconds(65);
  std::atomic<int> failed_commands{0};
  CountFailedCommands(&config, &failed_commands);
  absl::StatusOr<ChaosReport> report;
  std::thread run([&] { report = RunChaos(config); });

  WaitForCommands(*coachd, 3 * config.households);
  coachd.reset();  // kill -9, reaped.
  // coachd stays down until a household's command has failed.
  WaitForAFailedCommand(failed_commands);
  int again = 0;
  coachd = StartCoachd(dir, "second", port, on_redis, &again);
  EXPECT_EQ(again, port);
  run.join();

  ASSERT_TRUE(report.ok()) << report.status();
  const std::string json = FormatChaosJson(*report);
  std::cout << json << "\n";  // The figures, in the test's log.
  SCOPED_TRACE(json);
  EXPECT_THAT(ChaosViolations(*report), IsEmpty());
  EXPECT_GE(report->sessions_started, config.households);
  EXPECT_EQ(report->sessions_finished, report->sessions_started);
  EXPECT_EQ(report->devices, 2 * report->sessions_started);
  EXPECT_GT(report->delivered, 0);
  // The kill was felt: broken streams resumed, calls failed and were
  // tried again, and some household waited.
  EXPECT_THAT(report->errors_by_code, HasSubstr("UNAVAILABLE"));
  EXPECT_GT(report->resubscribes, 0);
  EXPECT_GT(report->command_attempts, report->commands);
  EXPECT_GT(report->max_stall_ms, 0);
  EXPECT_EQ(report->reminders_planned, config.households);
  EXPECT_EQ(report->reminders_fired, report->reminders_planned);
  EXPECT_EQ(report->reminder_deliveries, 2 * report->reminders_planned);
}

TEST(ChaosRunTest, EveryPromiseHoldsThroughARedisFailover) {
  absl::StatusOr<std::unique_ptr<RedisFailoverGroup>> group =
      RedisFailoverGroup::Start();
  ASSERT_TRUE(group.ok()) << group.status();
  const TempDir temp;
  const std::string& dir = temp.path();
  WriteSecret(dir);
  int port = 0;
  std::unique_ptr<ChildProcess> coachd =
      StartCoachd(dir, "coachd", 0, {"--redis=" + (*group)->url()}, &port);
  ASSERT_NE(coachd, nullptr);

  ChaosConfig config = SmallRun(port);
  config.grace = absl::Seconds(30);
  config.reminders = false;  // The first test checks them; this one is short.
  absl::StatusOr<ChaosReport> report;
  std::thread run([&] { report = RunChaos(config); });

  WaitForCommands(*coachd, 3 * config.households);
  ASSERT_TRUE((*group)->KillPrimary().ok());  // kill -9 of the primary.
  absl::StatusOr<int> promoted = (*group)->WaitForFailover(absl::Seconds(30));
  EXPECT_TRUE(promoted.ok()) << promoted.status();
  run.join();

  ASSERT_TRUE(report.ok()) << report.status();
  const std::string json = FormatChaosJson(*report);
  std::cout << json << "\n";
  SCOPED_TRACE(json);
  // Writes the failover lost may move sessions to a new epoch (explicit
  // snapshots, commands counted as lost in failover): allowed. Anything
  // silent is not.
  EXPECT_THAT(ChaosViolations(*report), IsEmpty());
  EXPECT_GE(report->sessions_started, config.households);
  EXPECT_EQ(report->sessions_finished, report->sessions_started);
  EXPECT_GT(report->errors, 0);
}

// The fault of issue 17's long run: nginx (TLS, as deployed) restarted while
// households play through it. Every household must be back within seconds;
// before loadgen polled its channels (clients/common/channel_watch.h) none
// ever was: every connection attempt through the new nginx timed out.
TEST(ChaosRunTest, EveryHouseholdComesBackThroughNginxRestartedUnderLoad) {
  const TempDir temp;
  const std::string& dir = temp.path();
  WriteSecret(dir);
  TestPki pki(dir);
  ASSERT_TRUE(pki.MakeCa("ca") && pki.MakeLeaf("server", "ca"));
  int coachd_port = 0;
  // The embedded store: coachd itself stays up through the fault.
  std::unique_ptr<ChildProcess> coachd =
      StartCoachd(dir, "coachd", 0, {}, &coachd_port);
  ASSERT_NE(coachd, nullptr);
  const int port = PickFreeLoopbackPort();
  ASSERT_GT(port, 0);
  absl::StatusOr<std::unique_ptr<NginxServer>> nginx =
      NginxServer::StartTls(dir, pki.Path("server.pem"), pki.Path("server.key"),
                            absl::StrCat("127.0.0.1:", coachd_port), port);
  ASSERT_TRUE(nginx.ok()) << nginx.status();

  ChaosConfig config = SmallRun(port);
  grpc::SslCredentialsOptions tls;
  std::ifstream ca(pki.Path("ca.pem"));
  tls.pem_root_certs.assign(std::istreambuf_iterator<char>(ca), {});
  config.credentials = grpc::SslCredentials(tls);
  config.grace = absl::Seconds(20);
  config.reminders = false;  // The first test checks them.
  // The outage's window, as deploy/chaos.sh writes it.
  config.fault_windows_file = dir + "/fault-windows.log";
  std::atomic<int> failed_commands{0};
  CountFailedCommands(&config, &failed_commands);
  absl::StatusOr<ChaosReport> report;
  std::thread run([&] { report = RunChaos(config); });

  WaitForCommands(*coachd, 3 * config.households);
  // nginx stays down until a household's command has failed, as in a real
  // restart under load: the channels have tried to connect and failed
  // (TRANSIENT_FAILURE, where calls fail at once).
  const absl::Time stopped = absl::Now();
  (*nginx)->Stop();
  WaitForAFailedCommand(failed_commands);
  const absl::Status started = (*nginx)->StartAgain();
  ASSERT_TRUE(started.ok()) << started;
  std::ofstream(config.fault_windows_file) << absl::StrFormat(
      "%.6f %.6f nginx restart\ndone\n",
      absl::ToDoubleSeconds(stopped - absl::UnixEpoch()),
      absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
  run.join();

  ASSERT_TRUE(report.ok()) << report.status();
  const std::string json = FormatChaosJson(*report);
  std::cout << json << "\n";
  SCOPED_TRACE(json);
  EXPECT_THAT(ChaosViolations(*report), IsEmpty());
  EXPECT_EQ(report->sessions_finished, report->sessions_started);
  EXPECT_EQ(report->devices_incomplete, 0);
  // The restart was felt (every stream broke) and over within seconds.
  EXPECT_GE(report->resubscribes, 2 * config.households);
  EXPECT_LT(report->max_stall_ms, 8000);
  // Commands sent while nginx was down waited for it: its window's p99 is
  // above the quiet rest's.
  ASSERT_EQ(report->windows.size(), 2u);
  EXPECT_EQ(report->windows_note, "");
  EXPECT_EQ(report->windows[0].name, "nginx restart");
  EXPECT_GT(report->windows[0].commands, 0);
  EXPECT_GT(report->windows[1].commands, 0);
  EXPECT_GT(report->windows[0].command_p99_us,
            report->windows[1].command_p99_us);
}

TEST(ChaosRunTest, CheckFailsWhenARestartLosesTheSessions) {
  const TempDir temp;
  const std::string& dir = temp.path();
  WriteSecret(dir);
  int port = 0;
  // The embedded store: a restart starts from nothing.
  std::unique_ptr<ChildProcess> coachd =
      StartCoachd(dir, "first", 0, {}, &port);
  ASSERT_NE(coachd, nullptr);
  absl::StatusOr<std::unique_ptr<ChildProcess>> loadgen = ChildProcess::Start(
      {std::string(COACHD_BINARY_DIR) + "/clients/loadgen/loadgen",
       "--mode=chaos", absl::StrCat("--target=127.0.0.1:", port),
       "--secret_file=" + dir + "/secret", "--households=2", "--channels=1",
       "--duration=6s", "--chaos_grace=20s", "--command_interval=250ms",
       "--reminders=false", "--json_out=" + dir + "/report.json", "--check"},
      dir + "/loadgen.log");
  ASSERT_TRUE(loadgen.ok()) << loadgen.status();

  WaitForCommands(*coachd, 4);
  coachd.reset();
  int again = 0;
  coachd = StartCoachd(dir, "second", port, {}, &again);
  const int status = (*loadgen)->Wait(absl::Seconds(60));
  const std::string output = (*loadgen)->Output();
  std::cout << output;
  ASSERT_TRUE(WIFEXITED(status)) << output;
  EXPECT_EQ(WEXITSTATUS(status), 1) << output;
  EXPECT_THAT(output, HasSubstr("chaos check failed"));
  EXPECT_THAT(output, HasSubstr("sessions_unfinished="));
  EXPECT_THAT(output, HasSubstr("NOT_FOUND"));
}

}  // namespace
}  // namespace coachd
