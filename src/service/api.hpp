// The SignPath v1 REST API (SIGNPATH.md §2) over the HTTP server: routing with the
// `/api/v1/{org}` (any case) and `/v1/{org}` bases, Bearer authentication (API token, optionally
// ":" trusted build system token), request decoding, problem details, and the handlers.
#pragma once
#include <string>
#include <vector>

#include "service/context.hpp"
#include "service/form.hpp"
#include "service/http_server.hpp"
#include "service/requests.hpp"

namespace signet::service {

class Api {
 public:
  explicit Api(Context& ctx) : ctx_(ctx) {}
  http::Response handle(http::Request& req);

  // Per-call view of the route (public for the handler files).
  struct Call {
    http::Request& req;
    std::string org_id;
    std::string base;               // absolute "http://host/api/v1/{org}" as the client spelled the prefix
    std::string web_base;           // absolute "http://host"
    std::vector<std::string> rest;  // segments after the organization
    Caller caller;
  };

 private:
  http::Response route(http::Request& req);
  http::Response route_v1(Call& c);
  http::Response route_v1_pre(Call& c);
  Caller authenticate(const http::Request& req, const std::string& org_id);

  // Signing requests (api_requests.cpp).
  http::Response submit(Call& c, bool with_artifact);
  http::Response upload(Call& c, const std::string& id);
  http::Response get_request(Call& c, const std::string& id, bool status_only);
  http::Response download(Call& c, const std::string& id, const std::string& which);
  http::Response resubmit(Call& c);
  http::Response decide(Call& c, const std::string& id, const std::string& action);
  http::Response list_requests(Call& c);
  http::Response request_certificate(Call& c, const std::string& id);

  // Management and audit (api_manage.cpp).
  http::Response organization(Call& c);
  http::Response projects(Call& c, const std::string& slug);
  http::Response policies(Call& c, const std::string& project, const std::string& slug);
  http::Response configurations(Call& c, const std::string& project, const std::string& slug, bool xml);
  http::Response edit_configuration(Call& c, const std::string& project, const std::string& slug);
  http::Response set_default_configuration(Call& c, const std::string& project);
  http::Response certificates(Call& c, const std::string& slug);
  http::Response audit_events(Call& c, bool signing_requests);

  Context& ctx_;
};

// Helpers shared by the handler files.
http::Response json_response(unsigned status, const nlohmann::json& body);
http::Response problem_from(const ApiError& e, const std::string& instance);
// Reads a small body (JSON object, urlencoded or multipart without files, or none) into canonical fields.
FormData read_small_form(Context& ctx, http::Request& req);
// Reads a multipart/form-data submission, streaming the named file fields to DATA/tmp.
FormData read_multipart(Context& ctx, http::Request& req, const std::vector<std::string>& file_fields);
// The OpenAPI 3 document (openapi.cpp).
nlohmann::json openapi_document(const std::string& server_url);

}  // namespace signet::service
