// Coach links in Redis, shared by every coachd replica and kept across
// restarts, with unlinking that ends a coach's open streams on every replica
// at once.
//
// Keys (PREFIX defaults to "coachd"; see RedisCoachKeys):
//   PREFIX:{person:P}:coaches  hash: coach id -> "<linked_at_us>:<nonce>"
//   PREFIX:{coach:C}:clients   hash: person id -> the same value
//   PREFIX:linkcode:H          string "<expires_us> <coach id>" for the link
//                              code whose hash is H, with a TTL to its expiry
//                              (SET NX to make, GETDEL to take: once)
// Link and Unlink run one Lua script that writes both hashes, so the two
// directions never disagree; the nonce tells one link from a later re-link
// of the same pair. Unlink's script also PUBLISHes "<nonce> <len(P)> <P><C>"
// on the channel PREFIX:coach:unlinked.
//
// Revocation across replicas: each store runs one listener thread with its
// own connection SUBSCRIBEd to that channel. A message calls the local
// unlink watches of that pair and that nonce (at once, on the listener
// thread). Pub/sub delivers at most once, so after every (re)subscription
// the listener checks every registered watch against Redis and calls those
// whose link is gone: a message lost while the listener was disconnected
// still revokes, once the listener is back.
//
// Redis Cluster: the two hashes of a link sit in two slots (the person's
// and the coach's), so Link and Unlink would need to become two single-slot
// writes there (coach side last on link, first on unlink), and the pair
// could disagree for a moment; on one Redis (with replicas) they are atomic.
//
//   RedisCoachLinkStore links(&client, RedisCoachLinkStoreOptions{});
//   links.Link("alice", "coach-bob", clock.Now());
#ifndef SERVICES_COACH_REDIS_COACH_LINK_STORE_H_
#define SERVICES_COACH_REDIS_COACH_LINK_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/coach/coach_links.h"
#include "services/redis/redis_client.h"

namespace coachd {

// The Redis keys of coach links and coach boards. Everything of one person
// shares the hash tag {person:P}, everything of one coach {coach:C}.
class RedisCoachKeys {
 public:
  explicit RedisCoachKeys(std::string prefix) : prefix_(std::move(prefix)) {}

  // Links (RedisCoachLinkStore).
  std::string Coaches(absl::string_view person) const;      // hash
  std::string Clients(absl::string_view coach) const;       // hash
  std::string UnlinkChannel() const;                        // pub/sub channel
  std::string LinkCode(absl::string_view code_hash) const;  // string

  // A coach's board (RedisCoachBoard).
  std::string Board(absl::string_view coach) const;       // stream
  std::string BoardMeta(absl::string_view coach) const;   // hash epoch, seq
  std::string BoardRows(absl::string_view coach) const;   // hash
  std::string BoardSeen(absl::string_view coach) const;   // hash
  std::string BoardEnded(absl::string_view coach) const;  // list

  // A person's own board (RedisCoachBoard::AttachOwn): the keys of a coach's
  // board (`what`: board, meta, rows, seen, ended) in the person's slot.
  std::string OwnBoard(absl::string_view person, absl::string_view what) const;

  // A person's live sessions and last discomfort (RedisCoachBoard).
  std::string PersonLive(absl::string_view person) const;   // hash
  std::string PersonEnded(absl::string_view person) const;  // list

 private:
  std::string Coach(absl::string_view coach, absl::string_view what) const;
  std::string Person(absl::string_view person, absl::string_view what) const;

  const std::string prefix_;
};

// Options of RedisCoachLinkStore.
struct RedisCoachLinkStoreOptions {
  std::string key_prefix = "coachd";  // Keys start with "PREFIX:".
  // The listener PINGs Redis after this long without traffic and takes the
  // connection for dead when the answer takes as long again.
  absl::Duration listener_ping = absl::Seconds(5);
};

// CoachLinkStore on Redis. Thread-safe. Every call but WatchUnlink's handle
// destructor makes one round trip (WatchUnlink one, or more when the
// listener reconnected meanwhile) and fails fast with UNAVAILABLE "redis at
// ADDR unreachable: REASON" while Redis is down.
class RedisCoachLinkStore : public CoachLinkStore {
 public:
  // Starts the listener thread (it connects in the background, with the
  // client's address, timeouts and backoff). `client` must outlive it.
  RedisCoachLinkStore(RedisClient* client, RedisCoachLinkStoreOptions options);
  // Stops the listener. Every watch handle must be gone.
  ~RedisCoachLinkStore() override;
  RedisCoachLinkStore(const RedisCoachLinkStore&) = delete;
  RedisCoachLinkStore& operator=(const RedisCoachLinkStore&) = delete;

