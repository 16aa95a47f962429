// Linked into the Redis test binaries: a redis-server that the test stops
// (or a connection interrupted with shutdown()) must not kill the test with
// SIGPIPE on the next write, as coachd's main ignores it too.
#include <csignal>

namespace coachd {
namespace {

const bool kSigpipeIgnored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

}  // namespace
}  // namespace coachd
