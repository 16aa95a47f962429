#include "clients/loadgen/load_driver.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "clients/common/status_text.h"
#include "clients/loadgen/households.h"
#include "clients/loadgen/latency_histogram.h"
#include "clients/loadgen/proc_stats.h"
#include "clients/loadgen/redis_stats.h"
#include "clients/loadgen/sequence_tracker.h"
#include "clients/loadgen/target_check.h"
#include "coach/v1/coach.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "services/auth/jwt.h"

namespace coachd {
namespace {

// The credentials of the run's channels: the config's, or plaintext.
std::shared_ptr<grpc::ChannelCredentials> Credentials(const LoadConfig& c) {
  return c.credentials != nullptr ? c.credentials
                                  : grpc::InsecureChannelCredentials();
}

using loadgen::AddBearer;
using loadgen::Counters;
using loadgen::Device;
using loadgen::Household;
using loadgen::Load;
using loadgen::Stub;

constexpr absl::Duration kStopTimeout = absl::Seconds(20);

// A counting gate: at most `n` holders at once.
class Gate {
 public:
  explicit Gate(int n) : free_(n) {}
  // Blocks until a place is free or `deadline`; false on timeout.
  bool Acquire(absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    auto has_room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return free_ > 0;
    };
    if (!mu_.AwaitWithDeadline(absl::Condition(&has_room), deadline)) {
      return false;
    }
    --free_;
    return true;
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    ++free_;
  }

