#include "clients/coach/board_view.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace coachd {

using coach::v1::LiveSession;
using coach::v1::LiveUpdate;

namespace {

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

std::string Clock(const google::protobuf::Timestamp& ts) {
  return absl::FormatTime("%H:%M", ToTime(ts), absl::LocalTimeZone());
}

std::string KindName(coach::v1::LiveUpdateKind kind) {
  std::string name = coach::v1::LiveUpdateKind_Name(kind);
  constexpr absl::string_view kPrefix = "LIVE_UPDATE_KIND_";
  if (absl::string_view(name).substr(0, kPrefix.size()) == kPrefix) {
    name = name.substr(kPrefix.size());
  }
  return name;
}

std::string Status(const LiveSession& row) {
  switch (row.run_state()) {
    case coach::v1::RUN_STATE_RUNNING:
      return "training";
    case coach::v1::RUN_STATE_PAUSED:
      return "paused";
    case coach::v1::RUN_STATE_DISCOMFORT:
      return "DISCOMFORT";
    case coach::v1::RUN_STATE_FINISHED:
      return "finished";
    default:
      return "?";
  }
}

// Lower sorts first: open discomfort, training, paused, idle.
int Urgency(const LiveSession* row) {
  if (row == nullptr) return 3;
  switch (row->run_state()) {
    case coach::v1::RUN_STATE_DISCOMFORT:
      return 0;
    case coach::v1::RUN_STATE_RUNNING:
      return 1;
    default:
      return 2;
  }
}

std::string DiscomfortText(const coach::v1::DiscomfortNote& note) {
  std::string text =
      absl::StrCat(Clock(note.at()), " ",
                   note.exercise_name().empty() ? "(between exercises)"
                                                : note.exercise_name());
  if (!note.note().empty()) absl::StrAppend(&text, ": \"", note.note(), "\"");
  return text;
}

std::string Fit(std::string line, int width) {
  if (width > 0 && static_cast<int>(line.size()) > width) line.resize(width);
  return line;
}

// `text` in exactly `width` columns: padded, or cut with "..." at the end.
std::string Column(absl::string_view text, int width) {
  if (static_cast<int>(text.size()) > width) {
    return absl::StrCat(text.substr(0, std::max(0, width - 3)),
                        std::string(std::min(width, 3), '.'));
  }
  return absl::StrCat(text, std::string(width - text.size(), ' '));
}

}  // namespace

bool BoardModel::Apply(const LiveUpdate& update) {
  if (update.kind() != coach::v1::LIVE_UPDATE_KIND_SNAPSHOT &&
      update.epoch() == epoch_ && update.sequence() <= last_sequence_) {
    return false;
  }
  epoch_ = update.epoch();
  last_sequence_ = update.sequence();
  switch (update.kind()) {
    case coach::v1::LIVE_UPDATE_KIND_SNAPSHOT:
      for (auto& [person, client] : clients_) client.live.clear();
      for (const LiveSession& row : update.board().sessions()) {
        Client& client = clients_[row.person_id()];
        client.live[row.session_id()] = row;
        if (row.has_last_discomfort()) {
          client.last_discomfort = row.last_discomfort();
        }
      }
      return true;
    case coach::v1::LIVE_UPDATE_KIND_CLIENT_UNLINKED:
      clients_.erase(update.person_id());
      return true;
    case coach::v1::LIVE_UPDATE_KIND_ENDED: {
      Client& client = clients_[update.person_id()];
      client.live.erase(update.session_id());
      client.last_event =
          absl::StrCat(update.ended_early() ? "ended early, " : "finished, ",
                       update.summary().percent_done(), "% done");
      return true;
    }
    default:
      break;
  }
  Client& client = clients_[update.person_id()];
  if (update.has_session()) client.live[update.session_id()] = update.session();
  switch (update.kind()) {
    case coach::v1::LIVE_UPDATE_KIND_DISCOMFORT:
      client.last_discomfort = update.session().last_discomfort();
      client.last_event = "reported discomfort";
      break;
    case coach::v1::LIVE_UPDATE_KIND_SET_DONE:
      client.last_event =
          absl::StrCat("set ", update.set(), "/", update.sets(), " done");
      break;
    case coach::v1::LIVE_UPDATE_KIND_CLIENT_LINKED:
      client.last_event = "linked you";
      break;
    default:
      client.last_event = absl::AsciiStrToLower(KindName(update.kind()));
      break;
  }
  return true;
}

