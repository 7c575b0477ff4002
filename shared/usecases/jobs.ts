import { isUuid } from "../domain/ids.js";
import { InvalidInputError, NotFoundError, StorageError } from "../domain/errors.js";
import { STAGING_KEY_PREFIX } from "../domain/image-keys.js";
import { batchStatus, isFinal, JOB_RETENTION_HOURS, statusOfStage, type Batch, type Job, type JobFailure, type JobStage } from "../domain/jobs.js";
import { presentAnalysis } from "../domain/present.js";
import type { Caller, PhotoAnalysisRecord } from "../domain/types.js";
import type { Style } from "../vision/instructions.js";
import type { AppDeps } from "./deps.js";
import { analyzeUpload, type UploadOutcome } from "./upload.js";
import { ownerKey, stagingOf } from "./upload-url.js";

/*
 * Analyses off the request path. Submitting stores each photo (staging), writes the jobs (the
 * commit point), then queues them; the worker runs each job through the upload use case and moves
 * it forward stage by stage, telling subscribers as it goes. Delivery is at least once, so a job
 * is idempotent: a final job is only re-announced, the quota token is the job's id (charged once
 * however often it runs), and the photo's claim turns a second analysis into a cache hit.
 */

/** A photo to analyse: bytes from the request, or a presigned upload already in staging. */
export type JobPhoto = { bytes: Buffer } | { uploadId: string };

export interface SubmitInput {
  caller: Caller;
  photos: JobPhoto[];
  style?: Style;
  /** A batch (items with an index) or one async upload. */
  batch: boolean;
  baseUrl: string;
}

export interface Submitted {
  batch?: Batch;
  jobs: Job[];
}

export function jobsOf(deps: AppDeps) {
  if (!deps.jobs || !deps.queue) throw new InvalidInputError("presigned uploads", "Asynchronous analysis needs a job queue, which is not configured on this server.");
  return { jobs: deps.jobs, queue: deps.queue };
}

export async function submitJobs(deps: AppDeps, input: SubmitInput): Promise<Submitted> {
  const { jobs: store, queue } = jobsOf(deps);
  const staging = stagingOf(deps);
  const owner = ownerKey(input.caller);
  const now = deps.now();
  const expiresAt = new Date(now.getTime() + JOB_RETENTION_HOURS * 3600_000).toISOString();
  // Presigned uploads must be the caller's own; their staged object becomes the job's photo.
  const intents = await Promise.all(
    input.photos.map(async (photo) => {
      if (!("uploadId" in photo)) return null;
      const intent = isUuid(photo.uploadId) ? await deps.intents.get(photo.uploadId.toLowerCase()) : null;
      if (!intent || intent.owner !== owner) throw new InvalidInputError("upload", `Unknown upload_id "${photo.uploadId}".`);
      if (Date.parse(intent.expiresAt) + 3600_000 < now.getTime()) throw new InvalidInputError("upload", `Upload ${photo.uploadId} has expired. Request a new upload URL.`);
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
      stage: "queued",
      baseUrl: input.baseUrl,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      expiresAt,
    };
  });
  // Photos first: one written without its job is only a staging leftover (the bucket's lifecycle rule removes it).
  await Promise.all(input.photos.map((photo, index) => ("bytes" in photo ? staging.put(jobs[index]!.stagingKey, photo.bytes) : undefined)));
  const batch: Batch | undefined = batchId ? { id: batchId, owner, jobIds: jobs.map((job) => job.id), createdAt: now.toISOString(), expiresAt } : undefined;
  await store.create(jobs, batch);
  try {
    await queue.enqueue(jobs.map((job) => job.id));
  } catch (error) {
    // Not queued: nothing may claim to be waiting. (A message that did arrive finds no job and is dropped.)
    await store.remove(jobs.map((job) => job.id), batchId).catch((removeError) => console.error("job removal failed", removeError));
    await Promise.all(jobs.map((job, index) => ("bytes" in input.photos[index]! ? staging.delete(job.stagingKey).catch(() => {}) : undefined)));
    throw new StorageError("The analysis could not be queued; try again.", { cause: error });
  }
  // The jobs own the staged uploads now; a leftover intent only expires.
  await Promise.all(intents.map((intent) => (intent ? deps.intents.delete(intent.id).catch(() => {}) : undefined)));
  return { batch, jobs };
}

