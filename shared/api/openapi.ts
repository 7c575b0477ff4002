import type { z } from "zod";
import {
  acceptedBatchSchema,
  acceptedJobSchema,
  analysisSchema,
  batchFormSchema,
  batchSchema,
  batchUploadsSchema,
  jobSchema,
  progressMessageSchema,
  detailErrorSchema,
  errorSchema,
  fieldErrorsSchema,
  healthSchema,
  jsonSchemaOf,
  recentItemSchema,
  stagedUploadSchema,
  uploadFormSchema,
  uploadResponseSchema,
  uploadTicketSchema,
  uploadUrlRequestSchema,
} from "./schemas.js";

/**
 * The OpenAPI 3.1 document of the public API, generated from the zod schemas in schemas.ts.
 * `npm run openapi` writes it to openapi.json (committed; a test keeps it current) and the API
 * serves it at GET /api/photo-analysis/openapi.json.
 */

const component = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object, description: string, headers?: Record<string, object>) => ({
  description,
  content: { "application/json": { schema } },
  ...(headers ? { headers } : {}),
});
const header = (description: string) => ({ description, schema: { type: "string" } });
const requestIdHeader = { "X-Request-Id": header("The request's id (also request_id in error bodies)") };
const rateLimitHeaders = {
  ...requestIdHeader,
  "RateLimit-Limit": header("Analyses allowed per hour"),
  "RateLimit-Remaining": header("Analyses left in the window"),
  "RateLimit-Reset": header("Seconds until the window resets"),
};

const errors = {
  400: json(component("FieldErrors"), 'Invalid input: field errors, each field with its messages, e.g. {"image": ["No file was submitted."]}', requestIdHeader),
  401: json(component("DetailError"), "A bearer token that does not verify", requestIdHeader),
  403: json(component("DetailError"), "Signed in, but not an admin", requestIdHeader),
  404: json(component("DetailError"), "Not found (also for malformed ids)", requestIdHeader),
  429: json(component("Error"), "Rate limit exceeded", { ...rateLimitHeaders, "Retry-After": header("Seconds to wait") }),
  500: json(component("Error"), "Analysis or storage failed", requestIdHeader),
  503: json(
    component("Error"),
    "Not configured on this server (a provider's key; for async and presigned uploads the job queue or S3 staging), or the photo is being analysed by another request (Retry-After)",
    requestIdHeader,
  ),
};
const pick = <K extends keyof typeof errors>(...codes: K[]) => Object.fromEntries(codes.map((code) => [code, errors[code]]));
const fingerprintQuery = {
  name: "fingerprint",
  in: "query",
  required: false,
  schema: { type: "string", maxLength: 255 },
  description: "The fingerprint the work was submitted with",
};
const idParameter = { name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } };

const schemas: Record<string, z.ZodType> = {
  Analysis: analysisSchema,
  UploadResponse: uploadResponseSchema,
  RecentItem: recentItemSchema,
  UploadTicket: uploadTicketSchema,
  Health: healthSchema,
  FieldErrors: fieldErrorsSchema,
  DetailError: detailErrorSchema,
  Error: errorSchema,
  UploadForm: uploadFormSchema,
  StagedUpload: stagedUploadSchema,
  UploadUrlRequest: uploadUrlRequestSchema,
  AcceptedJob: acceptedJobSchema,
  AcceptedBatch: acceptedBatchSchema,
  Job: jobSchema,
  Batch: batchSchema,
  BatchForm: batchFormSchema,
  BatchUploads: batchUploadsSchema,
  ProgressMessage: progressMessageSchema,
};

