// A blocking connection to Redis (a hiredis context) that survives Redis
// going away: connect and command timeouts, a context that reports any error
// is dropped, and the next call makes a new one after a backoff. While Redis
// cannot be reached, calls fail fast with UNAVAILABLE "redis at ADDR
// unreachable: REASON". Also a small pool of such connections.
//
//   RedisConnection conn(RedisConnectionOptions{address});
//   absl::StatusOr<std::vector<RedisReply>> replies =
//       conn.Pipeline({{"HGET", "k", "f"}, {"XLEN", "s"}});  // one round trip
#ifndef SERVICES_REDIS_REDIS_CONNECTION_H_
#define SERVICES_REDIS_REDIS_CONNECTION_H_

#include <hiredis/hiredis.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/redis/redis_url.h"

namespace coachd {

// Frees a hiredis reply.
struct RedisReplyDeleter {
  void operator()(redisReply* reply) const;
};
// A reply; an error reply (type REDIS_REPLY_ERROR) is a reply too.
using RedisReply = std::unique_ptr<redisReply, RedisReplyDeleter>;

// One Redis command: its arguments, binary-safe.
using RedisCommand = std::vector<std::string>;

// Counts what a connection sends, for benchmarks. Thread-safe.
struct RedisCounters {
  std::atomic<int64_t> commands{0};     // Commands sent.
  std::atomic<int64_t> round_trips{0};  // Writes waited on for replies.
  std::atomic<int64_t> connects{0};     // Contexts made.
  // Failed connection attempts and connections that broke (each an
  // UNAVAILABLE "unreachable" status).
  std::atomic<int64_t> errors{0};
};

// Options of RedisConnection.
struct RedisConnectionOptions {
  RedisAddress address;
  absl::Duration connect_timeout = absl::Milliseconds(200);
  // How long a reply may take; a longer wait drops the context. A blocking
  // command (XREAD BLOCK) needs more than its own block time.
  absl::Duration command_timeout = absl::Seconds(1);
  // Wait between failed connection attempts: doubles from min to max.
  absl::Duration min_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(1);
  RedisCounters* counters = nullptr;  // Not owned; may be null.
};

// One hiredis context, made on first use and remade after errors. Not
// thread-safe, except Interrupt(): one thread at a time calls the rest.
class RedisConnection {
 public:
  explicit RedisConnection(RedisConnectionOptions options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends `commands` in one write and reads their replies, in order: one
  // round trip. Connects first if needed (an idle context that the server
  // closed is noticed and replaced before sending). UNAVAILABLE when Redis
  // cannot be reached (within a backoff after a failure, without trying) or
  // the exchange fails midway: then the commands may or may not have run.
  // PERMISSION_DENIED when Redis refuses the address's credentials.
  // CANCELLED after Interrupt(). Error replies are returned as replies; a
  // READONLY one (the server is a replica now) also drops the context, so
  // the next call connects again (to the new primary, via Sentinel).
  absl::StatusOr<std::vector<RedisReply>> Pipeline(
      const std::vector<RedisCommand>& commands);

  // Pipeline() of one command.
  absl::StatusOr<RedisReply> Command(const RedisCommand& command);

  // Reads the next reply the server sends unasked: a message on a channel
  // this connection subscribed to (Command({"SUBSCRIBE", ...})). A reply
  // already received is returned at once; else waits up to `wait` for one
  // to start arriving (the rest of it within the command timeout).
  // DEADLINE_EXCEEDED if none came (the connection stays as it was);
  // UNAVAILABLE when not connected or the connection broke (it is dropped:
  // connect and subscribe again); CANCELLED after Interrupt(). Sends
  // nothing and counts no command or round trip.
  absl::StatusOr<RedisReply> ReadPushed(absl::Duration wait);

  // Wakes a call blocked on the socket (from any thread); every call after
  // this fails with CANCELLED. Thread-safe.
  void Interrupt();

  // Earliest time a new connection attempt will be made (now or past when
  // connected or ready to try).
  absl::Time next_attempt() const { return next_attempt_; }

  const RedisAddress& address() const { return options_.address; }

 private:
  // Makes sure there is a live context.
  absl::Status Connect();
  // Frees the context; the next call connects again, after `backoff_`.
  void Drop();
  // Records a failure to reach Redis; returns the UNAVAILABLE to report.
  absl::Status Unreachable(absl::string_view reason, bool failed_connect);
  bool interrupted() const;

  const RedisConnectionOptions options_;
  const std::string address_text_;
  redisContext* context_ = nullptr;  // Owned; null when not connected.
  absl::Duration backoff_ = absl::ZeroDuration();
  absl::Time next_attempt_ = absl::InfinitePast();
  std::string last_error_;
  mutable absl::Mutex mu_;  // Guards what Interrupt() touches.
  int fd_ ABSL_GUARDED_BY(mu_) = -1;
  bool interrupted_ ABSL_GUARDED_BY(mu_) = false;
};

// A new hiredis context to `address` (no SELECT), made within
// `connect_timeout`, with `command_timeout` for each read and write and TCP
// keepalive on, authenticated (AUTH) when `address` has a password; for a
// sentinel:// address, to the primary the Sentinels name now
// (ConnectToPrimary, which may also say NOT_FOUND). The one place coachd
// opens a context. The caller owns it (redisFree). UNAVAILABLE with the
// reason ("Connection refused") when it cannot be made; PERMISSION_DENIED
// with Redis's reason ("WRONGPASS ...", never the password) when AUTH is
// refused.
absl::StatusOr<redisContext*> OpenRedisContext(const RedisAddress& address,
                                               absl::Duration connect_timeout,
                                               absl::Duration command_timeout);

// A fixed set of connections shared by threads. Thread-safe.
class RedisPool {
 public:
  // A connection taken from the pool; returned when destroyed.
  class Lease {
   public:
    Lease(RedisPool* pool, std::unique_ptr<RedisConnection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    ~Lease();
    Lease(Lease&&) = default;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    RedisConnection* operator->() { return connection_.get(); }
    RedisConnection& operator*() { return *connection_; }

   private:
    RedisPool* pool_;
    std::unique_ptr<RedisConnection> connection_;
  };

  // `size` (>= 1) connections, each made on first use.
  RedisPool(const RedisConnectionOptions& options, int size);
  RedisPool(const RedisPool&) = delete;
  RedisPool& operator=(const RedisPool&) = delete;

  // Takes a free connection, waiting while all are in use (each use is
  // bounded by the command timeout). The pool must outlive the lease.
  Lease Acquire();

 private:
  void Return(std::unique_ptr<RedisConnection> connection);

  absl::Mutex mu_;
  std::vector<std::unique_ptr<RedisConnection>> free_ ABSL_GUARDED_BY(mu_);
};

}  // namespace coachd

#endif  // SERVICES_REDIS_REDIS_CONNECTION_H_
