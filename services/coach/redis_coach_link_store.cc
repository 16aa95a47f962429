#include "services/coach/redis_coach_link_store.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/check.h"
#include "services/common/log.h"
#include "services/store/memory_session_store.h"

namespace coachd {
namespace {

// KEYS: person's coaches, coach's clients. ARGV: person, coach, value.
// Returns 1 when linked now, 0 when the link was there (kept as it was).
constexpr char kLinkScript[] = R"lua(
if redis.call('HEXISTS', KEYS[1], ARGV[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1
)lua";

// KEYS: person's coaches, coach's clients. ARGV: person, coach, channel.
// Returns the removed link's value, or nil when there was none; tells every
// replica "<nonce> <len(person)> <person><coach>".
constexpr char kUnlinkScript[] = R"lua(
local value = redis.call('HGET', KEYS[1], ARGV[2])
if not value then return false end
redis.call('HDEL', KEYS[1], ARGV[2])
redis.call('HDEL', KEYS[2], ARGV[1])
local nonce = string.match(value, ':(.*)$') or ''
redis.call('PUBLISH', ARGV[3], nonce .. ' ' .. #ARGV[1] .. ' ' .. ARGV[1] .. ARGV[2])
return value
)lua";

const RedisScript& LinkScript() {
  static const RedisScript& script = RedisScript::Of(kLinkScript);
  return script;
}

const RedisScript& UnlinkScript() {
  static const RedisScript& script = RedisScript::Of(kUnlinkScript);
  return script;
}

// The nonce of a stored link value "<at_us>:<nonce>".
std::string NonceOf(absl::string_view value) {
  const size_t colon = value.find(':');
  return colon == absl::string_view::npos
             ? std::string(value)
             : std::string(value.substr(colon + 1));
}

// The CoachLink of a stored value; linked_at 0 when it does not parse.
coach::v1::CoachLink LinkOf(absl::string_view person, absl::string_view coach,
                            absl::string_view value) {
  coach::v1::CoachLink link;
  link.set_person_id(std::string(person));
  link.set_coach_id(std::string(coach));
  int64_t micros = 0;
  if (!absl::SimpleAtoi(value.substr(0, value.find(':')), &micros)) micros = 0;
  link.mutable_linked_at()->set_seconds(micros / 1000000);
  link.mutable_linked_at()->set_nanos(static_cast<int32_t>(micros % 1000000) *
                                      1000);
  return link;
}

// Parses "<nonce> <len> <person><coach>"; false when malformed.
bool ParseUnlinked(absl::string_view message, std::string* nonce,
                   std::string* person, std::string* coach) {
  const size_t first = message.find(' ');
  if (first == absl::string_view::npos) return false;
  const size_t second = message.find(' ', first + 1);
  if (second == absl::string_view::npos) return false;
  size_t length = 0;
  if (!absl::SimpleAtoi(message.substr(first + 1, second - first - 1),
                        &length) ||
      second + 1 + length > message.size()) {
    return false;
  }
  *nonce = std::string(message.substr(0, first));
  *person = std::string(message.substr(second + 1, length));
  *coach = std::string(message.substr(second + 1 + length));
  return true;
}

}  // namespace

std::string RedisCoachKeys::Coach(absl::string_view coach,
                                  absl::string_view what) const {
  return absl::StrCat(prefix_, ":{coach:", coach, "}:", what);
}

std::string RedisCoachKeys::Person(absl::string_view person,
                                   absl::string_view what) const {
  return absl::StrCat(prefix_, ":{person:", person, "}:", what);
}

std::string RedisCoachKeys::Coaches(absl::string_view person) const {
  return Person(person, "coaches");
}
std::string RedisCoachKeys::Clients(absl::string_view coach) const {
  return Coach(coach, "clients");
}
std::string RedisCoachKeys::UnlinkChannel() const {
  return absl::StrCat(prefix_, ":coach:unlinked");
}
std::string RedisCoachKeys::LinkCode(absl::string_view code_hash) const {
  return absl::StrCat(prefix_, ":linkcode:", code_hash);
}
std::string RedisCoachKeys::Board(absl::string_view coach) const {
  return Coach(coach, "board");
}
std::string RedisCoachKeys::BoardMeta(absl::string_view coach) const {
  return Coach(coach, "meta");
}
std::string RedisCoachKeys::BoardRows(absl::string_view coach) const {
  return Coach(coach, "rows");
}
std::string RedisCoachKeys::BoardSeen(absl::string_view coach) const {
  return Coach(coach, "seen");
}
std::string RedisCoachKeys::BoardEnded(absl::string_view coach) const {
  return Coach(coach, "ended");
}
std::string RedisCoachKeys::OwnBoard(absl::string_view person,
                                     absl::string_view what) const {
  return Person(person, absl::StrCat("own-", what));
}
std::string RedisCoachKeys::PersonLive(absl::string_view person) const {
  return Person(person, "live");
}
std::string RedisCoachKeys::PersonEnded(absl::string_view person) const {
  return Person(person, "ended");
}

// The subscriber: one thread, one hiredis context in subscribed mode, woken
// for stopping through a pipe. Reconnects with backoff.
class RedisCoachLinkStore::Listener {
 public:
  Listener(RedisCoachLinkStore* links, std::string channel)
      : links_(links), channel_(std::move(channel)) {
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
    thread_ = std::thread([this] { Run(); });
  }

