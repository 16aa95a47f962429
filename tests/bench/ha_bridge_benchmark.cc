// What the Home Assistant bridge costs per session event: the latency from
// a command (SendCommand called; the event is committed before it returns)
// to the MQTT message of the entity it changes, as an independent MQTT client
// gets it, and the bridge process's CPU per event, for 1 and N people.
//
// A real mosquitto (the test harness's, on a free loopback port), coachd in
// process (CoachServer on 127.0.0.1:0, real clock, embedded store) and the
// `homeassistant` binary as its own process (so its CPU is its own, read
// from /proc). Each person has a live session; each round pauses and
// resumes every person's session one command at a time, and the probe
// times the "paused" state and the state after the resume.
//
//   ha_bridge_benchmark --people=1,50 --rounds=10
//   ha_bridge_benchmark --smoke   # ctest: 1 and 3 people, a few rounds
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "coach/v1/session.grpc.pb.h"
#include "services/auth/jwt.h"
#include "services/server/coach_server.h"
#include "tests/common/mosquitto_server.h"
#include "tests/common/mqtt_probe.h"

ABSL_FLAG(std::string, people, "1,50", "Household sizes to measure.");
ABSL_FLAG(int, rounds, 10, "Pause+resume rounds per person.");
ABSL_FLAG(bool, smoke, false, "A short run (1 and 3 people, 3 rounds).");

namespace coachd {
namespace {

constexpr char kSecret[] = "bench-secret";

// utime + stime of `pid`, in seconds.
double CpuSeconds(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  // Fields after the command (which may hold spaces) start after ")".
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> fields = absl::StrSplit(text.substr(close + 2), ' ');
  int64_t utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return 0;
  }
  return static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK);
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

// The time the probe got the first message on `topic` after `from` whose
// payload `accept`s; InfinitePast after 5 s.
absl::Time Arrival(MqttProbe& probe, const std::string& topic, absl::Time from,
                   const std::function<bool(const std::string&)>& accept) {
  absl::Time at = absl::InfinitePast();
  probe.Wait(
      [&](const std::vector<ProbeMessage>& all) {
        for (auto m = all.rbegin(); m != all.rend() && m->at >= from; ++m) {
          if (m->topic == topic && accept(m->payload)) at = m->at;
        }
        return at != absl::InfinitePast();
      },
      absl::Seconds(5));
  return at;
}

struct Result {
  int people = 0;
  int events = 0;  // Commands timed.
  int missed = 0;  // Not seen within 5 s.
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  double cpu_ms_per_event = 0;
  double published_per_event = 0;
};

absl::StatusOr<Result> Measure(int people, int rounds, int broker_port,
                               int coachd_port, const std::string& secret) {
  std::vector<std::string> ids;
  // People of their own per size: a person of an earlier size still has a
  // live session (never ended), so their state is not idle; a bridge whose
  // channel is connected at once (MakeChannel) may publish that before any
  // idle, and the wait below then missed it.
  for (int i = 0; i < people; ++i) {
    ids.push_back(absl::StrCat("n", people, "p", i));
  }
  const std::string bridge_id = absl::StrCat("bench", people);
  MqttProbe probe(broker_port, "coachd/#");
  if (!probe.WaitConnected()) return absl::UnavailableError("probe");

  const std::string binary =
      std::string(COACHD_BINARY_DIR) + "/clients/homeassistant/homeassistant";
  const std::vector<std::string> args = {
      binary,
      "--people=" + absl::StrJoin(ids, ","),
      "--bridge_id=" + bridge_id,
      absl::StrCat("--mqtt_port=", broker_port),
      absl::StrCat("--target=127.0.0.1:", coachd_port),
      "--secret_file=" + secret};
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError("fork");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, STDERR_FILENO);
    std::vector<char*> argv;
    for (const std::string& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  auto stop = [pid] {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
  };

  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", coachd_port),
                                     grpc::InsecureChannelCredentials());
  auto sessions = coach::v1::SessionService::NewStub(channel);
  auto context = [](const std::string& person) {
    auto c = std::make_unique<grpc::ClientContext>();
    c->AddMetadata(
        "authorization",
        "Bearer " + MintToken(kSecret, Identity{person, Role::kDevice},
                              absl::Now(), absl::Now() + absl::Hours(1)));
    return c;
  };
  // Every person idle on MQTT, then a session each.
  for (const std::string& id : ids) {
    if (!probe.WaitFor(absl::StrCat("coachd/", id, "/state"), "idle",
                       absl::Seconds(20))) {
      stop();
      return absl::UnavailableError(absl::StrCat("no idle state for ", id));
    }
  }
  std::vector<std::string> session_ids;
  for (const std::string& id : ids) {
    coach::v1::StartSessionRequest start;
    start.set_routine_id("demo");
    coach::v1::SessionView view;
    grpc::Status s = sessions->StartSession(context(id).get(), start, &view);
    if (!s.ok()) {
      stop();
      return absl::UnavailableError(s.error_message());
    }
    session_ids.push_back(view.session_id());
    Arrival(probe, absl::StrCat("coachd/", id, "/training"),
            absl::InfinitePast(),
            [](const std::string& p) { return p == "ON"; });
  }

