import { createHash } from "node:crypto";
import { isUuid } from "../domain/ids.js";
import { InvalidInputError, NotFoundError, StorageError } from "../domain/errors.js";
import { STAGING_KEY_PREFIX } from "../domain/image-keys.js";
import { batchStatus, JOB_RETENTION_HOURS, statusOfStage, type Batch, type Job } from "../domain/jobs.js";
import { presentUpload } from "../domain/present.js";
import { DEFAULT_LANGUAGE, variantKey } from "../domain/prompt.js";
import { type AnalysisAnswer, ownerKey, type Caller, type UploadView } from "../domain/types.js";
import { md5Hex } from "../image/hash.js";
import type { Style } from "../domain/styles.js";
import { type AppDeps, requireDep } from "./deps.js";
import { meterOf } from "./meter.js";

/*
 * Analyses off the request path. Submitting stores each photo (staging), writes the jobs (the
 * commit point), then queues them; the worker (run-job.ts) runs each through the upload steps and
 * tells subscribers as it goes. Kept apart from run-job.ts so that the functions that only queue,
 * read or subscribe carry no image decoding (no sharp, which only the analysing functions' layer ships).
 */

/** A photo to analyse: bytes from the request, or a presigned upload already in staging. */
export type JobPhoto = { bytes: Buffer } | { uploadId: string };

export interface SubmitInput {
  caller: Caller;
  photos: JobPhoto[];
  style?: Style;
  context?: string;
  language?: string;
  /** A batch (items with an index) or one async upload. */
  batch: boolean;
}

export interface Submitted {
  batch?: Batch;
  jobs: Job[];
}

export async function submitJobs(deps: AppDeps, input: SubmitInput): Promise<Submitted> {
  const store = deps.jobs;
  // Only the functions that submit work have the queue (the stack gives them PHOTO_ANALYSIS_QUEUE_URL).
  const queue = requireDep(deps, "queue");
  const staging = requireDep(deps, "staging");
  const owner = ownerKey(input.caller);
  const now = deps.now();
  const expiresAt = new Date(now.getTime() + JOB_RETENTION_HOURS * 3600_000).toISOString();
  // Presigned uploads must be the caller's own; their staged object becomes the job's photo.
  const subject = input.batch ? "batch upload" : "upload";
  const intents = await Promise.all(
    input.photos.map(async (photo) => {
      if (!("uploadId" in photo)) return null;
      const intent = isUuid(photo.uploadId) ? await deps.intents.get(photo.uploadId.toLowerCase()) : null;
      if (!intent || intent.owner !== owner) throw new InvalidInputError(subject, `Unknown upload_id "${photo.uploadId}".`);
      if (Date.parse(intent.expiresAt) + 3600_000 < now.getTime())
        throw new InvalidInputError(subject, `Upload ${photo.uploadId} has expired. Request a new upload URL.`);
      return intent;
    }),
  );
  const batchId = input.batch ? deps.newId() : undefined;
  const jobs: Job[] = input.photos.map((_, index) => {
    const id = deps.newId();
    return {
      id,
      ...(batchId ? { batchId, index } : {}),
      owner,
      caller: input.caller,
      stagingKey: intents[index]?.key ?? `${STAGING_KEY_PREFIX}job-${id}`,
      style: input.style ?? null,
      ...(input.context ? { context: input.context } : {}),
      ...(input.language ? { language: input.language } : {}),
      stage: "queued",
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      expiresAt,
    };
  });
  // Admission before anything is stored: a caller with no standing queues nothing (429), and never more
  // jobs than the analysis units they have left plus photos that can only be cache hits.
  const meter = await meterOf(deps, input.caller);
  await meter.admitJobs(
    jobs.map((job) => job.id),
    await cacheHitsAmong(deps, input),
    now,
  );
  const unadmit = () => Promise.all(jobs.map((job) => meter.releaseJob(job.id, now)));
  // Photos first: one written without its job is only a staging leftover (removed here, else by the bucket's lifecycle rule).
  const unstage = () => Promise.all(jobs.map((job, index) => ("bytes" in input.photos[index]! ? staging.delete(job.stagingKey).catch(() => {}) : undefined)));
  const batch: Batch | undefined = batchId ? { id: batchId, owner, jobIds: jobs.map((job) => job.id), createdAt: now.toISOString(), expiresAt } : undefined;
  try {
    await Promise.all(input.photos.map((photo, index) => ("bytes" in photo ? staging.put(jobs[index]!.stagingKey, photo.bytes) : undefined)));
    await store.create(jobs, batch);
  } catch (error) {
    await store
      .remove(
        jobs.map((job) => job.id),
        batchId,
      )
      .catch(() => {});
    await Promise.all([unstage(), unadmit()]);
    throw new StorageError("The photos could not be stored for analysis; try again.", { cause: error });
  }
  try {
    await queue.enqueue(
      jobs.map((job) => job.id),
      queueGroupOf(owner),
    );
  } catch (error) {
    // Not queued: nothing may claim to be waiting. (A message that did arrive finds no job and is dropped.)
    await store
      .remove(
        jobs.map((job) => job.id),
        batchId,
      )
      .catch((removeError) => console.error("job removal failed", removeError));
    await Promise.all([unstage(), unadmit()]);
    throw new StorageError("The analysis could not be queued; try again.", { cause: error });
  }
  // The jobs own the staged uploads now; a leftover intent only expires.
  await Promise.all(intents.map((intent) => (intent ? deps.intents.delete(intent.id).catch(() => {}) : undefined)));
  return { batch, jobs };
}