export interface RunOptions {
  /** When this attempt must have finished (the worker's timeout). */
  deadline?: Date;
  /**
   * What a failure means for the job: its final answer, or null to let the queue deliver it
   * again (a transient fault, while attempts remain).
   */
  failureOf(error: unknown): JobFailure | null;
}

/** One delivery of a job. Throws only when the job should be delivered again. */
export async function runJob(deps: AppDeps, jobId: string, options: RunOptions): Promise<void> {
  const { jobs: store } = jobsOf(deps);
  const job = await store.get(jobId);
  if (!job) return; // expired, or never committed: nothing to do
  if (isFinal(job.stage)) {
    // A redelivery after the answer was stored: announce it again (a subscriber may have missed it) and tidy up.
    await announce(deps, job);
    await stagingOf(deps).delete(job.stagingKey).catch(() => {});
    return;
  }
  const advance = async (stage: JobStage) => {
    const moved = await store.advance(job.id, stage, {}, deps.now());
    if (moved) await announce(deps, moved);
  };
  let outcome: UploadOutcome;
  try {
    await advance("decoding");
    const bytes = await stagingOf(deps).read(job.stagingKey);
    if (!bytes) throw new InvalidInputError("upload", "No file has been uploaded for this upload_id yet.");
    outcome = await analyzeUpload(deps, {
      bytes,
      caller: job.caller,
      style: (job.style ?? undefined) as Style | undefined,
      deadline: options.deadline,
      quotaToken: `job:${job.id}`,
      onStage: advance,
    });
  } catch (error) {
    const failure = options.failureOf(error);
    if (!failure) throw error;
    const failed = await store.advance(job.id, "failed", { error: failure }, deps.now());
    if (failed) await announce(deps, failed);
    await stagingOf(deps).delete(job.stagingKey).catch(() => {});
    return;
  }
  // The record is durable (persist's commit point) before the job says done.
  const done = await store.advance(job.id, "done", { cached: outcome.cached, recordId: outcome.record.id }, deps.now());
  if (done) await announce(deps, done, outcome.record);
  await stagingOf(deps).delete(job.stagingKey).catch((error) => console.error("staging cleanup failed", error));
}

/** One job as the API shows it (GET, and each WebSocket progress message). */
export function presentJob(job: Job, record: PhotoAnalysisRecord | null, now: Date) {
  return {
    ...(job.index !== undefined ? { index: job.index } : {}),
    job_id: job.id,
    status: statusOfStage(job.stage),
    stage: job.stage,
    ...(job.stage === "done" ? { cached: job.cached ?? false, analysis: record ? presentAnalysis(record, job.baseUrl, now) : null } : {}),
    ...(job.error ? { error: job.error } : {}),
  };
}

export type PresentedJob = ReturnType<typeof presentJob>;

async function recordOf(deps: AppDeps, job: Job): Promise<PhotoAnalysisRecord | null> {
  return job.stage === "done" && job.recordId ? deps.records.get(job.recordId) : null;
}

/** GET /jobs/{id}/: the caller's own job (anyone else's is indistinguishable from a missing one). */
export async function readJob(deps: AppDeps, id: string, caller: Caller): Promise<PresentedJob> {
  const { jobs: store } = jobsOf(deps);
  const job = isUuid(id) ? await store.get(id.toLowerCase()) : null;
  if (!job || job.owner !== ownerKey(caller)) throw new NotFoundError();
  return presentJob(job, await recordOf(deps, job), deps.now());
}

