// The Redis store: live sessions in Redis, shared by every coachd replica.
//
// Keys of session S (hash tag {S}: one Redis Cluster slot per session):
//   PREFIX:{S}:state   hash: record (SessionRecord bytes), seq (last
//                      sequence), epoch, hist (replication id of the
//                      server that wrote it: failovers, see below)
//   PREFIX:{S}:events  stream: one entry per commit (one per
//                      kMaxEventsPerEntry events of a bigger one), id "<its
//                      last sequence>-0", field "b" = the events as an
//                      EventBatch (older entries: field "e" = one
//                      SessionEvent); entries more than max_history events
//                      behind are trimmed (XADD MINID ~)
// and one global key, PREFIX:live, a sorted set of unfinished session ids
// (score: created_us) for ListLive. Create and Commit run one Lua script that
// checks the expected sequence, writes the record, appends the events and
// updates the live set atomically, then publishes "<last sequence> <session
// id>" on the channel PREFIX:commits; finished sessions expire after
// finished_ttl. The live set sits in its own slot, so on Redis Cluster the
// script would need its live-set update moved out (see docs); on one Redis
// (with replicas) it is exact. After a failover (a promoted replica may lack
// a session's last events, which devices may have got) the first commit of
// each session moves it to a new epoch: devices get a not-recovered
// snapshot, never events that differ from those they saw. A restart from
// the AOF keeps the epoch. See docs/OPERATIONS.md for what it costs.
//
//   RedisClient client(RedisClientOptions{*ParseRedisUrl("redis://...")});
//   auto store = std::make_unique<RedisSessionStore>(&client,
//   RedisSessionStoreOptions{}); absl::StatusOr<std::vector<StoredEvent>>
//   stored =
//       store->Create(&record, std::move(events));
//
// Follow costs no thread or connection per session (see redis_followers.h):
// this store's own commits reach its followers directly, other replicas'
// through one subscriber connection per store and XRANGE reads.
#ifndef SERVICES_STORE_REDIS_SESSION_STORE_H_
#define SERVICES_STORE_REDIS_SESSION_STORE_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/redis/redis_client.h"
#include "services/store/recent_events.h"
#include "services/store/redis_followers.h"
#include "services/store/session_store.h"

namespace coachd {

// Options of RedisSessionStore.
struct RedisSessionStoreOptions {
  std::string key_prefix = "coachd";  // Keys start with "PREFIX:".
  int max_history = 10000;            // Events kept per session, about.
  absl::Duration finished_ttl = absl::Hours(24);  // Then the session expires.
  // How long the Follow subscriber waits for a message before it checks
  // whether to stop; bounds destroying the store if waking it fails.
  absl::Duration follow_block = absl::Seconds(1);
  // The newest events this store wrote, kept in process so that history
  // reads (a device joining, a hub channel seeding its window) need not
  // parse them back from Redis; max_sessions 0 turns it off.
  RecentEventsOptions recent;
};

// What the store's client has sent to Redis since it was made (commands,
// round trips and connects count every store on the client), and what the
// store's own followers and cache did.
struct RedisSessionStoreStats {
  int64_t commands = 0;     // Commands, counting each one in a pipeline.
  int64_t round_trips = 0;  // Replies waited for (a pipeline is one).
  int64_t connects = 0;     // Connections made (pool and subscriber).
  int64_t subscribes = 0;   // Follow subscriptions made (first, reconnects).
  // Round trips reading events for followers that were behind (another
  // replica's commits, catch-ups after a reconnect); included in round_trips.
  int64_t catch_up_reads = 0;
  // Events ReadHistory returned from this store's own recent writes
  // instead of from Redis.
  int64_t recent_hits = 0;
};

// SessionStore on Redis. Thread-safe. Calls borrow one of the client's
// connections; Follow, once used, adds one subscriber connection and two
// threads per store, however many sessions are followed. While Redis is
// unreachable every call fails fast with UNAVAILABLE "redis at ADDR
// unreachable: REASON" and recovers by itself when Redis is back.
class RedisSessionStore : public SessionStore {
 public:
  // A commit of more events than this is stored as several stream entries.
  static constexpr int kMaxEventsPerEntry = 1000;

