// What reaches a page when messages stop: a hold counted down on the page
// while the gateway is frozen (SIGSTOP), in headless chromium against a
// real coachd, redis-server and web gateway (web_pages_fixture.h).
#include <string>

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

}  // namespace
}  // namespace web_testing
}  // namespace coachd
