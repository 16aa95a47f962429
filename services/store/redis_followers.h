// The Follows of one RedisSessionStore, fed without a reader per followed
// session: a fixed cost per store (two threads, one subscriber connection)
// whatever the number of sessions followed.
//
// - Own commits: after the store commits, the events it has in hand go to
//   the session's followers here at once (EndWrite), with no Redis read.
// - Other replicas' commits: the write script PUBLISHes "<last sequence>
//   <session id>" on one channel per key prefix. One subscriber thread
//   listens on one connection; a notification beyond a follower's cursor
//   marks the session behind, and one catch-up thread reads what is missing
//   with XRANGE on a pooled connection (the sessions behind in one pipeline).
// - Nothing lost: pub/sub drops what is sent while the subscriber is
//   disconnected, so after every (re)subscribe every followed session is
//   caught up from Redis. A new Follow reads what is stored at once.
//
// Each follower has a cursor (the last sequence it got) and a lock, held
// while its listener runs; it only ever gets the events right after its
// cursor, or, when the session moved to a new epoch (a failover lost
// events: see redis_session_store.cc), the new epoch's events from the
// first it is handed, whatever their sequence. Own events that are not next
// (another replica committed in between and that was not read yet) are not
// delivered: the follower is caught up from Redis instead. So no gaps (unless
// Redis's history was trimmed past the cursor) and no duplicates.
//
//   RedisFollowers followers(options, &client);
//   auto handle = followers.Follow(id, state_key, events_key, 0, &listener);
//   bool followed = followers.BeginWrite(id);
//   ... run the write script ...
//   if (followed) followers.EndWrite(id, committed);  // or {} if it failed
#ifndef SERVICES_STORE_REDIS_FOLLOWERS_H_
#define SERVICES_STORE_REDIS_FOLLOWERS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/redis/redis_client.h"
#include "services/store/session_store.h"
#include "services/store/stored_event.h"

namespace coachd {

// Options of RedisFollowers.
struct RedisFollowersOptions {
  RedisConnectionOptions subscriber;  // The subscriber's connection.
  std::string channel;  // Where the write script publishes its commits.
  // How long the subscriber waits for a message before it checks whether to
  // stop; bounds destroying the store if interrupting the socket fails.
  absl::Duration poll = absl::Seconds(1);
  // Least wait before trying again after a failure (then the connection's
  // own backoff, if longer).
  absl::Duration retry = absl::Milliseconds(50);
};

// Parses a commit notification, "<last sequence> <session id>"; false if
// it is not one.
bool ParseCommitNotification(absl::string_view payload, int64_t* sequence,
                             std::string* session_id);

// Appends the events of an XRANGE-style reply (array of [id, [f, v, ...]])
// after `after_sequence` to `out`, oldest first. An entry "<last>-0" holds
// the events last-n+1 .. last: field "b", an EventBatch of n events (one
// commit, as RedisSessionStore writes them), or field "e", one event (as
// earlier versions wrote them). Those at or before `after_sequence` are not
// parsed. An entry that is malformed or has an event that does not parse is
// logged (naming `key`) and skipped whole.
void ParseStreamEntries(const redisReply& entries, absl::string_view key,
                        int64_t after_sequence, std::vector<StoredEvent>* out);

// See the file comment. Thread-safe.
class RedisFollowers {
 public:
  // `client` (for reads) must outlive this object. Starts nothing until the
  // first Follow.
  RedisFollowers(RedisFollowersOptions options, RedisClient* client);
  // Stops and joins the threads. Handles may outlive this object: their
  // listeners are called no more, and destroying them is still safe.
  ~RedisFollowers();
  RedisFollowers(const RedisFollowers&) = delete;
  RedisFollowers& operator=(const RedisFollowers&) = delete;

  // SessionStore::Follow: one pipelined round trip (the epoch in
  // `state_key`, XRANGE `events_key` after `after_sequence`) whose events are
  // delivered on the calling thread before this returns (more, if that was not
  // all, by the catch-up thread); then events as they are committed, on the
  // committing thread (this store's commits) or the catch-up thread (other
  // replicas'). NOT_FOUND if `state_key` does not exist; UNAVAILABLE (or
  // another error) if the round trip fails. Starts the threads on first use.
  absl::StatusOr<std::unique_ptr<FollowHandle>> Follow(
      absl::string_view session_id, std::string state_key,
      std::string events_key, int64_t after_sequence, EventListener* listener);

  // Called before this store writes events of `session_id`. True if the
  // session has followers here: then notifications about it wait for the
  // matching EndWrite (so the write is not read back from Redis), and the
  // caller must call EndWrite once, whatever the write's outcome.
  bool BeginWrite(absl::string_view session_id);

  // Ends a write BeginWrite returned true for. `committed`: the events it
  // appended, contiguous and in order (empty if it failed or appended
  // none), delivered here to the followers they are next for; any other
  // follower that is behind, or notification that waited, is handed to the
  // catch-up thread.
  void EndWrite(absl::string_view session_id,
                const std::vector<StoredEvent>& committed);

  // SUBSCRIBEs that took (the first and one after each reconnect).
  int64_t subscribes() const { return subscribes_.load(); }
  // Round trips of the catch-up thread (reads of events for followers that
  // were behind; a Follow's own first read is not one).
  int64_t catch_up_reads() const { return catch_up_reads_.load(); }

 private:
  struct Follower;
  struct Registry;
  class Handle;

  // Starts the threads if they are not running.
  void Start();
  // The subscriber thread: SUBSCRIBE, then read notifications; again after
  // errors.
  void SubscribeLoop();
  // The catch-up thread: reads events for the sessions marked behind.
  void CatchUpLoop();
  // Waits `wait` or until stopping; false when stopping.
  bool WaitUnlessStopping(absl::Duration wait);

  const RedisFollowersOptions options_;
  RedisClient* const client_;
  const std::shared_ptr<Registry> registry_;  // Shared with handles.
  RedisConnection subscriber_;  // The subscriber thread's (and Interrupt).
  std::atomic<int64_t> subscribes_{0};
  std::atomic<int64_t> catch_up_reads_{0};
  absl::Mutex start_mu_;
  bool started_ ABSL_GUARDED_BY(start_mu_) = false;
  std::thread subscriber_thread_;
  std::thread catch_up_thread_;
};

}  // namespace coachd

#endif  // SERVICES_STORE_REDIS_FOLLOWERS_H_