  ~Listener() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    if (wake_[1] >= 0) {
      const char byte = 1;
      (void)!::write(wake_[1], &byte, 1);
    }
    thread_.join();
    for (int fd : wake_) {
      if (fd >= 0) ::close(fd);
    }
  }

  int64_t subscriptions() const {
    absl::MutexLock lock(&mu_);
    return subscriptions_;
  }

 private:
  bool Stopped() const {
    absl::MutexLock lock(&mu_);
    return stop_;
  }

  void Run() {
    const RedisClientOptions& o = links_->client_->options();
    absl::Duration backoff = absl::ZeroDuration();
    bool failing = false;
    while (!Stopped()) {
      bool subscribed = false;
      const std::string error = Session(&subscribed);
      if (Stopped()) return;
      if (subscribed) {  // It worked for a while: retry at once, say so.
        backoff = absl::ZeroDuration();
        failing = false;
      }
      if (!failing) {
        LogWarning(absl::StrCat("coach unlink listener: redis at ",
                                o.address.ToString(), ": ", error,
                                "; reconnecting"));
      }
      failing = true;
      backoff = backoff == absl::ZeroDuration()
                    ? o.min_backoff
                    : std::min(backoff * 2, o.max_backoff);
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stop_), backoff);
    }
  }

  // Connects, subscribes and handles messages until the connection fails
  // or the listener stops. Returns why it ended; `*subscribed` says whether
  // it got as far as subscribing.
  std::string Session(bool* subscribed_out) {
    const RedisClientOptions& o = links_->client_->options();
    absl::StatusOr<redisContext*> opened =
        OpenRedisContext(o.address, o.connect_timeout, o.command_timeout);
    if (!opened.ok()) {
      return absl::StrCat("cannot connect: ", opened.status().message());
    }
    redisContext* c = *opened;
    std::unique_ptr<redisContext, void (*)(redisContext*)> context(c,
                                                                   redisFree);
    if (!Send(c, {"SUBSCRIBE", channel_})) return "SUBSCRIBE: connection lost";
    bool subscribed = false;
    bool verified = false;
    bool awaiting_pong = false;
    const int ping_ms = static_cast<int>(std::max<int64_t>(
        10, absl::ToInt64Milliseconds(links_->options_.listener_ping)));
    for (;;) {
      if (subscribed && !verified) verified = links_->Subscribed();
      pollfd fds[2] = {{c->fd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      // Unverified watches are checked again soon.
      const int wait =
          subscribed && !verified ? std::min(ping_ms, 200) : ping_ms;
      const int ready = ::poll(fds, wake_[0] >= 0 ? 2 : 1, wait);
      if (Stopped()) return "stopped";
      if (ready < 0) continue;  // EINTR.
      if (ready == 0) {
        if (!subscribed || awaiting_pong) {
          return subscribed ? "no answer to PING" : "no answer to SUBSCRIBE";
        }
        if (!verified) continue;
        if (!Send(c, {"PING"})) return "PING: connection lost";
        awaiting_pong = true;
        continue;
      }
      if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      if (redisBufferRead(c) != REDIS_OK) {
        return subscribed ? "connection lost" : c->errstr;
      }
      for (;;) {
        void* raw = nullptr;
        if (redisGetReplyFromReader(c, &raw) != REDIS_OK) {
          return "unreadable reply";
        }
        if (raw == nullptr) break;
        RedisReply reply(static_cast<redisReply*>(raw));
        awaiting_pong = false;  // Any traffic shows the connection lives.
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2) continue;
        const absl::string_view kind = ReplyText(*reply->element[0]);
        if (kind == "subscribe") {
          subscribed = true;
          *subscribed_out = true;
          verified = false;
          absl::MutexLock lock(&mu_);
          ++subscriptions_;
        } else if (kind == "message" && reply->elements >= 3) {
          std::string nonce, person, coach;
          if (ParseUnlinked(ReplyText(*reply->element[2]), &nonce, &person,
                            &coach)) {
            links_->Unlinked({person, coach}, nonce);
          } else {
            LogWarning(
                absl::StrCat("coach unlink listener: malformed message "
                             "on ",
                             channel_));
          }
        }
      }
    }
  }

  // Writes one command (blocking; it is small). MSG_NOSIGNAL: a server
  // that went away is an error here, never a SIGPIPE.
  static bool Send(redisContext* c, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const std::string& arg : args) {
      argv.push_back(arg.data());
      lens.push_back(arg.size());
    }
    char* command = nullptr;
    const int length = redisFormatCommandArgv(
        &command, static_cast<int>(argv.size()), argv.data(), lens.data());
    if (length < 0) return false;
    std::unique_ptr<char, void (*)(char*)> owned(command, redisFreeCommand);
    for (int sent = 0; sent < length;) {
      const ssize_t n =
          ::send(c->fd, command + sent, length - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      sent += static_cast<int>(n);
    }
    return true;
  }

  RedisCoachLinkStore* const links_;
  const std::string channel_;
  int wake_[2] = {-1, -1};
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  int64_t subscriptions_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

// Unregisters its callback when destroyed.
class RedisCoachLinkStore::Watch : public AccessWatch {
 public:
  Watch(RedisCoachLinkStore* links, Pair pair, uint64_t id)
      : links_(links), pair_(std::move(pair)), id_(id) {}
  ~Watch() override { links_->Forget(pair_, id_); }

 private:
  RedisCoachLinkStore* links_;
  const Pair pair_;
  const uint64_t id_;
};

RedisCoachLinkStore::RedisCoachLinkStore(RedisClient* client,
                                         RedisCoachLinkStoreOptions options)
    : client_(client),
      options_(std::move(options)),
      keys_(options_.key_prefix) {
  listener_ = std::make_unique<Listener>(this, keys_.UnlinkChannel());
}

RedisCoachLinkStore::~RedisCoachLinkStore() { listener_.reset(); }

absl::StatusOr<bool> RedisCoachLinkStore::Link(absl::string_view person,
                                               absl::string_view coach,
                                               absl::Time at) {
  const std::string value =
      absl::StrCat(absl::ToUnixMicros(at), ":", RandomId(8));
  absl::StatusOr<RedisReply> reply =
      client_->Eval(LinkScript(), {keys_.Coaches(person), keys_.Clients(coach)},
                    {std::string(person), std::string(coach), value}, "link");
  if (!reply.ok()) return reply.status();
  const redisReply& r = **reply;
  return r.type == REDIS_REPLY_INTEGER && r.integer == 1;
}

absl::StatusOr<bool> RedisCoachLinkStore::Unlink(absl::string_view person,
                                                 absl::string_view coach) {
  absl::StatusOr<RedisReply> reply = client_->Eval(
      UnlinkScript(), {keys_.Coaches(person), keys_.Clients(coach)},
      {std::string(person), std::string(coach), keys_.UnlinkChannel()},
      "unlink");
  if (!reply.ok()) return reply.status();
  const redisReply& r = **reply;
  if (r.type != REDIS_REPLY_STRING) return false;
  // This process's watches now; the others' when the message reaches them.
  Unlinked({std::string(person), std::string(coach)}, NonceOf(ReplyText(r)));
  return true;
}

absl::Status RedisCoachLinkStore::PutLinkCode(absl::string_view code_hash,
                                              absl::string_view coach,
                                              absl::Time now,
                                              absl::Time expires) {
  COACHD_DCHECK(expires > now, "a link code must expire after now");
  const int64_t ttl_ms =
      std::max<int64_t>(1, absl::ToInt64Milliseconds(expires - now));
  absl::StatusOr<RedisReply> reply =
      client_->Call({"SET", keys_.LinkCode(code_hash),
                     absl::StrCat(absl::ToUnixMicros(expires), " ", coach),
                     "PX", absl::StrCat(ttl_ms), "NX"});
  if (!reply.ok()) return reply.status();
  if (IsNil(**reply)) {
    return absl::AlreadyExistsError("link code: one with this hash is kept");
  }
  return CheckReply(client_->address(), "SET", **reply);
}

absl::StatusOr<std::string> RedisCoachLinkStore::TakeLinkCode(
    absl::string_view code_hash, absl::Time now) {
  absl::StatusOr<RedisReply> reply =
      client_->Call({"GETDEL", keys_.LinkCode(code_hash)});
  if (!reply.ok()) return reply.status();
  if (IsNil(**reply)) {
    return absl::NotFoundError("link code: unknown, used or expired");
  }
  absl::StatusOr<absl::string_view> value =
      ReplyString(client_->address(), "GETDEL", **reply);
  if (!value.ok()) return value.status();
  const size_t space = value->find(' ');
  int64_t expires_us = 0;
  if (space == absl::string_view::npos ||
      !absl::SimpleAtoi(value->substr(0, space), &expires_us)) {
    return absl::DataLossError(absl::StrCat(
        "redis at ", client_->address().ToString(), ": link code record '",
        *value, "' is not '<expires_us> <coach>'"));
  }
  if (absl::FromUnixMicros(expires_us) <= now) {
    return absl::NotFoundError("link code: expired");
  }
  return std::string(value->substr(space + 1));
}

absl::StatusOr<std::optional<std::string>> RedisCoachLinkStore::ReadLink(
    absl::string_view person, absl::string_view coach) {
  absl::StatusOr<RedisReply> reply =
      client_->Call({"HGET", keys_.Coaches(person), std::string(coach)});
  if (!reply.ok()) return reply.status();
  const redisReply& r = **reply;
  if (r.type != REDIS_REPLY_STRING) return std::optional<std::string>();
  return std::optional<std::string>(std::string(ReplyText(r)));
}

absl::StatusOr<bool> RedisCoachLinkStore::IsLinked(absl::string_view person,
                                                   absl::string_view coach) {
  absl::StatusOr<std::optional<std::string>> value = ReadLink(person, coach);
  if (!value.ok()) return value.status();
  return value->has_value();
}

absl::StatusOr<std::vector<coach::v1::CoachLink>>
RedisCoachLinkStore::ReadLinks(const std::string& key, absl::string_view id,
                               bool of_person) {
  absl::StatusOr<RedisReply> reply = client_->Call({"HGETALL", key});
  if (!reply.ok()) return reply.status();
  const redisReply& r = **reply;
  absl::Status array = CheckArray(client_->address(), "HGETALL", r);
  if (!array.ok()) return array;
  std::vector<coach::v1::CoachLink> links;
  for (size_t i = 0; i + 1 < r.elements; i += 2) {
    const std::string other(ReplyText(*r.element[i]));
    const std::string at(ReplyText(*r.element[i + 1]));
    links.push_back(of_person ? LinkOf(id, other, at) : LinkOf(other, id, at));
  }
  // Sorted by the other side's id.
  std::sort(links.begin(), links.end(),
            [of_person](const coach::v1::CoachLink& a,
                        const coach::v1::CoachLink& b) {
              return of_person ? a.coach_id() < b.coach_id()
                               : a.person_id() < b.person_id();
            });
  return links;
}

absl::StatusOr<std::vector<coach::v1::CoachLink>>
RedisCoachLinkStore::CoachesOf(absl::string_view person) {
  return ReadLinks(keys_.Coaches(person), person, /*of_person=*/true);
}

absl::StatusOr<std::vector<coach::v1::CoachLink>>
RedisCoachLinkStore::ClientsOf(absl::string_view coach) {
  return ReadLinks(keys_.Clients(coach), coach, /*of_person=*/false);
}

absl::StatusOr<std::unique_ptr<AccessWatch>> RedisCoachLinkStore::WatchUnlink(
    absl::string_view person, absl::string_view coach,
    std::function<void()> on_unlinked) {
  Pair pair{std::string(person), std::string(coach)};
  uint64_t id = 0;
  int64_t generation = 0;
  {
    absl::MutexLock lock(&mu_);
    id = next_watch_id_++;
    watches_[pair][id].callback = std::move(on_unlinked);
    generation = generation_;
  }
  // Registered before reading: an unlink after the read reaches the watch
  // (by message, or by the check after a resubscription).
  constexpr int kAttempts = 5;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    absl::StatusOr<std::optional<std::string>> value = ReadLink(person, coach);
    if (!value.ok() || !value->has_value()) {
      Forget(pair, id);
      if (!value.ok()) return value.status();
      return absl::PermissionDeniedError(
          absl::StrCat("coach ", coach, " is not linked to ", person));
    }
    const std::string nonce = NonceOf(**value);
    absl::MutexLock lock(&mu_);
    WatchEntry& entry = watches_[pair][id];
    if (std::find(entry.unlinked.begin(), entry.unlinked.end(), nonce) !=
        entry.unlinked.end()) {
      // Unlinked between the read and now.
      auto it = watches_.find(pair);
      it->second.erase(id);
      if (it->second.empty()) watches_.erase(it);
      return absl::PermissionDeniedError(
          absl::StrCat("coach ", coach, " is not linked to ", person));
    }
    if (generation_ != generation) {
      // The listener resubscribed during the read: messages may have been
      // lost before, and its check did not cover this watch. Read again.
      generation = generation_;
      continue;
    }
    entry.nonce = nonce;
    entry.unlinked.clear();
    return std::unique_ptr<AccessWatch>(new Watch(this, std::move(pair), id));
  }
  Forget(pair, id);
  return absl::UnavailableError(
      absl::StrCat("redis at ", client_->address().ToString(),
                   ": the coach link listener keeps reconnecting; try again"));
}