void BoardModel::SetClients(const coach::v1::ListClientsResponse& clients) {
  std::map<std::string, Client> next;
  for (const coach::v1::ClientStatus& status : clients.clients()) {
    Client client;
    auto known = clients_.find(status.person_id());
    if (known != clients_.end()) client = known->second;
    if (epoch_.empty()) {  // No live board yet: the list's rows.
      client.live.clear();
      for (const LiveSession& row : status.live()) {
        client.live[row.session_id()] = row;
      }
    }
    if (status.has_progress()) client.progress = status.progress();
    if (status.has_last_discomfort()) {
      client.last_discomfort = status.last_discomfort();
    }
    next[status.person_id()] = std::move(client);
  }
  clients_ = std::move(next);
}

std::string BoardModel::Render(absl::Time now, int width) const {
  struct Row {
    const std::string* person;
    const Client* client;
    const LiveSession* live;  // Null when idle.
  };
  std::vector<Row> rows;
  int training = 0;
  for (const auto& [person, client] : clients_) {
    if (client.live.empty()) rows.push_back({&person, &client, nullptr});
    for (const auto& [id, row] : client.live) {
      rows.push_back({&person, &client, &row});
      ++training;
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return Urgency(a.live) < Urgency(b.live);
  });
  std::vector<std::string> lines;
  lines.push_back(Fit(
      absl::StrCat("COACH BOARD  ", clients_.size(),
                   clients_.size() == 1 ? " client, " : " clients, ", training,
                   " training now   ",
                   absl::FormatTime("%H:%M:%S", now, absl::LocalTimeZone())),
      width));
  for (const Row& row : rows) {
    if (row.live == nullptr ||
        row.live->run_state() != coach::v1::RUN_STATE_DISCOMFORT) {
      continue;
    }
    lines.push_back(
        Fit(absl::StrCat("!! ", *row.person, " reported discomfort: ",
                         DiscomfortText(row.live->last_discomfort()),
                         "  (session ", row.live->session_id(), ")"),
            width));
  }
  // Cells first; the client and exercise columns then take the width their
  // longest entry needs, within what the line has room for.
  std::vector<std::vector<std::string>> table = {{"CLIENT", "STATUS",
                                                  "EXERCISE", "SET", "DONE",
                                                  "WEEK", "LAST DISCOMFORT"}};
  for (const Row& row : rows) {
    std::string status = "idle", exercise = "-", set = "-", done = "-";
    if (row.live != nullptr) {
      status = Status(*row.live);
      exercise =
          row.live->exercise_name().empty() ? "-" : row.live->exercise_name();
      if (row.live->set() > 0) {
        set = absl::StrCat(row.live->set(), "/", row.live->sets());
      }
      done = absl::StrCat(row.live->progress_percent(), "%");
    } else if (!row.client->last_event.empty()) {
      exercise = row.client->last_event;
    }
    std::string week = "-";
    if (row.client->progress.has_value()) {
      week = absl::StrCat(row.client->progress->sessions_done_this_week(), "/",
                          row.client->progress->sessions_target_this_week());
    }
    table.push_back({*row.person, status, exercise, set, done, week,
                     row.client->last_discomfort.has_value()
                         ? DiscomfortText(*row.client->last_discomfort)
                         : "-"});
  }
  // Fixed columns: status (10), set, done, week (5 each); the last column
  // keeps at least 16; client and exercise share the rest.
  std::vector<int> widths = {6, 10, 8, 5, 5, 5, 0};
  for (const std::vector<std::string>& cells : table) {
    widths[0] = std::max(widths[0], static_cast<int>(cells[0].size()));
    widths[2] = std::max(widths[2], static_cast<int>(cells[2].size()));
  }
  const int fixed = widths[1] + widths[3] + widths[4] + widths[5] + 6 + 16;
  const int room = std::max(14, width - fixed);
  widths[0] = std::min(widths[0], std::max(6, room / 3));
  widths[2] = std::min(widths[2], std::max(8, room - widths[0]));
  for (const std::vector<std::string>& cells : table) {
    std::string line;
    for (size_t i = 0; i + 1 < cells.size(); ++i) {
      absl::StrAppend(&line, Column(cells[i], widths[i]), " ");
    }
    absl::StrAppend(&line, cells.back());
    lines.push_back(Fit(line, width));
  }
  return absl::StrCat(absl::StrJoin(lines, "\n"), "\n");
}

