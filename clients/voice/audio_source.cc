#include "clients/voice/audio_source.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "clients/voice/phrase_spotter.h"
#include "clients/voice/wav.h"

extern char** environ;

namespace coachd {
namespace {

// Reads up to `n` bytes, retrying short reads; fewer only at the end.
size_t ReadFully(int fd, char* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = read(fd, out + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AudioSource>> AudioSource::Open(
    const std::string& spec) {
  std::unique_ptr<AudioSource> source;
  if (spec == "mic") {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) return absl::UnavailableError("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    const char* argv[] = {"rec", "-q",   "-t", "raw", "-r", "16000",
                          "-c",  "1",    "-b", "16",  "-e", "signed-integer",
                          "-",   nullptr};
    pid_t pid = 0;
    const int spawned = posix_spawnp(&pid, "rec", &actions, nullptr,
                                     const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[1]);
    if (spawned != 0) {
      close(pipe_fds[0]);
      return absl::UnavailableError(
          "mic: cannot start `rec` (install sox to listen to the microphone)");
    }
    source.reset(new AudioSource(pipe_fds[0], true, pid));
    return source;  // Raw samples: no header.
  }
  if (spec == "-") {
    source.reset(new AudioSource(STDIN_FILENO, false, 0));
  } else {
    const int fd = open(spec.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return absl::NotFoundError(
          absl::StrCat("listen: cannot open ", spec, ": ", strerror(errno)));
    }
    source.reset(new AudioSource(fd, true, 0));
  }
  absl::Status header = source->ReadHeader();
  if (!header.ok()) return header;
  return source;
}

absl::Status AudioSource::ReadHeader() {
  // A canonical header is 44 bytes; extra chunks (LIST) make it longer.
  pending_.resize(4096);
  pending_.resize(ReadFully(fd_, pending_.data(), pending_.size()));
  if (pending_.compare(0, 4, "RIFF") != 0) return absl::OkStatus();  // Raw.
  absl::StatusOr<WavFormat> format = ParseWavHeader(pending_);
  if (!format.ok()) return format.status();
  if (format->sample_rate != kSpotterSampleRate || format->channels != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen: the WAV is ", format->sample_rate, " Hz with ",
        format->channels, " channels; it must be ", kSpotterSampleRate,
        " Hz mono (sox in.wav -r 16000 -c 1 -b 16 out.wav)"));
  }
  pending_.erase(0, format->data_offset);
  return absl::OkStatus();
}

size_t AudioSource::Read(absl::Span<int16_t> out) {
  const size_t want = out.size() * 2;
  char* dest = reinterpret_cast<char*>(out.data());
  const size_t from_pending = std::min(want, pending_.size());
  std::memcpy(dest, pending_.data(), from_pending);
  pending_.erase(0, from_pending);
  const size_t got =
      from_pending + ReadFully(fd_, dest + from_pending, want - from_pending);
  return got / 2;  // Samples are little-endian, as is this machine.
}

AudioSource::~AudioSource() {
  if (owns_fd_) close(fd_);
  if (child_ > 0) {
    kill(child_, SIGTERM);
    int status;
    waitpid(child_, &status, 0);
  }
}

}  // namespace coachd
