// The one place where text that may hold client input is made safe to print:
// in a log line (services/common/log.h) and in the message of a gRPC status
// (services/common/grpc_status.h). Control bytes are escaped, so a newline in
// an id or a token's `sub` can never start a forged log line, and the text is
// cut to a bound, so a 1 MB id never makes a 1 MB line or reply.
//
//   SafeText("bob\nI 2026-... forged", 64)  // "bob\\nI 2026-... forged"
//   SafeText(std::string(1 << 20, 'x'), 64)  // 64 bytes, then
//                                             // "...[1048512 more bytes]"
#ifndef SERVICES_COMMON_SAFE_TEXT_H_
#define SERVICES_COMMON_SAFE_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace coachd {

// Bounds of the two places SafeText serves.
inline constexpr size_t kMaxLogMessageBytes = 2048;
inline constexpr size_t kMaxStatusMessageBytes = 1024;

// `text` with every byte below 0x20 and 0x7f written as an escape ("\n",
// "\r", "\t", "\x1b"), then cut after `max_bytes` bytes of the escaped text
// (never inside an escape) with "...[N more bytes]" saying how many input
// bytes were left out. Bytes from 0x80 up (UTF-8) are kept as they are. Pure.
std::string SafeText(absl::string_view text, size_t max_bytes);

}  // namespace coachd

#endif  // SERVICES_COMMON_SAFE_TEXT_H_
