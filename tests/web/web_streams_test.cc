// What reaches a page when messages stop: a hold counted down on the page
// while the gateway is frozen (SIGSTOP), in headless chromium; and a
// reader that stops reading (a raw socket), cut off by the gateway within
// its bound and resuming exactly. Against a real coachd, redis-server and
// web gateway (web_pages_fixture.h).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "coach/v1/session.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/web/web_pages_fixture.h"

namespace coachd {
namespace web_testing {
namespace {

class WebStreamsTest : public WebPagesTest {};

constexpr char kStep[] = "document.body.dataset.step";
constexpr char kTitle[] = "document.getElementById('title').textContent";

TEST_F(WebStreamsTest, AHoldCountsDownOnThePageWhileNoMessageArrives) {
  // Half speed: the 3-second holds of the 3-3-3 rule last 6 s, a tick (a
  // message) every 2 s, so the page's countdown (6 to 1) has whole seconds
  // to show without a message.
  ASSERT_NO_FATAL_FAILURE(StartAll("0.5"));
  const std::string alice = Token("alice", Role::kUser);
  coach::v1::StartSessionRequest start;
  start.set_routine_id("strength-3-3-3");
  const coach::v1::SessionView view = StartSession(alice, start);
  ASSERT_NO_FATAL_FAILURE(
      OpenAs("d", alice, "/display?session=" + view.session_id()));
  ASSERT_TRUE(
      browser_->Wait("d", "document.body.dataset.run === 'running'", kCap).ok())
      << Describe("d");
  // Past the warm-up and the first exercise's intro, one tap at a time.
  for (int tap = 0; tap < 10; ++tap) {
    const std::string step = browser_->EvalString("d", kStep);
    if (browser_->EvalString("d", kTitle) != "Light Cardio Warm-Up" &&
        step != "intro") {
      break;
    }
    ASSERT_NO_FATAL_FAILURE(TapNext("d")) << "tap " << tap;
  }

  // A hold's first tick: freeze the gateway, so nothing reaches the page,
  // and watch the countdown cross the next tick's time with the page's
  // sequence unchanged. A late start (the page already past the hold's
  // middle) tries the next hold.
  bool crossed = false;
  for (int attempt = 0; attempt < 3 && !crossed; ++attempt) {
    ASSERT_TRUE(browser_
                    ->Wait("d",
                           absl::StrCat(kStep, " === 'hold' && Number(",
                                        kCountdown, ") >= 5"),
                           kCap)
                    .ok())
        << Describe("d");
    // Every countdown shown from here on, with the step and the sequence.
    ASSERT_TRUE(
        browser_
            ->Eval("d",
                   absl::StrCat("if (window.watch) window.watch.disconnect();"
                                "window.shown = [];"
                                "window.watch = new MutationObserver(() => "
                                "window.shown.push(["
                                "document.body.dataset.step, Number(",
                                kCountdown,
                                "), window.coachdDisplay.seq])).observe("
                                "document.getElementById('countdown'), "
                                "{childList: true, characterData: true, "
                                "subtree: true}); true"))
            .ok());
    gateway_.Freeze();
    const double frozen_seq = browser_->EvalNumber("d", kSeq);
    const double from =
        browser_->EvalNumber("d", absl::StrCat("Number(", kCountdown, ")"));
    if (from >= 4 && browser_->EvalString("d", kStep) == "hold") {
      // Three seconds on: a second past the next tick, which never came.
      absl::Status moved =
          browser_->Wait("d",
                         absl::StrCat("Number(", kCountdown, ") <= ", from - 3,
                                      " || ", kSeq, " !== ", frozen_seq),
                         absl::Seconds(10));
      EXPECT_TRUE(moved.ok()) << "the countdown stood still: " << Describe("d");
      EXPECT_EQ(browser_->EvalNumber("d", kSeq), frozen_seq)
          << "a message reached the page from a frozen gateway";
      EXPECT_EQ(browser_->EvalString("d", kStep), "hold") << Describe("d");
      crossed = moved.ok();
    }
    gateway_.Thaw();
    // The ticks held back arrive late: the countdown goes on from where it
    // is and never goes back up while the hold lasts.
    ASSERT_TRUE(browser_
                    ->Wait("d",
                           absl::StrCat(kStep, " !== 'hold' && ", kSeq, " > ",
                                        frozen_seq),
                           kCap)
                    .ok())
        << Describe("d");
    const std::string verdict = browser_->EvalString(
        "d",
        "(() => { let last = Infinity;"
        " for (const [step, n, seq] of window.shown) {"
        "   if (step !== 'hold') break;"
        "   if (n > last) return 'up from ' + last + ' to ' + n + ' at ' + seq;"
        "   last = n; }"
        " return 'ok'; })()");
    EXPECT_EQ(verdict, "ok") << Describe("d");
  }
  EXPECT_TRUE(crossed) << "never froze the gateway early in a hold";

  // Paused, the session stands still: the page has every sequence up to
  // the session's last, each once, in order.
  ASSERT_TRUE(browser_->Click("d", "#pause").ok());
  ASSERT_TRUE(
      browser_->Wait("d", "document.body.dataset.run === 'paused'", kCap).ok())
      << Describe("d");
  const coach::v1::SessionView paused = GetSession(alice, view.session_id());
  ASSERT_EQ(paused.status().run_state(), coach::v1::RUN_STATE_PAUSED);
  ASSERT_TRUE(browser_
                  ->Wait("d",
                         absl::StrCat(kSeq, " === ", paused.last_sequence()),
                         absl::Seconds(10))
                  .ok())
      << Describe("d");
  EXPECT_EQ(SeenOnce("d"), absl::StrCat("ok ", paused.last_sequence()))
      << Describe("d");
}

// The session sequence of a "session" message, or -1 for other messages.
int64_t SeqOf(const RawEventStream::Message& m) {
  if (m.event != "session") return -1;
  const size_t at = m.data.find("\"seq\":");
  int64_t seq = -1;
  if (at == std::string::npos) return -1;
  const size_t end = m.data.find_first_of(",}", at);
  return absl::SimpleAtoi(m.data.substr(at + 6, end - at - 6), &seq) ? seq : -1;
}

bool IsSnapshot(const RawEventStream::Message& m) {
  return absl::StrContains(m.data, "\"kind\":\"snapshot\"");
}

// The first session sequence among `messages`, or -1.
int64_t FirstSeq(const std::vector<RawEventStream::Message>& messages) {
  for (const RawEventStream::Message& m : messages) {
    if (SeqOf(m) >= 0) return SeqOf(m);
  }
  return -1;
}

// The last session sequence among `messages`, or -1.
int64_t LastSeq(const std::vector<RawEventStream::Message>& messages) {
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (SeqOf(*it) >= 0) return SeqOf(*it);
  }
  return -1;
}

// "ok N" when the session messages of `messages` are, in order, `first`
// and every sequence after it once up to N; else where they break. A
// snapshot stands for the sequence it carries; a later one that says it
// did not recover the history starts the count again from its own.
std::string Contiguous(const std::vector<RawEventStream::Message>& messages,
                       int64_t first) {
  int64_t want = first;
  for (const RawEventStream::Message& m : messages) {
    const int64_t seq = SeqOf(m);
    if (seq < 0) continue;
    if (IsSnapshot(m) && want != first &&
        absl::StrContains(m.data, "\"recovered\":false")) {
      want = seq;  // History gone: the snapshot says so, and counts anew.
    }
    if (seq != want) return absl::StrCat(seq, " where ", want, " was due");
    ++want;
  }
  return absl::StrCat("ok ", want - 1);
}

TEST_F(WebStreamsTest, AReaderThatStopsReadingIsCutOffAndResumesExactly) {
  // Commands unlimited: the test makes its events with REPEAT.
  ASSERT_NO_FATAL_FAILURE(StartCoachd(
      "1",
      {"--max_commands_per_minute=0", "--max_commands_per_window=100000"}));
  ASSERT_NO_FATAL_FAILURE(StartGateway({"--max_unsent_bytes=65536"}));
  const std::string alice = Token("alice", Role::kUser);
  const std::string cookie = LinkCookie(alice);
  ASSERT_FALSE(cookie.empty());
  const coach::v1::SessionView view = StartSession(alice);
  const std::string path = "/events/display?session=" + view.session_id();
  auto command = [&](coach::v1::CommandType type) {
    return Command(alice, view.session_id(), type);
  };
  command(coach::v1::COMMAND_TYPE_PAUSE);  // Only the test's events now.
  auto has_session = [](const std::vector<RawEventStream::Message>& ms) {
    return LastSeq(ms) >= 0;
  };

  // The stalled reader: a small socket buffer; it reads its snapshot, then
  // nothing.
  absl::StatusOr<std::unique_ptr<RawEventStream>> stalled =
      RawEventStream::Open(gateway_port_, path, {{"Cookie", cookie}}, 4096);
  ASSERT_TRUE(stalled.ok()) << stalled.status();
  ASSERT_TRUE((*stalled)->ReadUntil(has_session, kCap));
  for (const RawEventStream::Message& m : (*stalled)->messages()) {
    if (SeqOf(m) >= 0) {
      ASSERT_TRUE(IsSnapshot(m)) << m.data;
      break;
    }
  }
  // A reader that keeps up, reading after every hundred events.
  absl::StatusOr<std::unique_ptr<RawEventStream>> reader =
      RawEventStream::Open(gateway_port_, path, {{"Cookie", cookie}});
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_TRUE((*reader)->ReadUntil(has_session, kCap));
  // Some 1500 events of about a kilobyte each: over 20 times what the
  // gateway keeps for a browser (64 KiB) and its socket's send buffer.
  int64_t last = 0;
  for (int i = 1; i <= 1500; ++i) {
    last = command(coach::v1::COMMAND_TYPE_REPEAT);
    if (i % 100 == 0) {
      ASSERT_TRUE((*reader)->ReadUntil(
          [&](const std::vector<RawEventStream::Message>& ms) {
            return LastSeq(ms) == last;
          },
          kCap))
          << "the reader that keeps up fell behind at " << last;
    }
  }
  EXPECT_EQ(Contiguous((*reader)->messages(), FirstSeq((*reader)->messages())),
            absl::StrCat("ok ", last));
  EXPECT_FALSE((*reader)->closed());

  // The stalled reader was cut off: when it reads again it finds only what
  // the gateway and the sockets held (not all the events), in order, then
  // the end of the reply.
  (*stalled)->ReadUntil(
      [](const std::vector<RawEventStream::Message>&) { return false; },
      absl::Seconds(20));
  EXPECT_TRUE((*stalled)->closed()) << "the gateway kept the stalled stream";
  EXPECT_LT((*stalled)->bytes(), (*reader)->bytes() / 4)
      << "the stalled reader got most of the events: nothing was cut off";
  const int64_t stalled_last = LastSeq((*stalled)->messages());
  ASSERT_GE(stalled_last, 1);
  EXPECT_LT(stalled_last, last);
  EXPECT_EQ(
      Contiguous((*stalled)->messages(), FirstSeq((*stalled)->messages())),
      absl::StrCat("ok ", stalled_last));

  // It comes back with its Last-Event-ID, as EventSource does, until it
  // has every event. A replay bigger than the bound is cut off in turn
  // (after at least the bound), so this may take a few rounds, each
  // resuming exactly where the last one stopped.
  std::vector<RawEventStream::Message> got = (*stalled)->messages();
  int rounds = 0;
  for (; rounds < 100 && LastSeq(got) < last; ++rounds) {
    std::string last_id;
    for (const RawEventStream::Message& m : got) {
      if (SeqOf(m) >= 0) last_id = m.id;
    }
    absl::StatusOr<std::unique_ptr<RawEventStream>> back = RawEventStream::Open(
        gateway_port_, path, {{"Cookie", cookie}, {"Last-Event-ID", last_id}});
    ASSERT_TRUE(back.ok()) << back.status();
    const bool all = (*back)->ReadUntil(
        [&](const std::vector<RawEventStream::Message>& ms) {
          return LastSeq(ms) == last;
        },
        kCap);
    ASSERT_TRUE(all || (*back)->closed()) << "round " << rounds << " stalled";
    ASSERT_GT(LastSeq((*back)->messages()), LastSeq(got))
        << "round " << rounds
        << " brought nothing new: " << (*back)->messages().size()
        << " messages, " << (*back)->bytes() << " bytes"
        << ((*back)->messages().empty() ? "" : (*back)->messages().back().data);
    got.insert(got.end(), (*back)->messages().begin(),
               (*back)->messages().end());
  }
  RecordProperty("resume_rounds", rounds);
  // Every event once, in order, from the first snapshot on (the history
  // holds 10000 events, so no resume needs a snapshot; one would say it did
  // not recover and count from its own sequence).
  EXPECT_EQ(Contiguous(got, FirstSeq(got)), absl::StrCat("ok ", last));
}

}  // namespace
}  // namespace web_testing
}  // namespace coachd
