// What the page tests run: child processes (coachd, the gateway) on free
// loopback ports, the browser driver (tests/web/driver.js, puppeteer-core
// on Debian's chromium) spoken to line by line, and a tiny HTTP client for
// the calls a page cannot make (a link code, a cross-site POST).
#ifndef TESTS_WEB_WEB_HARNESS_H_
#define TESTS_WEB_WEB_HARNESS_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"

namespace coachd {

// Polls `done` every 20 ms until it holds or `cap` passes.
bool PollUntil(const std::function<bool()>& done, absl::Duration cap);

// One child process; its stderr and stdout go to `log`. Killed (SIGKILL)
// when destroyed if still running, and when the test process dies.
class Child {
 public:
  Child() = default;
  ~Child() { Kill(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Starts `args` (args[0] is the binary). With `port_file`, waits until
  // the child writes its port there (up to 30 s); the port, or an error
  // with the log's tail.
  absl::StatusOr<int> Start(const std::vector<std::string>& args,
                            const std::string& log,
                            const std::string& port_file);
  // kill -9 and reap.
  void Kill();
  // SIGSTOP and SIGCONT: while frozen the child does nothing at all, and
  // its sockets stay open (what a stalled process looks like to its peers).
  void Freeze();
  void Thaw();
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  std::string log_;
};

// The browser, driven through tests/web/driver.js. Not thread-safe.
class Browser {
 public:
  // Starts node on driver.js (running `npm ci` first when node_modules is
  // missing); node, and the chromium it drives, die with the test process.
  // The error says what is missing.
  static absl::StatusOr<std::unique_ptr<Browser>> Start(const std::string& log);
  ~Browser();
  Browser(const Browser&) = delete;
  Browser& operator=(const Browser&) = delete;

  // One command (see driver.js); the answer's "value", or the driver's
  // error. Waits at most `cap` for the answer.
  absl::StatusOr<google::protobuf::Value> Call(
      const google::protobuf::Struct& command,
      absl::Duration cap = absl::Seconds(60));

  // Shorthands. `js` is an expression evaluated in page `page`.
  absl::Status Open(const std::string& page, const std::string& url);
  absl::Status Goto(const std::string& page, const std::string& url);
  absl::StatusOr<google::protobuf::Value> Eval(const std::string& page,
                                               const std::string& js);
  std::string EvalString(const std::string& page, const std::string& js);
  double EvalNumber(const std::string& page, const std::string& js);
  // Waits until `js` is truthy in the page (up to `cap`).
  absl::Status Wait(const std::string& page, const std::string& js,
                    absl::Duration cap);
  absl::Status Click(const std::string& page, const std::string& selector);
  absl::Status Type(const std::string& page, const std::string& selector,
                    const std::string& text);
  absl::Status Screenshot(const std::string& page, const std::string& path);

 private:
  Browser() = default;
  pid_t pid_ = -1;
  int to_ = -1;    // Its stdin.
  int from_ = -1;  // Its stdout.
  std::string pending_;
};

// A plain HTTP/1.1 request to 127.0.0.1:`port`; the status code and body.
struct HttpAnswer {
  int status = 0;
  std::string head;  // Status line and headers.
  std::string body;
};
absl::StatusOr<HttpAnswer> HttpRequest(
    int port, const std::string& method, const std::string& path,
    const std::map<std::string, std::string>& headers, const std::string& body);

// One event stream read over a raw loopback socket, as a browser's
// EventSource would, but under the test's control: it reads only when told
// to, so it can stop reading like a stalled browser. Not thread-safe.
class RawEventStream {
 public:
  // One complete SSE message.
  struct Message {
    std::string id;
    std::string event;
    std::string data;
  };

  // Connects to 127.0.0.1:`port` (with a socket receive buffer of
  // `receive_buffer` bytes when > 0, set before connecting so the window
  // stays small) and sends GET `path` with `headers` (HTTP/1.1, kept
  // alive, as browsers do).
  static absl::StatusOr<std::unique_ptr<RawEventStream>> Open(
      int port, const std::string& path,
      const std::map<std::string, std::string>& headers,
      int receive_buffer = 0);
  ~RawEventStream();
  RawEventStream(const RawEventStream&) = delete;
  RawEventStream& operator=(const RawEventStream&) = delete;

  // Reads until `done` holds for the messages so far, the server closes
  // the connection, or `cap` passes. Whether `done` held.
  bool ReadUntil(const std::function<bool(const std::vector<Message>&)>& done,
                 absl::Duration cap);
  // Every complete message read so far (a message cut off midway is not).
  const std::vector<Message>& messages() const { return messages_; }
  // Bytes read from the socket so far.
  size_t bytes() const { return raw_.size(); }
  // Whether the stream is over: the reply's end (its last chunk), end of
  // file, or reset.
  bool closed() const { return closed_; }

 private:
  RawEventStream() = default;
  void Parse();  // Decodes new complete chunks of raw_ into messages_.

  int fd_ = -1;
  std::string raw_;         // Everything read.
  size_t parsed_ = 0;       // Offset in raw_ of the next chunk.
  bool head_done_ = false;  // The status line and headers are past.
  std::string body_;        // Decoded body not yet split into messages.
  std::vector<Message> messages_;
  bool closed_ = false;
};

}  // namespace coachd

#endif  // TESTS_WEB_WEB_HARNESS_H_
