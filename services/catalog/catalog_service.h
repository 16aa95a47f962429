// CatalogService of coach.v1: browse exercises and build routines. The
// catalogue is immutable and in memory, so handlers run inline.
#ifndef SERVICES_CATALOG_CATALOG_SERVICE_H_
#define SERVICES_CATALOG_CATALOG_SERVICE_H_

#include "coach/v1/catalog.grpc.pb.h"
#include "services/auth/unary_call.h"
#include "services/catalog/catalog.h"

namespace coachd {

class CatalogServiceImpl final : public coach::v1::CatalogService::CallbackService {
 public:
  // `catalog` and `deps` pointers must outlive the service.
  CatalogServiceImpl(const Catalog* catalog, ServiceDeps deps)
      : catalog_(catalog), deps_(deps) {
    deps_.executor = nullptr;  // In-memory: no blocking work.
  }

  grpc::ServerUnaryReactor* ListExercises(
      grpc::CallbackServerContext* context,
      const coach::v1::ListExercisesRequest* request,
      coach::v1::ListExercisesResponse* response) override;
  grpc::ServerUnaryReactor* GetExercise(
      grpc::CallbackServerContext* context,
      const coach::v1::GetExerciseRequest* request,
      coach::v1::Exercise* response) override;
  grpc::ServerUnaryReactor* BuildRoutine(
      grpc::CallbackServerContext* context,
      const coach::v1::BuildRoutineRequest* request,
      coach::v1::BuildRoutineResponse* response) override;

 private:
  const Catalog* catalog_;
  ServiceDeps deps_;
};

}  // namespace coachd

#endif  // SERVICES_CATALOG_CATALOG_SERVICE_H_