  absl::StatusOr<bool> Link(absl::string_view person, absl::string_view coach,
                            absl::Time at) override;
  // Calls this process's watches of the pair before returning; the other
  // replicas' watches are called when the published message reaches them.
  absl::StatusOr<bool> Unlink(absl::string_view person,
                              absl::string_view coach) override;
  absl::StatusOr<bool> IsLinked(absl::string_view person,
                                absl::string_view coach) override;
  absl::StatusOr<std::vector<coach::v1::CoachLink>> CoachesOf(
      absl::string_view person) override;
  absl::StatusOr<std::vector<coach::v1::CoachLink>> ClientsOf(
      absl::string_view coach) override;
  // Registers the watch in this process, then reads the link (one round
  // trip): PERMISSION_DENIED when it is not there. The callback runs on the
  // unlinking thread (an Unlink here) or on the listener thread.
  absl::StatusOr<std::unique_ptr<AccessWatch>> WatchUnlink(
      absl::string_view person, absl::string_view coach,
      std::function<void()> on_unlinked) override;
  absl::Status PutLinkCode(absl::string_view code_hash, absl::string_view coach,
                           absl::Time now, absl::Time expires) override;
  absl::StatusOr<std::string> TakeLinkCode(absl::string_view code_hash,
                                           absl::Time now) override;

  // Unlink watches registered now (for tests).
  int WatchCountForTest() const;

  // Times the listener has (re)subscribed (for tests).
  int64_t SubscriptionsForTest() const;

  const RedisCoachKeys& keys() const { return keys_; }

 private:
  class Listener;
  class Watch;
  using Pair = std::pair<std::string, std::string>;  // person, coach
  struct WatchEntry {
    std::function<void()> callback;
    std::string nonce;  // Of the link watched; empty while registering.
    // Unlinked nonces heard while registering.
    std::vector<std::string> unlinked;
  };

  // Calls (and removes) the watches of `pair` on link `nonce`; watches
  // still registering remember the nonce.
  void Unlinked(const Pair& pair, const std::string& nonce);
  // The listener subscribed: bumps the generation, then checks every
  // settled watch against Redis. False when Redis could not be read (the
  // listener tries again).
  bool Subscribed();
  // Removes watch `id` of `pair` if it is still registered.
  void Forget(const Pair& pair, uint64_t id);
  // The links in hash `key` (field: the other side's id, value: when
  // linked): of person `id` to each coach when `of_person`, else of each
  // client to coach `id`; sorted by the other side's id.
  absl::StatusOr<std::vector<coach::v1::CoachLink>> ReadLinks(
      const std::string& key, absl::string_view id, bool of_person);
  // The stored value of the link (nullopt when none).
  absl::StatusOr<std::optional<std::string>> ReadLink(absl::string_view person,
                                                      absl::string_view coach);
  RedisClient* const client_;
  const RedisCoachLinkStoreOptions options_;
  const RedisCoachKeys keys_;

  mutable absl::Mutex mu_;  // Callbacks run under it.
  uint64_t next_watch_id_ ABSL_GUARDED_BY(mu_) = 1;
  // Bumped at each (re)subscription of the listener.
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<Pair, std::map<uint64_t, WatchEntry>> watches_
      ABSL_GUARDED_BY(mu_);

  // Last: stopped first, while the rest is alive.
  std::unique_ptr<Listener> listener_;
};

}  // namespace coachd

#endif  // SERVICES_COACH_REDIS_COACH_LINK_STORE_H_