 private:
  absl::Mutex mu_;
  int free_ ABSL_GUARDED_BY(mu_);
};

// What the counters, the server and Redis said at one moment.
struct Sample {
  absl::Time at;
  int64_t delivered = 0;
  int64_t published = 0;
  double loadgen_cpu_s = 0;
  bool have_server = false;
  ProcessStats server;
  bool have_redis = false;
  RedisCommandCounts redis;
  double redis_cpu_s = -1;
};

Sample TakeSample(Load& load) {
  Sample s;
  s.at = absl::Now();
  s.delivered = load.c.delivered.load();
  s.published = load.c.published.load();
  if (absl::StatusOr<ProcessStats> self = ReadProcessStats(0); self.ok()) {
    s.loadgen_cpu_s = self->cpu_seconds;
  }
  if (load.config.server_pid > 0) {
    absl::StatusOr<ProcessStats> server =
        ReadProcessStats(load.config.server_pid);
    if (server.ok()) {
      s.have_server = true;
      s.server = *server;
    }
  }
  if (load.config.redis_pid > 0) {
    absl::StatusOr<ProcessStats> redis =
        ReadProcessStats(load.config.redis_pid);
    if (redis.ok()) s.redis_cpu_s = redis->cpu_seconds;
  }
  if (load.config.redis_port > 0) {
    absl::StatusOr<RedisCommandCounts> redis = ReadRedisCommandCounts(
        load.config.redis_port, absl::Seconds(2), load.config.redis_user,
        load.config.redis_password);
    if (redis.ok()) {
      s.have_redis = true;
      s.redis = *std::move(redis);
    }
  }
  return s;
}

// Fills the report's window figures from two samples.
void ReportWindow(const Sample& a, const Sample& b,
                  const LatencyHistogram& latency, LoadReport* r) {
  r->window_s = absl::ToDoubleSeconds(b.at - a.at);
  r->delivered = b.delivered - a.delivered;
  r->published = b.published - a.published;
  r->events_per_s = r->window_s > 0 ? r->delivered / r->window_s : 0;
  r->latency_samples = latency.Count();
  r->latency_p50_us = latency.Percentile(0.50);
  r->latency_p99_us = latency.Percentile(0.99);
  r->latency_p999_us = latency.Percentile(0.999);
  r->latency_max_us = latency.Max();
  r->loadgen_cpu_s = b.loadgen_cpu_s - a.loadgen_cpu_s;
  if (a.have_server && b.have_server) {
    r->server_cpu_s = b.server.cpu_seconds - a.server.cpu_seconds;
    r->server_rss_kb = b.server.rss_kb;
    if (r->delivered > 0) {
      r->server_cpu_per_kevent_ms = r->server_cpu_s * 1e6 / r->delivered;
    }
  }
  if (a.redis_cpu_s >= 0 && b.redis_cpu_s >= 0) {
    r->redis_cpu_s = b.redis_cpu_s - a.redis_cpu_s;
  }
  if (a.have_redis && b.have_redis) {
    const RedisCommandCounts diff = Difference(b.redis, a.redis);
    r->redis_commands = diff.total;
    if (r->published > 0) {
      r->redis_per_published = static_cast<double>(diff.total) / r->published;
    }
    if (r->delivered > 0) {
      r->redis_per_delivered = static_cast<double>(diff.total) / r->delivered;
    }
    std::vector<std::pair<int64_t, std::string>> top;
    for (const auto& [name, calls] : diff.calls) {
      if (name != "info") top.emplace_back(calls, name);
    }
    std::sort(top.rbegin(), top.rend());
    std::vector<std::string> parts;
    for (size_t i = 0; i < top.size() && i < 6; ++i) {
      parts.push_back(absl::StrFormat(
          "%s=%.2f", top[i].second,
          r->published > 0 ? static_cast<double>(top[i].first) / r->published
                           : 0.0));
    }
    r->redis_top = absl::StrJoin(parts, ",");
  }
}

// Sleeps until `until` unless the run fails meanwhile (nothing to wake it
// early: the durations are the run's plan).
void SleepUntil(absl::Time until) {
  const absl::Duration left = until - absl::Now();
  if (left > absl::ZeroDuration()) absl::SleepFor(left);
}

// Polls `done` every 20 ms until it holds or `deadline`; false on timeout.
bool WaitFor(const std::function<bool()>& done, absl::Time deadline) {
  while (!done()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

// The whole run.
class Runner {
 public:
  explicit Runner(const LoadConfig& config) : load_(config) {}

  absl::StatusOr<LoadReport> Run();

 private:
  absl::Status Connect();
  void MakeHouseholds();
  // Runs `step` for every household with at most setup_inflight at once;
  // `step` must call its callback exactly once.
  bool ForEachHousehold(
      const std::function<void(Household*, std::function<void()>)>& step);
  void LinkCoaches(LoadReport* report);
  void Stop();
  void Totals(LoadReport* report);

  void RunSaturation(LoadReport* report);
  void RunIdle(LoadReport* report);
  void RunStorm(LoadReport* report);
  void RunStalled(LoadReport* report);

  Load load_;
  std::vector<std::unique_ptr<Household>> households_;
  std::unique_ptr<Device> stalled_;
  std::shared_ptr<grpc::Channel> stalled_channel_;
  std::unique_ptr<Stub> stalled_stub_;
  absl::Time start_;
};

absl::Status Runner::Connect() {
  const LoadConfig& config = load_.config;
  for (int i = 0; i < config.channels; ++i) {
    grpc::ChannelArguments args;
    // Separate connections, not one shared by the global subchannel pool.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("coachd.loadgen.channel", i);
    load_.channels.push_back(
        grpc::CreateCustomChannel(config.target, Credentials(config), args));
    load_.stubs.push_back(
        coach::v1::SessionService::NewStub(load_.channels.back()));
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  for (auto& channel : load_.channels) {
    if (!channel->WaitForConnected(absl::ToChronoTime(deadline))) {
      return absl::UnavailableError(
          absl::StrCat("--target: cannot connect to ", config.target));
    }
  }
  return absl::OkStatus();
}

void Runner::MakeHouseholds() {
  const LoadConfig& config = load_.config;
  const absl::Time now = absl::Now();
  for (int i = 0; i < config.households; ++i) {
    std::string token = MintToken(
        config.secret, Identity{absl::StrCat("hh-", i), Role::kDevice}, now,
        now + absl::Hours(24));
    households_.push_back(std::make_unique<Household>(
        &load_, i, load_.stubs[i % load_.stubs.size()].get(),
        std::move(token)));
  }
  for (int k = 0; k < config.coach_watchers; ++k) {
    households_[k % households_.size()]->AddCoach();
  }
}

bool Runner::ForEachHousehold(
    const std::function<void(Household*, std::function<void()>)>& step) {
  const absl::Time deadline = absl::Now() + load_.config.setup_timeout;
  // Shared with the callbacks, which may outlive a timeout here.
  auto gate = std::make_shared<Gate>(load_.config.setup_inflight);
  auto done = std::make_shared<std::atomic<int>>(0);
  for (auto& hh : households_) {
    if (!gate->Acquire(deadline)) return false;
    step(hh.get(), [gate, done] {
      done->fetch_add(1);
      gate->Release();
    });
  }
  const int n = static_cast<int>(households_.size());
  return WaitFor([&] { return done->load() == n; }, deadline);
}

void Runner::LinkCoaches(LoadReport* report) {
  const LoadConfig& config = load_.config;
  if (config.coach_watchers <= 0) return;
  std::unique_ptr<coach::v1::CoachService::Stub> coaches =
      coach::v1::CoachService::NewStub(load_.channels[0]);
  const absl::Time now = absl::Now();
  std::vector<int> next_coach(households_.size(), 0);
  int linked = 0;
  for (int k = 0; k < config.coach_watchers; ++k) {
    Household* hh = households_[k % households_.size()].get();
    const std::string coach_id = absl::StrCat("coach-", k);
    const std::string user = MintToken(
        config.secret, Identity{absl::StrCat("hh-", hh->index()), Role::kUser},
        now, now + absl::Hours(24));
    const std::string coach_token =
        MintToken(config.secret, Identity{coach_id, Role::kCoach}, now,
                  now + absl::Hours(24));
    // Consent on both sides: the coach makes a code, the person links with
    // it.
    grpc::ClientContext code_context;
    AddBearer(&code_context, coach_token);
    coach::v1::CreateLinkCodeResponse code;
    grpc::Status status = coaches->CreateLinkCode(&code_context, {}, &code);
    grpc::ClientContext context;
    AddBearer(&context, user);
    coach::v1::LinkCoachRequest request;
    request.set_code(code.code());
    coach::v1::LinkCoachResponse response;
    if (status.ok()) status = coaches->LinkCoach(&context, request, &response);
    if (!status.ok()) {
      std::string why = status.error_message();
      if (why.empty()) why = StatusText(status);
      report->coach_note = absl::StrCat(
          status.error_code() == grpc::StatusCode::UNIMPLEMENTED
              ? "coach service not available: "
              : "linking the coach failed: ",
          why, "; ", config.coach_watchers - linked, " watchers skipped");
      return;
    }
    hh->EnableCoach(next_coach[hh->index()]++, coach_token);
    ++linked;
  }
  report->coach_watchers = linked;
}

void Runner::Stop() {
  // Quiesce first: no new sessions, no call in setup. Cancelling a stream
  // that the server has not finished setting up is legitimate, but it is
  // not what a run measures (and it exposes a server race: see
  // docs/PERFORMANCE.md).
  load_.restart.store(false);
  const absl::Time quiet = absl::Now() + absl::Seconds(5);
  load_.WaitForOps(quiet);
  WaitFor([this] { return load_.c.awaiting_first.load() == 0; }, quiet);
  load_.running.store(false);
  for (auto& hh : households_) {
    for (Device* d : hh->devices()) d->Cancel();
  }
  if (stalled_ != nullptr) stalled_->Cancel();
  const absl::Time deadline = absl::Now() + kStopTimeout;
  WaitFor([this] { return load_.c.live_calls.load() == 0; }, deadline);
  load_.WaitForOps(deadline);
  // Calls that started while we cancelled (a session restarting): once more.
  for (auto& hh : households_) {
    for (Device* d : hh->devices()) d->Cancel();
  }
  WaitFor([this] { return load_.c.live_calls.load() == 0; }, deadline);
}

void Runner::Totals(LoadReport* r) {
  Counters& c = load_.c;
  r->gaps = c.gaps.load();
  r->silent_gaps = c.silent_gaps.load();
  r->missing = c.missing.load();
  r->duplicates = c.duplicates.load();
  r->stream_errors = c.stream_errors.load();
  r->rpc_errors = c.rpc_errors.load();
  r->sessions_started = c.sessions_started.load();
  r->sessions_finished = c.sessions_finished.load();
  const int64_t samples = c.bytes_samples.load();
  r->mean_event_bytes =
      samples > 0 ? static_cast<double>(c.bytes_sum.load()) / samples : 0;
  int streams = 0;
  for (auto& hh : households_) {
    for (Device* d : hh->devices()) {
      if (d->tracker().epoch().empty()) continue;  // Never opened.
      ++streams;
      if (d->tracker().gaps() > 0) ++r->subscribers_with_gaps;
      if (d->tracker().duplicates() > 0) ++r->subscribers_with_duplicates;
    }
  }
  r->streams = streams;
  r->first_error = load_.first_error();
  r->first_gap = load_.first_gap();
  if (c.repeats_sent.load() > 0) {
    r->repeats_sent = c.repeats_sent.load();
    r->repeats_rejected = c.repeats_rejected.load();
  }
}

void Runner::RunSaturation(LoadReport* report) {
  ForEachHousehold([](Household* hh, std::function<void()> ready) {
    hh->Begin(std::move(ready));
  });
  SleepUntil(start_ + load_.config.watchers_after);
  LinkCoaches(report);
  SleepUntil(start_ + load_.config.warmup);
  Load::Window* window = load_.NewWindow();
  const Sample a = TakeSample(load_);
  SleepUntil(a.at + load_.config.duration);
  const Sample b = TakeSample(load_);
  ReportWindow(a, b, window->all, report);
  const LatencyHistogram& live = window->live;
  report->live_latency_samples = live.Count();
  report->live_latency_p50_us = live.Percentile(0.50);
  report->live_latency_p99_us = live.Percentile(0.99);
  report->live_latency_p999_us = live.Percentile(0.999);
}

void Runner::RunIdle(LoadReport* report) {
  load_.restart.store(false);
  const bool started =
      ForEachHousehold([](Household* hh, std::function<void()> done) {
        hh->StartPaused(std::move(done));
      });
  absl::SleepFor(absl::Seconds(1));  // Let the starts' garbage settle.
  const Sample before = TakeSample(load_);
  const int64_t want = 2 * static_cast<int64_t>(households_.size());
  if (started) {
    ForEachHousehold([](Household* hh, std::function<void()> ready) {
      hh->Attach(std::move(ready));
    });
    WaitFor([&] { return load_.c.connected.load() >= want; },
            absl::Now() + load_.config.setup_timeout);
  }
  absl::SleepFor(load_.config.settle);
  const Sample after = TakeSample(load_);
  ReportWindow(before, after, load_.window.load()->all, report);
  report->idle_connected = load_.c.connected.load();
  if (before.have_server && after.have_server) {
    report->idle_rss_before_kb = before.server.rss_kb;
    report->idle_rss_after_kb = after.server.rss_kb;
    if (report->idle_connected > 0) {
      report->idle_bytes_per_stream =
          1024.0 * (after.server.rss_kb - before.server.rss_kb) /
          report->idle_connected;
    }
  }
}

void Runner::RunStorm(LoadReport* report) {
  load_.restart.store(false);  // Use a session that outlasts the run.
  ForEachHousehold([](Household* hh, std::function<void()> ready) {
    hh->Begin(std::move(ready));
  });
  const int64_t want = 2 * static_cast<int64_t>(households_.size());
  WaitFor([&] { return load_.c.connected.load() >= want; },
          absl::Now() + load_.config.setup_timeout);
  SleepUntil(start_ + load_.config.warmup);
  Load::Window* window = load_.NewWindow();
  const Sample a = TakeSample(load_);

  std::vector<Device*> dropped;
  for (auto& hh : households_) {
    for (Device* d : hh->devices()) {
      if (d->Drop()) dropped.push_back(d);
    }
  }
  const absl::Time offline = absl::Now();
  WaitFor([&] { return load_.c.live_calls.load() == 0; },
          absl::Now() + kStopTimeout);
  // While everyone is offline, each session says one more thing (REPEAT),
  // so every resume has an event to catch up on at once and the storm
  // measures resuming, not the sessions' pace.
  const int64_t answered = load_.c.repeats_answered.load();
  for (auto& hh : households_) hh->Repeat(-1);
  const int64_t households = static_cast<int64_t>(households_.size());
  WaitFor(
      [&] { return load_.c.repeats_answered.load() >= answered + households; },
      absl::Now() + kStopTimeout);
  SleepUntil(offline + load_.config.storm_gap);
  const absl::Time t0 = absl::Now();
  load_.storm_start_us.store(absl::ToUnixMicros(t0));
  int64_t resumed = 0;
  for (Device* d : dropped) resumed += d->Resume() ? 1 : 0;
  WaitFor([&] { return load_.c.resumed.load() >= resumed; },
          absl::Now() + load_.config.setup_timeout);
  const int64_t last_us = load_.c.last_resume_us.load();
  absl::SleepFor(absl::Seconds(1));  // Live events after the storm, too.
  const Sample b = TakeSample(load_);
  ReportWindow(a, b, window->all, report);
  report->storm_resumed = load_.c.resumed.load();
  if (last_us > 0) {
    report->storm_window_s = (last_us - absl::ToUnixMicros(t0)) / 1e6;
    if (report->storm_window_s > 0) {
      report->storm_resumes_per_s =
          report->storm_resumed / report->storm_window_s;
    }
  }
  report->storm_first_event_p50_ms = load_.resume_delay.Percentile(0.5) / 1000;
  report->storm_first_event_max_ms = load_.resume_delay.Max() / 1000;
}

void Runner::RunStalled(LoadReport* report) {
  ForEachHousehold([](Household* hh, std::function<void()> ready) {
    hh->Begin(std::move(ready));
  });
  const int64_t want = 2 * static_cast<int64_t>(households_.size());
  WaitFor([&] { return load_.c.connected.load() >= want; },
          absl::Now() + load_.config.setup_timeout);
  SleepUntil(start_ + load_.config.warmup);
  LinkCoaches(report);

  // Household 0's session is kept busy with REPEATs through both halves.
  std::atomic<bool> repeating{load_.config.repeat_rate > 0};
  std::thread repeater;
  if (repeating.load()) {
    repeater = std::thread([this, &repeating] {
      const absl::Duration every = absl::Seconds(1) / load_.config.repeat_rate;
      const int64_t answered = load_.c.repeats_answered.load();
      absl::Time next = absl::Now();
      int64_t sent = 0;
      while (repeating.load()) {
        // Bounded: never more than 64 commands in flight.
        if (sent - (load_.c.repeats_answered.load() - answered) < 64) {
          households_[0]->Repeat(sent++);
        }
        next += every;
        SleepUntil(next);
      }
    });
  }
  const absl::Duration half = load_.config.duration / 2;
  const LatencyHistogram& without = load_.NewWindow()->all;
  const Sample a = TakeSample(load_);
  SleepUntil(a.at + half);

  // The stalled subscriber: household 0's display on its own connection,
  // reading the first event and then nothing.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("coachd.loadgen.stalled", 1);
  stalled_channel_ = grpc::CreateCustomChannel(load_.config.target,
                                               Credentials(load_.config), args);
  stalled_stub_ = coach::v1::SessionService::NewStub(stalled_channel_);
  stalled_ = std::make_unique<Device>(
      &load_, nullptr, -1, coach::v1::DEVICE_KIND_DISPLAY, stalled_stub_.get(),
      /*stalled=*/!load_.config.control);
  // It joins at the live position, as a display switched on mid-session
  // would (a replay from the first event is another scenario).
  const auto [session_id, epoch] = households_[0]->Session();
  int64_t live = 0;
  {
    grpc::ClientContext context;
    AddBearer(&context, households_[0]->token());
    coach::v1::GetSessionRequest get;
    get.set_session_id(session_id);
    coach::v1::SessionView view;
    if (stalled_stub_->GetSession(&context, get, &view).ok()) {
      live = view.last_sequence();
    }
  }
  stalled_->Open(households_[0]->token(), session_id, epoch, live);
  const LatencyHistogram& with = load_.NewWindow()->all;
  const Sample mid = TakeSample(load_);
  SleepUntil(mid.at + half);
  const Sample b = TakeSample(load_);
  repeating.store(false);
  if (repeater.joinable()) repeater.join();

  ReportWindow(a, mid, without, report);
  // Throughput, CPU and Redis over the whole window; latency per half.
  LoadReport whole;
  ReportWindow(a, b, with, &whole);
  report->window_s = whole.window_s;
  report->delivered = whole.delivered;
  report->published = whole.published;
  report->events_per_s = whole.events_per_s;
  report->server_cpu_s = whole.server_cpu_s;
  report->server_cpu_per_kevent_ms = whole.server_cpu_per_kevent_ms;
  report->server_rss_kb = whole.server_rss_kb;
  report->loadgen_cpu_s = whole.loadgen_cpu_s;
  report->redis_commands = whole.redis_commands;
  report->redis_cpu_s = whole.redis_cpu_s;
  report->redis_per_published = whole.redis_per_published;
  report->redis_per_delivered = whole.redis_per_delivered;
  report->redis_top = whole.redis_top;
  report->stalled_a_p50_us = without.Percentile(0.5);
  report->stalled_a_p99_us = without.Percentile(0.99);
  report->stalled_a_p999_us = without.Percentile(0.999);
  report->stalled_b_p50_us = with.Percentile(0.5);
  report->stalled_b_p99_us = with.Percentile(0.99);
  report->stalled_b_p999_us = with.Percentile(0.999);

  // Now it reads what was kept for it: a snapshot if it fell behind.
  stalled_->Unstall();
  absl::SleepFor(absl::Seconds(1));
}

absl::StatusOr<LoadReport> Runner::Run() {
  const LoadConfig& config = load_.config;
  absl::Status basics =
      CheckRunBasics(config.target, config.households, config.channels,
                     config.secret, config.duration);
  if (!basics.ok()) return basics;
  if (config.setup_inflight < 1) {
    return absl::InvalidArgumentError("--setup_inflight: must be at least 1");
  }
  if (config.coach_watchers < 0 || config.repeat_rate < 0) {
    return absl::InvalidArgumentError(
        "--coach_watchers and --repeat_rate: must not be negative");
  }
  absl::Status connected = Connect();
  if (!connected.ok()) return connected;
  MakeHouseholds();
  load_.NewWindow();

  LoadReport report;
  report.mode = LoadModeName(config.mode);
  report.label = config.label;
  report.target = config.target;
  report.households = config.households;
  report.channels = config.channels;
  start_ = absl::Now();
  switch (config.mode) {
    case LoadMode::kSaturation:
    case LoadMode::kLive:  // The same window; only the households differ.
      RunSaturation(&report);
      break;
    case LoadMode::kIdle:
      RunIdle(&report);
      break;
    case LoadMode::kStorm:
      RunStorm(&report);
      break;
    case LoadMode::kStalled:
      RunStalled(&report);
      break;
  }
  Stop();
  Totals(&report);
  if (stalled_ != nullptr) {
    report.stalled_received = stalled_->tracker().delivered();
    report.stalled_lag_snapshots = stalled_->tracker().lag_snapshots();
  }
  return report;
}

}  // namespace

absl::StatusOr<LoadMode> ParseLoadMode(absl::string_view name) {
  if (name == "saturation") return LoadMode::kSaturation;
  if (name == "idle") return LoadMode::kIdle;
  if (name == "storm") return LoadMode::kStorm;
  if (name == "stalled") return LoadMode::kStalled;
  if (name == "live") return LoadMode::kLive;
  return absl::InvalidArgumentError(
      absl::StrCat("--mode: must be saturation, idle, storm, stalled, live "
                   "or chaos, got \"",
                   name, "\""));
}

const char* LoadModeName(LoadMode mode) {
  switch (mode) {
    case LoadMode::kSaturation:
      return "saturation";
    case LoadMode::kIdle:
      return "idle";
    case LoadMode::kStorm:
      return "storm";
    case LoadMode::kStalled:
      return "stalled";
    case LoadMode::kLive:
      return "live";
  }
  return "?";
}

absl::StatusOr<LoadReport> RunLoad(const LoadConfig& config) {
  Runner runner(config);
  return runner.Run();
}

}  // namespace coachd
