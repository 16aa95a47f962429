#include "services/quota/quotas.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace coachd {

Quotas::Quotas(QuotaStore* store, const Clock* clock, QuotaOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

absl::Status Quotas::Take(absl::string_view method, const QuotaLimit& limit,
                          absl::string_view person) {
  if (limit.max <= 0) return absl::OkStatus();
  const absl::Time now = clock_->Now();
  absl::StatusOr<QuotaTake> take = store_->Take(
      absl::StrCat(limit.flag, ":", person), limit.max, limit.window, now);
  if (!take.ok()) return take.status();
  if (take->allowed) return absl::OkStatus();
  const int64_t wait_s = absl::ToInt64Seconds(
      absl::Ceil(take->window_ends - now, absl::Seconds(1)));
  return absl::ResourceExhaustedError(
      absl::StrCat(method, ": limit of ", limit.max, " ", limit.what,
                   " per person per ", absl::FormatDuration(limit.window),
                   " (--", limit.flag, ") reached; retry in ", wait_s, "s (at ",
                   absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", take->window_ends,
                                    absl::UTCTimeZone()),
                   ")"));
}

}  // namespace coachd
