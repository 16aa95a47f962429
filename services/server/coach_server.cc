#include "services/server/coach_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/backend/memory_backend.h"
#include "services/catalog/catalog_service.h"
#include "services/coach/link_aware_policy.h"
#include "services/common/log.h"
#include "services/common/rpc_log.h"
#include "services/pairing/auth_service.h"
#include "services/scheduler/scheduler_progress_source.h"
#include "services/scheduler/session_completions.h"
#include "services/server/unparsed_request_interceptor.h"

namespace coachd {

absl::StatusOr<std::unique_ptr<CoachServer>> CoachServer::Start(
    ServerOptions options) {
  if (options.auth_secret.empty()) {
    return absl::FailedPreconditionError("the auth secret is empty");
  }
  if (!(options.time_scale > 0)) {
    return absl::InvalidArgumentError("--time_scale: must be greater than 0");
  }
  if (options.unary_deadline <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--unary_deadline: must be positive");
  }
  {
    // gRPC would silently wrap an out-of-range port; refuse it instead.
    const size_t colon = options.listen.rfind(':');
    int port = -1;
    if (colon == std::string::npos ||
        !absl::SimpleAtoi(absl::string_view(options.listen).substr(colon + 1),
                          &port) ||
        port < 0 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--listen: must be HOST:PORT with a port from 0 to 65535, got \"",
          options.listen, "\""));
    }
  }
  absl::StatusOr<std::unique_ptr<ServerTls>> tls =
      ServerTls::Start(options.tls);
  if (!tls.ok()) return tls.status();
  std::unique_ptr<CoachServer> s(new CoachServer());
  MetricsRegistry* const metrics =
      options.metrics != nullptr ? options.metrics : &ProcessMetrics();
  s->tls_ = *std::move(tls);
  s->clock_ = options.clock != nullptr ? options.clock : &s->real_clock_;
  const Clock* clock = s->clock_;

  absl::StatusOr<Catalog> catalog = Catalog::LoadFromFile(options.catalog_path);
  if (!catalog.ok()) return catalog.status();
  s->catalog_ = std::make_unique<Catalog>(*std::move(catalog));
  s->revoked_ = std::make_unique<RevokedDevices>();
  s->auth_ = options.keys != nullptr
                 ? std::make_unique<Authenticator>(*options.keys, clock)
                 : std::make_unique<Authenticator>(options.auth_secret, clock);
  s->auth_->SetRevokedDevices(s->revoked_.get());
  s->executor_ =
      std::make_unique<Executor>(options.workers, options.worker_nice);
  s->backend_ = options.backend != nullptr ? std::move(options.backend)
                                           : std::make_unique<MemoryBackend>();
  Backend& backend = *s->backend_;
  s->pairing_store_ = backend.MakePairingStore();
  // Streams end at their token's exp, and when their device is revoked
  // here or (the store's revocation list, polled) on another replica.
  s->lifetimes_ = std::make_unique<StreamLifetimes>(
      clock, s->revoked_.get(),
      [store = s->pairing_store_.get(), retention = s->revoked_->retention()](
          absl::Time now) { return store->RevokedSince(now - retention); });
  // Per-person limits, counted in the backend (shared by replicas).
  s->quota_store_ = backend.MakeQuotaStore();
  s->quotas_ =
      std::make_unique<Quotas>(s->quota_store_.get(), clock, options.quotas);

  s->scheduler_ = std::make_unique<SchedulerComponent>(
      backend.MakeSchedulerStore(), clock, options.scheduler);
  std::unique_ptr<CoachLinkStore> links = backend.MakeCoachLinks();
  std::unique_ptr<CoachBoard> board =
      backend.MakeCoachBoard(links.get(), clock);
  SessionComponentOptions sessions;
  sessions.time_scale = options.time_scale;
  sessions.hub = options.hub;
  sessions.driver = options.driver;
  sessions.max_stream_queue = options.max_stream_queue;
  sessions.command_id_window = options.command_id_window;
  sessions.max_commands_per_window = options.max_commands_per_window;
  // Coaches reach linked clients' sessions; every commit goes to the coach
  // boards and (finished sessions) to the scheduler's completions.
  s->sessions_ = std::make_unique<SessionComponent>(
      backend.MakeSessionStore(), backend.MakeTimerLeases(), s->catalog_.get(),
      clock, s->executor_.get(), std::make_unique<LinkAwarePolicy>(links.get()),
      std::vector<CommitObserver>{
          board->Observer(),
          MakeCompletionObserver(&s->scheduler_->scheduler(),
                                 s->executor_.get()),
          CommitCounter(metrics)},
      sessions);
  // Coaches see each client's week, adherence and streak from the scheduler.
  s->coaching_ = std::make_unique<CoachingComponent>(
      std::move(links), std::move(board), &s->sessions_->runner(),
      std::make_unique<SchedulerProgressSource>(&s->scheduler_->scheduler()),
      clock,
      CoachingComponentOptions{options.coaching, options.max_stream_queue});
  s->sessions_->runner().SetQuotas(s->quotas_.get());
  s->coaching_->coaching().SetQuotas(s->quotas_.get());
  s->scheduler_->scheduler().SetQuotas(s->quotas_.get());
  absl::Status resumed = s->sessions_->ResumeTimers();
  if (!resumed.ok()) {
    LogWarning(
        absl::StrCat("could not resume timers yet: ", resumed.message()));
  }

  s->streams_ = std::make_unique<StreamRegistry>();
  s->stream_limits_ =
      std::make_unique<StreamLimiter>(options.max_streams_per_person);
  s->deadlines_ = std::make_unique<DeadlineTimer>();
  if (options.record_queue_high_water) {
    s->queue_high_water_ = std::make_unique<QueueHighWater>();
  }
  ServiceDeps deps;
  deps.auth = s->auth_.get();
  deps.executor = s->executor_.get();
  deps.streams = s->streams_.get();
  deps.lifetimes = s->lifetimes_.get();
  deps.stream_limits = s->stream_limits_.get();
  deps.queue_high_water = s->queue_high_water_.get();
  deps.deadlines = s->deadlines_.get();
  deps.unary_deadline = options.unary_deadline;
  s->services_.push_back(
      std::make_unique<CatalogServiceImpl>(s->catalog_.get(), deps));
  s->services_.push_back(s->sessions_->MakeService(deps));
  s->services_.push_back(s->coaching_->MakeService(deps));
  s->services_.push_back(s->scheduler_->MakeService(deps));
  s->pairing_ = std::make_unique<Pairing>(
      s->pairing_store_.get(), s->auth_.get(), clock, options.pairing,
      [lifetimes = s->lifetimes_.get()](const std::string& device_id) {
        lifetimes->Revoke(device_id);
      });
  s->services_.push_back(
      std::make_unique<AuthServiceImpl>(s->pairing_.get(), deps));

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, s->tls_->credentials(), &s->port_);
  // Find vanished devices: ping idle connections, drop dead ones.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  // No channelz (coachd serves no channelz service): it reads the clock
  // for every message written, about 1.5% of the CPU under load.
  builder.AddChannelArgument(GRPC_ARG_ENABLE_CHANNELZ, 0);
  // Limits of the transport (docs/SECURITY.md, "Limits").
  builder.SetMaxReceiveMessageSize(options.max_request_bytes);
  builder.AddChannelArgument(
      GRPC_ARG_MAX_CONNECTION_IDLE_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.max_connection_idle)));
  // A body that does not parse: INVALID_ARGUMENT and a log line.
  builder.experimental().SetInterceptorCreators(
      MakeUnparsedRequestInterceptors());
  for (auto& service : s->services_) builder.RegisterService(service.get());
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen));
  }
  s->server_->GetHealthCheckService()->SetServingStatus(true);
  RegisterRpcMetrics();
  s->metrics_ = std::make_unique<ServerMetrics>(
      metrics,
      ServerMetricsSources{&s->sessions_->hub(), &s->sessions_->driver(),
                           s->streams_.get(), &s->scheduler_->scheduler(),
                           &s->board(), s->backend_.get()});
  if (!options.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<MetricsHttpServer>> http =
        MetricsHttpServer::Start(options.metrics_listen, [metrics] {
          std::vector<MetricFamilySnapshot> families =
              ProcessMetrics().Collect();
          if (metrics != &ProcessMetrics()) {
            for (MetricFamilySnapshot& f : metrics->Collect()) {
              families.push_back(std::move(f));
            }
          }
          return RenderPrometheusText(families);
        });
    if (!http.ok()) return http.status();
    s->metrics_http_ = *std::move(http);
    LogInfo(absl::StrCat("metrics on http://", options.metrics_listen,
                         "/metrics (port ", s->metrics_http_->port(), ")"));
  }
  s->health_thread_ = std::thread([srv = s.get()] { srv->WatchStoreHealth(); });
  s->lifetimes_->Start();
  if (options.run_timer_thread) {
    s->sessions_->Start();
    s->scheduler_->StartDispatcher();
  }
  LogInfo(absl::StrCat("coachd serving on ", options.listen, " (port ",
                       s->port_, ", ", s->tls_->mode(), "), state ",
                       s->backend_->Describe(), ", ",
                       s->catalog_->exercises().size(),
                       " exercises, time scale ", options.time_scale));
  return s;
}

