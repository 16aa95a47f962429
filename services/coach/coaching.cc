#include "services/coach/coaching.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "services/auth/codes.h"
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

absl::Status Coaching::TakeLinkQuota(absl::string_view method,
                                     const Identity& who) {
  if (quotas_ == nullptr) return absl::OkStatus();
  return quotas_->Take(method, quotas_->options().coach_links, who.subject);
}

absl::StatusOr<bool> Coaching::EndLink(const std::string& person,
                                       const std::string& coach,
                                       absl::string_view by) {
  absl::StatusOr<bool> changed = links_->Unlink(person, coach);
  if (!changed.ok()) return changed.status();
  if (*changed) {
    board_->OnUnlinked(person, coach);
    LogInfo(
        absl::StrCat(by, " ended the link of ", person, " and coach ", coach));
  }
  return changed;
}

absl::StatusOr<coach::v1::LinkCoachResponse> Coaching::LinkCoach(
    const Identity& who, const coach::v1::LinkCoachRequest& request) {
  if (who.role != Role::kUser) {
    return absl::PermissionDeniedError(absl::StrCat(
        "linking a coach: a person links their coaches with their own user "
        "token (--role=user); this token's role is ",
        RoleName(who.role)));
  }
  if (request.unlink()) {
    absl::Status valid = ValidateId("coach_id", request.coach_id());
    if (!valid.ok()) return valid;
    if (!request.code().empty()) {
      return absl::InvalidArgumentError(
          "code: not with unlink; unlinking names the coach_id");
    }
  } else {
    if (request.code().empty()) {
      return absl::InvalidArgumentError(
          "code: required to link a coach; ask the coach for a link code "
          "(they make one with CreateLinkCode: coach --link_code)");
    }
    if (!request.coach_id().empty()) {
      return absl::InvalidArgumentError(
          "coach_id: leave it empty when linking; the code names its coach");
    }
  }
  absl::Status quota = TakeLinkQuota("LinkCoach", who);
  if (!quota.ok()) return quota;
  absl::StatusOr<bool> changed = false;
  std::string coach = request.coach_id();
  if (request.unlink()) {
    changed = EndLink(who.subject, coach, who.subject);
  } else {
    absl::StatusOr<std::string> code =
        NormalizeUserCode(request.code(), "code");
    if (!code.ok()) return code.status();
    absl::StatusOr<std::string> maker = links_->TakeLinkCode(
        absl::BytesToHexString(Sha256(*code)), clock_->Now());
    if (absl::IsNotFound(maker.status())) {
      return absl::NotFoundError(
          absl::StrCat("code: ", FormatUserCode(*code),
                       " is not a link code now (mistyped, used or "
                       "expired); ask the coach for a new one"));
    }
    if (!maker.ok()) return maker.status();
    coach = *std::move(maker);
    if (coach == who.subject) {
      return absl::InvalidArgumentError(
          "code: was made by the caller's own id; link someone else as coach");
    }
    changed = links_->Link(who.subject, coach, clock_->Now());
    if (changed.ok() && *changed) {
      board_->OnLinked(who.subject, coach);
      LogInfo(absl::StrCat(who.subject, " linked coach ", coach,
                           " with their code"));
    }
  }
  if (!changed.ok()) return changed.status();
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

absl::StatusOr<coach::v1::CreateLinkCodeResponse> Coaching::CreateLinkCode(
    const Identity& who, const coach::v1::CreateLinkCodeRequest& request) {
  absl::Status coach = CheckCoach(who, "making a link code");
  if (!coach.ok()) return coach;
  absl::Status quota = TakeLinkQuota("CreateLinkCode", who);
  if (!quota.ok()) return quota;
  const absl::Time now = clock_->Now();
  // A clash with a live code is rare (1.8e9 codes); a few draws end it.
  constexpr int kDraws = 4;
  absl::Status put;
  for (int draw = 0; draw < kDraws; ++draw) {
    const std::string code = NewUserCode();
    put = links_->PutLinkCode(absl::BytesToHexString(Sha256(code)), who.subject,
                              now, now + options_.link_code_lifetime);
    if (put.ok()) {
      coach::v1::CreateLinkCodeResponse response;
      response.set_code(FormatUserCode(code));
      response.set_expires_in_seconds(static_cast<int32_t>(
          absl::ToInt64Seconds(options_.link_code_lifetime)));
      return response;
    }
    if (!absl::IsAlreadyExists(put)) return put;
  }
  return absl::UnavailableError(
      absl::StrCat("making a link code: ", put.message(), "; try again"));
}

absl::StatusOr<coach::v1::UnlinkClientResponse> Coaching::UnlinkClient(
    const Identity& who, const coach::v1::UnlinkClientRequest& request) {
  absl::Status coach = CheckCoach(who, "ending a client's link");
  if (!coach.ok()) return coach;
  absl::Status valid = ValidateId("person_id", request.person_id());
  if (!valid.ok()) return valid;
  absl::Status quota = TakeLinkQuota("UnlinkClient", who);
  if (!quota.ok()) return quota;
  absl::StatusOr<bool> changed =
      EndLink(request.person_id(), who.subject, who.subject);
  if (!changed.ok()) return changed.status();
  coach::v1::UnlinkClientResponse response;
  response.set_changed(*changed);
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
