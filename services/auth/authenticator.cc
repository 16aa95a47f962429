#include "services/auth/authenticator.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace coachd {

absl::StatusOr<Identity> Authenticator::Authenticate(
    const grpc::ServerContextBase& context) const {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "missing authorization metadata: send 'authorization: Bearer <JWT>'");
  }
  absl::string_view value(it->second.data(), it->second.size());
  constexpr absl::string_view kBearer = "Bearer ";
  if (!absl::StartsWith(value, kBearer) || value.size() == kBearer.size()) {
    return absl::UnauthenticatedError(
        "authorization metadata must be 'Bearer <JWT>'");
  }
  value.remove_prefix(kBearer.size());
  const absl::Time now = clock_->Now();
  absl::StatusOr<Identity> who = absl::UnknownError("not verified");
  {
    absl::MutexLock lock(&mu_);
    auto known = verified_.find(value);
    if (known != verified_.end()) {
      if (now < known->second.expires_at) {
        who = known->second.identity;
      } else {
        verified_.erase(known);  // Expired: verify again for the message.
      }
    }
  }
  if (!who.ok()) {
    who = keys()->Verify(value, now);
    if (who.ok() && max_cached_ > 0) {
      absl::MutexLock lock(&mu_);
      if (static_cast<int>(verified_.size()) >= max_cached_) verified_.clear();
      verified_.emplace(std::string(value), Verified{*who, who->expires_at});
    }
  }
  if (who.ok() && !who->device_id.empty() && revoked_ != nullptr &&
      revoked_->Contains(who->device_id)) {
    return absl::UnauthenticatedError(
        absl::StrCat("device ", who->device_id, " was revoked: pair it again"));
  }
  return who;
}

void Authenticator::SetKeys(KeySet keys) {
  {
    absl::MutexLock lock(&keys_mu_);
    keys_ = std::make_shared<const KeySet>(std::move(keys));
  }
  absl::MutexLock lock(&mu_);
  verified_.clear();
}

std::shared_ptr<const KeySet> Authenticator::keys() const {
  absl::MutexLock lock(&keys_mu_);
  return keys_;
}

absl::StatusOr<std::string> LoadSecretFile(const std::string& path,
                                           absl::string_view flag) {
  if (path.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(flag, " is required: a file holding the token secret"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(
        absl::StrCat(flag, " ", path, ": cannot be read"));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  std::string secret = contents.str();
  if (!secret.empty() && secret.back() == '\n') secret.pop_back();
  if (secret.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(flag, " ", path, ": is empty"));
  }
  return secret;
}

}  // namespace coachd
