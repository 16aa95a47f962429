#include "services/redis/redis_script.h"

#include <openssl/sha.h>

#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/redis/redis_reply.h"

namespace coachd {
namespace {

std::string Sha1Hex(absl::string_view text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(),
       digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

}  // namespace

const RedisScript& RedisScript::Of(const char* source) {
  static absl::Mutex mu(absl::kConstInit);
  static auto* scripts =
      new absl::flat_hash_map<const char*, std::unique_ptr<RedisScript>>();
  absl::MutexLock lock(&mu);
  std::unique_ptr<RedisScript>& script = (*scripts)[source];
  if (script == nullptr) script = std::make_unique<RedisScript>(source);
  return *script;
}

RedisScript::RedisScript(std::string source)
    : source_(std::move(source)), sha_(Sha1Hex(source_)) {}

RedisCommand RedisScript::Call(const std::vector<std::string>& keys,
                               const std::vector<std::string>& args) const {
  RedisCommand command = {"EVALSHA", sha_, absl::StrCat(keys.size())};
  command.insert(command.end(), keys.begin(), keys.end());
  command.insert(command.end(), args.begin(), args.end());
  return command;
}

absl::StatusOr<std::vector<RedisReply>> RedisScript::Run(
    RedisConnection* connection, const std::vector<const RedisScript*>& scripts,
    std::vector<RedisCommand> calls) {
  absl::StatusOr<std::vector<RedisReply>> replies = connection->Pipeline(calls);
  if (!replies.ok()) return replies.status();
  std::vector<size_t> missing;
  std::vector<RedisCommand> again;
  for (size_t i = 0; i < replies->size(); ++i) {
    const redisReply& r = *(*replies)[i];
    if (i < scripts.size() && scripts[i] != nullptr &&
        r.type == REDIS_REPLY_ERROR &&
        absl::StartsWith(ReplyText(r), "NOSCRIPT")) {
      missing.push_back(i);
      RedisCommand eval = std::move(calls[i]);
      eval[0] = "EVAL";
      eval[1] = scripts[i]->source_;
      again.push_back(std::move(eval));
    }
  }
  if (again.empty()) return replies;
  absl::StatusOr<std::vector<RedisReply>> retried = connection->Pipeline(again);
  if (!retried.ok()) return retried.status();
  for (size_t j = 0; j < missing.size(); ++j) {
    (*replies)[missing[j]] = std::move((*retried)[j]);
  }
  return replies;
}

}  // namespace coachd
