#include "clients/web/http_reply.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "clients/web/http_parse.h"
#include "clients/web/json_writer.h"

namespace coachd {

std::string Header(evhttp_request* request, const char* name) {
  const char* value =
      evhttp_find_header(evhttp_request_get_input_headers(request), name);
  return value != nullptr ? value : "";
}

std::string QueryParam(evhttp_request* request, const char* name) {
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(request);
  const char* query = uri != nullptr ? evhttp_uri_get_query(uri) : nullptr;
  if (query == nullptr) return "";
  return QueryValue(query, name).value_or("");
}

void Reply(evhttp_request* request, int code, const char* content_type,
           absl::string_view body) {
  evkeyvalq* headers = evhttp_request_get_output_headers(request);
  evhttp_add_header(headers, "Content-Type", content_type);
  evhttp_add_header(headers, "Cache-Control", "no-store");
  evhttp_add_header(headers, "X-Content-Type-Options", "nosniff");
  evbuffer* buffer = evbuffer_new();
  evbuffer_add(buffer, body.data(), body.size());
  evhttp_send_reply(request, code, nullptr, buffer);
  evbuffer_free(buffer);
}

std::string ErrorJson(absl::string_view code, absl::string_view message) {
  JsonWriter w;
  w.BeginObject();
  w.Member("code", code);
  w.Member("error", message);
  w.EndObject();
  return w.Take();
}

void ReplyError(evhttp_request* request, const absl::Status& status) {
  Reply(request, HttpStatusFor(static_cast<int>(status.code())),
        "application/json",
        ErrorJson(absl::StatusCodeToString(status.code()), status.message()));
}

std::string GrpcCodeName(const grpc::Status& status) {
  return absl::StatusCodeToString(
      static_cast<absl::StatusCode>(status.error_code()));
}

absl::StatusOr<google::protobuf::Struct> JsonBody(evhttp_request* request) {
  evbuffer* input = evhttp_request_get_input_buffer(request);
  const size_t length = evbuffer_get_length(input);
  std::string body(length, '\0');
  evbuffer_copyout(input, body.data(), length);
  return ParseJsonBody(body);
}

PendingReply::PendingReply(evhttp_request* request,
                           std::function<void()> on_gone)
    : request_(request),
      connection_(evhttp_request_get_connection(request)),
      on_gone_(std::move(on_gone)) {
  evhttp_connection_set_closecb(connection_, &PendingReply::OnClosed, this);
}

PendingReply::~PendingReply() {
  if (request_ != nullptr) {
    evhttp_connection_set_closecb(connection_, nullptr, nullptr);
    Reply(request_, 500, "application/json",
          ErrorJson("INTERNAL", "no answer"));
  }
}

void PendingReply::AddHeader(std::string name, std::string value) {
  headers_.emplace_back(std::move(name), std::move(value));
}

void PendingReply::Send(const grpc::Status& status, const std::string& json) {
  if (request_ == nullptr) return;
  evhttp_connection_set_closecb(connection_, nullptr, nullptr);
  evkeyvalq* out = evhttp_request_get_output_headers(request_);
  for (const auto& [name, value] : headers_) {
    evhttp_add_header(out, name.c_str(), value.c_str());
  }
  if (status.ok()) {
    Reply(request_, 200, "application/json", json);
  } else {
    Reply(request_, HttpStatusFor(status.error_code()), "application/json",
          ErrorJson(GrpcCodeName(status), status.error_message()));
  }
  request_ = nullptr;
}

void PendingReply::OnClosed(evhttp_connection*, void* self) {
  auto* reply = static_cast<PendingReply*>(self);
  reply->request_ = nullptr;
  if (reply->on_gone_) std::move(reply->on_gone_)();
}

}  // namespace coachd
