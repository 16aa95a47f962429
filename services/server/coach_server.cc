#include "services/server/coach_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/catalog/catalog_service.h"
#include "services/common/log.h"
#include "services/session/session_service.h"

namespace coachd {

absl::StatusOr<std::unique_ptr<CoachServer>> CoachServer::Start(
    ServerOptions options) {
  if (options.auth_secret.empty()) {
    return absl::FailedPreconditionError("the auth secret is empty");
  }
  if (!(options.time_scale > 0)) {
    return absl::InvalidArgumentError("--time_scale: must be greater than 0");
  }
  std::unique_ptr<CoachServer> s(new CoachServer());
  s->clock_ = options.clock != nullptr ? options.clock : &s->real_clock_;

  absl::StatusOr<Catalog> catalog = Catalog::LoadFromFile(options.catalog_path);
  if (!catalog.ok()) return catalog.status();
  s->catalog_ = std::make_unique<Catalog>(*std::move(catalog));
  s->auth_ = std::make_unique<Authenticator>(options.auth_secret, s->clock_);
  s->executor_ = std::make_unique<Executor>(options.workers);
  s->store_ = options.store != nullptr
                  ? std::move(options.store)
                  : std::make_unique<MemoryStore>(options.memory);
  s->timers_ = std::make_unique<TimerQueue>(s->clock_);
  s->policy_ = std::make_unique<OwnerOnlyPolicy>();
  s->runner_ = std::make_unique<SessionRunner>(
      s->catalog_.get(), s->store_.get(), s->clock_, s->timers_.get(),
      s->policy_.get(), RunnerOptions{options.time_scale});
  s->hub_ = std::make_unique<SessionHub>(s->store_.get(), s->clock_,
                                         s->executor_.get(), options.hub);
  absl::Status resumed = s->runner_->ResumeTimers();
  if (!resumed.ok()) {
    LogWarning(absl::StrCat("could not resume timers yet: ",
                            resumed.message()));
  }

  ServiceDeps deps{s->auth_.get(), s->executor_.get()};
  SubscribeDeps session_deps{deps, s->runner_.get(), s->hub_.get(),
                             options.max_stream_queue};
  s->services_.push_back(
      std::make_unique<CatalogServiceImpl>(s->catalog_.get(), deps));
  s->services_.push_back(std::make_unique<SessionServiceImpl>(session_deps));

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(),
                           &s->port_);
  // Find vanished devices: ping idle connections, drop dead ones.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             10000);
  for (auto& service : s->services_) builder.RegisterService(service.get());
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen));
  }
  s->server_->GetHealthCheckService()->SetServingStatus(true);
  s->health_thread_ = std::thread([srv = s.get()] { srv->WatchStoreHealth(); });
  s->options_.listen = options.listen;
  s->options_.run_timer_thread = options.run_timer_thread;
  if (options.run_timer_thread) {
    s->timer_thread_ = std::thread([srv = s.get()] { srv->TimerLoop(); });
  }
  LogInfo(absl::StrCat("coachd serving on ", options.listen, " (port ",
                       s->port_, "), ", s->catalog_->exercises().size(),
                       " exercises, time scale ", options.time_scale));
  return s;
}

void CoachServer::TimerLoop() {
  while (timers_->Wait(absl::Seconds(1))) {
    for (const std::string& id : timers_->TakeDue()) {
      executor_->Schedule([this, id] {
        absl::Status ticked = runner_->Tick(id);
        if (!ticked.ok()) {
          LogWarning(absl::StrCat("timer of session ", id, ": ",
                                  ticked.message()));
          // Try again shortly rather than losing the session's timers.
          if (!absl::IsNotFound(ticked)) {
            timers_->Schedule(id, clock_->Now() + absl::Seconds(1));
          }
        }
      });
    }
  }
}

void CoachServer::WatchStoreHealth() {
  bool serving = true;
  absl::MutexLock lock(&health_mu_);
  while (!health_stop_) {
    health_mu_.Unlock();  // Ping may block up to the store's timeouts.
    const absl::Status ping = store_->Ping();
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

int CoachServer::RunDueTimers() {
  int ticks = 0;
  for (;;) {
    std::vector<std::string> due = timers_->TakeDue();
    if (due.empty()) return ticks;
    for (const std::string& id : due) {
      absl::Status ticked = runner_->Tick(id);
      if (!ticked.ok()) {
        LogWarning(absl::StrCat("tick ", id, ": ", ticked.message()));
      }
      ++ticks;
    }
  }
}

void CoachServer::Shutdown(absl::Duration grace) {
  absl::MutexLock lock(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  if (server_ == nullptr) return;  // Start failed before serving: no server.
  {
    absl::MutexLock health_lock(&health_mu_);
    health_stop_ = true;
  }
  if (health_thread_.joinable()) health_thread_.join();
  LogInfo("shutting down: NOT_SERVING, finishing in-flight calls");
  server_->GetHealthCheckService()->SetServingStatus(false);
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoMilliseconds(grace));
  timers_->Stop();
  if (timer_thread_.joinable()) timer_thread_.join();
  LogInfo("stopped");
}

void CoachServer::Wait() { server_->Wait(); }

CoachServer::~CoachServer() {
  Shutdown(absl::ZeroDuration());
  // The executor drains (hub cleanups, pending handlers) before the parts
  // it uses go away.
  executor_.reset();
}

}  // namespace coachd
