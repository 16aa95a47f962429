#include "clients/homeassistant/bridge.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "clients/common/client_auth.h"
#include "clients/common/reminder_watcher.h"
#include "clients/common/session_follower.h"
#include "services/common/log.h"

namespace coachd {

// What the worker applies, in order.
struct Bridge::Input {
  enum Kind {
    kBoard,      // An update of the person's own board.
    kSession,    // An event of their current session.
    kReminder,   // A reminder of theirs.
    kProgress,   // Their progress.
    kConnected,  // The MQTT link (re)connected.
    kMessage,    // An MQTT message (commands, HA status, the people list).
    kRejected,   // A command coachd refused: `topic` what, `payload` why.
  };
  explicit Input(Kind k = kMessage) : kind(k) {}

  Kind kind;
  Person* person = nullptr;
  coach::v1::LiveUpdate board;
  coach::v1::SessionEvent event;
  coach::v1::Reminder reminder;
  coach::v1::Progress progress;
  std::string topic;
  std::string payload;
};

// One person: their view and what was published (worker only), and their
// streams.
struct Bridge::Person {
  std::string id;
  TokenProvider unary_tokens;  // Worker only: the unary calls' tokens.
  // A unary call was refused UNAUTHENTICATED: refresh before the next.
  std::atomic<bool> unary_refused{false};
  PersonView view;
  std::map<std::string, std::string> published;  // State topic payloads.
  std::string followed;                          // The session followed.
  std::unique_ptr<SessionFollower> follower;
  std::thread follower_thread;
  std::vector<std::pair<std::unique_ptr<SessionFollower>, std::thread>>
      retired;  // Followers replaced; joined at the end.
  std::unique_ptr<ReminderWatcher> reminders;
  absl::Time progress_read = absl::InfinitePast();

  absl::Mutex mu;  // Guards board_context.
  grpc::ClientContext* board_context ABSL_GUARDED_BY(mu) = nullptr;
};

Bridge::Bridge(BridgeOptions options)
    : options_(std::move(options)),
      sessions_(coach::v1::SessionService::NewStub(options_.channel)),
      coaches_(coach::v1::CoachService::NewStub(options_.channel)),
      scheduler_(coach::v1::SchedulerService::NewStub(options_.channel)) {
  RegisterMetrics();
  for (const std::string& id : options_.people) {
    auto p = std::make_unique<Person>();
    p->id = id;
    p->unary_tokens = options_.tokens_for(id);
    p->reminders = std::make_unique<ReminderWatcher>(
        options_.channel, options_.tokens_for(id),
        coach::v1::DEVICE_KIND_DISPLAY, options_.reconnect.max_retries);
    p->reminders->CountReconnects(reconnects_->WithLabels({"reminders"}));
    people_[NodeId(id)] = std::move(p);
  }
  MqttOptions mqtt = options_.mqtt;
  mqtt.will_topic = AvailabilityTopic(options_.names);
  mqtt_ = std::make_unique<MqttLink>(
      mqtt, MqttCallbacks{
                [this] {
                  {
                    absl::MutexLock lock(&mu_);
                    ++stats_.mqtt_connects;
                  }
                  Push(Input{Input::kConnected}, false);
                },
                [this] {
                  absl::MutexLock lock(&mu_);
                  ++stats_.mqtt_disconnects;
                },
                [this](const std::string& topic, const std::string& payload) {
                  Input in{Input::kMessage};
                  in.topic = topic;
                  in.payload = payload;
                  Push(std::move(in), false);
                },
                nullptr});  // A refused login: the link logs it, and retries.
}

Bridge::~Bridge() {
  stopping_ = true;
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  for (auto& [node, p] : people_) {
    absl::MutexLock lock(&p->mu);
    if (p->board_context != nullptr) p->board_context->TryCancel();
  }
  for (auto& [node, p] : people_) p->reminders->Stop();
  for (std::thread& t : readers_) t.join();
  {
    absl::MutexLock lock(&mu_);
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return calls_in_flight_ == 0;
    };
    mu_.Await(absl::Condition(&idle));  // Calls have deadlines.
  }
  if (worker_.joinable()) worker_.join();
  for (auto& [node, p] : people_) {
    if (p->follower != nullptr) p->follower->Stop();
    if (p->follower_thread.joinable()) p->follower_thread.join();
    for (auto& [follower, thread] : p->retired) {
      follower->Stop();
      thread.join();
    }
  }
  mqtt_.reset();  // Disconnects cleanly.
}