std::string PlainLine(const LiveUpdate& update) {
  std::string line =
      absl::StrCat("#", update.sequence(), " ", update.flagged() ? "!! " : "",
                   KindName(update.kind()));
  if (!update.person_id().empty())
    absl::StrAppend(&line, " ", update.person_id());
  if (!update.session_id().empty()) {
    absl::StrAppend(&line, " s=", update.session_id());
  }
  switch (update.kind()) {
    case coach::v1::LIVE_UPDATE_KIND_SNAPSHOT:
      absl::StrAppend(&line, " sessions=", update.board().sessions_size(),
                      " recovered=", update.board().recovered() ? "yes" : "no",
                      " (", update.board().reason(), ")");
      break;
    case coach::v1::LIVE_UPDATE_KIND_SET_DONE:
      absl::StrAppend(
          &line, " ", update.exercise_name(), " set ", update.set(), "/",
          update.sets(),
          update.side().empty() ? "" : absl::StrCat(" ", update.side()));
      break;
    case coach::v1::LIVE_UPDATE_KIND_DISCOMFORT:
      absl::StrAppend(&line, " ", update.exercise_name(), ": \"", update.note(),
                      "\"");
      break;
    case coach::v1::LIVE_UPDATE_KIND_ENDED:
      absl::StrAppend(&line, " ", update.summary().percent_done(),
                      "% done, pauses=", update.summary().pauses(),
                      " skips=", update.summary().skips(),
                      update.ended_early() ? " (ended early)" : "");
      break;
    case coach::v1::LIVE_UPDATE_KIND_CLIENT_UNLINKED:
      break;
    default:
      if (!update.exercise_name().empty()) {
        absl::StrAppend(&line, " ", update.exercise_name());
      }
      break;
  }
  return line;
}

std::string FollowLine(const coach::v1::SessionEvent& event) {
  std::string line = absl::StrCat("#", event.sequence(), " ");
  if (event.has_snapshot()) {
    absl::StrAppend(&line, "SNAPSHOT recovered=",
                    event.snapshot().recovered() ? "yes" : "no", " (",
                    event.snapshot().reason(), ") ", event.card().title());
    return line;
  }
  if (event.has_coach_cue()) {
    return absl::StrCat(line, "COACH ", event.coach_cue().coach_id(), ": ",
                        event.coach_cue().text());
  }
  if (event.has_discomfort_reported()) {
    absl::StrAppend(&line, "!! DISCOMFORT ");
  }
  const coach::v1::SessionStatus& s = event.status();
  absl::StrAppend(&line, s.exercise_name().empty() ? event.card().title()
                                                   : s.exercise_name());
  if (s.set() > 0) absl::StrAppend(&line, " set ", s.set(), "/", s.sets());
  if (s.rep() > 0) absl::StrAppend(&line, " rep ", s.rep(), "/", s.reps());
  if (!s.side().empty()) absl::StrAppend(&line, " (", s.side(), ")");
  if (!event.speech().text().empty()) {
    absl::StrAppend(&line, " | ", event.speech().text());
  }
  return line;
}

std::string RenderSummary(const coach::v1::SessionSummaryView& view) {
  const coach::v1::SessionSummary& s = view.summary();
  std::vector<std::string> lines;
  lines.push_back(absl::StrCat(
      "session ", view.session_id(), " of ", view.person_id(), ": ",
      view.run_state() == coach::v1::RUN_STATE_FINISHED
          ? (s.completed() ? "completed" : "ended early")
          : "still live (tallies so far)"));
  lines.push_back(absl::StrCat(
      "duration ", absl::FormatDuration(absl::Milliseconds(view.duration_ms())),
      ", pauses ", s.pauses(), ", skips ", s.skips(), ", ", s.percent_done(),
      "% of the reps done"));
  lines.push_back(absl::StrFormat("%-28s %-9s %-9s %-9s %s", "EXERCISE", "SETS",
                                  "REPS", "HOLDS", "NOTE"));
  for (const coach::v1::ItemSummary& item : s.items()) {
    std::vector<std::string> notes;
    if (item.skipped()) notes.push_back("skipped");
    if (item.discomfort()) notes.push_back("discomfort");
    lines.push_back(absl::StrFormat(
        "%-28s %-9s %-9s %-9s %s", item.exercise_name(),
        absl::StrCat(item.sets_done(), "/", item.sets_prescribed()),
        absl::StrCat(item.reps_done(), "/", item.reps_prescribed()),
        absl::StrCat(item.holds_kept(), "/", item.holds_prescribed()),
        absl::StrJoin(notes, ", ")));
  }
  for (const coach::v1::DiscomfortNote& note : view.discomfort()) {
    lines.push_back(absl::StrCat("discomfort ", DiscomfortText(note)));
  }
  return absl::StrCat(absl::StrJoin(lines, "\n"), "\n");
}

}  // namespace coachd
