// Routing, authentication and request decoding for the REST API.
#include "service/api.hpp"

#include "io/error.hpp"
#include "service/log.hpp"
#include "service/multipart.hpp"
#include "service/util.hpp"

namespace signet::service {

using nlohmann::json;

http::Response json_response(unsigned status, const json& body) {
  http::Response r;
  r.status = status;
  r.body = body.dump();
  return r;
}

http::Response problem_from(const ApiError& e, const std::string& instance) {
  auto r = http::problem(e.status, e.what(), instance);
  if (!e.errors.empty()) {
    auto j = json::parse(r.body);
    j["errors"] = e.errors;
    r.body = j.dump();
  }
  if (e.status == 401) r.headers.push_back({"WWW-Authenticate", "Bearer"});
  return r;
}

namespace {

bool is(const std::string& segment, const char* name) {
  return iequals(segment, name);
}

// Matches rest segments against a pattern; "{}" matches any one segment (captured in order).
bool match(const std::vector<std::string>& rest, std::initializer_list<const char*> pattern,
           std::vector<std::string>* captures = nullptr) {
  if (rest.size() != pattern.size()) return false;
  std::vector<std::string> caps;
  size_t i = 0;
  for (const char* p : pattern) {
    if (std::string_view(p) == "{}")
      caps.push_back(rest[i]);
    else if (!is(rest[i], p))
      return false;
    ++i;
  }
  if (captures) *captures = std::move(caps);
  return true;
}

void require_method(const http::Request& req, const char* method) {
  if (req.method != method) {
    throw ApiError(405, "method " + req.method + " is not allowed here; use " + method);
  }
}

// Flattens a JSON object into canonical form keys ({"origin":{"repositoryData":{"url":..}}}).
void flatten(const json& j, const std::string& prefix, FormData& out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string name = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object()) {
      flatten(*it, name, out);
      continue;
    }
    auto key = canonical_field(name);
    if (!key) {
      out.problems.push_back("invalid field name '" + name + "'");
      continue;
    }
    out.fields[*key] = it->is_string() ? it->get<std::string>() : it->dump();
  }
}

class NullCollector : public MultipartHandler {
 public:
  explicit NullCollector(FormData& out) : out_(out) {}
  void on_part_begin(const PartHeaders& h) override {
    key_ = canonical_field(h.name);
    value_.clear();
    if (!key_) out_.problems.push_back("invalid form field name '" + h.name.substr(0, 100) + "'");
  }
  void on_part_data(std::span<const uint8_t> d) override {
    if (value_.size() + d.size() > (1u << 20)) throw MultipartError("form field is too long");
    value_.append(reinterpret_cast<const char*>(d.data()), d.size());
  }
  void on_part_end() override {
    if (key_ && !out_.fields.emplace(*key_, value_).second) {
      out_.problems.push_back("form field '" + *key_ + "' is given more than once");
    }
  }

 private:
  FormData& out_;
  std::optional<std::string> key_;
  std::string value_;
};

}  // namespace

FormData read_small_form(Context&, http::Request& req) {
  FormData out;
  std::string ct = to_lower(req.header("content-type"));
  std::string body = req.body->read_all(4u << 20);
  if (trim(body).empty()) return out;
  if (ct.rfind("application/json", 0) == 0 || ct.find("+json") != std::string::npos) {
    auto j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw ApiError(400, "request body is not a JSON object");
    flatten(j, "", out);
  } else if (ct.rfind("application/x-www-form-urlencoded", 0) == 0) {
    parse_urlencoded(body, out);
  } else if (ct.rfind("multipart/form-data", 0) == 0) {
    try {
      NullCollector c(out);
      MultipartParser p(multipart_boundary(req.header("content-type")), c);
      p.feed(body);
      p.finish();
    } catch (const MultipartError& e) {
      throw ApiError(400, std::string("malformed multipart body: ") + e.what());
    }
  } else {
    throw ApiError(415,
                   "unsupported Content-Type '" + req.header("content-type") +
                       "'; send application/json, application/x-www-form-urlencoded or multipart/form-data");
  }
  if (!out.problems.empty()) {
    ValidationErrors v;
    for (const auto& p : out.problems) v.add("", p);
    v.throw_if_any("invalid request body");
  }
  return out;
}

