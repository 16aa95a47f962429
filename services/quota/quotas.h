// Per-identity limits: each named, with a default, a flag and a message that
// says which limit was hit and when to retry. Counted in a QuotaStore, so on
// Redis every replica counts against the same limit.
//
//   Quotas quotas(&store, &clock, QuotaOptions{});
//   absl::Status s = quotas.Take("StartSession", quotas.options().sessions,
//                                who.subject);   // RESOURCE_EXHAUSTED past it
//   absl::Status held = quotas.Hold("StartSession",
//       quotas.options().live_sessions, who.subject, session_id, still_live);
//   ... quotas.Release(quotas.options().live_sessions, owner, session_id);
//
// The limits and why they are what they are: docs/SECURITY.md ("Limits").
#ifndef SERVICES_QUOTA_QUOTAS_H_
#define SERVICES_QUOTA_QUOTAS_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/quota/quota_store.h"

namespace coachd {

// One limit: at most `max` of `what` per person per `window`. `max` <= 0:
// no limit.
struct QuotaLimit {
  std::string flag;  // The coachd flag that sets `max`, named in the error.
  std::string what;  // What is counted, plural ("sessions started").
  int64_t max = 0;
  absl::Duration window;
};

// A limit on what a person holds at once: at most `max` (<= 0: no limit).
struct SlotLimit {
  std::string flag;  // The coachd flag that sets `max`, named in the error.
  std::string what;  // What is held, plural ("live sessions").
  int64_t max = 0;
};

// The limits coachd applies, with their defaults.
struct QuotaOptions {
  QuotaLimit sessions{"max_sessions_started_per_hour", "sessions started", 30,
                      absl::Hours(1)};
  QuotaLimit commands{"max_commands_per_minute", "commands sent", 120,
                      absl::Minutes(1)};
  QuotaLimit workouts_logged{"max_workouts_logged_per_week", "workouts logged",
                             14, absl::Hours(24 * 7)};
  QuotaLimit coach_links{"max_coach_link_changes_per_hour",
                         "coach links and unlinks", 20, absl::Hours(1)};
  // Sessions a person has not finished (running or paused), counted in the
  // store so that every replica sees the same ones.
  SlotLimit live_sessions{"max_live_sessions_per_person", "live sessions", 5};
};

// Thread-safe. Take blocks on the store: call it on workers. `store` and
// `clock` must outlive it.
class Quotas {
 public:
  Quotas(QuotaStore* store, const Clock* clock, QuotaOptions options);
  Quotas(const Quotas&) = delete;
  Quotas& operator=(const Quotas&) = delete;

  const QuotaOptions& options() const { return options_; }

  // Counts one of `limit` for `person`. OK when within it (or when it has no
  // maximum); RESOURCE_EXHAUSTED when the window's maximum was reached:
  // "METHOD: limit of MAX WHAT per person per WINDOW (--FLAG) reached; retry
  // in Ns (at TIME)". The store's error (UNAVAILABLE) when it fails.
  absl::Status Take(absl::string_view method, const QuotaLimit& limit,
                    absl::string_view person);

  // Holds one of `limit`'s slots for `person` as `member` (a session id).
  // OK when held (or when it has no maximum). When the slots are full, each
  // member for which `still_held` says false is freed (a process that died
  // between a session's end and its Release left it) and the hold is tried
  // once more. RESOURCE_EXHAUSTED when still full: "METHOD: limit of MAX
  // WHAT per person (--FLAG) reached: A, B, ...; end one of them and retry".
  // The store's error (UNAVAILABLE) when it fails. `still_held` may block.
  absl::Status Hold(absl::string_view method, const SlotLimit& limit,
                    absl::string_view person, absl::string_view member,
                    const std::function<bool(const std::string&)>& still_held);

  // Frees `member`'s slot of `limit` for `person` (nothing when it holds
  // none, or the limit has no maximum). The store's error when it fails:
  // then the slot stays taken until a Hold finds it is no longer held.
  absl::Status Release(const SlotLimit& limit, absl::string_view person,
                       absl::string_view member);

 private:
  QuotaStore* const store_;
  const Clock* const clock_;
  const QuotaOptions options_;
};

}  // namespace coachd

#endif  // SERVICES_QUOTA_QUOTAS_H_
