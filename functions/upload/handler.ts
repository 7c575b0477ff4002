import { PayloadTooLargeError, ValidationError } from "../../shared/domain/errors.js";
import { presentUpload } from "../../shared/domain/present.js";
import { createAnalysis } from "../../shared/runtime/analysis.js";
import type { AppDeps } from "../../shared/usecases/deps.js";
import { analyzeStagedUpload } from "../../shared/usecases/staged-upload.js";
import { analyzeUpload, type UploadOutcome } from "../../shared/usecases/upload.js";
import { lambdaDeps, type DepsProvider } from "../deps.js";
import type { Caller } from "../../shared/domain/types.js";
import { submitJobs, type JobPhoto } from "../../shared/usecases/jobs.js";
import {
  asyncLinks,
  fingerprintErrors,
  prefersAsync,
  isJsonRequest,
  json,
  jsonBody,
  parsePromptFields,
  type PromptFields,
  publicBaseUrl,
  rateLimitHeaders,
  resolveCaller,
  type HttpEvent,
} from "../http.js";
import { type FormEvent, MAX_FORM_BODY_BYTES } from "../multipart.js";
import { withLogFields } from "../observability.js";
import { httpRoute } from "../pipeline.js";

/**
 * Parser limits: one photo (a second `image` part is ignored: the first one counts), a few
 * fields. The byte ceiling is the body's (MAX_FORM_BODY_BYTES): the configured maximum (default
 * 10 MB) and the direct-upload limit are enforced after parsing, with the API's messages.
 */
const FORM_LIMITS = { fileSize: MAX_FORM_BODY_BYTES, files: 2, fields: 10, fieldSize: 64 * 1024 };

/** The Lambda's dependencies, with vision (only this function's bundle carries the vision code). */
const uploadDeps: DepsProvider = () => lambdaDeps(createAnalysis);

/**
 * POST /api/photo-analysis/upload/ — multipart `image` (+ optional `fingerprint`), or JSON `upload_id`
 * after a presigned upload. With `Prefer: respond-async`, a 202 and a job instead of the answer.
 */
export function createUploadHandler(getDeps: DepsProvider = uploadDeps) {
  return httpRoute(
    async (event: FormEvent, context?: LambdaContext) => {
      const deps = getDeps();
      if (isJsonRequest(event)) return stagedUpload(event, deps, context);
      const fingerprint = event.form?.fields.get("fingerprint")?.[0];
      const attachment = event.form?.files.get("image")?.[0];

      const errors: Record<string, string[]> = {};
      if (!attachment) errors.image = ["No file was submitted."];
      const fingerprintProblems = fingerprintErrors(fingerprint);
      if (fingerprintProblems.length) errors.fingerprint = fingerprintProblems;
      const prompt = parsePromptFields((name) => event.form?.fields.get(name)?.[0], errors);
      if (Object.keys(errors).length) throw new ValidationError(errors);
      await checkDirectUploadSize(deps, attachment!.content.length);
      const trimmed = typeof fingerprint === "string" ? fingerprint.trim() : null;
      const caller = await resolveCaller(event, deps, trimmed);
      if (prefersAsync(event)) return accepted(event, deps, { bytes: attachment!.content }, caller, trimmed, prompt);

      const outcome = await analyzeUpload(deps, { bytes: attachment!.content, caller, ...prompt, deadline: deadlineOf(context) });
      return uploadResponse(event, deps, outcome);
    },
    { form: { limits: FORM_LIMITS, errorField: "image" } },
  );
}

/** The second step of the presigned flow: `{"upload_id": "...", "fingerprint": "..."}`. */
async function stagedUpload(event: HttpEvent, deps: AppDeps, context?: LambdaContext) {
  const body = jsonBody(event);
  const errors: Record<string, string[]> = {};
  if (body.upload_id === undefined || body.upload_id === null || body.upload_id === "") errors.upload_id = ["This field is required."];
  else if (typeof body.upload_id !== "string") errors.upload_id = ["Not a valid string."];
  const fingerprintProblems = fingerprintErrors(body.fingerprint);
  if (fingerprintProblems.length) errors.fingerprint = fingerprintProblems;
  const prompt = parsePromptFields((name) => body[name], errors);
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const fingerprint = typeof body.fingerprint === "string" ? body.fingerprint.trim() : null;
  const caller = await resolveCaller(event, deps, fingerprint);
  if (prefersAsync(event)) return accepted(event, deps, { uploadId: body.upload_id as string }, caller, fingerprint, prompt);
  const outcome = await analyzeStagedUpload(deps, { uploadId: body.upload_id as string, caller, ...prompt, deadline: deadlineOf(context) });
  return uploadResponse(event, deps, outcome);
}

/** `Prefer: respond-async`: the photo is staged and queued; 202 with where to follow it. */
async function accepted(event: HttpEvent, deps: AppDeps, photo: JobPhoto, caller: Caller, fingerprint: string | null, prompt: PromptFields) {
  const { jobs } = await submitJobs(deps, { caller, photos: [photo], ...prompt, batch: false });
  const job = jobs[0]!;
  const body = { job_id: job.id, status: "queued", ...asyncLinks(event, deps, `/api/photo-analysis/jobs/${job.id}/`, fingerprint) };
  return withLogFields(json(202, body, { location: body.status_url, "preference-applied": "respond-async" }), { job: job.id });
}

type LambdaContext = { getRemainingTimeInMillis?: () => number };

/** Lambda says how long this invocation has left; elsewhere the use case assumes the function's timeout. */
function deadlineOf(context: LambdaContext | undefined): Date | undefined {
  const remaining = context?.getRemainingTimeInMillis?.();
  return remaining === undefined ? undefined : new Date(Date.now() + remaining);
}

/**
 * Transport: a Lambda request body is capped (6 MB payload, base64 inflates by 4/3), so direct
 * uploads are held to PHOTO_ANALYSIS_DIRECT_UPLOAD_MAX_MB and pointed at the presigned flow (413).
 */
async function checkDirectUploadSize(deps: AppDeps, bytes: number): Promise<void> {
  const settings = await deps.settings();
  const directMegabytes = settings.PHOTO_ANALYSIS_DIRECT_UPLOAD_MAX_MB;
  const maxMegabytes = settings.PHOTO_ANALYSIS_MAX_FILE_SIZE_MB;
  if (bytes <= directMegabytes * 1024 * 1024 || bytes > maxMegabytes * 1024 * 1024) return; // over the maximum: the use case's 400
  throw new PayloadTooLargeError({
    image: [
      `Image file too large for a direct upload (maximum ${directMegabytes}MB). Request an upload URL with POST /api/photo-analysis/upload-url/ to upload files up to ${maxMegabytes}MB.`,
    ],
  });
}

/** The caller's own upload, in the owner's view: 200 when answered from their own earlier upload, else 201. */
function uploadResponse(event: HttpEvent, deps: AppDeps, outcome: UploadOutcome) {
  const body = {
    success: true,
    cached: outcome.cached,
    ...(outcome.match ? { match: outcome.match.type, match_distance: outcome.match.distance } : {}),
    analysis: presentUpload(outcome, publicBaseUrl(event, deps), deps.now(), "owner"),
  };
  const response = json(outcome.cached ? 200 : 201, body, rateLimitHeaders(outcome.rateLimit));
  return withLogFields(response, { cached: outcome.cached, provider: outcome.analysis.provider, model: outcome.analysis.aiVisionModel });
}

export const handler = createUploadHandler();
