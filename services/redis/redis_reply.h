// Reading hiredis replies: their text, their elements, and an error reply
// (or a reply of the wrong type) as an absl::Status naming the Redis and
// the command. Every Redis store reads replies through these.
//
//   absl::StatusOr<RedisReply> reply = client.Call({"HGET", key, "record"});
//   if (!reply.ok()) return reply.status();  // Unreachable or an error reply.
//   if (IsNil(**reply)) return absl::NotFoundError(...);
//   absl::StatusOr<absl::string_view> text =
//       ReplyString(client.address(), "HGET", **reply);
#ifndef SERVICES_REDIS_REDIS_REPLY_H_
#define SERVICES_REDIS_REDIS_REPLY_H_

#include <hiredis/hiredis.h>

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/redis/redis_url.h"

namespace coachd {

// The bytes of a string, status or error reply; empty for any other type.
absl::string_view ReplyText(const redisReply& reply);

// True for a bulk string or a status reply ("OK").
bool IsStringReply(const redisReply& reply);

// True for a nil reply (a missing key or field).
bool IsNil(const redisReply& reply);

// The text of element `i` of an array reply; empty when `reply` is not an
// array, has no element `i`, or that element is not a string.
absl::string_view ElementText(const redisReply& reply, size_t i);

// The status for an error reply to `command`: UNAVAILABLE while Redis loads,
// is busy or cannot accept writes (LOADING, BUSY, MASTERDOWN, READONLY,
// TRYAGAIN, CLUSTERDOWN), RESOURCE_EXHAUSTED when out of memory (OOM),
// INTERNAL otherwise. The message names the address and the command.
// `reply` must be an error reply.
absl::Status RedisErrorStatus(const RedisAddress& address,
                              absl::string_view command,
                              const redisReply& reply);

// OK unless `reply` is an error reply (then RedisErrorStatus).
absl::Status CheckReply(const RedisAddress& address, absl::string_view command,
                        const redisReply& reply);

// The text of a string reply. The error of an error reply; INTERNAL naming
// the command when the reply has another type (nil included: check IsNil
// first where a missing value is expected).
absl::StatusOr<absl::string_view> ReplyString(const RedisAddress& address,
                                              absl::string_view command,
                                              const redisReply& reply);

// The value of an integer reply; errors as ReplyString.
absl::StatusOr<int64_t> ReplyInteger(const RedisAddress& address,
                                     absl::string_view command,
                                     const redisReply& reply);

// OK when `reply` is an array (its elements may be anything); errors as
// ReplyString. An empty array is an array; nil is not.
absl::Status CheckArray(const RedisAddress& address, absl::string_view command,
                        const redisReply& reply);

}  // namespace coachd

#endif  // SERVICES_REDIS_REDIS_REPLY_H_
