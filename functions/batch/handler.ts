import { ValidationError } from "../../shared/domain/errors.js";
import { MAX_BATCH_PHOTOS } from "../../shared/domain/jobs.js";
import type { AppDeps } from "../../shared/usecases/deps.js";
import { submitJobs, type JobPhoto } from "../../shared/usecases/jobs.js";
import { defaultDeps, type DepsProvider } from "../deps.js";
import { asyncLinks, fingerprintErrors, isJsonRequest, json, jsonBody, parsePromptFields, type PromptFields, resolveCaller, type HttpEvent } from "../http.js";
import { type FormEvent, MAX_FORM_BODY_BYTES } from "../multipart.js";
import { withLogFields } from "../observability.js";
import { httpRoute } from "../pipeline.js";

/**
 * Up to ten photos (an eleventh part is a 400 from the parser, "Too many files: at most 10."). No file
 * can outgrow the body (MAX_FORM_BODY_BYTES, API Gateway's cap): large photos go through upload_ids.
 */
const FORM_LIMITS = { fileSize: MAX_FORM_BODY_BYTES, files: MAX_BATCH_PHOTOS, fields: 10, fieldSize: 64 * 1024 };

/** POST /api/photo-analysis/batch/ — multipart `image` parts or JSON `upload_ids`, queued for the worker: 202. */
export function createBatchHandler(getDeps: DepsProvider = defaultDeps) {
  return httpRoute(
    async (event: FormEvent) => {
      const deps = getDeps();
      const errors: Record<string, string[]> = {};
      let photos: JobPhoto[];
      let fingerprint: unknown;
      let prompt: PromptFields;
      if (isJsonRequest(event)) {
        const body = jsonBody(event);
        fingerprint = body.fingerprint;
        prompt = parsePromptFields((name) => body[name], errors);
        const ids = body.upload_ids;
        if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string" || id === "")) {
          errors.upload_ids = ['Expected a list of upload ids: {"upload_ids": ["…"]}.'];
          photos = [];
        } else {
          photos = ids.map((uploadId: string) => ({ uploadId }));
          const countProblem = countError(photos.length, "upload id");
          if (countProblem) errors.upload_ids = [countProblem];
        }
      } else {
        fingerprint = event.form?.fields.get("fingerprint")?.[0];
        prompt = parsePromptFields((name) => event.form?.fields.get(name)?.[0], errors);
        const parts = event.form?.files.get("image") ?? [];
        photos = parts.map((part) => ({ bytes: part.content }));
        const countProblem = countError(parts.length, "photo");
        if (countProblem) errors.image = [countProblem];
      }
      const fingerprintProblems = fingerprintErrors(fingerprint);
      if (fingerprintProblems.length) errors.fingerprint = fingerprintProblems;
      if (Object.keys(errors).length) throw new ValidationError(errors);
      return queued(event, deps, photos, typeof fingerprint === "string" ? fingerprint.trim() : null, prompt);
    },
    { form: { limits: FORM_LIMITS, errorField: "image" } },
  );
}

function countError(count: number, what: string): string | null {
  if (count === 0) return what === "photo" ? "No file was submitted." : "This list may not be empty.";
  if (count > MAX_BATCH_PHOTOS) return `Ensure this batch has no more than ${MAX_BATCH_PHOTOS} ${what}s (it has ${count}).`;
  return null;
}

async function queued(event: HttpEvent, deps: AppDeps, photos: JobPhoto[], fingerprint: string | null, prompt: PromptFields) {
  const caller = await resolveCaller(event, deps, fingerprint);
  const { batch, jobs } = await submitJobs(deps, { caller, photos, ...prompt, batch: true });
  const body = {
    batch_id: batch!.id,
    status: "queued",
    items: jobs.map((job) => ({ index: job.index, job_id: job.id, status: "queued" })),
    ...asyncLinks(event, deps, `/api/photo-analysis/batch/${batch!.id}/`, fingerprint),
  };
  return withLogFields(json(202, body, { location: body.status_url }), { batch: batch!.id });
}

export const handler = createBatchHandler();
