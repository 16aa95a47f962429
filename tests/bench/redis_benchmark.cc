// What coachd costs Redis per event: commands, round trips and connections
// per published event and per delivered event, for N subscribers of one
// session on one replica.
//
// A real redis-server (the test harness's, on a free loopback port) and
// coachd in process (CoachServer on 127.0.0.1:0 with the Redis store and
// Redis timer leases) on a FakeClock. The demo routine is played to its end
// one timer at a time; after each tick the tool waits until every subscriber
// (a real gRPC Subscribe stream) has the new events, so nothing is batched
// that a live session would not batch. Counts come from both ends: INFO
// commandstats on the server (every command, by name) and the client's own
// counters (commands and round trips, a pipeline being one round trip).
// Lease renewal and the takeover sweep run on timers of their own (off in
// this measurement); their cost does not depend on events, see
// docs/PERFORMANCE.md.
//
//   redis_benchmark --subscribers=1,10,100
//   redis_benchmark --smoke   # ctest: 1 and 3 subscribers, checks targets
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "coach/v1/session.grpc.pb.h"
#include "services/auth/jwt.h"
#include "services/common/clock.h"
#include "services/redis/redis_connection.h"
#include "services/redis/redis_url.h"
#include "services/server/coach_server.h"
#include "tests/common/mixed_backend.h"
#include "tests/common/redis_server.h"

ABSL_FLAG(std::string, subscribers, "1,10,100",
          "Comma-separated subscriber counts, one run each.");
ABSL_FLAG(bool, smoke, false,
          "Quick run (1 and 3 subscribers) that fails unless the targets "
          "hold: at most one round trip per published event, none per "
          "delivery, connections independent of subscribers.");

namespace coachd {
namespace {

constexpr char kSecret[] = "bench-secret";
constexpr absl::Duration kCap = absl::Seconds(60);

// INFO commandstats: calls per command.
using CommandCalls = std::map<std::string, int64_t>;

// Reads INFO `section` over `conn`.
std::string Info(RedisConnection& conn, const std::string& section) {
  absl::StatusOr<RedisReply> reply = conn.Command({"INFO", section});
  if (!reply.ok() || (*reply)->type != REDIS_REPLY_STRING) return "";
  return std::string((*reply)->str, (*reply)->len);
}

CommandCalls ReadCalls(RedisConnection& conn) {
  CommandCalls calls;
  for (absl::string_view line :
       absl::StrSplit(Info(conn, "commandstats"), "\r\n")) {
    // cmdstat_evalsha:calls=12,usec=...
    if (!absl::ConsumePrefix(&line, "cmdstat_")) continue;
    const size_t colon = line.find(':');
    const size_t calls_at = line.find("calls=");
    if (colon == absl::string_view::npos || calls_at == absl::string_view::npos)
      continue;
    absl::string_view count = line.substr(calls_at + 6);
    count = count.substr(0, count.find(','));
    int64_t n = 0;
    if (absl::SimpleAtoi(count, &n))
      calls[std::string(line.substr(0, colon))] = n;
  }
  return calls;
}

int64_t ConnectedClients(RedisConnection& conn) {
  for (absl::string_view line : absl::StrSplit(Info(conn, "clients"), "\r\n")) {
    if (absl::ConsumePrefix(&line, "connected_clients:")) {
      int64_t n = 0;
      if (absl::SimpleAtoi(line, &n)) return n;
    }
  }
  return -1;
}

// One subscriber: a Subscribe stream read on its own thread.
class Subscriber {
 public:
  Subscriber(coach::v1::SessionService::Stub* stub, const std::string& token,
             const coach::v1::SessionView& view)
      : thread_([this, stub, token, view] {
          grpc::ClientContext& context = context_;
          context.AddMetadata("authorization", "Bearer " + token);
          coach::v1::SubscribeRequest request;
          request.set_session_id(view.session_id());
          request.set_kind(coach::v1::DEVICE_KIND_DISPLAY);
          request.mutable_resume()->set_epoch(view.epoch());
          request.mutable_resume()->set_last_sequence(0);
          auto reader = stub->Subscribe(&context, request);
          coach::v1::SessionEvent event;
          while (reader->Read(&event)) {
            absl::MutexLock lock(&mu_);
            if (!event.has_snapshot() && event.sequence() == last_ + 1) {
              last_ = event.sequence();
            } else {
              ++bad_;
            }
          }
          reader->Finish();
        }) {}
  // Ends the stream if the server has not.
  ~Subscriber() {
    context_.TryCancel();
    thread_.join();
  }

  bool WaitFor(int64_t sequence) {
    absl::MutexLock lock(&mu_);
    auto reached = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return last_ >= sequence;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), kCap);
  }
  int bad() {
    absl::MutexLock lock(&mu_);
    return bad_;
  }

