#include "services/redis/redis_reply.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace coachd {
namespace {

const char* TypeName(const redisReply& reply) {
  switch (reply.type) {
    case REDIS_REPLY_STRING:
      return "a string";
    case REDIS_REPLY_ARRAY:
      return "an array";
    case REDIS_REPLY_INTEGER:
      return "an integer";
    case REDIS_REPLY_NIL:
      return "nil";
    case REDIS_REPLY_STATUS:
      return "a status";
    case REDIS_REPLY_ERROR:
      return "an error";
    default:
      return "an unexpected type";
  }
}

absl::Status WrongType(const RedisAddress& address, absl::string_view command,
                       const redisReply& reply, absl::string_view wanted) {
  return absl::InternalError(absl::StrCat("redis at ", address.ToString(), ": ",
                                          command, ": expected ", wanted,
                                          " reply, got ", TypeName(reply)));
}

}  // namespace

absl::string_view ReplyText(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_STRING && reply.type != REDIS_REPLY_STATUS &&
      reply.type != REDIS_REPLY_ERROR) {
    return "";
  }
  return absl::string_view(reply.str == nullptr ? "" : reply.str, reply.len);
}

bool IsStringReply(const redisReply& reply) {
  return reply.type == REDIS_REPLY_STRING || reply.type == REDIS_REPLY_STATUS;
}

bool IsNil(const redisReply& reply) { return reply.type == REDIS_REPLY_NIL; }

absl::string_view ElementText(const redisReply& reply, size_t i) {
  if (reply.type != REDIS_REPLY_ARRAY || i >= reply.elements) return "";
  const redisReply& element = *reply.element[i];
  return IsStringReply(element) ? ReplyText(element) : "";
}

absl::Status RedisErrorStatus(const RedisAddress& address,
                              absl::string_view command,
                              const redisReply& reply) {
  const absl::string_view text = ReplyText(reply);
  const std::string message =
      absl::StrCat("redis at ", address.ToString(), ": ", command, ": ", text);
  for (absl::string_view transient : {"LOADING", "BUSY", "MASTERDOWN",
                                      "READONLY", "TRYAGAIN", "CLUSTERDOWN"}) {
    if (absl::StartsWith(text, transient)) {
      return absl::UnavailableError(message);
    }
  }
  if (absl::StartsWith(text, "OOM")) {
    return absl::ResourceExhaustedError(message);
  }
  // Credentials missing or refused (requirepass, ACL): --redis_password_file.
  for (absl::string_view denied : {"NOAUTH", "WRONGPASS", "NOPERM"}) {
    if (absl::StartsWith(text, denied)) {
      return absl::PermissionDeniedError(message);
    }
  }
  return absl::InternalError(message);
}

absl::Status CheckReply(const RedisAddress& address, absl::string_view command,
                        const redisReply& reply) {
  if (reply.type == REDIS_REPLY_ERROR) {
    return RedisErrorStatus(address, command, reply);
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::string_view> ReplyString(const RedisAddress& address,
                                              absl::string_view command,
                                              const redisReply& reply) {
  absl::Status checked = CheckReply(address, command, reply);
  if (!checked.ok()) return checked;
  if (!IsStringReply(reply))
    return WrongType(address, command, reply, "a string");
  return ReplyText(reply);
}

absl::StatusOr<int64_t> ReplyInteger(const RedisAddress& address,
                                     absl::string_view command,
                                     const redisReply& reply) {
  absl::Status checked = CheckReply(address, command, reply);
  if (!checked.ok()) return checked;
  if (reply.type != REDIS_REPLY_INTEGER) {
    return WrongType(address, command, reply, "an integer");
  }
  return static_cast<int64_t>(reply.integer);
}

absl::Status CheckArray(const RedisAddress& address, absl::string_view command,
                        const redisReply& reply) {
  absl::Status checked = CheckReply(address, command, reply);
  if (!checked.ok()) return checked;
  if (reply.type != REDIS_REPLY_ARRAY) {
    return WrongType(address, command, reply, "an array");
  }
  return absl::OkStatus();
}

}  // namespace coachd
