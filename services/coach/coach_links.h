// Who coaches whom: a coach hands out a link code, a person links the coach
// with it, and a coach reaches only the people linked to them. The store
// keeps the codes (by hash, single use), both directions of each link
// (person -> coaches, coach -> clients), and tells open streams when a link
// goes away, so that unlinking ends a coach's access at once.
//
//   MemoryCoachLinkStore links;
//   links.PutLinkCode(Sha256Hex("KQ74PMX"), "coach-bob", expires);
//   absl::StatusOr<std::string> coach = links.TakeLinkCode(hash, clock.Now());
//   links.Link("alice", *coach, clock.Now());
//   auto watch = links.WatchUnlink("alice", "coach-bob", [] { /* revoked */ });
//   links.Unlink("alice", "coach-bob");   // calls the watch, then returns
#ifndef SERVICES_COACH_COACH_LINKS_H_
#define SERVICES_COACH_COACH_LINKS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "coach/v1/coach.pb.h"
#include "services/session/access_policy.h"

namespace coachd {

// The links. Implementations are thread-safe; methods may block on I/O
// (RedisCoachLinkStore): call them from worker threads.
class CoachLinkStore {
 public:
  virtual ~CoachLinkStore() = default;

  // Links `coach` to `person` as of `at`. True when the link is new; false
  // when it existed (its linked_at is kept).
  virtual absl::StatusOr<bool> Link(absl::string_view person,
                                    absl::string_view coach, absl::Time at) = 0;

  // Removes the link. True when it existed. Before returning, calls every
  // unlink watch of (person, coach) registered in this process, each once;
  // a store shared by several processes also calls theirs (RedisCoachLinkStore:
  // at once, through pub/sub).
  virtual absl::StatusOr<bool> Unlink(absl::string_view person,
                                      absl::string_view coach) = 0;

  // Whether `coach` is linked to `person` now.
  virtual absl::StatusOr<bool> IsLinked(absl::string_view person,
                                        absl::string_view coach) = 0;

  // The person's coaches, ordered by coach id.
  virtual absl::StatusOr<std::vector<coach::v1::CoachLink>> CoachesOf(
      absl::string_view person) = 0;

  // The coach's clients, ordered by person id.
  virtual absl::StatusOr<std::vector<coach::v1::CoachLink>> ClientsOf(
      absl::string_view coach) = 0;

  // Keeps a link code: `code_hash` (a hash of the code, never the code)
  // names `coach` until `expires` (later than `now`). ALREADY_EXISTS when a
  // code with that hash is kept still (the caller draws another).
  virtual absl::Status PutLinkCode(absl::string_view code_hash,
                                   absl::string_view coach, absl::Time now,
                                   absl::Time expires) = 0;

  // Takes a link code: the coach it names, and the code is gone (it works
  // once, also when two replicas take it at the same moment). NOT_FOUND when
  // no code has that hash, or it expired by `now`.
  virtual absl::StatusOr<std::string> TakeLinkCode(absl::string_view code_hash,
                                                   absl::Time now) = 0;

  // Registers `on_unlinked`, called once (from the unlinking thread, quickly:
  // it must not block or call the store) when (person, coach) is unlinked,
  // while the returned handle lives. Checking the link and registering are
  // one step: PERMISSION_DENIED when the coach is not linked now. The store
  // must outlive the handle.
  virtual absl::StatusOr<std::unique_ptr<AccessWatch>> WatchUnlink(
      absl::string_view person, absl::string_view coach,
      std::function<void()> on_unlinked) = 0;
};

// The embedded store: links live in this process's memory. Thread-safe;
// never blocks on I/O.
class MemoryCoachLinkStore : public CoachLinkStore {
 public:
  MemoryCoachLinkStore() = default;
  MemoryCoachLinkStore(const MemoryCoachLinkStore&) = delete;
  MemoryCoachLinkStore& operator=(const MemoryCoachLinkStore&) = delete;

  absl::StatusOr<bool> Link(absl::string_view person, absl::string_view coach,
                            absl::Time at) override;
  absl::StatusOr<bool> Unlink(absl::string_view person,
                              absl::string_view coach) override;
  absl::StatusOr<bool> IsLinked(absl::string_view person,
                                absl::string_view coach) override;
  absl::StatusOr<std::vector<coach::v1::CoachLink>> CoachesOf(
      absl::string_view person) override;
  absl::StatusOr<std::vector<coach::v1::CoachLink>> ClientsOf(
      absl::string_view coach) override;
  absl::StatusOr<std::unique_ptr<AccessWatch>> WatchUnlink(
      absl::string_view person, absl::string_view coach,
      std::function<void()> on_unlinked) override;
  // Expired codes are dropped as new ones come.
  absl::Status PutLinkCode(absl::string_view code_hash, absl::string_view coach,
                           absl::Time now, absl::Time expires) override;
  absl::StatusOr<std::string> TakeLinkCode(absl::string_view code_hash,
                                           absl::Time now) override;

  // Unlink watches registered now (for tests).
  int WatchCountForTest() const;

 private:
  struct LinkCode {
    std::string coach;
    absl::Time expires;
  };

  class Watch;
  // Removes watch `id` of `key` if it is still registered.
  void Forget(const std::string& key, uint64_t id);

  mutable absl::Mutex mu_;
  // person -> coach -> linked at; coach -> person -> linked at.
  absl::flat_hash_map<std::string, std::map<std::string, absl::Time>> by_person_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::map<std::string, absl::Time>> by_coach_
      ABSL_GUARDED_BY(mu_);
  // Code hash -> its coach and expiry.
  absl::flat_hash_map<std::string, LinkCode> codes_ ABSL_GUARDED_BY(mu_);

  // Taken after mu_ when both are held; callbacks run under it.
  mutable absl::Mutex watch_mu_ ABSL_ACQUIRED_AFTER(mu_);
  uint64_t next_watch_id_ ABSL_GUARDED_BY(watch_mu_) = 1;
  // "person\0coach" -> watch id -> callback.
  absl::flat_hash_map<std::string, std::map<uint64_t, std::function<void()>>>
      watches_ ABSL_GUARDED_BY(watch_mu_);
};

}  // namespace coachd

#endif  // SERVICES_COACH_COACH_LINKS_H_
