import middy from "@middy/core";
import { ValidationError } from "../../shared/domain/errors.js";
import { presentAnalysis } from "../../shared/domain/present.js";
import { runtimeEnvironmentFrom } from "../../shared/runtime/context.js";
import { createDepsWithVision } from "../../shared/runtime/vision-context.js";
import type { AppDeps } from "../../shared/usecases/deps.js";
import { analyzeStagedUpload } from "../../shared/usecases/staged-upload.js";
import { analyzeUpload, type UploadOutcome } from "../../shared/usecases/upload.js";
import type { DepsProvider } from "../deps.js";
import {
  errorResponse,
  fingerprintErrors,
  httpHandler,
  isJsonRequest,
  json,
  jsonBody,
  parseStyle,
  publicBaseUrl,
  rateLimitHeaders,
  resolveCaller,
  type HttpEvent,
  type HttpResult,
} from "../http.js";

import { multipartForm, type FormEvent } from "../multipart.js";

/**
 * Parser limits: one photo (a second `image` part is ignored, as DRF keeps the first), a few
 * fields. The byte ceiling is only a backstop: the configured maximum (default 10 MB) and the
 * direct-upload limit are enforced after parsing, with the seed's messages.
 */
const FORM_LIMITS = { fileSize: 64 * 1024 * 1024, files: 2, fields: 10, fieldSize: 4096 };

let uploadDeps: AppDeps | undefined;

/** Built once per container; the vision models themselves load on first use. */
function defaultUploadDeps(): AppDeps {
  uploadDeps ??= createDepsWithVision(runtimeEnvironmentFrom(process.env));
  return uploadDeps;
}

/** POST /api/photo-analysis/upload/ — multipart `image` (+ optional `fingerprint`), or JSON `upload_id` after a presigned upload. */
export function createUploadHandler(getDeps: DepsProvider = defaultUploadDeps) {
  return withMultipartBody(uploadHandler(getDeps));
}

function uploadHandler(getDeps: DepsProvider) {
  return httpHandler(async (event: FormEvent) => {
    const deps = getDeps();
    if (isJsonRequest(event)) return stagedUpload(event, deps);
    const fingerprint = event.form?.fields.get("fingerprint")?.[0];
    const attachment = event.form?.files.get("image")?.[0];

    const errors: Record<string, string[]> = {};
    if (!attachment) errors.image = ["No file was submitted."];
    else if (attachment.truncated) errors.image = ["Image file too large."];
    const fingerprintProblems = fingerprintErrors(fingerprint);
    if (fingerprintProblems.length) errors.fingerprint = fingerprintProblems;
    const style = parseStyle(event.form?.fields.get("style")?.[0], errors);
    if (Object.keys(errors).length) throw new ValidationError(errors);

    const outcome = await analyzeUpload(deps, {
      bytes: attachment!.content,
      caller: await resolveCaller(event, deps, typeof fingerprint === "string" ? fingerprint.trim() : null),
      source: "direct",
      style,
    });
    return uploadResponse(event, deps, outcome);
  });
}

/** The second step of the presigned flow: `{"upload_id": "...", "fingerprint": "..."}`. */
async function stagedUpload(event: HttpEvent, deps: AppDeps) {
  const body = jsonBody(event);
  const errors: Record<string, string[]> = {};
  if (typeof body.upload_id !== "string" || body.upload_id === "") errors.upload_id = ["This field is required."];
  const fingerprintProblems = fingerprintErrors(body.fingerprint);
  if (fingerprintProblems.length) errors.fingerprint = fingerprintProblems;
  const style = parseStyle(body.style, errors);
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const fingerprint = typeof body.fingerprint === "string" ? body.fingerprint.trim() : null;
  const outcome = await analyzeStagedUpload(deps, { uploadId: body.upload_id as string, caller: await resolveCaller(event, deps, fingerprint), style });
  return uploadResponse(event, deps, outcome);
}

function uploadResponse(event: HttpEvent, deps: AppDeps, outcome: UploadOutcome) {
  return json(
    outcome.cached ? 200 : 201,
    {
      success: true,
      cached: outcome.cached,
      ...(outcome.match ? { match: outcome.match.type, match_distance: outcome.match.distance } : {}),
      analysis: presentAnalysis(outcome.record, publicBaseUrl(event), deps.now()),
    },
    rateLimitHeaders(outcome.rateLimit),
  );
}

function withMultipartBody(inner: (event: FormEvent) => Promise<HttpResult>) {
  return middy<FormEvent, HttpResult>(inner)
    .use(multipartForm(FORM_LIMITS, "image"))
    .onError(async (request) => {
      // Only the parser throws here (the inner handler maps its own errors).
      request.response = errorResponse(request.error);
    });
}

export const handler = createUploadHandler();
