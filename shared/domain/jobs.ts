import type { Caller } from "./types.js";

/**
 * Analyses that run off the request path (a batch, or an upload with `Prefer: respond-async`).
 * A job moves forward through these stages, never back; `done` and `failed` are final.
 */
export const JOB_STAGES = ["queued", "decoding", "matching", "analysing", "storing", "done", "failed"] as const;
export type JobStage = (typeof JOB_STAGES)[number];
export type JobStatus = "queued" | "running" | "done" | "failed";

/** Photos one batch may hold. */
export const MAX_BATCH_PHOTOS = 10;

/** How long jobs, batches and their subscriptions are kept (then TTL removes them). */
export const JOB_RETENTION_HOURS = 24;

/** A failed job's answer: what the synchronous upload would have said (its status and JSON body). */
export interface JobFailure {
  status: number;
  body: Record<string, unknown>;
}

export interface Job {
  id: string;
  batchId?: string;
  index?: number;
  /** ownerKey(caller): only the same caller may read or watch it. */
  owner: string;
  caller: Caller;
  /** Where the photo waits (staging) until the job is final. */
  stagingKey: string;
  style: string | null;
  /** The prompt fields of the request (see domain/prompt.ts). */
  context?: string;
  language?: string;
  stage: JobStage;
  cached?: boolean;
  /** The caller's upload that answers the job, once done. */
  uploadId?: string;
  error?: JobFailure;
  /** The delivery running the job now (its receipt): only its writes move the job (an abandoned delivery's are refused). */
  attempt?: string;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
}

export interface Batch {
  id: string;
  owner: string;
  jobIds: string[];
  createdAt: string;
  expiresAt: string;
}

/** Final stages rank equally: neither may replace the other. */
export function stageRank(stage: JobStage): number {
  return stage === "done" || stage === "failed" ? JOB_STAGES.length : JOB_STAGES.indexOf(stage);
}

export function isFinal(stage: JobStage): boolean {
  return stage === "done" || stage === "failed";
}

export function statusOfStage(stage: JobStage): JobStatus {
  if (stage === "queued" || stage === "done" || stage === "failed") return stage;
  return "running";
}

/** A batch is queued until one of its jobs starts, done when all are final, running in between. */
export function batchStatus(jobs: Pick<Job, "stage">[]): "queued" | "running" | "done" {
  if (jobs.every((job) => isFinal(job.stage))) return "done";
  if (jobs.every((job) => job.stage === "queued")) return "queued";
  return "running";
}