FormData read_multipart(Context& ctx, http::Request& req, const std::vector<std::string>& file_fields) {
  std::string ct = req.header("content-type");
  std::string boundary;
  try {
    boundary = multipart_boundary(ct);
  } catch (const MultipartError& e) {
    throw ApiError(ct.empty() || to_lower(ct).rfind("multipart/", 0) != 0 ? 415 : 400, e.what());
  }
  uint64_t limit = ctx.options.max_upload_bytes;
  if (req.content_length && *req.content_length > limit) throw http::PayloadTooLarge(limit);
  req.body->set_limit(limit);
  FormData out;
  FormCollector collector(ctx.artifacts, file_fields, out);
  MultipartParser parser(boundary, collector);
  std::vector<uint8_t> buf(256 * 1024);
  try {
    for (size_t n; (n = req.body->read(buf)) > 0;) parser.feed(std::span<const uint8_t>(buf.data(), n));
    parser.finish();
  } catch (const MultipartError& e) {
    throw ApiError(400, std::string("malformed multipart body: ") + e.what());
  }
  return out;
}

Caller Api::authenticate(const http::Request& req, const std::string& org_id) {
  std::string h = trim(req.header("authorization"));
  if (h.empty())
    throw ApiError(401, "missing Authorization header; send 'Authorization: Bearer <API token>'");
  if (h.size() < 7 || !iequals(h.substr(0, 7), "bearer ")) {
    throw ApiError(401, "the Authorization header must use the Bearer scheme ('Bearer <API token>')");
  }
  std::string token = trim(h.substr(7)), tbs_token;
  if (auto colon = token.find(':'); colon != std::string::npos) {
    tbs_token = token.substr(colon + 1);
    token = token.substr(0, colon);
  }
  if (token.empty()) throw ApiError(401, "the API token is empty");
  Caller caller;
  bool found = false;
  ctx_.store.read([&](Tx& tx) {
    auto u = tx.user_by_token(sha256_hex(token));
    if (!u) return;
    found = true;
    caller.user = *u;
    if (!tbs_token.empty()) caller.tbs = tx.trusted_build_system_by_token(sha256_hex(tbs_token));
  });
  if (!found) throw ApiError(401, "the API token is not valid");
  if (!tbs_token.empty() && (!caller.tbs || caller.tbs->org_id != caller.user.org_id)) {
    throw ApiError(401, "the trusted build system token (after ':' in the Bearer value) is not valid");
  }
  if (caller.user.org_id != org_id) {
    throw ApiError(
        403, "the API token of user '" + caller.user.name + "' does not belong to organization " + org_id);
  }
  return caller;
}

http::Response Api::handle(http::Request& req) {
  try {
    return route(req);
  } catch (const ApiError& e) {
    return problem_from(e, req.path);
  } catch (const http::PayloadTooLarge& e) {
    return http::problem(
        413, std::string(e.what()) + " (the service's upload limit; see signet serve --max-upload-size)",
        req.path);
  } catch (const io::ErrorList& e) {
    ApiError err(400, e.errors().empty() ? "invalid request" : e.errors().front().what());
    for (const auto& x : e.errors()) err.errors[""].push_back(x.what());
    return problem_from(err, req.path);
  }
}

http::Response Api::route(http::Request& req) {
  std::vector<std::string> seg;
  for (auto& s : split(req.path, '/'))
    if (!s.empty()) seg.push_back(s);
  std::string prefix;
  size_t i = 0;
  if (!seg.empty() && is(seg[0], "api")) {
    prefix = "/" + seg[0];
    i = 1;
  }
  if (seg.size() == 2 && i == 1 && is(seg[1], "openapi.json")) {
    require_method(req, "GET");
    return json_response(200, openapi_document(req.base_url + prefix));
  }
  if (seg.size() == 1 && (is(seg[0], "healthzd") || is(seg[0], "healthz")))
    return json_response(200, {{"status", "ok"}});
  if (seg.size() - i == 3 && is(seg[i], "v1") && is(seg[i + 1], "Meta") && is(seg[i + 2], "SystemInfo")) {
    return json_response(200, {{"appVersion", "signet 0.1.0"}, {"webBaseUrl", req.base_url + "/Web"}});
  }
  if (seg.size() < i + 2 || !(is(seg[i], "v1") || is(seg[i], "v1-pre"))) {
    throw ApiError(404, "no such route: " + req.method + " " + req.path +
                            " (the API lives under /api/v1/{organizationId}/ and /v1/{organizationId}/)");
  }
  bool pre = is(seg[i], "v1-pre");
  std::string org = seg[i + 1];
  Caller caller = authenticate(req, org);
  Call c{req,   org, req.base_url + prefix + "/v1/" + org, req.base_url, {seg.begin() + i + 2, seg.end()},
         caller};
  bool org_exists = false;
  ctx_.store.read([&](Tx& tx) { org_exists = tx.organization(org).has_value(); });
  if (!org_exists) throw ApiError(404, "organization " + org + " not found");
  return pre ? route_v1_pre(c) : route_v1(c);
}

