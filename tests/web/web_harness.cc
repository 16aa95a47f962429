#include "tests/web/web_harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"

extern char** environ;

namespace coachd {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Starts `args` (args[0] a path) with stdin from `in` (-1: /dev/null),
// stdout to `out` and stderr to `err`. The child is SIGKILLed when the test
// process dies (PR_SET_PDEATHSIG; the tests start children from their main
// thread), so a crashed or killed test leaves no coachd, gateway or browser
// running. The child's pid, or errno.
pid_t SpawnTied(const std::vector<std::string>& args, int in, int out,
                int err) {
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (std::string& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {  // Only async-signal-safe calls from here on.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) {
      _exit(127);
    }
    dup2(in >= 0 ? in : null_fd, STDIN_FILENO);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    execve(argv[0], argv.data(), environ);
    _exit(127);
  }
  const int fork_errno = errno;
  if (null_fd >= 0) close(null_fd);
  return pid > 0 ? pid : -fork_errno;
}

std::string Tail(const std::string& text) {
  return text.size() > 3000 ? text.substr(text.size() - 3000) : text;
}

}  // namespace

bool PollUntil(const std::function<bool()>& done, absl::Duration cap) {
  const absl::Time give_up = absl::Now() + cap;
  while (!done()) {
    if (absl::Now() >= give_up) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

absl::StatusOr<int> Child::Start(const std::vector<std::string>& args,
                                 const std::string& log,
                                 const std::string& port_file) {
  Kill();
  log_ = log;
  if (!port_file.empty()) std::remove(port_file.c_str());
  const int log_fd =
      open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::UnavailableError(
        absl::StrCat(log, ": ", std::strerror(errno)));
  }
  pid_ = SpawnTied(args, -1, log_fd, log_fd);
  close(log_fd);
  if (pid_ <= 0) {
    const int error = -pid_;
    pid_ = -1;
    return absl::UnavailableError(
        absl::StrCat(args[0], ": ", std::strerror(error)));
  }
  if (port_file.empty()) return 0;
  int port = 0;
  bool exited = false;
  PollUntil(
      [&] {
        const std::string text = ReadFile(port_file);
        if (absl::EndsWith(text, "\n") &&
            absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &port)) {
          return true;
        }
        exited = waitpid(pid_, nullptr, WNOHANG) == pid_;
        return exited;
      },
      absl::Seconds(30));
  if (exited) pid_ = -1;
  if (port <= 0) {
    return absl::UnavailableError(
        absl::StrCat(args[0], " did not start:\n", Tail(ReadFile(log))));
  }
  return port;
}

void Child::Kill() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

void Child::Freeze() {
  if (pid_ > 0) kill(pid_, SIGSTOP);
}

void Child::Thaw() {
  if (pid_ > 0) kill(pid_, SIGCONT);
}

absl::StatusOr<std::unique_ptr<Browser>> Browser::Start(
    const std::string& log) {
  const std::string dir = std::string(COACHD_SOURCE_DIR) + "/tests/web";
  struct stat st {};
  if (stat((dir + "/node_modules/puppeteer-core").c_str(), &st) != 0) {
    const std::string npm = absl::StrCat(
        "cd '", dir, "' && npm ci --no-audit --no-fund >> '", log, "' 2>&1");
    if (std::system(npm.c_str()) != 0) {
      return absl::UnavailableError(
          absl::StrCat("npm ci in ", dir, " failed:\n", Tail(ReadFile(log))));
    }
  }
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
    return absl::InternalError("pipe");
  }
  std::unique_ptr<Browser> browser(new Browser());
  const int log_fd =
      open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  browser->pid_ = SpawnTied({"/usr/bin/env", "node", dir + "/driver.js"}, in[0],
                            out[1], log_fd);
  if (log_fd >= 0) close(log_fd);
  close(in[0]);
  close(out[1]);
  browser->to_ = in[1];
  browser->from_ = out[0];
  if (browser->pid_ <= 0) {
    const int error = -browser->pid_;
    browser->pid_ = -1;
    return absl::UnavailableError(absl::StrCat("node: ", std::strerror(error)));
  }
  return browser;
}

Browser::~Browser() {
  if (to_ >= 0) {
    const char quit[] = "{\"op\":\"quit\"}\n";
    (void)!write(to_, quit, sizeof(quit) - 1);
    close(to_);
  }
  if (pid_ > 0) {
    // Give chromium a moment to close its profile, then make sure.
    PollUntil([&] { return waitpid(pid_, nullptr, WNOHANG) == pid_; },
              absl::Seconds(5)) ||
        (kill(pid_, SIGKILL), waitpid(pid_, nullptr, 0));
  }
  if (from_ >= 0) close(from_);
}

