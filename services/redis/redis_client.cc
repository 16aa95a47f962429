#include "services/redis/redis_client.h"

#include <algorithm>
#include <utility>

namespace coachd {

RedisClient::RedisClient(RedisClientOptions options)
    : options_(std::move(options)),
      pool_(ConnectionOptions(options_.command_timeout),
            std::max(1, options_.pool_size)) {}

RedisConnectionOptions RedisClient::ConnectionOptions(
    absl::Duration command_timeout) const {
  RedisConnectionOptions c;
  c.address = options_.address;
  c.connect_timeout = options_.connect_timeout;
  c.command_timeout = command_timeout;
  c.min_backoff = options_.min_backoff;
  c.max_backoff = options_.max_backoff;
  c.counters = &counters_;
  return c;
}

absl::StatusOr<RedisReply> RedisClient::Call(const RedisCommand& command) {
  absl::StatusOr<RedisReply> reply = pool_.Acquire()->Command(command);
  if (!reply.ok()) return reply.status();
  absl::Status checked =
      CheckReply(options_.address, command.empty() ? "" : command[0], **reply);
  if (!checked.ok()) return checked;
  return reply;
}

absl::StatusOr<std::vector<RedisReply>> RedisClient::Pipeline(
    const std::vector<RedisCommand>& commands) {
  return pool_.Acquire()->Pipeline(commands);
}

absl::StatusOr<RedisReply> RedisClient::Eval(
    const RedisScript& script, const std::vector<std::string>& keys,
    const std::vector<std::string>& args, absl::string_view what) {
  absl::StatusOr<std::vector<RedisReply>> replies =
      RunScripts({&script}, {script.Call(keys, args)});
  if (!replies.ok()) return replies.status();
  RedisReply reply = std::move(replies->front());
  absl::Status checked = CheckReply(options_.address, what, *reply);
  if (!checked.ok()) return checked;
  return reply;
}

absl::StatusOr<std::vector<RedisReply>> RedisClient::RunScripts(
    const std::vector<const RedisScript*>& scripts,
    std::vector<RedisCommand> calls) {
  RedisPool::Lease conn = pool_.Acquire();
  return RedisScript::Run(&*conn, scripts, std::move(calls));
}

RedisClientStats RedisClient::Stats() const {
  RedisClientStats s;
  s.commands = counters_.commands.load();
  s.round_trips = counters_.round_trips.load();
  s.connects = counters_.connects.load();
  s.errors = counters_.errors.load();
  return s;
}

}  // namespace coachd
