// SchedulerService of coach.v1 over the callback API: a thin adapter from
// RPCs to Scheduler (logic). Unary calls run on the executor through
// ServeUnary; WatchReminders is a WatchRemindersReactor. Reactions never
// block.
#ifndef SERVICES_SCHEDULER_SCHEDULER_SERVICE_H_
#define SERVICES_SCHEDULER_SCHEDULER_SERVICE_H_

#include "coach/v1/scheduler.grpc.pb.h"
#include "services/scheduler/watch_reminders_reactor.h"

namespace coachd {

class SchedulerServiceImpl final
    : public coach::v1::SchedulerService::CallbackService {
 public:
  // `deps` pointers must outlive the service.
  explicit SchedulerServiceImpl(WatchRemindersDeps deps) : deps_(deps) {}

  grpc::ServerUnaryReactor* SetGoal(
      grpc::CallbackServerContext* context,
      const coach::v1::SetGoalRequest* request,
      coach::v1::SetGoalResponse* response) override;
  grpc::ServerUnaryReactor* GetProgress(
      grpc::CallbackServerContext* context,
      const coach::v1::GetProgressRequest* request,
      coach::v1::Progress* response) override;
  grpc::ServerUnaryReactor* LogWorkout(
      grpc::CallbackServerContext* context,
      const coach::v1::LogWorkoutRequest* request,
      coach::v1::LogWorkoutResponse* response) override;
  grpc::ServerWriteReactor<coach::v1::Reminder>* WatchReminders(
      grpc::CallbackServerContext* context,
      const coach::v1::WatchRemindersRequest* request) override;
  grpc::ServerUnaryReactor* AckReminder(
      grpc::CallbackServerContext* context,
      const coach::v1::AckReminderRequest* request,
      coach::v1::Reminder* response) override;

 private:
  const WatchRemindersDeps deps_;
};

}  // namespace coachd

#endif  // SERVICES_SCHEDULER_SCHEDULER_SERVICE_H_