void RedisCoachLinkStore::Unlinked(const Pair& pair, const std::string& nonce) {
  absl::MutexLock lock(&mu_);
  auto it = watches_.find(pair);
  if (it == watches_.end()) return;
  std::vector<std::function<void()>> callbacks;
  for (auto w = it->second.begin(); w != it->second.end();) {
    if (w->second.nonce.empty()) {
      w->second.unlinked.push_back(nonce);
      ++w;
    } else if (w->second.nonce == nonce) {
      callbacks.push_back(std::move(w->second.callback));
      w = it->second.erase(w);
    } else {
      ++w;  // A later link of the same pair.
    }
  }
  if (it->second.empty()) watches_.erase(it);
  for (auto& callback : callbacks) callback();
}

bool RedisCoachLinkStore::Subscribed() {
  std::vector<std::pair<Pair, std::string>> settled;  // Pair, nonce.
  {
    absl::MutexLock lock(&mu_);
    ++generation_;
    for (const auto& [pair, entries] : watches_) {
      for (const auto& [id, entry] : entries) {
        if (!entry.nonce.empty()) settled.emplace_back(pair, entry.nonce);
      }
    }
  }
  if (settled.empty()) return true;
  std::vector<RedisCommand> reads;
  for (const auto& [pair, nonce] : settled) {
    reads.push_back({"HGET", keys_.Coaches(pair.first), pair.second});
  }
  absl::StatusOr<std::vector<RedisReply>> replies = client_->Pipeline(reads);
  if (!replies.ok()) {
    LogWarning(absl::StrCat("coach unlink listener: cannot check links: ",
                            replies.status().message()));
    return false;
  }
  for (size_t i = 0; i < settled.size(); ++i) {
    const redisReply& r = *(*replies)[i];
    if (r.type == REDIS_REPLY_ERROR) return false;
    const bool same = r.type == REDIS_REPLY_STRING &&
                      NonceOf(ReplyText(r)) == settled[i].second;
    if (!same) Unlinked(settled[i].first, settled[i].second);
  }
  return true;
}

void RedisCoachLinkStore::Forget(const Pair& pair, uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = watches_.find(pair);
  if (it == watches_.end()) return;
  it->second.erase(id);
  if (it->second.empty()) watches_.erase(it);
}

int RedisCoachLinkStore::WatchCountForTest() const {
  absl::MutexLock lock(&mu_);
  int count = 0;
  for (const auto& [pair, entries] : watches_) {
    count += static_cast<int>(entries.size());
  }
  return count;
}

int64_t RedisCoachLinkStore::SubscriptionsForTest() const {
  return listener_->subscriptions();
}

}  // namespace coachd