  // `client` must outlive the store.
  RedisSessionStore(RedisClient* client, RedisSessionStoreOptions options);
  ~RedisSessionStore() override;
  RedisSessionStore(const RedisSessionStore&) = delete;
  RedisSessionStore& operator=(const RedisSessionStore&) = delete;

  // One script round trip (two the first time a connection meets a Redis
  // that has not cached the script). The events go to this store's
  // followers of the session on the calling thread before this returns.
  // The events returned keep the bytes sent to Redis as their wire form.
  // They are the objects the write hands to this store's followers;
  // ReadHistory, catch-up reads and other replicas give equal ones (same
  // content and sequences) parsed from Redis.
  absl::StatusOr<std::vector<StoredEvent>> Create(
      coach::internal::SessionRecord* record,
      std::vector<coach::v1::SessionEvent> events) override;
  absl::StatusOr<coach::internal::SessionRecord> Load(
      absl::string_view session_id) override;
  // As Create. If record->epoch() is not the stored epoch, the stored one is
  // used (one more round trip), as the embedded store does. The first
  // commit of a session after a failover goes into a new epoch (one more
  // round trip; logged).
  absl::StatusOr<std::vector<StoredEvent>> Commit(
      int64_t expected_sequence, coach::internal::SessionRecord* record,
      std::vector<coach::v1::SessionEvent> events) override;
  // One pipelined round trip (the state and the range). Events this store
  // wrote itself and still keeps (RedisSessionStoreOptions::recent) come from
  // memory, as the objects its writes returned; Redis is read only for the
  // rest. No round trip at all when the kept events fill the request
  // (last_sequence is then the last of them: the session may have more), or
  // reach the end of a session this store finished, until finished_ttl after
  // that write (its state cannot change). Callers load the record first,
  // which finds an expired or deleted session gone.
  absl::StatusOr<HistoryRead> ReadHistory(absl::string_view session_id,
                                          absl::string_view epoch,
                                          int64_t after_sequence,
                                          int max_events) override;
  // NOT_FOUND for an unknown session (checked once, at the call, in one
  // round trip that also reads the stored events after `after_sequence`:
  // those are delivered on the calling thread before this returns). Then
  // each event once, in order: this store's commits on the committing
  // thread (no Redis read), other replicas' on the store's catch-up thread,
  // and after a lost subscription whatever was missed, read from Redis.
  // Destroying the handle only unregisters it (waiting for a listener call
  // in progress, if any); never destroy it inside its own listener.
  absl::StatusOr<std::unique_ptr<FollowHandle>> Follow(
      absl::string_view session_id, int64_t after_sequence,
      EventListener* listener) override;
  absl::StatusOr<std::vector<std::string>> ListLive() override;
  absl::Status Ping() override;

  // Counters of what was sent to Redis.
  RedisSessionStoreStats Stats() const;

  // The keys of a session, for tests and tools.
  std::string StateKey(absl::string_view session_id) const;
  std::string EventsKey(absl::string_view session_id) const;
  std::string LiveKey() const;
  // The channel the write script publishes commits on.
  std::string CommitsChannel() const;

 private:
  // Runs the create/commit script; see the .cc.
  absl::StatusOr<std::vector<StoredEvent>> Write(
      bool create, int64_t expected_sequence,
      coach::internal::SessionRecord* record,
      std::vector<coach::v1::SessionEvent> events);
  RedisFollowersOptions FollowersOptions() const;

  RedisClient* const client_;
  const RedisSessionStoreOptions options_;
  RedisFollowers followers_;  // Its threads use the client.
  RecentEvents recent_;
  std::atomic<int64_t> recent_hits_{0};
};

}  // namespace coachd

#endif  // SERVICES_STORE_REDIS_SESSION_STORE_H_