http::Response Api::route_v1(Call& c) {
  auto& r = c.rest;
  auto& m = c.req.method;
  std::vector<std::string> cap;
  if (!r.empty() && is(r[0], "SigningRequests")) {
    if (match(r, {"SigningRequests"})) return require_method(c.req, "POST"), submit(c, true);
    if (match(r, {"SigningRequests", "SubmitWithArtifact"}))
      return require_method(c.req, "POST"), submit(c, true);
    if (match(r, {"SigningRequests", "SubmitWithoutArtifact"}))
      return require_method(c.req, "POST"), submit(c, false);
    if (match(r, {"SigningRequests", "Resubmit"})) return require_method(c.req, "POST"), resubmit(c);
    if (match(r, {"SigningRequests", "SubmitWithArtifactRetrievalLink"}) ||
        match(r, {"SigningRequests", "SignHash"})) {
      throw ApiError(501, "route " + r[1] + " is not supported by this Signet server");
    }
    if (match(r, {"SigningRequests", "{}"}, &cap))
      return require_method(c.req, "GET"), get_request(c, cap[0], false);
    if (match(r, {"SigningRequests", "{}", "{}"}, &cap)) {
      const std::string& action = cap[1];
      if (is(action, "Status")) return require_method(c.req, "GET"), get_request(c, cap[0], true);
      if (is(action, "SignedArtifact") || is(action, "UnsignedArtifact") || is(action, "BuildSettingsFile")) {
        require_method(c.req, "GET");
        return download(c, cap[0], to_lower(action));
      }
      if (is(action, "UploadUnsignedArtifact")) return require_method(c.req, "POST"), upload(c, cap[0]);
      if (is(action, "Approve") || is(action, "Deny") || is(action, "Cancel")) {
        require_method(c.req, "POST");
        return decide(c, cap[0], to_lower(action));
      }
    }
  }
  if (match(r, {"Organization"})) return require_method(c.req, "GET"), organization(c);
  if (match(r, {"Projects"})) return require_method(c.req, "GET"), projects(c, "");
  if (match(r, {"Projects", "{}"}, &cap)) return require_method(c.req, "GET"), projects(c, cap[0]);
  if (match(r, {"Projects", "{}", "SigningPolicies"}, &cap))
    return require_method(c.req, "GET"), policies(c, cap[0], "");
  if (match(r, {"Projects", "{}", "SigningPolicies", "{}"}, &cap)) {
    return require_method(c.req, "GET"), policies(c, cap[0], cap[1]);
  }
  if (match(r, {"Projects", "{}", "ArtifactConfigurations"}, &cap)) {
    return require_method(c.req, "GET"), configurations(c, cap[0], "", false);
  }
  if (match(r, {"Projects", "{}", "ArtifactConfigurations", "{}"}, &cap)) {
    return require_method(c.req, "GET"), configurations(c, cap[0], cap[1], false);
  }
  if (match(r, {"Projects", "{}", "ArtifactConfigurations", "{}", "Xml"}, &cap)) {
    return require_method(c.req, "GET"), configurations(c, cap[0], cap[1], true);
  }
  if (match(r, {"Projects", "{}", "ArtifactConfigurations", "{}", "EditXml"}, &cap)) {
    return require_method(c.req, "POST"), edit_configuration(c, cap[0], cap[1]);
  }
  if (match(r, {"Projects", "{}", "SetDefaultArtifactConfiguration"}, &cap)) {
    return require_method(c.req, "POST"), set_default_configuration(c, cap[0]);
  }
  if (match(r, {"Certificates"})) return require_method(c.req, "GET"), certificates(c, "");
  if (match(r, {"Certificates", "{}"}, &cap)) return require_method(c.req, "GET"), certificates(c, cap[0]);
  (void)m;
  throw ApiError(404, "no such route: " + c.req.method + " " + c.req.path);
}

http::Response Api::route_v1_pre(Call& c) {
  std::vector<std::string> cap;
  if (match(c.rest, {"AuditLog", "Events"})) return require_method(c.req, "GET"), audit_events(c, false);
  if (match(c.rest, {"AuditLog", "SigningRequestEvents"}))
    return require_method(c.req, "GET"), audit_events(c, true);
  if (match(c.rest, {"SigningRequests"})) return require_method(c.req, "GET"), list_requests(c);
  if (match(c.rest, {"SigningRequests", "{}", "X509Certificate"}, &cap)) {
    return require_method(c.req, "GET"), request_certificate(c, cap[0]);
  }
  throw ApiError(404, "no such preview route: " + c.req.method + " " + c.req.path);
}

}  // namespace signet::service