absl::StatusOr<google::protobuf::Value> Browser::Call(
    const google::protobuf::Struct& command, absl::Duration cap) {
  std::string line;
  if (!google::protobuf::util::MessageToJsonString(command, &line).ok()) {
    return absl::InternalError("command to JSON");
  }
  line.push_back('\n');
  if (write(to_, line.data(), line.size()) !=
      static_cast<ssize_t>(line.size())) {
    return absl::UnavailableError("the browser driver is gone");
  }
  const absl::Time give_up = absl::Now() + cap;
  size_t newline;
  while ((newline = pending_.find('\n')) == std::string::npos) {
    const int wait_ms =
        static_cast<int>(absl::ToInt64Milliseconds(give_up - absl::Now()));
    if (wait_ms <= 0) return absl::DeadlineExceededError("no answer");
    pollfd fd = {from_, POLLIN, 0};
    if (poll(&fd, 1, wait_ms) <= 0) continue;
    char buffer[65536];
    const ssize_t n = read(from_, buffer, sizeof(buffer));
    if (n <= 0) return absl::UnavailableError("the browser driver exited");
    pending_.append(buffer, static_cast<size_t>(n));
  }
  const std::string answer_text = pending_.substr(0, newline);
  pending_.erase(0, newline + 1);
  google::protobuf::Struct answer;
  if (!google::protobuf::util::JsonStringToMessage(answer_text, &answer).ok()) {
    return absl::InternalError("bad answer: " + answer_text);
  }
  const auto& f = answer.fields();
  if (!f.at("ok").bool_value()) {
    return absl::UnknownError(f.at("error").string_value());
  }
  return f.at("value");
}

namespace {
google::protobuf::Struct Command(
    std::initializer_list<std::pair<const char*, std::string>> fields) {
  google::protobuf::Struct c;
  for (const auto& [k, v] : fields)
    (*c.mutable_fields())[k].set_string_value(v);
  return c;
}
}  // namespace

absl::Status Browser::Open(const std::string& page, const std::string& url) {
  return Call(Command({{"op", "open"}, {"page", page}, {"url", url}})).status();
}
absl::Status Browser::Goto(const std::string& page, const std::string& url) {
  return Call(Command({{"op", "goto"}, {"page", page}, {"url", url}})).status();
}
absl::StatusOr<google::protobuf::Value> Browser::Eval(const std::string& page,
                                                      const std::string& js) {
  return Call(Command({{"op", "eval"}, {"page", page}, {"js", js}}));
}
std::string Browser::EvalString(const std::string& page,
                                const std::string& js) {
  absl::StatusOr<google::protobuf::Value> v = Eval(page, js);
  if (!v.ok()) return "<" + std::string(v.status().message()) + ">";
  if (v->has_string_value()) return v->string_value();
  std::string text;
  (void)google::protobuf::util::MessageToJsonString(*v, &text);
  return text;
}
double Browser::EvalNumber(const std::string& page, const std::string& js) {
  absl::StatusOr<google::protobuf::Value> v = Eval(page, js);
  return v.ok() && v->has_number_value() ? v->number_value() : -1;
}
absl::Status Browser::Wait(const std::string& page, const std::string& js,
                           absl::Duration cap) {
  google::protobuf::Struct c =
      Command({{"op", "wait"}, {"page", page}, {"js", js}});
  (*c.mutable_fields())["timeout"].set_number_value(
      static_cast<double>(absl::ToInt64Milliseconds(cap)));
  return Call(c, cap + absl::Seconds(10)).status();
}
absl::Status Browser::Click(const std::string& page,
                            const std::string& selector) {
  return Call(
             Command({{"op", "click"}, {"page", page}, {"selector", selector}}))
      .status();
}
absl::Status Browser::Type(const std::string& page, const std::string& selector,
                           const std::string& text) {
  return Call(Command({{"op", "type"},
                       {"page", page},
                       {"selector", selector},
                       {"text", text}}))
      .status();
}
absl::Status Browser::Screenshot(const std::string& page,
                                 const std::string& path) {
  return Call(Command({{"op", "screenshot"}, {"page", page}, {"path", path}}))
      .status();
}