 private:
  grpc::ClientContext context_;
  absl::Mutex mu_;
  int64_t last_ ABSL_GUARDED_BY(mu_) = 0;
  int bad_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

// The figures of one run.
struct Figures {
  int subscribers = 0;
  int64_t published = 0;        // Events committed while measuring.
  int64_t commits = 0;          // Commit scripts run.
  int64_t delivered = 0;        // published x subscribers.
  int64_t commands = 0;         // Server side, every command (scripts' too).
  int64_t client_commands = 0;  // Client side, a script being one.
  int64_t round_trips = 0;      // Client side, store and leases.
  int64_t reads = 0;        // XRANGE and XREAD: events read back for followers.
  int64_t loads = 0;        // HGET of a record.
  int64_t connections = 0;  // coachd's connections at the end.
  int64_t join_round_trips = 0;  // For all subscribers to join.
  int bad = 0;                   // Events out of order or snapshots.
  std::map<std::string, int64_t> by_command;
};

Figures Run(const RedisServer& redis, int subscribers) {
  Figures f;
  f.subscribers = subscribers;
  FakeClock clock;
  RedisAddress address = *ParseRedisUrl(redis.url());
  RedisConnection stats(RedisConnectionOptions{address});
  stats.Command({"FLUSHALL"}).IgnoreError();
  const int64_t clients_before = ConnectedClients(stats);

  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.auth_secret = kSecret;
  options.catalog_path = std::string(COACHD_SOURCE_DIR) +
                         "/services/catalog/back_catalog.textproto";
  options.clock = &clock;
  options.run_timer_thread = false;
  // Sessions and timer leases in Redis over one client, as coachd --redis
  // has them. Leases on real time, and long enough to need no renewal during
  // the run (the renew thread is off with the timer thread).
  MixedBackendOptions backend_options;
  backend_options.redis.client.address = address;
  backend_options.redis.leases.ttl = absl::Hours(1);
  backend_options.sessions = true;
  backend_options.leases = true;
  auto backend = std::make_unique<MixedBackend>(backend_options);
  RedisClient* redis_client = &backend->client();
  options.backend = std::move(backend);
  absl::StatusOr<std::unique_ptr<CoachServer>> server =
      CoachServer::Start(std::move(options));
  if (!server.ok()) {
    std::fprintf(stderr, "coachd: %s\n",
                 std::string(server.status().message()).c_str());
    std::exit(1);
  }
  // The newest sequence committed (before serving: nothing commits yet).
  std::atomic<int64_t> committed{0};
  std::atomic<bool> finished{false};
  std::atomic<int64_t> commits{0};
  (*server)->runner().AddObserverForTest(
      [&](const coach::internal::SessionRecord& record,
          const std::vector<StoredEvent>&) {
        committed = record.last_sequence();
        ++commits;
        if (record.engine().run_state() == coach::v1::RUN_STATE_FINISHED) {
          finished = true;
        }
      });
  auto client_commands = [&] { return redis_client->Stats().commands; };
  auto round_trips = [&] { return redis_client->Stats().round_trips; };

  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                          grpc::InsecureChannelCredentials());
  auto stub = coach::v1::SessionService::NewStub(channel);
  const std::string token =
      MintToken(kSecret, {"alice", Role::kUser}, clock.Now(),
                clock.Now() + absl::Hours(24));
  coach::v1::SessionView view;
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    coach::v1::StartSessionRequest request;
    request.set_routine_id("demo");
    grpc::Status status = stub->StartSession(&context, request, &view);
    if (!status.ok()) {
      std::fprintf(stderr, "StartSession: %s\n",
                   status.error_message().c_str());
      std::exit(1);
    }
  }
  const int64_t before_join = round_trips();
  std::vector<std::unique_ptr<Subscriber>> subs;
  for (int i = 0; i < subscribers; ++i) {
    subs.push_back(std::make_unique<Subscriber>(stub.get(), token, view));
  }
  for (auto& s : subs) s->WaitFor(view.last_sequence());
  f.join_round_trips = round_trips() - before_join;

  // Measure from here: the session plays to its end.
  const int64_t first = committed.load();
  const int64_t commits_before = commits.load();
  const CommandCalls calls_before = ReadCalls(stats);
  const int64_t trips_before = round_trips();
  const int64_t client_before = client_commands();
  for (;;) {
    const absl::Time next = (*server)->sessions().timers().NextDeadline();
    if (next == absl::InfiniteFuture()) break;
    clock.Set(std::max(clock.Now(), next));
    (*server)->RunDueTimersForTest();
    const int64_t now_at = committed.load();
    for (auto& s : subs) {
      if (!s->WaitFor(now_at)) {
        std::fprintf(stderr, "a subscriber did not get event %lld\n",
                     static_cast<long long>(now_at));
        std::exit(1);
      }
    }
  }
  if (!finished) {
    std::fprintf(stderr, "the session stopped before its end\n");
    std::exit(1);
  }
  const int64_t trips_after = round_trips();
  const CommandCalls calls_after = ReadCalls(stats);
  f.connections = ConnectedClients(stats) - clients_before;
  f.published = committed.load() - first;
  f.delivered = f.published * subscribers;
  f.round_trips = trips_after - trips_before;
  f.client_commands = client_commands() - client_before;
  for (const auto& [name, n] : calls_after) {
    auto it = calls_before.find(name);
    const int64_t d = n - (it == calls_before.end() ? 0 : it->second);
    if (name == "info" || d == 0) continue;
    f.by_command[name] = d;
    f.commands += d;
  }
  f.commits = commits.load() - commits_before;
  auto calls = [&](const std::string& name) -> int64_t {
    auto it = f.by_command.find(name);
    return it == f.by_command.end() ? 0 : it->second;
  };
  f.reads = calls("xrange") + calls("xread");
  f.loads = calls("hget");
  for (auto& s : subs) f.bad += s->bad();
  subs.clear();  // Joins: the streams end with the session.
  (*server)->Shutdown(absl::Seconds(1));
  return f;
}