export async function readBatch(deps: AppDeps, id: string, caller: Caller) {
  const { jobs: store } = jobsOf(deps);
  const found = isUuid(id) ? await store.getBatch(id.toLowerCase()) : null;
  if (!found || found.batch.owner !== ownerKey(caller)) throw new NotFoundError();
  const items = await Promise.all(found.jobs.map(async (job) => presentJob(job, await recordOf(deps, job), deps.now())));
  return { batch_id: found.batch.id, status: batchStatus(found.jobs), items };
}

/** A WebSocket progress message for a job's current state. */
export function progressMessage(job: Job, record: PhotoAnalysisRecord | null, now: Date) {
  const { status: _status, ...item } = presentJob(job, record, now);
  return { type: "progress", ...item, ...(job.batchId ? { batch_id: job.batchId } : {}), at: job.updatedAt };
}

/**
 * Tells everyone watching the job (or its batch) where it stands. Best effort: a notification
 * failure never fails the job, and connections that have gone are forgotten.
 */
export async function announce(deps: AppDeps, job: Job, record?: PhotoAnalysisRecord | null): Promise<void> {
  const gateway = deps.gateway;
  if (!gateway || !deps.connections) return;
  try {
    const topics = job.batchId ? [job.id, job.batchId] : [job.id];
    const listeners = new Map<string, string>(); // connection → topic (one message per connection)
    for (const topic of topics) for (const connection of await deps.connections.subscribers(topic)) listeners.set(connection, topic);
    if (!listeners.size) return;
    const message = progressMessage(job, record === undefined ? await recordOf(deps, job) : record, deps.now());
    await Promise.all(
      [...listeners].map(async ([connection, topic]) => {
        if (await gateway.post(connection, message)) return;
        await deps.connections!.unsubscribe(topic, connection);
        await deps.connections!.close(connection);
      }),
    );
  } catch (error) {
    console.error("progress notification failed", error);
  }
}

/** A WebSocket connection opens: remember whose it is (what it may subscribe to). */
export async function openConnection(deps: AppDeps, connectionId: string, caller: Caller): Promise<void> {
  const expiresAt = new Date(deps.now().getTime() + JOB_RETENTION_HOURS * 3600_000).toISOString();
  await connectionsOf(deps).open({ id: connectionId, owner: ownerKey(caller), expiresAt });
}

export async function closeConnection(deps: AppDeps, connectionId: string): Promise<void> {
  await connectionsOf(deps).close(connectionId);
}

/**
 * Subscribes a connection to a job or a batch and sends each job's current state at once, so a
 * late subscriber misses nothing (the subscription is written first: a change made meanwhile is
 * sent too, possibly twice, never lost). Other callers' ids answer "Not found.".
 */
export async function subscribe(deps: AppDeps, connectionId: string, topic: { jobId: string } | { batchId: string }): Promise<void> {
  const connections = connectionsOf(deps);
  const gateway = deps.gateway;
  if (!gateway) throw new Error("No connection gateway is configured");
  const { jobs: store } = jobsOf(deps);
  const owner = await connections.owner(connectionId);
  const id = ("jobId" in topic ? topic.jobId : topic.batchId).toLowerCase();
  let jobs: Job[] = [];
  let expiresAt: string | undefined;
  if (owner && isUuid(id)) {
    if ("jobId" in topic) {
      const job = await store.get(id);
      if (job && job.owner === owner) [jobs, expiresAt] = [[job], job.expiresAt];
    } else {
      const found = await store.getBatch(id);
      if (found && found.batch.owner === owner) [jobs, expiresAt] = [found.jobs, found.batch.expiresAt];
    }
  }
  if (!expiresAt) {
    await gateway.post(connectionId, { type: "error", error: "Not found." });
    return;
  }
  await connections.subscribe(id, connectionId, expiresAt);
  // Read again after subscribing: anything that changed before the subscription existed is in this snapshot.
  const current = "jobId" in topic ? [await store.get(id)] : (await store.getBatch(id))?.jobs ?? jobs;
  for (const job of current) if (job) await gateway.post(connectionId, progressMessage(job, await recordOf(deps, job), deps.now()));
}

function connectionsOf(deps: AppDeps) {
  if (!deps.connections) throw new Error("No connection store is configured");
  return deps.connections;
}
