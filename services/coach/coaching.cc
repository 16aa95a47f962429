#include "services/coach/coaching.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/coach/live_updates.h"
#include "services/common/log.h"

namespace coachd {

namespace {

constexpr size_t kMaxIdLength = 128;

absl::Status ValidateId(absl::string_view field, absl::string_view id) {
  if (id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  }
  if (id.size() > kMaxIdLength) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": longer than ", kMaxIdLength, " characters"));
  }
  return absl::OkStatus();
}

// Unicode code points in `text` (valid UTF-8, as protobuf guarantees).
size_t CodePoints(absl::string_view text) {
  size_t count = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++count;
  }
  return count;
}

google::protobuf::Timestamp FromMicros(int64_t micros) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(micros / 1000000);
  ts.set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
  return ts;
}

}  // namespace

Coaching::Coaching(CoachLinkStore* links, CoachBoard* board,
                   SessionRunner* runner, ProgressSource* progress,
                   const Clock* clock, CoachingOptions options)
    : links_(links),
      board_(board),
      runner_(runner),
      progress_(progress),
      clock_(clock),
      options_(options),
      limiter_(clock, options.cue_limit) {}

absl::Status Coaching::CheckCoach(const Identity& who, absl::string_view what) {
  if (who.role != Role::kCoach) {
    return absl::PermissionDeniedError(
        absl::StrCat(what,
                     " is for coaches (a coach token: --role=coach); "
                     "this token's role is ",
                     RoleName(who.role)));
  }
  return absl::OkStatus();
}

absl::Status Coaching::CheckPerson(const Identity& who,
                                   absl::string_view what) {
  if (who.role != Role::kUser && who.role != Role::kDevice) {
    return absl::PermissionDeniedError(absl::StrCat(
        what, " is for a person's own user or device token (--role=user or ",
        "device); this token's role is ", RoleName(who.role)));
  }
  return absl::OkStatus();
}

absl::Status Coaching::ValidateResume(const coach::v1::ResumePosition* resume) {
  if (resume == nullptr) return absl::OkStatus();
  if (resume->epoch().empty()) {
    return absl::InvalidArgumentError(
        "resume.epoch: required with a resume position");
  }
  if (resume->last_sequence() < 0) {
    return absl::InvalidArgumentError(
        "resume.last_sequence: must not be negative");
  }
  return absl::OkStatus();
}

absl::StatusOr<coach::v1::LinkCoachResponse> Coaching::LinkCoach(
    const Identity& who, const coach::v1::LinkCoachRequest& request) {
  if (who.role != Role::kUser) {
    return absl::PermissionDeniedError(absl::StrCat(
        "linking a coach: a person links their coaches with their own user "
        "token (--role=user); this token's role is ",
        RoleName(who.role)));
  }
  absl::Status valid = ValidateId("coach_id", request.coach_id());
  if (!valid.ok()) return valid;
  if (request.coach_id() == who.subject) {
    return absl::InvalidArgumentError(
        "coach_id: is the caller's own id; link someone else as coach");
  }
  if (quotas_ != nullptr) {
    absl::Status quota =
        quotas_->Take("LinkCoach", quotas_->options().coach_links, who.subject);
    if (!quota.ok()) return quota;
  }
  absl::StatusOr<bool> changed =
      request.unlink()
          ? links_->Unlink(who.subject, request.coach_id())
          : links_->Link(who.subject, request.coach_id(), clock_->Now());
  if (!changed.ok()) return changed.status();
  if (*changed) {
    if (request.unlink()) {
      board_->OnUnlinked(who.subject, request.coach_id());
    } else {
      board_->OnLinked(who.subject, request.coach_id());
    }
    LogInfo(absl::StrCat(who.subject,
                         request.unlink() ? " unlinked" : " linked", " coach ",
                         request.coach_id()));
  }
  absl::StatusOr<std::vector<coach::v1::CoachLink>> coaches =
      links_->CoachesOf(who.subject);
  if (!coaches.ok()) return coaches.status();
  coach::v1::LinkCoachResponse response;
  response.set_changed(*changed);
  for (coach::v1::CoachLink& link : *coaches) {
    *response.add_coaches() = std::move(link);
  }
  return response;
}

