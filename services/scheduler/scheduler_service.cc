#include "services/scheduler/scheduler_service.h"

#include <utility>

#include "services/auth/unary_call.h"

namespace coachd {

grpc::ServerUnaryReactor* SchedulerServiceImpl::SetGoal(
    grpc::CallbackServerContext* context,
    const coach::v1::SetGoalRequest* request,
    coach::v1::SetGoalResponse* response) {
  return ServeUnary(context, "SchedulerService/SetGoal", deps_.service,
                    [this, request, response](const Identity& who) {
                      return AssignResult(
                          deps_.scheduler->SetGoal(who, *request), response);
                    });
}

grpc::ServerUnaryReactor* SchedulerServiceImpl::GetProgress(
    grpc::CallbackServerContext* context,
    const coach::v1::GetProgressRequest* request,
    coach::v1::Progress* response) {
  return ServeUnary(context, "SchedulerService/GetProgress", deps_.service,
                    [this, request, response](const Identity& who) {
                      return AssignResult(
                          deps_.scheduler->GetProgress(who, *request),
                          response);
                    });
}

grpc::ServerUnaryReactor* SchedulerServiceImpl::LogWorkout(
    grpc::CallbackServerContext* context,
    const coach::v1::LogWorkoutRequest* request,
    coach::v1::LogWorkoutResponse* response) {
  return ServeUnary(context, "SchedulerService/LogWorkout", deps_.service,
                    [this, request, response](const Identity& who) {
                      return AssignResult(
                          deps_.scheduler->LogWorkout(who, *request), response);
                    });
}

grpc::ServerWriteReactor<coach::v1::Reminder>*
SchedulerServiceImpl::WatchReminders(
    grpc::CallbackServerContext* context,
    const coach::v1::WatchRemindersRequest* request) {
  return new WatchRemindersReactor(deps_, context, request);
}

grpc::ServerUnaryReactor* SchedulerServiceImpl::AckReminder(
    grpc::CallbackServerContext* context,
    const coach::v1::AckReminderRequest* request,
    coach::v1::Reminder* response) {
  return ServeUnary(context, "SchedulerService/AckReminder", deps_.service,
                    [this, request, response](const Identity& who) {
                      return AssignResult(
                          deps_.scheduler->AckReminder(who, *request),
                          response);
                    });
}

}  // namespace coachd