absl::Status Bridge::Start() {
  worker_ = std::thread([this] { RunWorker(); });
  for (auto& [node, p] : people_) {
    Person* person = p.get();
    readers_.emplace_back([this, person] { WatchBoard(person); });
    readers_.emplace_back([this, person] { WatchReminders(person); });
  }
  return mqtt_->Start();
}

BridgeStats Bridge::Stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

namespace {

// One sample per (label value, count).
std::vector<MetricSample> Labelled(
    const std::vector<std::pair<const char*, int64_t>>& counts) {
  std::vector<MetricSample> out;
  for (const auto& [label, n] : counts) {
    MetricSample sample;
    sample.label_values = {label};
    sample.value = static_cast<double>(n);
    out.push_back(std::move(sample));
  }
  return out;
}

}  // namespace

void Bridge::RegisterMetrics() {
  if (options_.metrics == nullptr) {
    own_metrics_ = std::make_unique<MetricsRegistry>();
  }
  metrics_ =
      options_.metrics != nullptr ? options_.metrics : own_metrics_.get();
  reconnects_ = metrics_->AddCounter(
      "coachd_ha_grpc_stream_reconnects_total",
      "coachd streams the bridge reopened after they broke, by stream.",
      {"stream"});
  for (const char* stream : {"board", "session", "reminders"}) {
    reconnects_->WithLabels({stream});  // 0 until the first.
  }
  CounterFamily* connects = metrics_->AddCounter(
      "coachd_ha_grpc_connects_total",
      "Times the gRPC channel to coachd became ready (first, then each "
      "reconnect).");
  CounterFamily* failures = metrics_->AddCounter(
      "coachd_ha_grpc_connect_failures_total",
      "Times the gRPC channel to coachd failed to connect.");
  channel_watch_ = std::make_unique<ChannelWatch>(
      options_.channel, connects->WithLabels({}), failures->WithLabels({}));
  // The rest are counts the bridge keeps anyway (Stats), read at scrape.
  auto stat = [this](const char* name, const char* help,
                     int64_t BridgeStats::*field) {
    registrations_.push_back(metrics_->AddCallback(
        name, help, MetricType::kCounter, {}, [this, field] {
          MetricSample sample;
          sample.value = static_cast<double>(Stats().*field);
          return std::vector<MetricSample>{sample};
        }));
  };
  stat("coachd_ha_mqtt_connects_total",
       "Connections to the MQTT broker made (first, then each reconnect).",
       &BridgeStats::mqtt_connects);
  stat("coachd_ha_mqtt_disconnects_total",
       "Connections to the MQTT broker that ended (lost, or closed at stop).",
       &BridgeStats::mqtt_disconnects);
  stat("coachd_ha_inputs_dropped_total",
       "Inputs dropped because the bridge's queue was full.",
       &BridgeStats::dropped);
  stat("coachd_ha_sessions_followed_total",
       "Sessions the bridge began to follow (a person's new live session).",
       &BridgeStats::sessions_followed);
  registrations_.push_back(metrics_->AddCallback(
      "coachd_ha_commands_total",
      "Commands received from Home Assistant, by result (accepted: done; "
      "rejected: coachd or the session's state refused it; malformed: an "
      "unknown topic or payload).",
      MetricType::kCounter, {"result"}, [this] {
        const BridgeStats s = Stats();
        return Labelled({{"accepted", s.accepted},
                         {"rejected", s.rejected},
                         {"malformed", s.malformed}});
      }));
  registrations_.push_back(metrics_->AddCallback(
      "coachd_ha_messages_published_total",
      "MQTT messages published, by kind (state: entity states; event: HA "
      "events; discovery: configs, availability and the people list).",
      MetricType::kCounter, {"kind"}, [this] {
        const BridgeStats s = Stats();
        return Labelled({{"state", s.states},
                         {"event", s.events},
                         {"discovery", s.published - s.states - s.events}});
      }));
  registrations_.push_back(metrics_->AddCallbackGauge(
      "coachd_ha_people", "People this bridge serves.",
      [n = options_.people.size()] { return static_cast<double>(n); }));
}

