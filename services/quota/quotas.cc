#include "services/quota/quotas.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

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

namespace {

std::string SlotKey(const SlotLimit& limit, absl::string_view person) {
  return absl::StrCat(limit.flag, ":", person);
}

}  // namespace

absl::Status Quotas::Hold(
    absl::string_view method, const SlotLimit& limit, absl::string_view person,
    absl::string_view member,
    const std::function<bool(const std::string&)>& still_held) {
  if (limit.max <= 0) return absl::OkStatus();
  const std::string key = SlotKey(limit, person);
  absl::StatusOr<SlotJoin> join = store_->Join(key, member, limit.max);
  if (!join.ok()) return join.status();
  if (join->allowed) return absl::OkStatus();
  // Full: free the slots of what has ended without saying so, then retry.
  bool freed = false;
  for (const std::string& held : join->members) {
    if (still_held(held)) continue;
    absl::Status left = store_->Leave(key, held);
    if (!left.ok()) return left;
    freed = true;
  }
  if (freed) {
    join = store_->Join(key, member, limit.max);
    if (!join.ok()) return join.status();
    if (join->allowed) return absl::OkStatus();
  }
  return absl::ResourceExhaustedError(absl::StrCat(
      method, ": limit of ", limit.max, " ", limit.what, " per person (--",
      limit.flag, ") reached: ", absl::StrJoin(join->members, ", "),
      "; end one of them and retry"));
}

absl::Status Quotas::Release(const SlotLimit& limit, absl::string_view person,
                             absl::string_view member) {
  if (limit.max <= 0) return absl::OkStatus();
  return store_->Leave(SlotKey(limit, person), member);
}

}  // namespace coachd
