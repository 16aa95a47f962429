// The display and coach pages in Debian's headless chromium against a real
// coachd, redis-server and web gateway (web_pages_fixture.h): the card and
// its buttons, restarts, reminders, the coach's board, pairing.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "coach/v1/auth.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/web/web_pages_fixture.h"

namespace coachd {
namespace web_testing {
namespace {

using ::testing::HasSubstr;

TEST_F(WebPagesTest, TheCardCountsDownByItselfAndPauseStopsTheSession) {
  ASSERT_NO_FATAL_FAILURE(StartAll("2"));
  const std::string alice = Token("alice", Role::kUser);
  const coach::v1::SessionView view = StartSession(alice);
  ASSERT_NO_FATAL_FAILURE(
      OpenAs("d", alice, "/display?session=" + view.session_id()));
  // The warm-up: a timed step with a deadline and no message per second.
  ASSERT_TRUE(browser_
                  ->Wait("d",
                         "document.body.dataset.run === 'running' && "
                         "Number(document.getElementById('countdown')."
                         "textContent) > 2",
                         kCap)
                  .ok())
      << Describe("d");
  bool moved_alone = false;
  for (int attempt = 0; attempt < 5 && !moved_alone; ++attempt) {
    const double seq = browser_->EvalNumber("d", kSeq);
    const std::string before = browser_->EvalString("d", kCountdown);
    const std::string js =
        absl::StrCat(kCountdown, " !== '", before, "' || ", kSeq, " !== ", seq);
    ASSERT_TRUE(browser_->Wait("d", js, absl::Seconds(5)).ok())
        << Describe("d");
    moved_alone = browser_->EvalNumber("d", kSeq) == seq;
  }
  EXPECT_TRUE(moved_alone) << "the countdown only moved with messages: "
                           << Describe("d");
  EXPECT_EQ(
      browser_->EvalString("d", "document.getElementById('title').textContent"),
      "Light Cardio Warm-Up");

  // "Next" moves on one part at a time (the warm-up's opening, then each of
  // its steps) and the page hears each tap at once as a new event; past the
  // warm-up, the exercise's reps and holds follow by themselves.
  constexpr char kTitle[] = "document.getElementById('title').textContent";
  for (int tap = 0;
       tap < 8 && browser_->EvalString("d", kTitle) == "Light Cardio Warm-Up";
       ++tap) {
    ASSERT_NO_FATAL_FAILURE(TapNext("d")) << "tap " << tap;
  }
  ASSERT_TRUE(
      browser_->Wait("d", "document.body.dataset.step === 'rep'", kCap).ok())
      << Describe("d");
  Shot("d", "display-working.png");
  ASSERT_TRUE(
      browser_->Wait("d", "document.body.dataset.step === 'hold'", kCap).ok())
      << Describe("d");
  Shot("d", "display-holding.png");
  const std::string title =
      browser_->EvalString("d", "document.getElementById('title').textContent");
  EXPECT_NE(title, "");
  EXPECT_NE(title, "Light Cardio Warm-Up");

  // A tap on pause pauses the session itself: coachd says so, and the
  // speaker (a second device, a VOICE subscriber) hears the pause.
  const coach::v1::SessionView before = GetSession(alice, view.session_id());
  coach::v1::SubscribeRequest listen;
  listen.set_session_id(view.session_id());
  listen.set_kind(coach::v1::DEVICE_KIND_VOICE);
  listen.mutable_resume()->set_epoch(before.epoch());
  listen.mutable_resume()->set_last_sequence(before.last_sequence());
  auto speaker_context = Context(alice);  // Its deadline bounds the wait.
  auto speaker = sessions_->Subscribe(speaker_context.get(), listen);
  ASSERT_TRUE(browser_->Click("d", "#pause").ok());
  coach::v1::SessionEvent heard;
  bool speaker_paused = false;
  while (!speaker_paused && speaker->Read(&heard)) {
    speaker_paused = heard.has_paused() &&
                     heard.status().run_state() == coach::v1::RUN_STATE_PAUSED;
  }
  EXPECT_TRUE(speaker_paused) << "the speaker never heard the pause";
  speaker_context->TryCancel();
  speaker->Finish();
  EXPECT_TRUE(PollUntil(
      [&] {
        return GetSession(alice, view.session_id()).status().run_state() ==
               coach::v1::RUN_STATE_PAUSED;
      },
      absl::Seconds(10)));
  ASSERT_TRUE(browser_
                  ->Wait("d",
                         "document.body.dataset.run === 'paused' && "
                         "document.getElementById('pause').textContent === "
                         "'Resume'",
                         absl::Seconds(10))
                  .ok())
      << Describe("d");
  ASSERT_TRUE(browser_->Click("d", "#pause").ok());  // Resume.
  EXPECT_TRUE(PollUntil(
      [&] {
        return GetSession(alice, view.session_id()).status().run_state() ==
               coach::v1::RUN_STATE_RUNNING;
      },
      absl::Seconds(10)));
  // The rest after the set: the countdown runs toward the next set.
  ASSERT_TRUE(browser_->Click("d", "button[data-command=next]").ok());
  ASSERT_TRUE(browser_
                  ->Wait("d",
                         "document.body.dataset.step === 'rest' && "
                         "Number(document.getElementById('countdown')."
                         "textContent) > 0",
                         kCap)
                  .ok())
      << Describe("d");
  Shot("d", "display-resting.png");
}

TEST_F(WebPagesTest,
       TheDisplaySwitchesToTheCardWhenAnySessionOfThePersonStarts) {
  ASSERT_NO_FATAL_FAILURE(StartAll("10"));
  const std::string alice = Token("alice", Role::kUser);
  ASSERT_NO_FATAL_FAILURE(OpenAs("d", alice, "/display"));
  ASSERT_TRUE(browser_
                  ->Wait("d",
                         "!document.getElementById('idle').hidden && "
                         "document.getElementById('live').hidden",
                         kCap)
                  .ok())
      << Describe("d");
  const coach::v1::SessionView view = StartSession(alice);
  ASSERT_TRUE(browser_
                  ->Wait("d",
                         absl::StrCat("!document.getElementById('live').hidden "
                                      "&& window.coachdDisplay.seen.length > 0 "
                                      "&& document.body.dataset.run === "
                                      "'running'"),
                         kCap)
                  .ok())
      << Describe("d");
  // Its buttons command that session.
  ASSERT_TRUE(browser_->Click("d", "#pause").ok());
  EXPECT_TRUE(PollUntil(
      [&] {
        return GetSession(alice, view.session_id()).status().run_state() ==
               coach::v1::RUN_STATE_PAUSED;
      },
      absl::Seconds(10)));
}

TEST_F(WebPagesTest, AfterKillingTheGatewayThenCoachdTheSameSessionGoesOn) {
  ASSERT_NO_FATAL_FAILURE(StartAll("10"));
  const std::string alice = Token("alice", Role::kUser);
  const coach::v1::SessionView view = StartSession(alice);
  ASSERT_NO_FATAL_FAILURE(
      OpenAs("d", alice, "/display?session=" + view.session_id()));
  ASSERT_TRUE(browser_->Wait("d", "window.coachdDisplay.seq > 3", kCap).ok())
      << Describe("d");

  gateway_.Kill();
  ASSERT_TRUE(browser_
                  ->Wait("d", "!document.getElementById('reconnecting').hidden",
                         absl::Seconds(20))
                  .ok())
      << Describe("d");
  ASSERT_NO_FATAL_FAILURE(StartGateway());  // Same port, same cookie file.
  double seq = browser_->EvalNumber("d", kSeq);
  ASSERT_TRUE(browser_
                  ->Wait("d",
                         absl::StrCat("document.getElementById('reconnecting')"
                                      ".hidden && ",
                                      kSeq, " > ", seq),
                         kCap)
                  .ok())
      << Describe("d");

  coachd_.Kill();
  ASSERT_TRUE(browser_
                  ->Wait("d", "!document.getElementById('reconnecting').hidden",
                         absl::Seconds(20))
                  .ok())
      << Describe("d");
  ASSERT_NO_FATAL_FAILURE(StartCoachd(scale_));  // Same port, same Redis.
  seq = browser_->EvalNumber("d", kSeq);
  ASSERT_TRUE(browser_
                  ->Wait("d",
                         absl::StrCat("document.getElementById('reconnecting')"
                                      ".hidden && ",
                                      kSeq, " > ", seq),
                         kCap)
                  .ok())
      << Describe("d");

  // To the end: every sequence once, in order, after the first snapshot.
  ASSERT_TRUE(browser_
                  ->Wait("d", "document.body.dataset.run === 'finished'",
                         absl::Seconds(120))
                  .ok())
      << Describe("d");
  const std::string verdict = SeenOnce("d");
  const coach::v1::SessionView end = GetSession(alice, view.session_id());
  EXPECT_EQ(end.status().run_state(), coach::v1::RUN_STATE_FINISHED);
  EXPECT_EQ(verdict, absl::StrCat("ok ", end.last_sequence())) << Describe("d");
}

TEST_F(WebPagesTest, ADueReminderShowsOnEveryDisplayAndDoneClearsItEverywhere) {
  ASSERT_NO_FATAL_FAILURE(StartAll("10"));
  const std::string alice = Token("alice", Role::kUser);
  // The reminder at the next whole minute (UTC) that is at least 3 s away.
  const absl::Time at =
      absl::FromUnixSeconds((absl::ToUnixSeconds(absl::Now()) + 63) / 60 * 60);
  const absl::CivilMinute minute = absl::ToCivilMinute(at, absl::UTCTimeZone());
  coach::v1::SetGoalRequest goal;
  goal.mutable_goal()->set_sessions_per_week(3);
  goal.mutable_goal()->set_time_zone("UTC");
  goal.mutable_goal()->mutable_reminder_time()->set_hours(minute.hour());
  goal.mutable_goal()->mutable_reminder_time()->set_minutes(minute.minute());
  coach::v1::SetGoalResponse set;
  grpc::Status s = scheduler_->SetGoal(Context(alice).get(), goal, &set);
  ASSERT_TRUE(s.ok()) << s.error_message();

  ASSERT_NO_FATAL_FAILURE(OpenAs("kitchen", alice, "/display"));
  ASSERT_NO_FATAL_FAILURE(OpenAs("hall", alice, "/display"));
  ASSERT_TRUE(browser_
                  ->Wait("kitchen",
                         "document.getElementById('week').textContent === "
                         "'0 of 3'",
                         kCap)
                  .ok());
  const absl::Duration until = at - absl::Now() + absl::Seconds(20);
  for (const char* page : {"kitchen", "hall"}) {
    ASSERT_TRUE(
        browser_
            ->Wait(page, "!document.getElementById('reminder').hidden", until)
            .ok())
        << page;
  }
  EXPECT_THAT(
      browser_->EvalString(
          "hall", "document.getElementById('reminder-title').textContent"),
      ::testing::Not(::testing::IsEmpty()));
  Shot("kitchen", "display-reminder.png");
  ASSERT_TRUE(browser_->Click("kitchen", "#reminder-done").ok());
  for (const char* page : {"kitchen", "hall"}) {
    EXPECT_TRUE(browser_
                    ->Wait(page, "document.getElementById('reminder').hidden",
                           absl::Seconds(15))
                    .ok())
        << page;
  }
}

TEST_F(WebPagesTest, TheCoachSeesALiveClientFlaggedForDiscomfortAndSpeaksIn) {
  ASSERT_NO_FATAL_FAILURE(StartAll("2"));
  const std::string alice = Token("alice", Role::kUser);
  const std::string carol = Token("carol", Role::kCoach);
  coach::v1::CreateLinkCodeResponse code;
  grpc::Status s = coaches_->CreateLinkCode(Context(carol).get(), {}, &code);
  ASSERT_TRUE(s.ok()) << s.error_message();
  coach::v1::LinkCoachRequest link;
  link.set_code(code.code());
  coach::v1::LinkCoachResponse linked;
  s = coaches_->LinkCoach(Context(alice).get(), link, &linked);
  ASSERT_TRUE(s.ok()) << s.error_message();

  ASSERT_NO_FATAL_FAILURE(OpenAs("c", carol, "/coach"));
  const coach::v1::SessionView view = StartSession(alice);
  const std::string row =
      absl::StrCat("document.querySelector('#board tr[data-session=\"",
                   view.session_id(), "\"]')");
  ASSERT_TRUE(browser_->Wait("c", row, kCap).ok());
  ASSERT_TRUE(browser_
                  ->Wait("c",
                         "document.querySelector('#clients "
                         "tr[data-person=\"alice\"]')",
                         kCap)
                  .ok());

  // "It hurts" from alice's display: the row is flagged and comes first.
  ASSERT_NO_FATAL_FAILURE(
      OpenAs("d", alice, "/display?session=" + view.session_id()));
  ASSERT_TRUE(
      browser_->Wait("d", "document.body.dataset.run === 'running'", kCap)
          .ok());
  ASSERT_TRUE(browser_->Click("d", "button[data-command=hurts]").ok());
  ASSERT_TRUE(browser_
                  ->Wait("c",
                         absl::StrCat(row,
                                      ".classList.contains('flagged') && "
                                      "document.querySelector('#board "
                                      "tbody tr') === ",
                                      row),
                         kCap)
                  .ok());
  ASSERT_TRUE(
      browser_->Wait("d", "document.body.dataset.run === 'discomfort'", kCap)
          .ok());

  // Follow the session and send a cue: the speaker (a VOICE subscriber)
  // gets it as a sequenced event.
  const coach::v1::SessionView before = GetSession(alice, view.session_id());
  ASSERT_TRUE(browser_
                  ->Click("c", absl::StrCat("#board tr[data-session=\"",
                                            view.session_id(), "\"]"))
                  .ok());
  ASSERT_TRUE(browser_->Type("c", "#cue-text", "Breathe out slowly").ok());
  ASSERT_TRUE(browser_->Click("c", "#cue-form button").ok());
  coach::v1::SubscribeRequest listen;
  listen.set_session_id(view.session_id());
  listen.set_kind(coach::v1::DEVICE_KIND_VOICE);
  listen.mutable_resume()->set_epoch(before.epoch());
  listen.mutable_resume()->set_last_sequence(before.last_sequence());
  auto context = Context(alice);
  auto reader = sessions_->Subscribe(context.get(), listen);
  coach::v1::SessionEvent event;
  bool heard = false;
  while (!heard && reader->Read(&event)) {
    heard = event.has_coach_cue() &&
            absl::StrContains(event.speech().text(), "Breathe out slowly");
  }
  EXPECT_TRUE(heard);
  context->TryCancel();
  reader->Finish();
  ASSERT_TRUE(browser_
                  ->Wait("c",
                         "[...document.querySelectorAll('#cues li')].some(li "
                         "=> li.textContent.includes('Breathe out slowly'))",
                         kCap)
                  .ok());
  Shot("c", "coach.png");

  // alice ends the session: the board shows its summary, done against
  // prescribed for each exercise, as coachd has it.
  coach::v1::SendCommandRequest end;
  end.set_session_id(view.session_id());
  end.set_command(coach::v1::COMMAND_TYPE_END);
  end.set_command_id("end-for-summary");
  coach::v1::SendCommandResponse ended;
  ASSERT_TRUE(sessions_->SendCommand(Context(alice).get(), end, &ended).ok());
  ASSERT_TRUE(browser_
                  ->Wait("c",
                         "!document.getElementById('finished').hidden && "
                         "!!document.querySelector('#summaries .summary')",
                         kCap)
                  .ok());
  coach::v1::GetSessionSummaryRequest ask;
  ask.set_session_id(view.session_id());
  coach::v1::SessionSummaryView summary;
  ASSERT_TRUE(
      coaches_->GetSessionSummary(Context(carol).get(), ask, &summary).ok());
  EXPECT_EQ(
      browser_->EvalString("c",
                           "document.querySelector('#summaries .summary h3')."
                           "textContent"),
      absl::StrCat("alice: ", summary.summary().percent_done(),
                   "% done (ended early)"));
  const int items = summary.summary().items_size();
  ASSERT_GT(items, 0);
  EXPECT_EQ(browser_->EvalNumber(
                "c",
                "document.querySelectorAll('#summaries .summary tr')."
                "length"),
            items);
  for (int i = 0; i < items; ++i) {
    const coach::v1::ItemSummary& item = summary.summary().items(i);
    SCOPED_TRACE(item.exercise_name());
    const std::string cells = browser_->EvalString(
        "c", absl::StrCat("[...document.querySelectorAll('#summaries "
                          ".summary tr')[",
                          i, "].cells].map(c => c.textContent).join('|')"));
    EXPECT_THAT(cells,
                ::testing::StartsWith(absl::StrCat(
                    item.exercise_name(), "|", item.sets_done(), "/",
                    item.sets_prescribed(), " sets|", item.reps_done(), "/",
                    item.reps_prescribed(), " reps|", item.holds_kept(), "/",
                    item.holds_prescribed(), " holds")));
  }
  Shot("c", "coach-summary.png");
}

// A screen pairs by itself: /pair shows a code, the person approves it, and
// the browser lands on the display with an HttpOnly cookie it cannot read.
// Its access token lives 6 s here: the gateway refreshes it by itself, and
// the display follows the session across several lifetimes with every
// event once. Signing out clears the cookie and revokes the screen.
TEST_F(WebPagesTest, AScreenPairsStaysSignedInAcrossRefreshesAndSignsOut) {
  ASSERT_NO_FATAL_FAILURE(StartCoachd("10", {"--device_token_lifetime=6s"}));
  ASSERT_NO_FATAL_FAILURE(
      StartGateway({"--refresh_before=3s", "--refresh_every=200ms"}));
  ASSERT_NO_FATAL_FAILURE(StartBrowser());
  const std::string alice = Token("alice", Role::kUser);
  auto auth = coach::v1::AuthService::NewStub(channel_);

  // A second screen's code is denied: it says so.
  ASSERT_TRUE(browser_->Open("x", Url("/pair")).ok());
  ASSERT_TRUE(
      browser_->Wait("x", "window.coachdPair.state === 'waiting'", kCap).ok());
  coach::v1::DenyPairingRequest deny;
  deny.set_user_code(browser_->EvalString("x", "window.coachdPair.userCode"));
  coach::v1::DenyPairingResponse denied;
  ASSERT_TRUE(auth->DenyPairing(Context(alice).get(), deny, &denied).ok());
  EXPECT_TRUE(
      browser_->Wait("x", "window.coachdPair.state === 'denied'", kCap).ok());

  ASSERT_TRUE(browser_->Open("d", Url("/pair")).ok());
  ASSERT_TRUE(
      browser_->Wait("d", "window.coachdPair.state === 'waiting'", kCap).ok());
  const std::string code =
      browser_->EvalString("d", "document.getElementById('code').textContent");
  EXPECT_EQ(code, browser_->EvalString("d", "window.coachdPair.userCode"));
  EXPECT_THAT(code, ::testing::MatchesRegex("[A-Z0-9]{3}-[A-Z0-9]{4}"));
  Shot("d", "pair.png");
  coach::v1::ApprovePairingRequest approve;
  approve.set_user_code(code);
  approve.set_name("hall tablet");
  approve.set_kind(coach::v1::PAIRED_KIND_WEB);
  coach::v1::ApprovePairingResponse approved;
  grpc::Status s =
      auth->ApprovePairing(Context(alice).get(), approve, &approved);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(browser_
                  ->Wait("d",
                         "location.pathname === '/display' && "
                         "!!window.coachdDisplay",
                         kCap)
                  .ok());
  // The page never sees the cookie (HttpOnly), nor a token.
  EXPECT_EQ(browser_->EvalString("d", "document.cookie"), "");

  // The display follows alice's session across three token lifetimes, with
  // every event once.
  const coach::v1::SessionView view = StartSession(alice);
  ASSERT_TRUE(browser_->Wait("d", "window.coachdDisplay.seq > 0", kCap).ok())
      << Describe("d");
  const absl::Time until = absl::Now() + absl::Seconds(18);
  double seq = browser_->EvalNumber("d", kSeq);
  while (absl::Now() < until) {
    ASSERT_TRUE(
        browser_->Wait("d", absl::StrCat(kSeq, " > ", seq), absl::Seconds(20))
            .ok())
        << "the display stopped at " << seq << ": " << Describe("d");
    seq = browser_->EvalNumber("d", kSeq);
  }
  coach::v1::SendCommandRequest end;
  end.set_session_id(view.session_id());
  end.set_command(coach::v1::COMMAND_TYPE_END);
  end.set_command_id("end-paired");
  coach::v1::SendCommandResponse ended;
  ASSERT_TRUE(sessions_->SendCommand(Context(alice).get(), end, &ended).ok());
  ASSERT_TRUE(
      browser_->Wait("d", "document.body.dataset.run === 'finished'", kCap)
          .ok())
      << Describe("d");
  const std::string verdict = SeenOnce("d");
  EXPECT_EQ(verdict,
            absl::StrCat("ok ",
                         GetSession(alice, view.session_id()).last_sequence()));
  coach::v1::ListDevicesResponse devices;
  ASSERT_TRUE(auth->ListDevices(Context(alice).get(), {}, &devices).ok());
  ASSERT_EQ(devices.devices_size(), 1);
  EXPECT_EQ(devices.devices(0).name(), "hall tablet");
  // The gateway keeps the screen's credentials in its sessions file (mode
  // 0600): the session id, access token, refresh token and device id.
  EXPECT_EQ(
      std::filesystem::status(dir_ + "/web_sessions").permissions(),
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::ifstream kept(dir_ + "/web_sessions");
  std::string line;
  ASSERT_TRUE(std::getline(kept, line));
  const std::vector<std::string> fields = absl::StrSplit(line, ' ');
  ASSERT_EQ(fields.size(), 4u) << line;
  EXPECT_EQ(fields[3], devices.devices(0).device_id());

  // Sign out (idle now): back to /pair, the screen revoked, no session kept.
  ASSERT_TRUE(
      browser_->Wait("d", "!document.getElementById('idle').hidden", kCap)
          .ok());
  ASSERT_TRUE(browser_->Click("d", "#signout").ok());
  ASSERT_TRUE(browser_->Wait("d", "location.pathname === '/pair'", kCap).ok());
  EXPECT_TRUE(PollUntil(
      [&] {
        coach::v1::ListDevicesResponse now;
        return auth->ListDevices(Context(alice).get(), {}, &now).ok() &&
               now.devices_size() == 0;
      },
      absl::Seconds(10)));
  std::ifstream after(dir_ + "/web_sessions");
  std::string rest((std::istreambuf_iterator<char>(after)),
                   std::istreambuf_iterator<char>());
  EXPECT_EQ(rest, "");
}

TEST_F(WebPagesTest, NoPageReachesAnotherPersonsSessionOrPostsCrossSite) {
  ASSERT_NO_FATAL_FAILURE(StartAll("2"));
  const std::string alice = Token("alice", Role::kUser);
  const std::string bob = Token("bob", Role::kUser);
  const coach::v1::SessionView view = StartSession(alice);
  ASSERT_NO_FATAL_FAILURE(
      OpenAs("b", bob, "/display?session=" + view.session_id()));
  ASSERT_TRUE(browser_
                  ->Wait("b",
                         "document.getElementById('notice').textContent."
                         "includes('PERMISSION_DENIED')",
                         kCap)
                  .ok())
      << Describe("b");
  EXPECT_EQ(browser_->EvalNumber("b", "window.coachdDisplay.seen.length"), 0);
  const std::string post = absl::StrCat(
      "fetch('api/command', {method: 'POST', headers: {'Content-Type': "
      "'application/json'}, body: JSON.stringify({session: '",
      view.session_id(), "', command: 'pause'})}).then(r => r.status)");
  EXPECT_EQ(browser_->EvalNumber("b", post), 403);
  EXPECT_EQ(GetSession(alice, view.session_id()).status().run_state(),
            coach::v1::RUN_STATE_RUNNING);
  // No token reaches the page: the cookie is HttpOnly.
  EXPECT_EQ(browser_->EvalString("b", "document.cookie"), "");

  // Without a cookie, or from another site, a POST is refused.
  const std::string body = absl::StrCat("{\"session\":\"", view.session_id(),
                                        "\",\"command\":\"pause\"}");
  absl::StatusOr<HttpAnswer> anonymous = HttpRequest(
      gateway_port_, "POST", "/api/command",
      {{"Origin", Url("")}, {"Content-Type", "application/json"}}, body);
  ASSERT_TRUE(anonymous.ok());
  EXPECT_EQ(anonymous->status, 401);
  const std::string link = MakeLink(alice);
  absl::StatusOr<HttpAnswer> linked =
      HttpRequest(gateway_port_, "GET", link, {}, "");
  ASSERT_TRUE(linked.ok());
  EXPECT_EQ(linked->status, 303);
  EXPECT_EQ(HttpRequest(gateway_port_, "GET", link, {}, "")->status, 404)
      << "a link works once";
  const size_t at = linked->head.find("coachd_web=");
  ASSERT_NE(at, std::string::npos) << linked->head;
  const std::string cookie =
      linked->head.substr(at, linked->head.find(';', at) - at);
  for (const auto& [origin, site] :
       std::vector<std::pair<std::string, std::string>>{
           {"http://evil.example", "cross-site"},
           {"", "cross-site"},
           {"http://evil.example", ""},
           {"", ""}}) {
    SCOPED_TRACE(origin + " " + site);
    std::map<std::string, std::string> headers = {
        {"Cookie", cookie}, {"Content-Type", "application/json"}};
    if (!origin.empty()) headers["Origin"] = origin;
    if (!site.empty()) headers["Sec-Fetch-Site"] = site;
    absl::StatusOr<HttpAnswer> forged =
        HttpRequest(gateway_port_, "POST", "/api/command", headers, body);
    ASSERT_TRUE(forged.ok());
    EXPECT_EQ(forged->status, 403) << forged->body;
  }
  EXPECT_EQ(GetSession(alice, view.session_id()).status().run_state(),
            coach::v1::RUN_STATE_RUNNING);
  absl::StatusOr<HttpAnswer> own =
      HttpRequest(gateway_port_, "POST", "/api/command",
                  {{"Cookie", cookie},
                   {"Origin", Url("")},
                   {"Content-Type", "application/json"}},
                  body);
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->status, 200) << own->body;
  EXPECT_EQ(GetSession(alice, view.session_id()).status().run_state(),
            coach::v1::RUN_STATE_PAUSED);
}

TEST_F(WebPagesTest, BadRequestsGetTheirOwnStatusNamingTheField) {
  ASSERT_NO_FATAL_FAILURE(StartCoachd("2"));
  ASSERT_NO_FATAL_FAILURE(StartGateway());
  const std::string alice = Token("alice", Role::kUser);
  const std::string cookie = LinkCookie(alice);
  ASSERT_FALSE(cookie.empty());
  const std::map<std::string, std::string> ok_headers = {
      {"Cookie", cookie},
      {"Origin", Url("")},
      {"Content-Type", "application/json"}};
  struct Case {
    const char* name;
    std::string path;
    std::string body;
    int status;
    std::string says;
  };
  const Case cases[] = {
      {"not JSON", "/api/command", "pause", 400, "body:"},
      {"unknown command", "/api/command",
       R"({"session":"s1","command":"jump"})", 400, "command:"},
      {"no session", "/api/command", R"({"command":"pause"})", 400, "session:"},
      {"unknown session", "/api/command",
       R"({"session":"nosuchsession","command":"pause"})", 404, ""},
      {"bad reminder action", "/api/reminder", R"({"id":"x","action":"later"})",
       400, "action:"},
      {"cue by a person, not a coach", "/api/cue",
       R"({"session":"s1","text":"hi"})", 403, ""},
      {"no such endpoint", "/api/nothing", "{}", 404, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<HttpAnswer> answer =
        HttpRequest(gateway_port_, "POST", c.path, ok_headers, c.body);
    ASSERT_TRUE(answer.ok());
    EXPECT_EQ(answer->status, c.status) << answer->body;
    EXPECT_THAT(answer->body, HasSubstr(c.says));
  }
  // A link code that is not one, and a token that is not one.
  EXPECT_EQ(
      HttpRequest(gateway_port_, "GET", "/link?code=../x", {}, "")->status,
      400);
  absl::StatusOr<HttpAnswer> bad_token =
      HttpRequest(gateway_port_, "POST", "/api/links",
                  {{"Authorization", "Bearer not-a-jwt"}}, "");
  ASSERT_TRUE(bad_token.ok());
  EXPECT_EQ(bad_token->status, 400);
  EXPECT_THAT(bad_token->body, HasSubstr("token:"));
  // An event stream asked for with an id that is not a position starts
  // afresh with a snapshot; a browser that is not linked is told so.
  absl::StatusOr<HttpAnswer> nologin =
      HttpRequest(gateway_port_, "GET", "/events/display", {}, "");
  ASSERT_TRUE(nologin.ok());
  EXPECT_EQ(nologin->status, 200);
  EXPECT_THAT(nologin->head, HasSubstr("text/event-stream"));
  EXPECT_THAT(nologin->body, HasSubstr("\"state\":\"nologin\""));
}

}  // namespace
}  // namespace web_testing
}  // namespace coachd
