#include "services/scheduler/scheduler_progress_source.h"

namespace coachd {

absl::StatusOr<coach::v1::ClientProgress> SchedulerProgressSource::ProgressOf(
    absl::string_view person) {
  absl::StatusOr<coach::v1::Progress> progress = scheduler_->ProgressOf(person);
  if (!progress.ok()) return progress.status();
  coach::v1::ClientProgress out;
  out.set_sessions_done_this_week(progress->this_week().sessions_done());
  out.set_sessions_target_this_week(progress->this_week().sessions_target());
  out.set_adherence_4_weeks(progress->adherence_4_weeks());
  out.set_current_streak_weeks(progress->current_streak_weeks());
  out.set_adherence_12_weeks(progress->adherence_12_weeks());
  *out.mutable_recent_weeks() = progress->recent_weeks();
  return out;
}

}  // namespace coachd
