import { InvalidInputError } from "../domain/errors.js";
import { isFinal, type JobFailure, type JobStage } from "../domain/jobs.js";
import type { Style } from "../domain/styles.js";
import { type AppDeps, requireDep } from "./deps.js";
import { announce } from "./progress.js";
import { meterOf } from "./meter.js";
import { analyzeUpload, type UploadOutcome } from "./upload.js";

/*
 * One delivery of a job, by the queue's worker. Delivery is at least once, so a job is idempotent:
 * a final job is only announced again, the quota token is the job's id (charged once however often
 * it runs), and the photo's claim and the exact-match cache turn a second analysis into the caller's
 * own earlier upload (the same upload, times_used + 1).
 */

export interface RunOptions {
  /** When this attempt must have finished (the worker's timeout). */
  deadline?: Date;
  /**
   * This delivery (its receipt handle): the job is taken over in its name, so a delivery the queue
   * gave up on (its visibility timeout over, the message delivered again) can no longer move the job.
   */
  attempt?: string;
  /**
   * What a failure means for the job: its final answer, or null to let the queue deliver it
   * again (a transient fault, while attempts remain).
   */
  failureOf(error: unknown): JobFailure | null;
}

/** One delivery of a job. Throws only when the job should be delivered again. */
export async function runJob(deps: AppDeps, jobId: string, options: RunOptions): Promise<void> {
  const store = deps.jobs;
  const job = await store.get(jobId);
  if (!job) return; // expired, or never committed: nothing to do
  // A finished job gives its caller's pending-job slot back (once, however often this runs).
  const finished = async () => (await meterOf(deps, job.caller)).releaseJob(job.id, new Date(job.createdAt));
  if (isFinal(job.stage)) {
    // A redelivery after the answer was stored: announce it again (a subscriber may have missed it) and tidy up.
    await announce(deps, job);
    await Promise.all([
      requireDep(deps, "staging")
        .delete(job.stagingKey)
        .catch(() => {}),
      finished(),
    ]);
    return;
  }
  const attempt = options.attempt;
  if (attempt && !(await store.begin(job.id, attempt))) return; // finished meanwhile, or gone
  const advance = async (stage: JobStage) => {
    const moved = await store.advance(job.id, stage, {}, deps.now(), attempt);
    if (moved) await announce(deps, moved);
  };
  let outcome: UploadOutcome;
  try {
    await advance("decoding");
    const bytes = await requireDep(deps, "staging").read(job.stagingKey);
    if (!bytes) throw new InvalidInputError("upload", "No file has been uploaded for this upload_id yet.");
    outcome = await analyzeUpload(deps, {
      bytes,
      caller: job.caller,
      style: (job.style ?? undefined) as Style | undefined,
      context: job.context,
      language: job.language,
      deadline: options.deadline,
      meterToken: `job:${job.id}`,
      onStage: advance,
    });
  } catch (error) {
    const failure = options.failureOf(error);
    if (!failure) throw error;
    const failed = await store.advance(job.id, "failed", { error: failure }, deps.now(), attempt);
    if (failed) await Promise.all([announce(deps, failed), finished()]);
    await requireDep(deps, "staging")
      .delete(job.stagingKey)
      .catch(() => {});
    return;
  }
  // The upload is durable (its commit point) before the job says done.
  const done = await store.advance(job.id, "done", { cached: outcome.cached, uploadId: outcome.upload.id }, deps.now(), attempt);
  if (done) await Promise.all([announce(deps, done, { upload: outcome.upload, analysis: outcome.analysis }), finished()]);
  await requireDep(deps, "staging")
    .delete(job.stagingKey)
    .catch((error) => console.error("staging cleanup failed", error));
}