void CoachServer::WatchStoreHealth() {
  bool serving = true;
  absl::MutexLock lock(&health_mu_);
  while (!health_stop_) {
    health_mu_.Unlock();  // Ping may block up to the store's timeouts.
    const absl::Status ping = sessions_->store().Ping();
    health_mu_.Lock();
    if (health_stop_) break;  // Shutdown owns the status from here.
    if (ping.ok() != serving) {
      serving = ping.ok();
      server_->GetHealthCheckService()->SetServingStatus(serving);
      if (serving) {
        LogInfo("store reachable again: SERVING");
      } else {
        LogWarning(absl::StrCat("NOT_SERVING: ", ping.message()));
      }
    }
    health_mu_.AwaitWithTimeout(absl::Condition(&health_stop_),
                                absl::Seconds(1));
  }
}

void CoachServer::Shutdown(absl::Duration grace) {
  absl::MutexLock lock(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  if (server_ == nullptr) return;  // Start failed before serving: no server.
  if (metrics_http_ != nullptr) metrics_http_->Stop();
  {
    absl::MutexLock health_lock(&health_mu_);
    health_stop_ = true;
  }
  if (health_thread_.joinable()) health_thread_.join();
  LogInfo("shutting down: NOT_SERVING, finishing in-flight calls");
  server_->GetHealthCheckService()->SetServingStatus(false);
  // Streams never end by themselves: end them now with UNAVAILABLE so
  // devices resume elsewhere at once; unary calls get the grace period.
  streams_->CloseAll();
  lifetimes_->Stop();
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoMilliseconds(grace));
  sessions_->Stop();  // Releases its leases: another replica takes over.
  scheduler_->StopDispatcher();
  LogInfo("stopped");
}

void CoachServer::Wait() { server_->Wait(); }

absl::Status CoachServer::ReloadTls() { return tls_->Reload(); }

CoachServer::~CoachServer() {
  Shutdown(absl::ZeroDuration());
  // The executor drains (hub cleanups, pending handlers) before the parts
  // it uses go away.
  if (sessions_ != nullptr) sessions_->Stop();  // Before the executor goes.
  executor_.reset();
}

}  // namespace coachd
