import { createUploadUrl } from "../../shared/usecases/upload-url.js";
import { ValidationError } from "../../shared/domain/errors.js";
import { defaultDeps, type DepsProvider } from "../deps.js";
import { httpRoute } from "../pipeline.js";
import { fingerprintErrors, json, jsonBody, rateLimitHeaders, resolveCaller, type HttpEvent } from "../http.js";

/**
 * POST /api/photo-analysis/upload-url/ — body (optional) `{"fingerprint": "...", "content_type": "image/heic"}`.
 * Answers `{url, fields, upload_id, max_bytes, expires_in}`: POST the file to `url` as multipart with
 * `fields` first and the file last (field name `file`), then POST `{"upload_id"}` to the upload endpoint.
 */
export function createUploadUrlHandler(getDeps: DepsProvider = defaultDeps) {
  return httpRoute(async (event: HttpEvent) => {
    const deps = getDeps();
    const body = jsonBody(event);
    const problems = fingerprintErrors(body.fingerprint);
    if (problems.length) throw new ValidationError({ fingerprint: problems });
    if (body.content_type !== undefined && typeof body.content_type !== "string") throw ValidationError.field("content_type", "Not a valid string.");
    const fingerprint = typeof body.fingerprint === "string" ? body.fingerprint.trim() : null;
    const { rateLimit, ...ticket } = await createUploadUrl(deps, {
      caller: await resolveCaller(event, deps, fingerprint),
      contentType: body.content_type as string | undefined,
    });
    return json(201, ticket, rateLimitHeaders(rateLimit));
  });
}

export const handler = createUploadUrlHandler();
