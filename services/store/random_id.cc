#include <openssl/rand.h>

#include <random>
#include <string>

#include "absl/strings/escaping.h"
#include "services/store/memory_session_store.h"

namespace coachd {

std::string RandomId(int bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), bytes) != 1) {
    std::random_device rd;
    for (char& c : raw) c = static_cast<char>(rd());
  }
  return absl::BytesToHexString(raw);
}

}  // namespace coachd
