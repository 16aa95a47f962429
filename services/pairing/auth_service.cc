#include "services/pairing/auth_service.h"

#include <string>

namespace coachd {

grpc::ServerUnaryReactor* AuthServiceImpl::StartPairing(
    grpc::CallbackServerContext* context,
    const coach::v1::StartPairingRequest* request,
    coach::v1::StartPairingResponse* response) {
  return ServeUnaryWithoutToken(
      context, "AuthService/StartPairing", deps_, [this, request, response] {
        return AssignResult(pairing_->Start(*request), response);
      });
}

grpc::ServerUnaryReactor* AuthServiceImpl::PollPairing(
    grpc::CallbackServerContext* context,
    const coach::v1::PollPairingRequest* request,
    coach::v1::PollPairingResponse* response) {
  return ServeUnaryWithoutToken(
      context, "AuthService/PollPairing", deps_, [this, request, response] {
        return AssignResult(pairing_->Poll(*request), response);
      });
}

grpc::ServerUnaryReactor* AuthServiceImpl::ApprovePairing(
    grpc::CallbackServerContext* context,
    const coach::v1::ApprovePairingRequest* request,
    coach::v1::ApprovePairingResponse* response) {
  const std::string address = PeerAddress(context->peer());
  return ServeUnary(context, "AuthService/ApprovePairing", deps_,
                    [this, address, request, response](const Identity& who) {
                      return AssignResult(
                          pairing_->Approve(who, address, *request), response);
                    });
}

grpc::ServerUnaryReactor* AuthServiceImpl::DenyPairing(
    grpc::CallbackServerContext* context,
    const coach::v1::DenyPairingRequest* request,
    coach::v1::DenyPairingResponse* response) {
  const std::string address = PeerAddress(context->peer());
  return ServeUnary(context, "AuthService/DenyPairing", deps_,
                    [this, address, request, response](const Identity& who) {
                      return AssignResult(
                          pairing_->Deny(who, address, *request), response);
                    });
}

grpc::ServerUnaryReactor* AuthServiceImpl::RefreshToken(
    grpc::CallbackServerContext* context,
    const coach::v1::RefreshTokenRequest* request,
    coach::v1::Credentials* response) {
  return ServeUnaryWithoutToken(
      context, "AuthService/RefreshToken", deps_, [this, request, response] {
        return AssignResult(pairing_->Refresh(*request), response);
      });
}

grpc::ServerUnaryReactor* AuthServiceImpl::ListDevices(
    grpc::CallbackServerContext* context,
    const coach::v1::ListDevicesRequest* request,
    coach::v1::ListDevicesResponse* response) {
  return ServeUnary(context, "AuthService/ListDevices", deps_,
                    [this, response](const Identity& who) {
                      return AssignResult(pairing_->ListDevices(who), response);
                    });
}

grpc::ServerUnaryReactor* AuthServiceImpl::RevokeDevice(
    grpc::CallbackServerContext* context,
    const coach::v1::RevokeDeviceRequest* request,
    coach::v1::RevokeDeviceResponse* response) {
  return ServeUnary(context, "AuthService/RevokeDevice", deps_,
                    [this, request, response](const Identity& who) {
                      return AssignResult(pairing_->RevokeDevice(who, *request),
                                          response);
                    });
}

}  // namespace coachd