template <typename Response, typename Request, typename Issue, typename OnDone>
void Bridge::Call(Person& p, Request request, Issue start, OnDone done) {
  struct Pending {
    grpc::ClientContext context;
    Request request;
    Response response;
  };
  absl::StatusOr<std::string> token =
      p.unary_tokens(p.unary_refused.exchange(false));
  if (!token.ok()) {
    Response none;
    done(grpc::Status(static_cast<grpc::StatusCode>(token.status().code()),
                      std::string(token.status().message())),
         none);
    return;
  }
  auto* call = new Pending;
  {
    absl::MutexLock lock(&mu_);
    ++calls_in_flight_;
  }
  AddToken(&call->context, *token);
  call->context.set_deadline(std::chrono::system_clock::now() +
                             std::chrono::seconds(10));
  call->request = std::move(request);
  Person* person = &p;
  start(&call->context, &call->request, &call->response,
        [this, call, done, person](grpc::Status s) {
          if (s.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
            person->unary_refused = true;
          }
          done(s, call->response);
          delete call;
          absl::MutexLock lock(&mu_);
          --calls_in_flight_;
        });
}

void Bridge::Push(Input input, bool wait) {
  absl::MutexLock lock(&mu_);
  const int limit = options_.queue_limit;
  if (wait) {
    auto room = [this, limit]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stop_ || static_cast<int>(queue_.size()) < limit;
    };
    mu_.Await(absl::Condition(&room));
  } else if (static_cast<int>(queue_.size()) >= limit) {
    if (stats_.dropped++ == 0) {
      LogWarning("homeassistant: the bridge's queue is full; dropping input");
    }
    return;
  }
  if (stop_) return;
  queue_.push_back(std::move(input));
}

void Bridge::RunWorker() {
  for (;;) {
    Input input;
    bool have = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stop_ || !queue_.empty();
      };
      mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(1));
      if (stop_) return;
      if (!queue_.empty()) {
        input = std::move(queue_.front());
        queue_.pop_front();
        have = true;
        ++stats_.inputs;
      }
    }
    if (have) Apply(input);
    const absl::Time now = absl::Now();
    for (auto& [node, p] : people_) {
      if (now - p->progress_read >= options_.progress_every) {
        RefreshProgress(*p);
      }
    }
  }
}

void Bridge::Apply(Input& in) {
  Person* p = in.person;
  switch (in.kind) {
    case Input::kBoard: {
      PublishEvents(*p, ApplyBoardUpdate(in.board, &p->view));
      FollowSession(*p);
      if (in.board.kind() == coach::v1::LIVE_UPDATE_KIND_ENDED) {
        RefreshProgress(*p);
        // The scheduler counts the completion on its own: read again soon.
        p->progress_read =
            absl::Now() - options_.progress_every + absl::Seconds(2);
      }
      PublishChanges(*p);
      break;
    }
    case Input::kSession:
      PublishEvents(*p, ApplySessionEvent(in.event, &p->view));
      PublishChanges(*p);
      break;
    case Input::kReminder:
      PublishEvents(*p, ApplyReminder(in.reminder, &p->view));
      RefreshProgress(*p);
      PublishChanges(*p);
      break;
    case Input::kProgress:
      p->view.progress = std::move(in.progress);
      PublishChanges(*p);
      break;
    case Input::kConnected:
      OnMqttConnected();
      break;
    case Input::kMessage:
      OnMqttMessage(in.topic, in.payload);
      break;
    case Input::kRejected:
      Reject(*p, in.topic, in.payload);
      PublishChanges(*p);
      break;
  }
}

