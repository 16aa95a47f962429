// The logic of CoachService, with nothing of gRPC: links by consent on both
// sides (a coach makes a link code, the person links with it; either ends
// the link), the coach's client list, cues into a client's live
// session (bounded, rate-limited per coach), and session summaries. Every
// coach-facing call checks the link; anyone else gets PERMISSION_DENIED.
// WatchLive is the CoachBoard's (see coach_board.h).
//
//   Coaching coaching(&links, &board, &runner, &progress, &clock, {});
//   absl::StatusOr<coach::v1::SendCueResponse> r =
//       coaching.SendCue(coach_identity, request);
#ifndef SERVICES_COACH_COACHING_H_
#define SERVICES_COACH_COACHING_H_

#include "absl/status/statusor.h"
#include "coach/v1/coach.pb.h"
#include "services/auth/identity.h"
#include "services/coach/coach_board.h"
#include "services/coach/coach_links.h"
#include "services/coach/cue_limiter.h"
#include "services/coach/progress_source.h"
#include "services/common/clock.h"
#include "services/quota/quotas.h"
#include "services/session/session_runner.h"

namespace coachd {

// Options of Coaching.
struct CoachingOptions {
  int max_cue_chars = 200;    // Longest cue, in Unicode code points.
  CueLimitOptions cue_limit;  // Cues per coach over time.
  // How long a link code works (CreateLinkCode).
  absl::Duration link_code_lifetime = absl::Hours(24);
};

// Thread-safe. Methods block on stores: call them on worker threads. Every
// pointer passed in must outlive it.
class Coaching {
 public:
  Coaching(CoachLinkStore* links, CoachBoard* board, SessionRunner* runner,
           ProgressSource* progress, const Clock* clock,
           CoachingOptions options);

  // A person (user token) links the coach who made request.code to
  // themselves (the code is used up), or unlinks request.coach_id
  // (request.unlink): the coach's open streams of the person's sessions end
  // at once with PERMISSION_DENIED and their board drops the person.
  // INVALID_ARGUMENT naming code or coach_id; NOT_FOUND for a code that is
  // unknown, used or expired; PERMISSION_DENIED for device and coach tokens;
  // RESOURCE_EXHAUSTED past the coach_links quota (every call counts, so
  // codes cannot be guessed).
  absl::StatusOr<coach::v1::LinkCoachResponse> LinkCoach(
      const Identity& who, const coach::v1::LinkCoachRequest& request);

  // A coach makes a link code (single use, link_code_lifetime) to give to a
  // person. PERMISSION_DENIED for anyone but a coach; RESOURCE_EXHAUSTED
  // past the coach_links quota.
  absl::StatusOr<coach::v1::CreateLinkCodeResponse> CreateLinkCode(
      const Identity& who, const coach::v1::CreateLinkCodeRequest& request);

  // A coach ends the link with request.person_id, as LinkCoach's unlink
  // does from the person's side. INVALID_ARGUMENT naming person_id;
  // PERMISSION_DENIED for anyone but a coach; RESOURCE_EXHAUSTED past the
  // coach_links quota.
  absl::StatusOr<coach::v1::UnlinkClientResponse> UnlinkClient(
      const Identity& who, const coach::v1::UnlinkClientRequest& request);

  // The calling coach's clients, by person id. PERMISSION_DENIED for
  // anyone but a coach.
  absl::StatusOr<coach::v1::ListClientsResponse> ListClients(
      const Identity& who, const coach::v1::ListClientsRequest& request);

  // Speaks request.text into a live session of a client linked to the
  // calling coach, as a sequenced CoachCue event. INVALID_ARGUMENT naming
  // session_id or text; NOT_FOUND; PERMISSION_DENIED (not a coach, or not
  // linked); FAILED_PRECONDITION when the session has finished;
  // RESOURCE_EXHAUSTED past the coach's rate, saying when to retry.
  absl::StatusOr<coach::v1::SendCueResponse> SendCue(
      const Identity& who, const coach::v1::SendCueRequest& request);

  // What was done in a session against what was prescribed (tallies so far
  // while it is live), for its owner or a linked coach. INVALID_ARGUMENT
  // naming session_id; NOT_FOUND; PERMISSION_DENIED.
  absl::StatusOr<coach::v1::SessionSummaryView> GetSessionSummary(
      const Identity& who, const coach::v1::GetSessionSummaryRequest& request);

  // OK when `who` may watch a board (a coach); PERMISSION_DENIED otherwise,
  // its message naming `what` was asked for in words ("the client list").
  static absl::Status CheckCoach(const Identity& who, absl::string_view what);

  // OK when `who` may watch their own board (WatchMySessions: a user or
  // device token); PERMISSION_DENIED for a coach token, its message naming
  // `what` was asked for in words.
  static absl::Status CheckPerson(const Identity& who, absl::string_view what);

  // INVALID_ARGUMENT naming `resume.epoch` or `resume.last_sequence` for a
  // bad WatchLive or WatchMySessions position; OK for none (nullptr).
  static absl::Status ValidateResume(const coach::v1::ResumePosition* resume);

  // Limits LinkCoach, CreateLinkCode and UnlinkClient per caller (the
  // coach_links quota) from now on; null
  // (the default): no limit. Call before serving; `quotas` must outlive
  // this.
  void SetQuotas(Quotas* quotas) { quotas_ = quotas; }

 private:
  // Takes one of the coach_links quota for `who`; OK without quotas.
  absl::Status TakeLinkQuota(absl::string_view method, const Identity& who);
  // Removes the link of (person, coach), tells the board and logs `by`.
  absl::StatusOr<bool> EndLink(const std::string& person,
                               const std::string& coach, absl::string_view by);

  CoachLinkStore* links_;
  CoachBoard* board_;
  SessionRunner* runner_;
  ProgressSource* progress_;
  const Clock* clock_;
  const CoachingOptions options_;
  CueLimiter limiter_;
  Quotas* quotas_ = nullptr;
};

}  // namespace coachd

#endif  // SERVICES_COACH_COACHING_H_