double Per(int64_t n, int64_t d) { return d == 0 ? 0 : double(n) / double(d); }

}  // namespace
}  // namespace coachd

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::vector<int> counts;
  if (absl::GetFlag(FLAGS_smoke)) {
    counts = {1, 3};
  } else {
    for (absl::string_view part :
         absl::StrSplit(absl::GetFlag(FLAGS_subscribers), ',')) {
      int n = 0;
      if (!absl::SimpleAtoi(part, &n) || n < 1) {
        std::fprintf(stderr, "--subscribers: \"%s\" is not a count >= 1\n",
                     std::string(part).c_str());
        return 2;
      }
      counts.push_back(n);
    }
  }
  absl::StatusOr<std::unique_ptr<coachd::RedisServer>> redis =
      coachd::RedisServer::Start();
  if (!redis.ok()) {
    std::fprintf(stderr, "redis-server: %s\n",
                 std::string(redis.status().message()).c_str());
    return 1;
  }
  std::printf("%5s %9s %7s %9s | %7s %7s %7s %7s %7s | %7s %7s | %5s %5s\n",
              "subs", "published", "commits", "delivered", "rt/pub", "commit",
              "reads", "cmd/pub", "srv/pub", "rt/dlv", "cmd/dlv", "conns",
              "join");
  std::vector<coachd::Figures> all;
  for (int n : counts) {
    coachd::Figures f = coachd::Run(**redis, n);
    all.push_back(f);
    std::printf(
        "%5d %9lld %7lld %9lld | %7.3f %7.3f %7.3f %7.3f %7.3f | %7.4f %7.4f "
        "| %5lld %5lld\n",
        f.subscribers, static_cast<long long>(f.published),
        static_cast<long long>(f.commits), static_cast<long long>(f.delivered),
        coachd::Per(f.round_trips, f.published),
        coachd::Per(f.commits, f.published), coachd::Per(f.reads, f.published),
        coachd::Per(f.client_commands, f.published),
        coachd::Per(f.commands, f.published),
        coachd::Per(f.round_trips, f.delivered),
        coachd::Per(f.client_commands, f.delivered),
        static_cast<long long>(f.connections),
        static_cast<long long>(f.join_round_trips));
    std::string breakdown;
    for (const auto& [name, c] : f.by_command) {
      absl::StrAppend(&breakdown, " ", name, "=", c);
    }
    std::printf("      server-side calls:%s\n", breakdown.c_str());
    std::fflush(stdout);
  }
  if (absl::GetFlag(FLAGS_smoke)) {
    bool ok = true;
    for (const coachd::Figures& f : all) {
      // The commit path: at most one round trip per published event.
      if (f.commits > f.published || f.loads != 0) ok = false;
      // Nothing per delivery: the same round trips whatever the subscribers
      // (within 2, as when events were read back per commit), and this
      // replica's own commits are not read back from Redis: at most a
      // commit that was in flight when a subscriber's Follow began (it
      // catches up with one XRANGE; seen under CPU contention, in either
      // run). Those catch-up reads are bounded apart and left out of the
      // comparison, so that one more of them in one run is not a failure.
      const int64_t trips = f.round_trips - f.reads;
      const int64_t first = all.front().round_trips - all.front().reads;
      if (std::abs(trips - first) > 2) ok = false;
      if (f.reads > 2) ok = false;
      // A fixed bound: the store's pool (4), the leases' pool (2) and the
      // store's one subscriber connection.
      if (f.connections > 7) ok = false;
      if (f.bad != 0 || f.published < 100) ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "targets not met\n");
      return 1;
    }
    std::printf("targets met\n");
  }
  return 0;
}