void Bridge::OnMqttConnected() {
  LogInfo("homeassistant: connected to the broker; announcing every person");
  const HaNames& names = options_.names;
  mqtt_->Subscribe(absl::StrCat(names.base_topic, "/+/+/set"));
  mqtt_->Subscribe(HaStatusTopic(names));
  mqtt_->Subscribe(PeopleTopic(names));
  std::vector<std::string> ids;
  for (auto& [node, p] : people_) {
    ids.push_back(p->id);
    for (const MqttMessage& m : DiscoveryConfigs(names, p->id)) Publish(m);
    PublishAll(*p);
  }
  // After the subscription: the broker sends us the list it kept (the
  // people of the last run) first, then this one.
  Publish({PeopleTopic(names), absl::StrJoin(ids, ","), true});
}

void Bridge::OnMqttMessage(const std::string& topic,
                           const std::string& payload) {
  const HaNames& names = options_.names;
  if (topic == HaStatusTopic(names)) {
    if (payload == "online") {
      LogInfo("homeassistant: Home Assistant is online; announcing again");
      for (auto& [node, p] : people_) {
        for (const MqttMessage& m : DiscoveryConfigs(names, p->id)) Publish(m);
        PublishAll(*p);
      }
    }
    return;
  }
  if (topic == PeopleTopic(names)) {
    for (absl::string_view id :
         absl::StrSplit(payload, ',', absl::SkipEmpty())) {
      if (people_.count(NodeId(id)) == 0) {
        LogInfo(absl::StrCat("homeassistant: ", id,
                             " is no longer served; removing their device"));
        for (const MqttMessage& m : DiscoveryRemovals(names, id)) Publish(m);
      }
    }
    return;
  }
  std::optional<CommandTarget> target = ParseCommandTopic(names, topic);
  auto it = target.has_value() ? people_.find(target->node) : people_.end();
  if (it == people_.end()) {
    LogWarning(absl::StrCat("homeassistant: ignored a message on ", topic,
                            ": no such person or command"));
    absl::MutexLock lock(&mu_);
    ++stats_.malformed;
    return;
  }
  OnCommand(*it->second, target->object_id, payload);
}

void Bridge::OnCommand(Person& p, const std::string& object_id,
                       const std::string& payload) {
  absl::StatusOr<BridgeCommand> command = ParseCommand(object_id, payload);
  if (!command.ok()) {
    LogWarning(absl::StrCat("homeassistant: ignored a command for ", p.id, ": ",
                            command.status().message()));
    absl::MutexLock lock(&mu_);
    ++stats_.malformed;
    return;
  }
  auto rejected = [this, person = &p, object_id](const grpc::Status& s,
                                                 const auto&) {
    if (s.ok()) {
      absl::MutexLock lock(&mu_);
      ++stats_.accepted;
      return;
    }
    Input in{Input::kRejected};
    in.person = person;
    in.topic = object_id;
    in.payload = s.error_message();
    Push(std::move(in), false);
  };
  switch (command->kind) {
    case BridgeCommand::kFocus:
    case BridgeCommand::kMinutes:
      if (command->kind == BridgeCommand::kFocus) {
        p.view.focus = command->text;
      } else {
        p.view.minutes = command->number;
      }
      {
        absl::MutexLock lock(&mu_);
        ++stats_.accepted;
      }
      PublishChanges(p);
      return;
    case BridgeCommand::kSession: {
      if (!p.view.session.has_value()) {
        Reject(p, object_id, "no workout is running");
        return;
      }
      coach::v1::SendCommandRequest request;
      request.set_session_id(p.view.session->session_id);
      request.set_command(command->command);
      request.set_command_id(absl::StrCat("ha-", options_.names.bridge_id, "-",
                                          absl::ToUnixMicros(absl::Now()), "-",
                                          ++command_ids_));
      request.set_from_kind(coach::v1::DEVICE_KIND_DISPLAY);
      Call<coach::v1::SendCommandResponse>(
          p, std::move(request),
          [this](auto* c, auto* rq, auto* rs, auto done) {
            sessions_->async()->SendCommand(c, rq, rs, std::move(done));
          },
          rejected);
      return;
    }
    case BridgeCommand::kStart: {
      coach::v1::StartSessionRequest request;
      request.mutable_build()->set_focus(FocusOf(p.view.focus));
      request.mutable_build()->set_minutes(p.view.minutes);
      Call<coach::v1::SessionView>(
          p, std::move(request),
          [this](auto* c, auto* rq, auto* rs, auto done) {
            sessions_->async()->StartSession(c, rq, rs, std::move(done));
          },
          rejected);
      return;
    }
    case BridgeCommand::kReminder: {
      if (!p.view.due_reminder.has_value()) {
        Reject(p, object_id, "no reminder is due");
        return;
      }
      coach::v1::AckReminderRequest request;
      request.set_reminder_id(p.view.due_reminder->reminder_id());
      request.set_action(command->ack);
      if (command->ack == coach::v1::ACK_ACTION_SNOOZE) {
        request.set_snooze_minutes(options_.snooze_minutes);
      }
      Call<coach::v1::Reminder>(
          p, std::move(request),
          [this](auto* c, auto* rq, auto* rs, auto done) {
            scheduler_->async()->AckReminder(c, rq, rs, std::move(done));
          },
          rejected);
      return;
    }
  }
}

