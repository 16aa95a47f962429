// AuthService of coach.v1 over the callback API: a thin adapter from RPCs
// to Pairing (logic). StartPairing, PollPairing and RefreshToken take no
// access token (ServeUnaryWithoutToken); the rest resolve the caller as
// every service does (ServeUnary).
#ifndef SERVICES_PAIRING_AUTH_SERVICE_H_
#define SERVICES_PAIRING_AUTH_SERVICE_H_

#include "coach/v1/auth.grpc.pb.h"
#include "services/auth/unary_call.h"
#include "services/pairing/pairing.h"

namespace coachd {

class AuthServiceImpl final : public coach::v1::AuthService::CallbackService {
 public:
  // `pairing` and `deps` pointers must outlive the service.
  AuthServiceImpl(Pairing* pairing, ServiceDeps deps)
      : pairing_(pairing), deps_(deps) {}

  grpc::ServerUnaryReactor* StartPairing(
      grpc::CallbackServerContext* context,
      const coach::v1::StartPairingRequest* request,
      coach::v1::StartPairingResponse* response) override;
  grpc::ServerUnaryReactor* PollPairing(
      grpc::CallbackServerContext* context,
      const coach::v1::PollPairingRequest* request,
      coach::v1::PollPairingResponse* response) override;
  grpc::ServerUnaryReactor* ApprovePairing(
      grpc::CallbackServerContext* context,
      const coach::v1::ApprovePairingRequest* request,
      coach::v1::ApprovePairingResponse* response) override;
  grpc::ServerUnaryReactor* DenyPairing(
      grpc::CallbackServerContext* context,
      const coach::v1::DenyPairingRequest* request,
      coach::v1::DenyPairingResponse* response) override;
  grpc::ServerUnaryReactor* RefreshToken(
      grpc::CallbackServerContext* context,
      const coach::v1::RefreshTokenRequest* request,
      coach::v1::Credentials* response) override;
  grpc::ServerUnaryReactor* ListDevices(
      grpc::CallbackServerContext* context,
      const coach::v1::ListDevicesRequest* request,
      coach::v1::ListDevicesResponse* response) override;
  grpc::ServerUnaryReactor* RevokeDevice(
      grpc::CallbackServerContext* context,
      const coach::v1::RevokeDeviceRequest* request,
      coach::v1::RevokeDeviceResponse* response) override;

 private:
  Pairing* const pairing_;
  const ServiceDeps deps_;
};

}  // namespace coachd

#endif  // SERVICES_PAIRING_AUTH_SERVICE_H_