/**
 * Photos of a submission that can only be answered from the cache (no analysis unit): bytes with an
 * unexpired analysis asked the same way, and repeats of bytes earlier in the same submission (one
 * analysis, the others wait for it). Staged uploads are not read here: they count as new photos.
 */
async function cacheHitsAmong(deps: AppDeps, input: SubmitInput): Promise<number> {
  const key = variantKey({ style: input.style ?? null, context: input.context || null, language: input.language ?? DEFAULT_LANGUAGE });
  const hashes = input.photos.flatMap((photo) => ("bytes" in photo ? [md5Hex(photo.bytes)] : []));
  const distinct = [...new Set(hashes)];
  const cached = await Promise.all(distinct.map((hash) => deps.analyses.findByFileHash(hash, deps.now(), (analysis) => analysis.variantKey === key)));
  return hashes.length - distinct.length + cached.filter(Boolean).length;
}

/** The queue serves callers fairly by this group (SQS fair queues' message group): the caller's owner key, hashed. */
function queueGroupOf(owner: string): string {
  return createHash("sha256").update(owner).digest("hex").slice(0, 32);
}

/**
 * The origin of links in what the worker and the WebSocket routes send (no request of the client's to
 * go by): the configured one; without it, links are relative to the API.
 */
export function configuredBaseUrl(deps: Pick<AppDeps, "publicBaseUrl">): string {
  return deps.publicBaseUrl ?? "";
}

/**
 * One job as the API shows it (GET, and each WebSocket progress message), to its owner: the caller's
 * own upload in the owner's view. Links start at `baseUrl`, computed when shown, never stored.
 */
export function presentJob(job: Job, view: UploadView<AnalysisAnswer> | null, now: Date, baseUrl: string) {
  return {
    ...(job.index !== undefined ? { index: job.index } : {}),
    job_id: job.id,
    status: statusOfStage(job.stage),
    stage: job.stage,
    ...(job.stage === "done" ? { cached: job.cached ?? false, analysis: view ? presentUpload(view, baseUrl, now, "owner") : null } : {}),
    ...(job.error ? { error: job.error } : {}),
  };
}

export type PresentedJob = ReturnType<typeof presentJob>;

/** The upload a done job answered with, and its analysis. */
export async function viewOf(deps: AppDeps, job: Job): Promise<UploadView | null> {
  const upload = job.stage === "done" && job.uploadId ? await deps.uploads.get(job.uploadId) : null;
  return upload && { upload, analysis: await deps.analyses.get(upload.analysisId) };
}

/** GET /jobs/{id}/: the caller's own job (anyone else's is indistinguishable from a missing one). */
export async function readJob(deps: AppDeps, id: string, caller: Caller, baseUrl: string): Promise<PresentedJob> {
  const store = deps.jobs;
  const job = isUuid(id) ? await store.get(id.toLowerCase()) : null;
  if (!job || job.owner !== ownerKey(caller)) throw new NotFoundError();
  return presentJob(job, await viewOf(deps, job), deps.now(), baseUrl);
}

export async function readBatch(deps: AppDeps, id: string, caller: Caller, baseUrl: string) {
  const store = deps.jobs;
  const found = isUuid(id) ? await store.getBatch(id.toLowerCase()) : null;
  if (!found || found.batch.owner !== ownerKey(caller)) throw new NotFoundError();
  const items = await Promise.all(found.jobs.map(async (job) => presentJob(job, await viewOf(deps, job), deps.now(), baseUrl)));
  return { batch_id: found.batch.id, status: batchStatus(found.jobs), items };
}
