#include "services/coach/coach_links.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "services/common/check.h"

namespace coachd {

namespace {

std::string WatchKey(absl::string_view person, absl::string_view coach) {
  return absl::StrCat(person, absl::string_view("\0", 1), coach);
}

coach::v1::CoachLink MakeLink(absl::string_view person, absl::string_view coach,
                              absl::Time at) {
  coach::v1::CoachLink link;
  link.set_person_id(std::string(person));
  link.set_coach_id(std::string(coach));
  const int64_t micros = absl::ToUnixMicros(at);
  link.mutable_linked_at()->set_seconds(micros / 1000000);
  link.mutable_linked_at()->set_nanos(static_cast<int32_t>(micros % 1000000) *
                                      1000);
  return link;
}

}  // namespace

// Unregisters its callback when destroyed.
class MemoryCoachLinkStore::Watch : public AccessWatch {
 public:
  Watch(MemoryCoachLinkStore* store, std::string key, uint64_t id)
      : store_(store), key_(std::move(key)), id_(id) {}
  ~Watch() override { store_->Forget(key_, id_); }

 private:
  MemoryCoachLinkStore* store_;
  const std::string key_;
  const uint64_t id_;
};

absl::StatusOr<bool> MemoryCoachLinkStore::Link(absl::string_view person,
                                                absl::string_view coach,
                                                absl::Time at) {
  absl::MutexLock lock(&mu_);
  auto& coaches = by_person_[person];
  if (coaches.count(std::string(coach)) > 0) return false;
  coaches.emplace(std::string(coach), at);
  by_coach_[coach].emplace(std::string(person), at);
  return true;
}

absl::Status MemoryCoachLinkStore::PutLinkCode(absl::string_view code_hash,
                                               absl::string_view coach,
                                               absl::Time now,
                                               absl::Time expires) {
  COACHD_DCHECK(expires > now, "a link code must expire after now");
  absl::MutexLock lock(&mu_);
  absl::erase_if(
      codes_, [now](const auto& entry) { return entry.second.expires <= now; });
  if (!codes_
           .emplace(std::string(code_hash),
                    LinkCode{std::string(coach), expires})
           .second) {
    return absl::AlreadyExistsError("link code: one with this hash is live");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> MemoryCoachLinkStore::TakeLinkCode(
    absl::string_view code_hash, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = codes_.find(code_hash);
  if (it == codes_.end()) {
    return absl::NotFoundError("link code: unknown or already used");
  }
  LinkCode code = std::move(it->second);
  codes_.erase(it);
  if (code.expires <= now) return absl::NotFoundError("link code: expired");
  return std::move(code.coach);
}

absl::StatusOr<bool> MemoryCoachLinkStore::Unlink(absl::string_view person,
                                                  absl::string_view coach) {
  {
    absl::MutexLock lock(&mu_);
    auto p = by_person_.find(person);
    if (p == by_person_.end() || p->second.erase(std::string(coach)) == 0) {
      return false;
    }
    if (p->second.empty()) by_person_.erase(p);
    auto c = by_coach_.find(coach);
    if (c != by_coach_.end()) {
      c->second.erase(std::string(person));
      if (c->second.empty()) by_coach_.erase(c);
    }
  }
  // The link is gone: a new watch is refused from here on; the ones
  // registered before are called now, each once.
  absl::MutexLock lock(&watch_mu_);
  auto it = watches_.find(WatchKey(person, coach));
  if (it == watches_.end()) return true;
  std::map<uint64_t, std::function<void()>> callbacks = std::move(it->second);
  watches_.erase(it);
  for (auto& [id, callback] : callbacks) callback();
  return true;
}

absl::StatusOr<bool> MemoryCoachLinkStore::IsLinked(absl::string_view person,
                                                    absl::string_view coach) {
  absl::MutexLock lock(&mu_);
  auto p = by_person_.find(person);
  return p != by_person_.end() && p->second.count(std::string(coach)) > 0;
}

absl::StatusOr<std::vector<coach::v1::CoachLink>>
MemoryCoachLinkStore::CoachesOf(absl::string_view person) {
  std::vector<coach::v1::CoachLink> links;
  absl::MutexLock lock(&mu_);
  auto p = by_person_.find(person);
  if (p == by_person_.end()) return links;
  for (const auto& [coach, at] : p->second) {
    links.push_back(MakeLink(person, coach, at));
  }
  return links;
}

absl::StatusOr<std::vector<coach::v1::CoachLink>>
MemoryCoachLinkStore::ClientsOf(absl::string_view coach) {
  std::vector<coach::v1::CoachLink> links;
  absl::MutexLock lock(&mu_);
  auto c = by_coach_.find(coach);
  if (c == by_coach_.end()) return links;
  for (const auto& [person, at] : c->second) {
    links.push_back(MakeLink(person, coach, at));
  }
  return links;
}

absl::StatusOr<std::unique_ptr<AccessWatch>> MemoryCoachLinkStore::WatchUnlink(
    absl::string_view person, absl::string_view coach,
    std::function<void()> on_unlinked) {
  absl::MutexLock lock(&mu_);
  auto p = by_person_.find(person);
  if (p == by_person_.end() || p->second.count(std::string(coach)) == 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("coach ", coach, " is not linked to ", person));
  }
  std::string key = WatchKey(person, coach);
  absl::MutexLock watch_lock(&watch_mu_);
  const uint64_t id = next_watch_id_++;
  watches_[key].emplace(id, std::move(on_unlinked));
  return std::unique_ptr<AccessWatch>(new Watch(this, std::move(key), id));
}

void MemoryCoachLinkStore::Forget(const std::string& key, uint64_t id) {
  absl::MutexLock lock(&watch_mu_);
  auto it = watches_.find(key);
  if (it == watches_.end()) return;
  it->second.erase(id);
  if (it->second.empty()) watches_.erase(it);
}

int MemoryCoachLinkStore::WatchCountForTest() const {
  absl::MutexLock lock(&watch_mu_);
  int count = 0;
  for (const auto& [key, callbacks] : watches_) {
    count += static_cast<int>(callbacks.size());
  }
  return count;
}

}  // namespace coachd