absl::StatusOr<HttpAnswer> HttpRequest(
    int port, const std::string& method, const std::string& path,
    const std::map<std::string, std::string>& headers,
    const std::string& body) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
      0) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("connect: ", port));
  }
  timeval timeout = {10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string request =
      absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: 127.0.0.1:", port,
                   "\r\nConnection: close\r\n");
  for (const auto& [k, v] : headers)
    absl::StrAppend(&request, k, ": ", v, "\r\n");
  absl::StrAppend(&request, "Content-Length: ", body.size(), "\r\n\r\n", body);
  (void)!write(fd, request.data(), request.size());
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) {
    response.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  HttpAnswer answer;
  const size_t space = response.find(' ');
  const size_t end = response.find("\r\n\r\n");
  if (space == std::string::npos || end == std::string::npos ||
      !absl::SimpleAtoi(response.substr(space + 1, 3), &answer.status)) {
    return absl::InternalError("bad HTTP answer: " + response);
  }
  answer.head = response.substr(0, end);
  answer.body = response.substr(end + 4);
  return answer;
}

absl::StatusOr<std::unique_ptr<RawEventStream>> RawEventStream::Open(
    int port, const std::string& path,
    const std::map<std::string, std::string>& headers, int receive_buffer) {
  std::unique_ptr<RawEventStream> stream(new RawEventStream);
  stream->fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (receive_buffer > 0) {
    setsockopt(stream->fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer,
               sizeof(receive_buffer));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(stream->fd_, reinterpret_cast<sockaddr*>(&address),
              sizeof(address)) != 0) {
    return absl::UnavailableError(absl::StrCat("connect: ", port));
  }
  std::string request =
      absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1:", port,
                   "\r\nAccept: text/event-stream\r\n");
  for (const auto& [k, v] : headers) {
    absl::StrAppend(&request, k, ": ", v, "\r\n");
  }
  absl::StrAppend(&request, "\r\n");
  if (write(stream->fd_, request.data(), request.size()) !=
      static_cast<ssize_t>(request.size())) {
    return absl::UnavailableError("write: the request did not go out");
  }
  return stream;
}

RawEventStream::~RawEventStream() {
  if (fd_ >= 0) close(fd_);
}

bool RawEventStream::ReadUntil(
    const std::function<bool(const std::vector<Message>&)>& done,
    absl::Duration cap) {
  const absl::Time end = absl::Now() + cap;
  char buffer[16384];
  while (!done(messages_)) {
    const absl::Duration left = end - absl::Now();
    if (closed_ || left <= absl::ZeroDuration()) return false;
    pollfd p{fd_, POLLIN, 0};
    const int ready =
        poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (ready < 0 && errno != EINTR) return false;
    if (ready <= 0) continue;
    const ssize_t n = read(fd_, buffer, sizeof(buffer));
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      closed_ = true;  // End of file, or reset.
      continue;
    }
    raw_.append(buffer, static_cast<size_t>(n));
    Parse();
  }
  return true;
}

void RawEventStream::Parse() {
  if (!head_done_) {
    const size_t end = raw_.find("\r\n\r\n");
    if (end == std::string::npos) return;
    head_done_ = true;
    parsed_ = end + 4;
  }
  // Chunks: "<hex size>\r\n<bytes>\r\n"; each SSE write is one chunk.
  while (true) {
    const size_t line_end = raw_.find("\r\n", parsed_);
    if (line_end == std::string::npos) break;
    size_t size = 0;
    if (!absl::SimpleHexAtoi(raw_.substr(parsed_, line_end - parsed_), &size)) {
      break;
    }
    if (size == 0) {  // The last chunk: the reply is over.
      closed_ = true;
      break;
    }
    if (raw_.size() < line_end + 2 + size + 2) break;  // Not all here yet.
    body_.append(raw_, line_end + 2, size);
    parsed_ = line_end + 2 + size + 2;
  }
  // Messages: lines "field: value", each message ended by an empty line.
  size_t end;
  while ((end = body_.find("\n\n")) != std::string::npos) {
    Message m;
    for (absl::string_view line :
         absl::StrSplit(absl::string_view(body_).substr(0, end), '\n')) {
      if (absl::ConsumePrefix(&line, "id: ")) m.id = std::string(line);
      if (absl::ConsumePrefix(&line, "event: ")) m.event = std::string(line);
      if (absl::ConsumePrefix(&line, "data: ")) m.data = std::string(line);
    }
    if (!m.data.empty()) messages_.push_back(std::move(m));
    body_.erase(0, end + 2);
  }
}

}  // namespace coachd
