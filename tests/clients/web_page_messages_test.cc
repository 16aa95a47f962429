// The pure mapping from coach.v1 messages to the pages' Server-Sent Events.
#include <string>

#include "clients/web/json_writer.h"
#include "clients/web/page_messages.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

template <typename Message>
Message Parse(const std::string& text) {
  Message m;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &m)) << text;
  return m;
}

TEST(SessionEventMessageTest, EachEventMapsToItsCardBannerAndId) {
  struct Case {
    const char* name;
    std::string event;  // coach.v1.SessionEvent in text format
    std::vector<std::string> want;
    std::vector<std::string> not_want;
  };
  const Case cases[] = {
      {"a hold second carries the card and the deadline in ms",
       R"pb(session_id: "s1"
            sequence: 42
            epoch: "e1"
            server_time { seconds: 100 }
            hold_countdown { seconds_left: 3 hold_seconds: 3 }
            status {
              run_state: RUN_STATE_RUNNING
              step_kind: STEP_KIND_HOLD
              item_index: 2
              items_done: 1
            }
            card {
              title: "Bird dog"
              current_step: "Hold"
              steps: "Kneel"
              steps: "Reach"
              current_step_index: 1
              set: 2
              sets: 3
              rep: 4
              reps: 8
              side: "left"
              deadline { seconds: 103 nanos: 500000000 }
              timer_seconds: 3
              progress_percent: 40
              accent: "work"
            })pb",
       {R"("session":"s1")", R"("epoch":"e1")", R"("seq":42)",
        R"("kind":"hold_countdown")", R"("run":"running")",
        R"("stepKind":"hold")", R"("item":2)", R"("title":"Bird dog")",
        R"("steps":["Kneel","Reach"])", R"("stepIndex":1)", R"("set":2)",
        R"("sets":3)", R"("rep":4)", R"("side":"left")", R"("deadline":103500)",
        R"("progress":40)", R"("banner":{"kind":"","text":""})",
        R"("serverTime":100000)"},
       {"routine", "summary"}},
      {"a safety note is a safety banner",
       R"pb(session_id: "s1"
            sequence: 3
            epoch: "e1"
            safety_note { text: "Stop if it hurts" }
            status { run_state: RUN_STATE_RUNNING }
            card { banner: "Stop if it hurts" })pb",
       {R"("banner":{"kind":"safety","text":"Stop if it hurts"})"},
       {}},
      {"a coach cue carries the cue",
       R"pb(session_id: "s1"
            sequence: 9
            epoch: "e1"
            coach_cue { coach_id: "c" text: "Slower" }
            speech { text: "Your coach says: Slower" }
            status { run_state: RUN_STATE_RUNNING }
            card { banner: "Slower" })pb",
       {R"("kind":"coach_cue")", R"("cue":"Slower")",
        R"("banner":{"kind":"coach")", R"("say":"Your coach says: Slower")"},
       {}},
      {"paused, and the card without a deadline",
       R"pb(session_id: "s1"
            sequence: 10
            epoch: "e1"
            paused { remaining_ms: 2500 }
            status { run_state: RUN_STATE_PAUSED remaining_ms: 2500 })pb",
       {R"("run":"paused")", R"("remainingMs":2500)", R"("deadline":0)",
        R"("banner":{"kind":"paused")"},
       {}},
      {"an event while stopped for discomfort keeps the discomfort banner",
       R"pb(session_id: "s1"
            sequence: 12
            epoch: "e1"
            coach_cue { text: "Rest" }
            status { run_state: RUN_STATE_DISCOMFORT })pb",
       {R"("banner":{"kind":"coach")"},
       {}},
      {"a later event in discomfort",
       R"pb(session_id: "s1"
            sequence: 13
            epoch: "e1"
            repeated_cue: true
            step_cue { text: "x" }
            status { run_state: RUN_STATE_DISCOMFORT })pb",
       {R"("banner":{"kind":"discomfort")", R"("repeated":true)"},
       {}},
      {"discomfort reported carries the note",
       R"pb(session_id: "s1"
            sequence: 11
            epoch: "e1"
            discomfort_reported { note: "lower back" }
            status { run_state: RUN_STATE_DISCOMFORT })pb",
       {R"("kind":"discomfort_reported")", R"("note":"lower back")",
        R"("run":"discomfort")"},
       {}},
      {"the start carries the routine's names",
       R"pb(session_id: "s1"
            sequence: 1
            epoch: "e1"
            session_started {
              routine {
                items { exercise_name: "Warm-up" }
                items { exercise_name: "Bird dog" }
              }
            }
            status { run_state: RUN_STATE_RUNNING })pb",
       {R"("routine":["Warm-up","Bird dog"])"},
       {"summary"}},
      {"a snapshot carries routine, recovery and a finished summary",
       R"pb(session_id: "s1"
            sequence: 50
            epoch: "e2"
            snapshot {
              recovered: false
              reason: "history trimmed"
              session {
                routine { items { exercise_name: "Cat" } }
                status { run_state: RUN_STATE_FINISHED }
                summary { percent_done: 80 completed: true }
              }
            }
            status { run_state: RUN_STATE_FINISHED })pb",
       {R"("kind":"snapshot")", R"("routine":["Cat"])", R"("recovered":false)",
        R"("reason":"history trimmed")", R"("percentDone":80)",
        R"("completed":true)", R"("run":"finished")"},
       {}},
      {"the end carries the summary per exercise",
       R"pb(session_id: "s1"
            sequence: 99
            epoch: "e1"
            session_done {
              ended_early: true
              summary {
                percent_done: 50
                pauses: 1
                items {
                  exercise_name: "Bird dog"
                  sets_prescribed: 3
                  sets_done: 2
                  reps_prescribed: 24
                  reps_done: 16
                  skipped: false
                  discomfort: true
                }
              }
            }
            status { run_state: RUN_STATE_FINISHED })pb",
       {R"("endedEarly":true)", R"("percentDone":50)", R"("pauses":1)",
        R"("name":"Bird dog")", R"("setsDone":2)", R"("sets":3)",
        R"("repsDone":16)", R"("reps":24)", R"("discomfort":true)"},
       {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    PageMessage m =
        SessionEventMessage(Parse<coach::v1::SessionEvent>(c.event));
    EXPECT_EQ(m.event, "session");
    EXPECT_THAT(m.id, ::testing::MatchesRegex("e[12]:[0-9]+"));
    EXPECT_THAT(m.data, Not(HasSubstr("\n")));
    for (const std::string& want : c.want) EXPECT_THAT(m.data, HasSubstr(want));
    for (const std::string& no : c.not_want) {
      EXPECT_THAT(m.data, Not(HasSubstr(no)));
    }
  }
}

