// For harnesses that feed protobuf parsers: protobuf's complaints about
// invalid UTF-8 in string fields (the message is then refused) would be
// most of the fuzzer's output. Include in the harness's one .cc file.
#ifndef TESTS_FUZZ_QUIET_PROTOBUF_H_
#define TESTS_FUZZ_QUIET_PROTOBUF_H_

#include "google/protobuf/stubs/logging.h"

// libFuzzer calls this once, before the first input.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

#endif  // TESTS_FUZZ_QUIET_PROTOBUF_H_
