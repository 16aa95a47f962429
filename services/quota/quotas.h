// Per-identity limits: each named, with a default, a flag and a message that
// says which limit was hit and when to retry. Counted in a QuotaStore, so on
// Redis every replica counts against the same limit.
//
//   Quotas quotas(&store, &clock, QuotaOptions{});
//   absl::Status s = quotas.Take("StartSession", quotas.options().sessions,
//                                who.subject);   // RESOURCE_EXHAUSTED past it
//
// The limits and why they are what they are: docs/SECURITY.md ("Limits").
#ifndef SERVICES_QUOTA_QUOTAS_H_
#define SERVICES_QUOTA_QUOTAS_H_

#include <cstdint>
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

 private:
  QuotaStore* const store_;
  const Clock* const clock_;
  const QuotaOptions options_;
};

}  // namespace coachd

#endif  // SERVICES_QUOTA_QUOTAS_H_