export function openApiDocument(): Record<string, unknown> {
  const components = Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, jsonSchemaOf(schema)]));
  // The multipart image parts are files: `format: binary` is what generators read as a file (a Blob), the media type what 3.1 says.
  const file = { type: "string", format: "binary", contentMediaType: "application/octet-stream" };
  (components.UploadForm as { properties: Record<string, object> }).properties.image = {
    ...file,
    description: "The photo (JPEG, PNG, WebP, GIF, HEIC, AVIF), at most 4 MB here; larger through /upload-url/",
  };
  (components.BatchForm as { properties: Record<string, object> }).properties.image = {
    type: "array",
    minItems: 1,
    maxItems: 10,
    items: file,
    description: "1 to 10 photos, each an `image` part",
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "Photo Analysis",
      version: "1.0.0",
      description: [
        "Upload a photo, get 10 chat-room name suggestions (name, slug key, one-line description). Paths work with and without the trailing slash.",
        "",
        "Privacy: every upload belongs to its caller (the signed-in user, else the fingerprint, else the address) and has its own id and its own stored image. An analysis of the same or a similar photo is reused without a vision call, but no answer says that, when, how often or by whom a photo was sent before: another caller's photo is answered through a new upload of theirs (201). Who sent an upload, their context and their file's hashes are shown to the owner and admins only; recent/ lists only the caller's own uploads; the owner can DELETE an upload; when its image expires, its personal fields are erased.",
        "JSON answers are `Cache-Control: private, no-store` with `X-Content-Type-Options: nosniff`; images `private, max-age=300`. Links (image_url, status_url, events_url, Location) use the deployment's own origin, never the request's headers.",
      ].join("\n"),
    },
    paths: {
      "/api/photo-analysis/upload/": {
        post: {
          operationId: "upload",
          summary: "Analyse a photo (multipart), or a photo uploaded through the presigned flow (JSON)",
          description: "With `Prefer: respond-async` the photo is queued instead: 202 with a job to follow (GET status_url, or the events_url WebSocket).",
          parameters: [{ name: "Prefer", in: "header", required: false, schema: { type: "string", enum: ["respond-async"] } }],
          requestBody: {
            required: true,
            content: { "multipart/form-data": { schema: component("UploadForm") }, "application/json": { schema: component("StagedUpload") } },
          },
          responses: {
            200: json(
              component("UploadResponse"),
              "The caller's own earlier upload of the same bytes or a similar photo, again (cached: true, times_used + 1)",
              rateLimitHeaders,
            ),
            201: json(
              component("UploadResponse"),
              "A new upload of the caller's: analysed now, or answered by an existing analysis of the same or a similar photo (no vision call and no unit charged; nothing in the answer says so)",
              rateLimitHeaders,
            ),
            202: json(component("AcceptedJob"), "Queued (Prefer: respond-async)", {
              ...requestIdHeader,
              "Preference-Applied": header("respond-async"),
              Location: header("The status URL"),
            }),
            ...pick(400, 401, 404, 429, 500, 503),
            422: json(
              component("FieldErrors"),
              'Refused: {"image": ["This photo can\'t be analysed: it appears to contain explicit content."]} (moderation), or {"language": [...]} when the provider writes English only',
              requestIdHeader,
            ),
            413: json(
              component("FieldErrors"),
              "Too large for a direct upload (use /upload-url/), or a body over the parsing limits (JSON 64 KB, a form 10 MB)",
              requestIdHeader,
            ),
          },
        },
      },
      "/api/photo-analysis/batch/": {
        post: {
          operationId: "batch",
          summary: "Queue 1 to 10 photos for analysis; follow them with GET status_url or the events_url WebSocket",
          description:
            "A part that is not a usable photo fails its own item (with the 400 the upload would answer), not the batch. Each photo that needs a vision call takes one unit of the caller's hourly allowance when it runs; a batch with more such photos than the caller has units left (minus their jobs still waiting), or past the cap on waiting jobs, is refused whole with the upload's 429, and nothing is queued.",
          requestBody: {
            required: true,
            content: { "multipart/form-data": { schema: component("BatchForm") }, "application/json": { schema: component("BatchUploads") } },
          },
          responses: {
            202: json(component("AcceptedBatch"), "Queued", { ...requestIdHeader, Location: header("The status URL") }),
            ...pick(400, 401, 429, 500),
            503: json(component("Error"), "Not configured on this server: the job queue, or S3 staging", requestIdHeader),
            413: json(component("FieldErrors"), "A body over the parsing limits (JSON 64 KB, a form 10 MB)", requestIdHeader),
          },
        },
      },
      "/api/photo-analysis/batch/{batch_id}/": {
        get: {
          operationId: "getBatch",
          summary: "A batch and each photo's state (the caller's own: ?fingerprint= or a bearer token)",
          parameters: [{ name: "batch_id", in: "path", required: true, schema: { type: "string", format: "uuid" } }, fingerprintQuery],
          responses: { 200: json(component("Batch"), "Current state", requestIdHeader), ...pick(400, 401, 404) },
        },
      },
      "/api/photo-analysis/jobs/{job_id}/": {
        get: {
          operationId: "getJob",
          summary: "One async analysis (the caller's own)",
          parameters: [{ name: "job_id", in: "path", required: true, schema: { type: "string", format: "uuid" } }, fingerprintQuery],
          responses: { 200: json(component("Job"), "Current state", requestIdHeader), ...pick(400, 401, 404) },
        },
      },
      "/api/photo-analysis/upload-url/": {
        post: {
          operationId: "createUploadUrl",
          summary: "A presigned S3 POST for photos over the direct-upload limit",
          requestBody: { required: false, content: { "application/json": { schema: component("UploadUrlRequest") } } },
          responses: {
            201: json(component("UploadTicket"), "POST the file to url with fields, then POST upload_id to /upload/", rateLimitHeaders),
            ...pick(400, 401, 429),
            413: json(component("FieldErrors"), "A JSON body over 64 KB", requestIdHeader),
            503: json(component("Error"), "Presigned uploads need S3 storage, which is not configured on this server", requestIdHeader),
          },
        },
      },
      "/api/photo-analysis/recent/": {
        get: {
          operationId: "recent",
          summary: "The caller's own recent uploads: the signed-in user's, else those made anonymously with the fingerprint",
          parameters: [
            { name: "fingerprint", in: "query", required: false, schema: { type: "string", maxLength: 255 } },
            { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 50, default: 10 } },
          ],
          responses: { 200: json({ type: "array", items: component("RecentItem") }, "Newest first", requestIdHeader), ...pick(400, 401) },
        },
      },
      "/api/photo-analysis/{id}/": {
        get: {
          operationId: "getAnalysis",
          summary: "One upload; who sent it, their context and their file's hashes only to its owner and admins",
          description:
            "The owner is the same signed-in user (bearer token), the same fingerprint for an anonymous upload (?fingerprint=), or the same address for one made with neither. After its image expires, an upload is kept a few days without its personal fields (is_expired: true).",
          parameters: [idParameter, { ...fingerprintQuery, description: "The fingerprint the upload was made with (the owner's view)" }],
          responses: { 200: json(component("Analysis"), "One upload", requestIdHeader), ...pick(401, 404) },
        },
        delete: {
          operationId: "deleteUpload",
          summary: "The owner erases their upload: its image, who sent it and what they wrote",
          description: "Owner only (as for GET): anyone else gets the 404 of an unknown id. The analysis it shared with other callers' uploads stays for them.",
          parameters: [idParameter, { ...fingerprintQuery, description: "The fingerprint the upload was made with" }],
          responses: { 204: { description: "Erased", headers: requestIdHeader }, ...pick(401, 404, 500) },
        },
      },
      "/api/photo-analysis/{id}/image/": {
        get: {
          operationId: "getImage",
          parameters: [idParameter],
          responses: {
            200: {
              description: "The upload's own stored image (the caller's bytes, metadata-free, at most 2048 px)",
              content: { "image/jpeg": { schema: file }, "image/webp": { schema: file } },
            },
            ...pick(404, 500),
            410: json(component("Error"), "The image has expired (and been deleted)", requestIdHeader),
          },
        },
      },
      "/api/photo-analysis/health/": {
        get: {
          operationId: "health",
          summary: "Whether the table and the image store answer and a vision provider is configured (no secrets)",
          responses: { 200: json(component("Health"), "Ready", requestIdHeader), 503: json(component("Health"), "Not ready: see checks", requestIdHeader) },
        },
      },
      "/api/photo-analysis/openapi.json": {
        get: {
          operationId: "openapi",
          summary: "This document",
          responses: { 200: { description: "OpenAPI 3.1", content: { "application/json": { schema: { type: "object" } } } } },
        },
      },
      "/api/admin/analyses/": {
        get: {
          operationId: "adminList",
          summary: "Admin: uploads newest first, with filters and a cursor (q: an upload id, an MD5 or pHash of an analysis, a fingerprint or a user)",
          security: [{ adminBearer: [] }],
          parameters: [
            { name: "limit", schema: { type: "integer", minimum: 1, maximum: 100, default: 25 } },
            { name: "cursor", schema: { type: "string" }, description: "next_cursor of the previous page" },
            { name: "model", schema: { type: "string" }, description: "A model or a provider" },
            { name: "storage_type", schema: { type: "string", enum: ["s3", "local"] } },
            { name: "expired", schema: { type: "boolean" } },
            { name: "signed_in", schema: { type: "boolean" } },
            { name: "flagged", schema: { type: "boolean" }, description: "Flagged by moderation" },
            { name: "from", schema: { type: "string", format: "date" } },
            { name: "to", schema: { type: "string", format: "date" } },
            { name: "q", schema: { type: "string" }, description: "An upload id, an MD5 or pHash of an analysis, a fingerprint or a user" },
          ].map((parameter) => ({ ...parameter, in: "query", required: false })),
          responses: {
            200: json(
              {
                type: "object",
                required: ["results", "next_cursor"],
                properties: { results: { type: "array", items: { type: "object" } }, next_cursor: { type: ["string", "null"] } },
              },
              "One page",
              requestIdHeader,
            ),
            ...pick(400, 401, 403),
          },
        },
      },
      "/api/admin/analyses/{id}/": {
        get: {
          operationId: "adminDetail",
          summary: "Admin: everything about one upload and its analysis, raw provider reply included",
          security: [{ adminBearer: [] }],
          parameters: [idParameter],
          responses: { 200: json({ type: "object" }, "One analysis", requestIdHeader), ...pick(401, 403, 404) },
        },
      },
      "/api/admin/stats/": {
        get: {
          operationId: "adminStats",
          summary: "Admin: dashboard counters per day, provider/model mix, frequent names",
          security: [{ adminBearer: [] }],
          parameters: [{ name: "days", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 366, default: 30 } }],
          responses: { 200: json({ type: "object" }, "Counters", requestIdHeader), ...pick(400, 401, 403) },
        },
      },
    },
    components: {
      schemas: components,
      securitySchemes: {
        userBearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "Optional on public routes: a signed-in user (verified JWT)" },
        adminBearer: { type: "http", scheme: "bearer", description: "PHOTO_ANALYSIS_ADMIN_TOKEN locally, or a JWT in the admin group" },
      },
    },
  };
}