TEST(SessionEventMessageTest, TheIdIsEpochColonSequence) {
  PageMessage m = SessionEventMessage(
      Parse<coach::v1::SessionEvent>(R"pb(session_id: "s"
                                          sequence: 7
                                          epoch: "ep-1"
                                          rep { rep: 1 })pb"));
  EXPECT_EQ(m.id, "ep-1:7");
}

TEST(ReminderMessageTest, AReminderCarriesItsStateTextAndVersion) {
  PageMessage m = ReminderMessage(Parse<coach::v1::Reminder>(
      R"pb(reminder_id: "2026-01-05"
           state: REMINDER_STATE_DUE
           title: "Time to train"
           text: "1 of 3 \"this\" week"
           due_at { seconds: 10 }
           expires_at { seconds: 20 }
           sessions_done: 1
           sessions_target: 3
           version: 4)pb"));
  EXPECT_EQ(m.event, "reminder");
  EXPECT_EQ(m.id, "");  // The browser keeps its session position.
  EXPECT_EQ(m.data,
            R"({"id":"2026-01-05","state":"due","title":"Time to train",)"
            R"("text":"1 of 3 \"this\" week","dueAt":10000,)"
            R"("expiresAt":20000,"done":1,"target":3,"version":4})");
}

TEST(ProgressMessageTest, WeeksComeOldestFirstWithTheirOutcome) {
  PageMessage m = ProgressMessage(Parse<coach::v1::Progress>(
      R"pb(goal { sessions_per_week: 3 }
           this_week { sessions_done: 1 sessions_target: 3 }
           current_streak_weeks: 2
           adherence_12_weeks: 0.5
           next_reminder { seconds: 60 }
           recent_weeks {
             first_day { year: 2026 month: 1 day: 12 }
             sessions_done: 3
             sessions_target: 3
             outcome: WEEK_OUTCOME_MET
           }
           recent_weeks {
             first_day { year: 2026 month: 1 day: 5 }
             paused_days: 7
             outcome: WEEK_OUTCOME_EXCUSED
           })pb"));
  EXPECT_EQ(m.event, "progress");
  EXPECT_THAT(m.data, HasSubstr(R"("goal":3)"));
  EXPECT_THAT(m.data, HasSubstr(R"("week":{"done":1,"target":3)"));
  EXPECT_THAT(m.data, HasSubstr(R"("streak":2)"));
  EXPECT_THAT(m.data, HasSubstr(R"("adherence12":0.5)"));
  EXPECT_THAT(m.data, HasSubstr(R"("nextReminder":60000)"));
  EXPECT_THAT(m.data,
              HasSubstr(R"("weeks":[{"start":"2026-01-05","done":0,"target":0,)"
                        R"("pausedDays":7,"outcome":"excused"},)"
                        R"({"start":"2026-01-12","done":3,"target":3,)"
                        R"("pausedDays":0,"outcome":"met"}])"));
  EXPECT_EQ(NoProgressMessage().data, R"({"goal":0})");
}

TEST(LiveUpdateMessageTest, ADiscomfortUpdateIsFlaggedWithItsRowAndNote) {
  PageMessage m = LiveUpdateMessage(Parse<coach::v1::LiveUpdate>(
      R"pb(epoch: "b1"
           sequence: 5
           kind: LIVE_UPDATE_KIND_DISCOMFORT
           flagged: true
           person_id: "alice"
           session_id: "s1"
           note: "knee"
           session {
             person_id: "alice"
             session_id: "s1"
             run_state: RUN_STATE_DISCOMFORT
             exercise_name: "Bridge"
             last_discomfort { note: "knee" exercise_name: "Bridge" }
           })pb"));
  EXPECT_EQ(m.event, "live");
  EXPECT_EQ(m.id, "b1:5");
  EXPECT_THAT(m.data, HasSubstr(R"("kind":"discomfort","flagged":true)"));
  EXPECT_THAT(m.data, HasSubstr(R"("run":"discomfort","exercise":"Bridge")"));
  EXPECT_THAT(m.data, HasSubstr(R"("note":"knee")"));
  EXPECT_THAT(m.data, Not(HasSubstr("board")));
}

TEST(LiveUpdateMessageTest, ASnapshotCarriesTheWholeBoard) {
  PageMessage m = LiveUpdateMessage(Parse<coach::v1::LiveUpdate>(
      R"pb(epoch: "b1"
           sequence: 0
           kind: LIVE_UPDATE_KIND_SNAPSHOT
           board {
             recovered: true
             sessions { person_id: "bob" session_id: "s2" }
           })pb"));
  EXPECT_THAT(m.data, HasSubstr(R"("row":null)"));
  EXPECT_THAT(
      m.data,
      HasSubstr(R"("board":{"sessions":[{"person":"bob","session":"s2")"));
  EXPECT_THAT(m.data, HasSubstr(R"("recovered":true)"));
}

TEST(ClientsMessageTest, EachClientHasWeekAdherenceOrNull) {
  PageMessage m = ClientsMessage(Parse<coach::v1::ListClientsResponse>(
      R"pb(clients {
             person_id: "alice"
             progress {
               sessions_done_this_week: 2
               sessions_target_this_week: 3
               adherence_4_weeks: 0.75
               current_streak_weeks: 4
               adherence_12_weeks: 0.5
               recent_weeks {
                 first_day { year: 2026 month: 1 day: 12 }
                 sessions_done: 3
                 sessions_target: 3
                 outcome: WEEK_OUTCOME_MET
               }
             }
           }
           clients { person_id: "bob" })pb"));
  EXPECT_EQ(m.event, "clients");
  EXPECT_THAT(m.data,
              HasSubstr(R"("progress":{"done":2,"target":3,"adherence4":0.75,)"
                        R"("streak":4,"adherence12":0.5,"weeks":[{"start":)"
                        R"("2026-01-12","done":3,"target":3,"pausedDays":0,)"
                        R"("outcome":"met"}]})"));
  EXPECT_THAT(
      m.data,
      HasSubstr(R"("person":"bob","linkedAt":0,"live":[],"progress":null)"));
}

TEST(FormatSseTest, IdEventAndDataLinesEndWithABlankLine) {
  EXPECT_EQ(FormatSse({"e:1", "session", "{}"}),
            "id: e:1\nevent: session\ndata: {}\n\n");
  EXPECT_EQ(FormatSse(StatusMessage("down", "coachd: UNAVAILABLE")),
            "event: status\ndata: {\"state\":\"down\",\"detail\":\"coachd: "
            "UNAVAILABLE\"}\n\n");
  EXPECT_EQ(SseRetry(2000), "retry: 2000\n\n");
}

TEST(JsonWriterTest, WritesNestedValuesWithEscapedStrings) {
  {
    JsonWriter w;
    w.BeginObject();
    w.Member("say\n", "line\nbreak \xE2\x80\xA8");
    w.EndObject();
    EXPECT_EQ(w.Take(), R"({"say\n":"line\nbreak \u2028"})");
  }
  JsonWriter w;
  w.BeginObject();
  w.Member("a", 1);
  w.Key("b");
  w.BeginArray();
  w.Bool(true);
  w.Null();
  w.Double(0.25);
  w.EndArray();
  w.EndObject();
  EXPECT_EQ(w.Take(), R"({"a":1,"b":[true,null,0.25]})");
}

TEST(EnumWordTest, ThePrefixGoesAndTheRestIsLowerCase) {
  EXPECT_EQ(EnumWord("RUN_STATE_PAUSED", "RUN_STATE_"), "paused");
  EXPECT_EQ(EnumWord("STEP_KIND_REP_RETURN", "STEP_KIND_"), "rep_return");
}

}  // namespace
}  // namespace coachd
