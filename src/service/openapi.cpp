// The OpenAPI 3 description of the routes this server implements (served at /api/openapi.json).
#include "service/api.hpp"

namespace signet::service {

namespace {

const char* kDocument = R"JSON({
  "openapi": "3.0.3",
  "info": {
    "title": "Signet signing service (SignPath v1 compatible)",
    "version": "0.1.0",
    "description": "SignPath v1 REST API subset as served by `signet serve`. Every route also answers under `/v1/{organizationId}` (without `/api`); the `api` segment is case-insensitive. Errors are RFC 9457 problem details. Multipart field names bind case-insensitively; dictionaries as `parameters.x`, `Parameters.x` or `Parameters[x]`, nested objects as `Origin.RepositoryData.Url`. Signet extension: `GET .../Status` and `GET .../SigningRequests/{id}` accept `waitForCompletionTimeoutInSeconds` (at most 60) to wait for a final status instead of polling."
  },
  "security": [{"bearer": []}],
  "paths": {
    "/v1/{organizationId}/SigningRequests/SubmitWithArtifact": {"post": {"summary": "Submit a signing request with the artifact", "operationId": "submitWithArtifact",
      "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"$ref": "#/components/schemas/Submission"}}}},
      "responses": {"201": {"$ref": "#/components/responses/Created"}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}, "413": {"$ref": "#/components/responses/Problem"}, "415": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/{organizationId}/SigningRequests": {"post": {"summary": "Submit (legacy route, same as SubmitWithArtifact; used by the Maven plugin)", "deprecated": true, "operationId": "submitLegacy",
      "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"$ref": "#/components/schemas/Submission"}}}},
      "responses": {"201": {"$ref": "#/components/responses/Created"}, "400": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/{organizationId}/SigningRequests/SubmitWithoutArtifact": {"post": {"summary": "Submit and upload the artifact later (Jenkins plugin)", "operationId": "submitWithoutArtifact",
      "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"$ref": "#/components/schemas/SubmissionWithoutArtifact"}}}},
      "responses": {"201": {"description": "Created; the body has signingRequestId, uploadLink and webLink", "headers": {"Location": {"schema": {"type": "string"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SigningRequest"}}}}, "400": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/{organizationId}/SigningRequests/{id}/UploadUnsignedArtifact": {"post": {"summary": "Upload the announced artifact (raw bytes or one multipart file part); its SHA-256 must match", "operationId": "uploadUnsignedArtifact",
      "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
      "responses": {"202": {"description": "Accepted", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SigningRequest"}}}}, "400": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}, "413": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/{organizationId}/SigningRequests/{id}": {"get": {"summary": "The signing request", "operationId": "getSigningRequest",
      "parameters": [{"$ref": "#/components/parameters/Wait"}],
      "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SigningRequest"}}}}, "403": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/{organizationId}/SigningRequests/{id}/Status": {"get": {"summary": "Status only (preferred for polling)", "operationId": "getStatus",
      "parameters": [{"$ref": "#/components/parameters/Wait"}],
      "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}}}}},
    "/v1/{organizationId}/SigningRequests/{id}/SignedArtifact": {"get": {"summary": "Download the signed artifact; 400 while not completed, 404 when the request ended without one", "operationId": "getSignedArtifact",
      "responses": {"200": {"$ref": "#/components/responses/Binary"}, "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/{organizationId}/SigningRequests/{id}/UnsignedArtifact": {"get": {"summary": "Download the submitted artifact", "operationId": "getUnsignedArtifact", "responses": {"200": {"$ref": "#/components/responses/Binary"}, "404": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/{organizationId}/SigningRequests/{id}/BuildSettingsFile": {"get": {"summary": "Download the origin's build settings file", "operationId": "getBuildSettingsFile", "responses": {"200": {"$ref": "#/components/responses/Binary"}, "404": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/{organizationId}/SigningRequests/Resubmit": {"post": {"summary": "Resubmit: a new request with the original's artifact, configuration, parameters and origin, judged by the new policy", "operationId": "resubmit",
      "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["originalSigningRequestId", "signingPolicySlug"], "properties": {"originalSigningRequestId": {"type": "string", "format": "uuid"}, "signingPolicySlug": {"type": "string"}, "description": {"type": "string"}, "cancellationTimeoutInSeconds": {"type": "integer"}}}}}},
      "responses": {"201": {"$ref": "#/components/responses/Created"}, "403": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/{organizationId}/SigningRequests/{id}/Cancel": {"post": {"summary": "Cancel (submitter, global or project administrator)", "operationId": "cancel", "responses": {"200": {"$ref": "#/components/responses/Request"}, "409": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/{organizationId}/SigningRequests/{id}/Approve": {"post": {"summary": "Approve (policy approvers; not the submitter; twice counts once)", "operationId": "approve", "responses": {"200": {"$ref": "#/components/responses/Request"}, "403": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/{organizationId}/SigningRequests/{id}/Deny": {"post": {"summary": "Deny (one deny aborts); optional reason", "operationId": "deny",
      "requestBody": {"required": false, "content": {"multipart/form-data": {"schema": {"type": "object", "properties": {"reason": {"type": "string"}}}}, "application/json": {"schema": {"type": "object", "properties": {"reason": {"type": "string"}}}}}},
      "responses": {"200": {"$ref": "#/components/responses/Request"}, "403": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/{organizationId}/Organization": {"get": {"summary": "The organization", "operationId": "getOrganization", "responses": {"200": {"$ref": "#/components/responses/Json"}}}},
    "/v1/{organizationId}/Projects": {"get": {"summary": "Projects (administrators, global readers)", "operationId": "listProjects", "responses": {"200": {"$ref": "#/components/responses/Json"}, "403": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/{organizationId}/Projects/{projectSlug}": {"get": {"summary": "A project", "operationId": "getProject", "responses": {"200": {"$ref": "#/components/responses/Json"}, "404": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/{organizationId}/Projects/{projectSlug}/SigningPolicies": {"get": {"summary": "A project's signing policies", "operationId": "listSigningPolicies", "responses": {"200": {"$ref": "#/components/responses/Json"}}}},
    "/v1/{organizationId}/Projects/{projectSlug}/SigningPolicies/{slug}": {"get": {"summary": "A signing policy", "operationId": "getSigningPolicy", "responses": {"200": {"$ref": "#/components/responses/Json"}, "404": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/{organizationId}/Projects/{projectSlug}/ArtifactConfigurations": {"get": {"summary": "A project's artifact configurations", "operationId": "listArtifactConfigurations", "responses": {"200": {"$ref": "#/components/responses/Json"}}}},
    "/v1/{organizationId}/Projects/{projectSlug}/ArtifactConfigurations/{slug}": {"get": {"summary": "An artifact configuration with its versions", "operationId": "getArtifactConfiguration", "responses": {"200": {"$ref": "#/components/responses/Json"}}}},
    "/v1/{organizationId}/Projects/{projectSlug}/ArtifactConfigurations/{slug}/Xml": {"get": {"summary": "The XML of the current (or ?version=N) version", "operationId": "getArtifactConfigurationXml", "responses": {"200": {"description": "XML", "content": {"application/xml": {}}}}}},
    "/v1/{organizationId}/Projects/{projectSlug}/ArtifactConfigurations/{slug}/EditXml": {"post": {"summary": "Upload a new version (created if the slug is new); invalid XML is rejected with file:line:col errors", "operationId": "editArtifactConfigurationXml",
      "requestBody": {"required": true, "content": {"application/xml": {"schema": {"type": "string"}}, "multipart/form-data": {"schema": {"type": "object", "properties": {"artifactConfiguration": {"type": "string", "format": "binary"}, "name": {"type": "string"}}}}, "application/json": {"schema": {"type": "object", "properties": {"xml": {"type": "string"}, "name": {"type": "string"}}}}}},
      "responses": {"200": {"$ref": "#/components/responses/Json"}, "201": {"$ref": "#/components/responses/Json"}, "400": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/{organizationId}/Projects/{projectSlug}/SetDefaultArtifactConfiguration": {"post": {"summary": "Set the default artifact configuration", "operationId": "setDefaultArtifactConfiguration",
      "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "properties": {"artifactConfigurationSlug": {"type": "string"}}}}, "application/json": {"schema": {"type": "object", "properties": {"artifactConfigurationSlug": {"type": "string"}}}}}},
      "responses": {"200": {"$ref": "#/components/responses/Json"}, "403": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}}}},
    "/v1/{organizationId}/Certificates": {"get": {"summary": "Certificates (X.509 data and chain; GPG key data)", "operationId": "listCertificates", "responses": {"200": {"$ref": "#/components/responses/Json"}}}},
    "/v1/{organizationId}/Certificates/{slug}": {"get": {"summary": "A certificate", "operationId": "getCertificate", "responses": {"200": {"$ref": "#/components/responses/Json"}}}},
    "/v1-pre/{organizationId}/AuditLog/Events": {"get": {"summary": "Audit log (GlobalAdministrator, GlobalReader); hash-chained events in order", "operationId": "auditEvents",
      "parameters": [{"name": "after", "in": "query", "schema": {"type": "integer"}}, {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 1000}}],
      "responses": {"200": {"description": "{events: [...], nextAfter}", "content": {"application/json": {"schema": {"type": "object", "properties": {"events": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEvent"}}, "nextAfter": {"type": "integer"}}}}}}}}},
    "/v1-pre/{organizationId}/AuditLog/SigningRequestEvents": {"get": {"summary": "Audit events of signing requests (?signingRequestId=)", "operationId": "auditSigningRequestEvents", "responses": {"200": {"$ref": "#/components/responses/Json"}}}},
    "/v1-pre/{organizationId}/SigningRequests": {"get": {"summary": "Signing requests the caller may read, newest first (?limit=&before=)", "operationId": "listSigningRequests", "responses": {"200": {"$ref": "#/components/responses/Json"}}}},
    "/v1-pre/{organizationId}/SigningRequests/{id}/X509Certificate": {"get": {"summary": "The signing certificate (DER)", "operationId": "getX509Certificate", "responses": {"200": {"description": "DER", "content": {"application/pkix-cert": {}}}}}},
    "/v1/Meta/SystemInfo": {"get": {"summary": "Version", "security": [], "responses": {"200": {"$ref": "#/components/responses/Json"}}}},
    "/healthzd": {"get": {"summary": "Health", "security": [], "responses": {"200": {"$ref": "#/components/responses/Json"}}}}
  },
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "API token, or API_TOKEN:TRUSTED_BUILD_SYSTEM_TOKEN for submissions whose origin data is to be trusted"}},
    "parameters": {"Wait": {"name": "waitForCompletionTimeoutInSeconds", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0, "maximum": 60}, "description": "Signet extension: wait up to this long for a final status"}},
    "responses": {
      "Problem": {"description": "RFC 9457 problem details", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
      "Created": {"description": "Created", "headers": {"Location": {"schema": {"type": "string"}, "description": "URL of the signing request"}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SigningRequest"}}}},
      "Request": {"description": "The signing request", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SigningRequest"}}}},
      "Json": {"description": "JSON", "content": {"application/json": {}}},
      "Binary": {"description": "The file", "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}
    },
    "schemas": {
      "Submission": {"type": "object", "required": ["projectSlug", "signingPolicySlug", "artifact"], "properties": {
        "projectSlug": {"type": "string"}, "signingPolicySlug": {"type": "string"}, "signingPolicyId": {"type": "string"}, "artifactConfigurationSlug": {"type": "string"}, "artifactConfigurationId": {"type": "string"},
        "artifact": {"type": "string", "format": "binary"}, "description": {"type": "string"}, "cancellationTimeoutInSeconds": {"type": "integer"},
        "parameters.{name}": {"type": "string"},
        "Origin.RepositoryData.Url": {"type": "string"}, "Origin.RepositoryData.BranchName": {"type": "string"}, "Origin.RepositoryData.CommitId": {"type": "string"}, "Origin.RepositoryData.SourceControlManagementType": {"type": "string"},
        "Origin.BuildData.Url": {"type": "string"}, "Origin.BuildData.BuildSettingsFile": {"type": "string", "format": "binary"}}},
      "SubmissionWithoutArtifact": {"type": "object", "required": ["projectSlug", "signingPolicySlug", "unsignedArtifactMetadata.fileName", "unsignedArtifactMetadata.sha256Hash"], "properties": {
        "unsignedArtifactMetadata.fileName": {"type": "string"}, "unsignedArtifactMetadata.sha256Hash": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
        "projectSlug": {"type": "string"}, "signingPolicySlug": {"type": "string"}, "artifactConfigurationSlug": {"type": "string"}, "description": {"type": "string"}}},
      "Status": {"type": "object", "properties": {"id": {"type": "string"}, "status": {"$ref": "#/components/schemas/StatusValue"}, "workflowStatus": {"$ref": "#/components/schemas/WorkflowStatus"}, "isFinalStatus": {"type": "boolean"}, "signedArtifactLink": {"type": "string"}, "statusReason": {"type": "string"}}},
      "StatusValue": {"type": "string", "enum": ["InProgress", "WaitingForApproval", "Completed", "Failed", "Denied", "Canceled"]},
      "WorkflowStatus": {"type": "string", "enum": ["Submitted", "WaitingForArtifactUpload", "RetrievingArtifact", "WaitingForApproval", "QueuedForProcessing", "Processing", "Completed", "ProcessingFailed", "ArtifactRetrievalFailed", "Denied", "Canceled"]},
      "SigningRequest": {"type": "object", "properties": {
        "id": {"type": "string", "format": "uuid"}, "signingRequestId": {"type": "string", "format": "uuid"},
        "status": {"$ref": "#/components/schemas/StatusValue"}, "workflowStatus": {"$ref": "#/components/schemas/WorkflowStatus"}, "isFinalStatus": {"type": "boolean"}, "description": {"type": "string"},
        "projectId": {"type": "string"}, "projectSlug": {"type": "string"}, "projectName": {"type": "string"},
        "artifactConfigurationId": {"type": "string"}, "artifactConfigurationSlug": {"type": "string"}, "artifactConfigurationName": {"type": "string"}, "artifactConfigurationVersion": {"type": "integer"},
        "signingPolicyId": {"type": "string"}, "signingPolicySlug": {"type": "string"}, "signingPolicyName": {"type": "string"},
        "unsignedArtifactLink": {"type": "string"}, "signedArtifactLink": {"type": "string"}, "webLink": {"type": "string"}, "uploadLink": {"type": "string"},
        "parameters": {"type": "object", "additionalProperties": {"type": "string"}},
        "origin": {"type": "object", "properties": {"repositoryData": {"type": "object", "properties": {"url": {"type": "string"}, "branchName": {"type": "string"}, "commitId": {"type": "string"}, "sourceControlManagementType": {"type": "string"}}}, "buildData": {"type": "object", "properties": {"url": {"type": "string"}, "buildSettingsFile": {"type": "object", "properties": {"downloadLink": {"type": "string"}, "fileName": {"type": "string"}}}}}}},
        "originVerified": {"type": "boolean"}, "originalSigningRequestId": {"type": "string"},
        "createdDate": {"type": "string", "format": "date-time"}, "lastModifiedDate": {"type": "string", "format": "date-time"},
        "submittedBy": {"type": "object"}, "requiredApprovals": {"type": "integer"}, "approvals": {"type": "array", "items": {"type": "object"}},
        "processingError": {"type": "string"}, "statusReason": {"type": "string"},
        "unsignedArtifact": {"type": "object"}, "signedArtifact": {"type": "object"}, "webhookDeliveries": {"type": "array", "items": {"type": "object"}}}},
      "AuditEvent": {"type": "object", "properties": {"sequenceNumber": {"type": "integer"}, "time": {"type": "string"}, "organizationId": {"type": "string"}, "actorId": {"type": "string"}, "actorName": {"type": "string"}, "action": {"type": "string"}, "subjectType": {"type": "string"}, "subjectId": {"type": "string"}, "data": {"type": "object"}, "previousHash": {"type": "string"}, "hash": {"type": "string"}}},
      "Problem": {"type": "object", "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"}, "instance": {"type": "string"}, "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}}}
    }
  }
})JSON";

}  // namespace

nlohmann::json openapi_document(const std::string& server_url) {
  static const nlohmann::json doc = nlohmann::json::parse(kDocument);
  nlohmann::json d = doc;
  d["servers"] = nlohmann::json::array({{{"url", server_url}}});
  for (auto& [path, item] : d["paths"].items()) {
    for (auto& [method, op] : item.items()) {
      (void)method;
      if (path.find("{organizationId}") != std::string::npos) {
        op["parameters"].push_back({{"name", "organizationId"},
                                    {"in", "path"},
                                    {"required", true},
                                    {"schema", {{"type", "string"}, {"format", "uuid"}}}});
      }
      for (const char* p : {"id", "projectSlug", "slug"}) {
        if (path.find(std::string("{") + p + "}") != std::string::npos) {
          op["parameters"].push_back(
              {{"name", p}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
        }
      }
    }
  }
  return d;
}

}  // namespace signet::service