absl::StatusOr<coach::v1::ListClientsResponse> Coaching::ListClients(
    const Identity& who, const coach::v1::ListClientsRequest& request) {
  absl::Status coach = CheckCoach(who, "the client list");
  if (!coach.ok()) return coach;
  absl::StatusOr<std::vector<coach::v1::CoachLink>> clients =
      links_->ClientsOf(who.subject);
  if (!clients.ok()) return clients.status();
  coach::v1::ListClientsResponse response;
  for (const coach::v1::CoachLink& link : *clients) {
    coach::v1::ClientStatus* client = response.add_clients();
    client->set_person_id(link.person_id());
    *client->mutable_linked_at() = link.linked_at();
    absl::StatusOr<PersonLive> live = board_->LiveOf(link.person_id());
    if (!live.ok()) return live.status();
    for (coach::v1::LiveSession& row : live->live) {
      *client->add_live() = std::move(row);
    }
    if (live->last_discomfort.has_value()) {
      *client->mutable_last_discomfort() = *live->last_discomfort;
    }
    absl::StatusOr<coach::v1::ClientProgress> progress =
        progress_->ProgressOf(link.person_id());
    if (progress.ok()) {
      *client->mutable_progress() = *std::move(progress);
    } else if (!absl::IsNotFound(progress.status())) {
      LogWarning(absl::StrCat("ListClients: progress of ", link.person_id(),
                              ": ", progress.status().message()));
    }
  }
  return response;
}

absl::StatusOr<coach::v1::SendCueResponse> Coaching::SendCue(
    const Identity& who, const coach::v1::SendCueRequest& request) {
  absl::Status coach = CheckCoach(who, "speaking into a session");
  if (!coach.ok()) return coach;
  absl::Status valid = ValidateId("session_id", request.session_id());
  if (!valid.ok()) return valid;
  const absl::string_view text = absl::StripAsciiWhitespace(request.text());
  if (text.empty()) {
    return absl::InvalidArgumentError(
        "text: required; say something to the client");
  }
  const size_t chars = CodePoints(text);
  if (chars > static_cast<size_t>(options_.max_cue_chars)) {
    return absl::InvalidArgumentError(
        absl::StrCat("text: ", chars, " characters; a cue is at most ",
                     options_.max_cue_chars));
  }
  if (std::any_of(text.begin(), text.end(),
                  [](unsigned char c) { return c < 0x20 || c == 0x7F; })) {
    return absl::InvalidArgumentError(
        "text: control characters (line breaks, tabs) are not allowed");
  }
  absl::StatusOr<coach::internal::SessionRecord> record =
      runner_->LoadReadable(who, request.session_id());
  if (!record.ok()) return record.status();
  if (record->engine().run_state() == coach::v1::RUN_STATE_FINISHED) {
    return absl::FailedPreconditionError(
        absl::StrCat("session ", request.session_id(),
                     " has finished; cues reach live sessions only"));
  }
  absl::Status allowed = limiter_.Take(who.subject);
  if (!allowed.ok()) return allowed;
  absl::StatusOr<int64_t> sequence =
      runner_->CoachCue(who, request.session_id(), text);
  if (!sequence.ok()) return sequence.status();
  coach::v1::SendCueResponse response;
  response.set_sequence(*sequence);
  response.set_epoch(record->epoch());
  return response;
}

absl::StatusOr<coach::v1::SessionSummaryView> Coaching::GetSessionSummary(
    const Identity& who, const coach::v1::GetSessionSummaryRequest& request) {
  absl::Status valid = ValidateId("session_id", request.session_id());
  if (!valid.ok()) return valid;
  absl::StatusOr<coach::internal::SessionRecord> record =
      runner_->LoadReadable(who, request.session_id());
  if (!record.ok()) return record.status();
  const coach::internal::EngineState& engine = record->engine();
  coach::v1::SessionSummaryView view;
  view.set_session_id(record->session_id());
  view.set_person_id(record->owner());
  view.set_run_state(engine.run_state());
  *view.mutable_started_at() = FromMicros(engine.started_us());
  int64_t end_us = absl::ToUnixMicros(clock_->Now());
  if (engine.run_state() == coach::v1::RUN_STATE_FINISHED) {
    end_us = engine.ended_us();
    *view.mutable_ended_at() = FromMicros(engine.ended_us());
  }
  view.set_duration_ms(std::max<int64_t>(0, end_us - engine.started_us()) /
                       1000);
  *view.mutable_summary() = engine.summary();
  for (const coach::v1::DiscomfortRecord& report :
       engine.summary().discomfort()) {
    coach::v1::DiscomfortNote* note = view.add_discomfort();
    note->set_session_id(record->session_id());
    note->set_exercise_id(report.exercise_id());
    note->set_exercise_name(ExerciseNameIn(*record, report.exercise_id()));
    note->set_note(report.note());
    *note->mutable_at() = report.at();
  }
  return view;
}

}  // namespace coachd
