#include "services/catalog/catalog_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/catalog/routine_builder.h"

namespace coachd {
namespace {

bool Doable(const coach::v1::Exercise& exercise,
            const google::protobuf::RepeatedField<int>& at_hand) {
  for (int needed : exercise.equipment()) {
    if (std::find(at_hand.begin(), at_hand.end(), needed) == at_hand.end()) {
      return false;
    }
  }
  return true;
}

}  // namespace

grpc::ServerUnaryReactor* CatalogServiceImpl::ListExercises(
    grpc::CallbackServerContext* context,
    const coach::v1::ListExercisesRequest* request,
    coach::v1::ListExercisesResponse* response) {
  return ServeUnary(
      context, "CatalogService/ListExercises", deps_,
      [this, request, response](const Identity&) -> absl::Status {
        if (!coach::v1::Area_IsValid(request->area())) {
          return absl::InvalidArgumentError(
              absl::StrCat("area: unknown value ", request->area()));
        }
        for (int e : request->equipment()) {
          if (!coach::v1::Equipment_IsValid(e) ||
              e == coach::v1::EQUIPMENT_UNSPECIFIED) {
            return absl::InvalidArgumentError(
                absl::StrCat("equipment: unknown value ", e));
          }
        }
        for (const coach::v1::Exercise& ex : catalog_->exercises()) {
          if (request->area() != coach::v1::AREA_UNSPECIFIED &&
              ex.area() != request->area()) {
            continue;
          }
          if (request->has_equipment_filter() &&
              !Doable(ex, request->equipment())) {
            continue;
          }
          *response->add_exercises() = ex;
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* CatalogServiceImpl::GetExercise(
    grpc::CallbackServerContext* context,
    const coach::v1::GetExerciseRequest* request,
    coach::v1::Exercise* response) {
  return ServeUnary(
      context, "CatalogService/GetExercise", deps_,
      [this, request, response](const Identity&) -> absl::Status {
        if (request->id().empty()) {
          return absl::InvalidArgumentError("id: required");
        }
        const coach::v1::Exercise* ex = catalog_->FindExercise(request->id());
        if (ex == nullptr) {
          return absl::NotFoundError(
              absl::StrCat("id: no exercise \"", request->id(), "\""));
        }
        *response = *ex;
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* CatalogServiceImpl::BuildRoutine(
    grpc::CallbackServerContext* context,
    const coach::v1::BuildRoutineRequest* request,
    coach::v1::BuildRoutineResponse* response) {
  return ServeUnary(
      context, "CatalogService/BuildRoutine", deps_,
      [this, request, response](const Identity&) -> absl::Status {
        absl::StatusOr<coach::v1::Routine> routine =
            coachd::BuildRoutine(*catalog_, *request);
        if (!routine.ok()) return routine.status();
        *response->mutable_routine() = *std::move(routine);
        return absl::OkStatus();
      });
}

}  // namespace coachd
