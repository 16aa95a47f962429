#include "services/common/safe_text.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace coachd {

std::string SafeText(absl::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 24);
  size_t used = 0;  // Input bytes written so far.
  for (; used < text.size(); ++used) {
    const unsigned char c = static_cast<unsigned char>(text[used]);
    std::string piece;
    if (c == '\n') {
      piece = "\\n";
    } else if (c == '\r') {
      piece = "\\r";
    } else if (c == '\t') {
      piece = "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      piece = absl::StrFormat("\\x%02x", c);
    } else {
      piece.assign(1, static_cast<char>(c));
    }
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
  }
  if (used < text.size()) {
    absl::StrAppend(&out, "...[", text.size() - used, " more bytes]");
  }
  return out;
}

}  // namespace coachd