  Result result;
  result.people = people;
  std::vector<double> latencies;
  const size_t published_before = probe.All().size();
  const double cpu_before = CpuSeconds(pid);
  int command_id = 0;
  for (int r = 0; r < rounds; ++r) {
    for (size_t i = 0; i < ids.size(); ++i) {
      for (auto type :
           {coach::v1::COMMAND_TYPE_PAUSE, coach::v1::COMMAND_TYPE_RESUME}) {
        coach::v1::SendCommandRequest command;
        command.set_session_id(session_ids[i]);
        command.set_command(type);
        command.set_command_id(absl::StrCat("bench-", ++command_id));
        coach::v1::SendCommandResponse out;
        auto rpc = context(ids[i]);
        // The bridge can publish before the response is back: time from
        // the call (its round trip, ~1 ms on loopback, is included).
        const absl::Time sent = absl::Now();
        grpc::Status s = sessions->SendCommand(rpc.get(), command, &out);
        if (!s.ok()) continue;
        const bool pause = type == coach::v1::COMMAND_TYPE_PAUSE;
        const absl::Time at =
            Arrival(probe, absl::StrCat("coachd/", ids[i], "/state"), sent,
                    [pause](const std::string& p) {
                      return pause ? p == "paused" : p != "paused";
                    });
        ++result.events;
        if (at == absl::InfinitePast()) {
          ++result.missed;
        } else {
          latencies.push_back(absl::ToDoubleMilliseconds(at - sent));
        }
      }
    }
  }
  const double cpu = CpuSeconds(pid) - cpu_before;
  const size_t published = probe.All().size() - published_before;
  stop();
  result.p50_ms = Percentile(latencies, 0.50);
  result.p99_ms = Percentile(latencies, 0.99);
  result.max_ms = Percentile(latencies, 1.0);
  result.cpu_ms_per_event = result.events ? cpu * 1000 / result.events : 0;
  result.published_per_event =
      result.events ? static_cast<double>(published) / result.events : 0;
  return result;
}

int Main() {
  std::vector<int> sizes;
  for (absl::string_view s : absl::StrSplit(absl::GetFlag(FLAGS_people), ',')) {
    int n = 0;
    if (absl::SimpleAtoi(s, &n) && n > 0) sizes.push_back(n);
  }
  int rounds = absl::GetFlag(FLAGS_rounds);
  if (absl::GetFlag(FLAGS_smoke)) {
    sizes = {1, 3};
    rounds = 3;
  }
  auto broker = MosquittoServer::Start();
  if (!broker.ok()) {
    std::fprintf(stderr, "%s\n",
                 std::string(broker.status().message()).c_str());
    return 1;
  }
  char secret[] = "/tmp/coachd-ha-bench-XXXXXX";
  const int fd = ::mkstemp(secret);
  if (fd < 0) return 1;
  ::close(fd);
  std::ofstream(secret) << kSecret << "\n";
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.auth_secret = kSecret;
  options.catalog_path = std::string(COACHD_SOURCE_DIR) +
                         "/services/catalog/back_catalog.textproto";
  auto server = CoachServer::Start(std::move(options));
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n",
                 std::string(server.status().message()).c_str());
    return 1;
  }
  std::printf("%-7s %-7s %-7s %-9s %-9s %-9s %-14s %s\n", "people", "events",
              "missed", "p50_ms", "p99_ms", "max_ms", "cpu_ms/event",
              "mqtt_msgs/event");
  int failures = 0;
  for (int n : sizes) {
    absl::StatusOr<Result> r =
        Measure(n, rounds, (*broker)->port(), (*server)->port(), secret);
    if (!r.ok()) {
      std::fprintf(stderr, "%d people: %s\n", n,
                   std::string(r.status().message()).c_str());
      ++failures;
      continue;
    }
    std::printf("%-7d %-7d %-7d %-9.2f %-9.2f %-9.2f %-14.3f %.1f\n", r->people,
                r->events, r->missed, r->p50_ms, r->p99_ms, r->max_ms,
                r->cpu_ms_per_event, r->published_per_event);
    if (r->missed > 0 || r->p99_ms > 1000) ++failures;  // The 1 s promise.
  }
  (*server)->Shutdown(absl::ZeroDuration());
  std::remove(secret);
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace coachd

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return coachd::Main();
}