void Bridge::Reject(Person& p, const std::string& what,
                    const std::string& why) {
  LogWarning(
      absl::StrCat("homeassistant: ", what, " for ", p.id, " refused: ", why));
  {
    absl::MutexLock lock(&mu_);
    ++stats_.rejected;
  }
  PublishEvents(p,
                {{"command_rejected", {{"command", what}, {"reason", why}}}});
}

void Bridge::PublishAll(Person& p) {
  p.published.clear();
  PublishChanges(p);
}

void Bridge::PublishChanges(Person& p) {
  for (auto& [object_id, payload] : EntityStates(p.view)) {
    std::string& last = p.published[object_id];
    if (last == payload && !payload.empty()) continue;
    last = payload;
    Publish({StateTopic(options_.names, p.id, object_id), payload, true},
            Published::kState);
  }
}

void Bridge::PublishEvents(Person& p, const std::vector<HaEvent>& events) {
  for (const HaEvent& e : events) {
    Publish({StateTopic(options_.names, p.id, "event"), EventPayload(e), false},
            Published::kEvent);
  }
}

void Bridge::Publish(const MqttMessage& message, Published kind) {
  mqtt_->Publish(message);
  absl::MutexLock lock(&mu_);
  ++stats_.published;
  if (kind == Published::kState) ++stats_.states;
  if (kind == Published::kEvent) ++stats_.events;
}

void Bridge::FollowSession(Person& p) {
  if (!p.view.session.has_value() || p.view.session->session_id == p.followed) {
    return;
  }
  if (p.follower != nullptr) {
    p.follower->Stop();
    p.retired.emplace_back(std::move(p.follower), std::move(p.follower_thread));
  }
  p.followed = p.view.session->session_id;
  FollowerOptions follow;
  follow.max_retries = options_.reconnect.max_retries;
  follow.initial_backoff = options_.reconnect.initial_backoff;
  follow.max_backoff = options_.reconnect.max_backoff;
  follow.reconnects = reconnects_->WithLabels({"session"});
  {
    absl::MutexLock lock(&mu_);
    ++stats_.sessions_followed;
  }
  p.follower = std::make_unique<SessionFollower>(
      options_.channel, options_.tokens_for(p.id), p.followed,
      coach::v1::DEVICE_KIND_DISPLAY, follow);
  SessionFollower* follower = p.follower.get();
  Person* person = &p;
  p.follower_thread = std::thread([this, follower, person] {
    absl::Status s =
        follower->Run([this, person](const coach::v1::SessionEvent& e) {
          Input in{Input::kSession};
          in.person = person;
          in.event = e;
          Push(std::move(in), true);
        });
    if (!s.ok() && !absl::IsCancelled(s)) {
      LogWarning(absl::StrCat("homeassistant: following a session of ",
                              person->id, " ended: ", s.message()));
    }
  });
}

