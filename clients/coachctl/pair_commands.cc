#include "clients/coachctl/pair_commands.h"

#include <cstdio>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "clients/common/status_text.h"

ABSL_FLAG(std::string, name, "",
          "pair approve: what to call the device (\"kitchen speaker\").");
ABSL_FLAG(std::string, kind, "",
          "pair approve: speaker, display, web, home_assistant or "
          "coach_console.");

namespace coachd {
namespace {

int Usage(const std::string& why) {
  std::cerr << "coachctl: " << why
            << "\n  pair approve CODE --name=NAME --kind=KIND | pair deny CODE"
               " | devices | devices revoke DEVICE_ID\n";
  return 2;
}

int Refused(const grpc::Status& s) {
  std::cerr << "coachctl: " << StatusText(s) << "\n";
  return 1;
}

std::string When(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0) return "never";
  return absl::FormatTime("%Y-%m-%d %H:%M:%SZ",
                          absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

}  // namespace

bool IsPairCommand(const std::string& command) {
  return command == "pair" || command == "devices";
}

int RunPairCommand(const std::vector<std::string>& args,
                   coach::v1::AuthService::Stub* stub,
                   grpc::ClientContext* context) {
  if (args.size() >= 3 && args[0] == "pair" && args[1] == "approve") {
    coach::v1::ApprovePairingRequest request;
    request.set_user_code(args[2]);
    request.set_name(absl::GetFlag(FLAGS_name));
    coach::v1::PairedKind kind = coach::v1::PAIRED_KIND_UNSPECIFIED;
    if (!coach::v1::PairedKind_Parse(
            absl::StrCat("PAIRED_KIND_",
                         absl::AsciiStrToUpper(absl::GetFlag(FLAGS_kind))),
            &kind)) {
      return Usage(absl::StrCat("--kind: unknown kind \"",
                                absl::GetFlag(FLAGS_kind), "\""));
    }
    request.set_kind(kind);
    coach::v1::ApprovePairingResponse response;
    grpc::Status s = stub->ApprovePairing(context, request, &response);
    if (!s.ok()) return Refused(s);
    std::printf("paired %s \"%s\"\n", response.device().device_id().c_str(),
                response.device().name().c_str());
    return 0;
  }
  if (args.size() >= 3 && args[0] == "pair" && args[1] == "deny") {
    coach::v1::DenyPairingRequest request;
    request.set_user_code(args[2]);
    coach::v1::DenyPairingResponse response;
    grpc::Status s = stub->DenyPairing(context, request, &response);
    if (!s.ok()) return Refused(s);
    std::printf("denied %s\n", args[2].c_str());
    return 0;
  }
  if (args.size() == 1 && args[0] == "devices") {
    coach::v1::ListDevicesResponse response;
    grpc::Status s = stub->ListDevices(context, {}, &response);
    if (!s.ok()) return Refused(s);
    for (const coach::v1::Device& d : response.devices()) {
      std::string kind = coach::v1::PairedKind_Name(d.kind());
      kind = absl::AsciiStrToLower(kind.substr(sizeof("PAIRED_KIND_") - 1));
      std::printf("%s  %-14s %-24s paired %s  last seen %s\n",
                  d.device_id().c_str(), kind.c_str(), d.name().c_str(),
                  When(d.paired_at()).c_str(), When(d.last_seen()).c_str());
    }
    return 0;
  }
  if (args.size() == 3 && args[0] == "devices" && args[1] == "revoke") {
    coach::v1::RevokeDeviceRequest request;
    request.set_device_id(args[2]);
    coach::v1::RevokeDeviceResponse response;
    grpc::Status s = stub->RevokeDevice(context, request, &response);
    if (!s.ok()) return Refused(s);
    std::printf("revoked %s\n", args[2].c_str());
    return 0;
  }
  return Usage("unknown pairing command");
}

}  // namespace coachd