void Bridge::RefreshProgress(Person& p) {
  p.progress_read = absl::Now();
  Person* person = &p;
  Call<coach::v1::Progress>(
      p, coach::v1::GetProgressRequest(),
      [this](auto* c, auto* rq, auto* rs, auto done) {
        scheduler_->async()->GetProgress(c, rq, rs, std::move(done));
      },
      [this, person](const grpc::Status& s, coach::v1::Progress& progress) {
        if (s.ok()) {
          Input in{Input::kProgress};
          in.person = person;
          in.progress = std::move(progress);
          Push(std::move(in), false);
        } else if (s.error_code() != grpc::StatusCode::NOT_FOUND) {
          LogWarning(absl::StrCat("homeassistant: progress of ", person->id,
                                  ": ", s.error_message()));
        }
      });
}

void Bridge::WatchBoard(Person* p) {
  ReconnectOptions reopen = options_.reconnect;
  reopen.reopens = reconnects_->WithLabels({"board"});
  Reconnect reconnect(reopen);
  TokenProvider tokens = options_.tokens_for(p->id);
  std::string epoch;
  int64_t last = -1;       // -1: nothing seen yet.
  bool refresh = false;    // The last stream ended UNAUTHENTICATED.
  bool refreshed = false;  // The stream now open uses a refreshed token.
  while (!stopping_) {
    absl::StatusOr<std::string> token = tokens(refresh);
    if (!token.ok()) {
      LogError(absl::StrCat("homeassistant: sessions of ", p->id,
                            " no longer watched: ", token.status().message()));
      return;
    }
    refreshed = refresh;
    refresh = false;
    const absl::Time opened = absl::Now();
    bool received = false;
    grpc::ClientContext context;
    AddToken(&context, *token);
    {
      absl::MutexLock lock(&p->mu);
      if (stopping_) return;
      p->board_context = &context;
    }
    coach::v1::WatchMySessionsRequest request;
    if (last >= 0) {
      request.mutable_resume()->set_epoch(epoch);
      request.mutable_resume()->set_last_sequence(last);
    }
    auto reader = coaches_->WatchMySessions(&context, request);
    coach::v1::LiveUpdate update;
    while (reader->Read(&update)) {
      reconnect.Reset();
      received = true;
      // Resume gives each update once; never apply one twice anyway.
      if (update.kind() != coach::v1::LIVE_UPDATE_KIND_SNAPSHOT &&
          update.epoch() == epoch && update.sequence() <= last) {
        continue;
      }
      epoch = update.epoch();
      last = update.sequence();
      Input in{Input::kBoard};
      in.person = p;
      in.board = update;
      Push(std::move(in), true);
    }
    grpc::Status status = reader->Finish();
    {
      absl::MutexLock lock(&p->mu);
      p->board_context = nullptr;
    }
    if (stopping_) return;
    // The token expired (or was revoked): a fresh one resumes at once.
    if (NeedsRefresh(status, refreshed, received, absl::Now() - opened)) {
      refresh = true;
      continue;
    }
    absl::Status next = reconnect.AfterStreamEnded(status);
    if (!next.ok()) {
      LogError(absl::StrCat("homeassistant: sessions of ", p->id,
                            " no longer watched: ", next.message()));
      return;
    }
  }
}

void Bridge::WatchReminders(Person* p) {
  absl::Status s = p->reminders->Run([this, p](const coach::v1::Reminder& r) {
    Input in{Input::kReminder};
    in.person = p;
    in.reminder = r;
    Push(std::move(in), true);
  });
  if (!s.ok() && !absl::IsCancelled(s) && !stopping_) {
    LogError(absl::StrCat("homeassistant: reminders of ", p->id,
                          " no longer watched: ", s.message()));
  }
}

}  // namespace coachd
