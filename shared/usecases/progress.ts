import { isUuid } from "../domain/ids.js";
import { JOB_RETENTION_HOURS, type Job } from "../domain/jobs.js";
import { type AnalysisAnswer, ownerKey, type Caller, type UploadView } from "../domain/types.js";
import { type AppDeps, requireDep } from "./deps.js";
import { configuredBaseUrl, presentJob, viewOf } from "./jobs.js";
import { admitConnection, admitSubscription, releaseConnection } from "./socket-limits.js";

/*
 * Who watches analyses and what they are told: the progress WebSocket's connections, their
 * subscriptions to jobs and batches, and the messages sent as a job moves (submission and reading
 * are jobs.ts).
 */

/** A WebSocket progress message for a job's current state. */
export function progressMessage(job: Job, view: UploadView<AnalysisAnswer> | null, now: Date, baseUrl: string) {
  const { status: _status, ...item } = presentJob(job, view, now, baseUrl);
  return { type: "progress", ...item, ...(job.batchId ? { batch_id: job.batchId } : {}), at: job.updatedAt };
}

/**
 * Tells everyone watching the job (or its batch) where it stands. Best effort: a notification
 * failure never fails the job, and connections that have gone are forgotten.
 */
export async function announce(deps: AppDeps, job: Job, view?: UploadView<AnalysisAnswer> | null): Promise<void> {
  const gateway = deps.gateway;
  if (!gateway) return;
  try {
    const topics = job.batchId ? [job.id, job.batchId] : [job.id];
    const listeners = new Map<string, string>(); // connection → topic (one message per connection)
    for (const topic of topics) for (const connection of await deps.connections.subscribers(topic)) listeners.set(connection, topic);
    if (!listeners.size) return;
    const message = progressMessage(job, view === undefined ? await viewOf(deps, job) : view, deps.now(), configuredBaseUrl(deps));
    await Promise.all(
      [...listeners].map(async ([connection, topic]) => {
        if (await gateway.post(connection, message)) return;
        await deps.connections.unsubscribe(topic, connection);
        await closeConnection(deps, connection);
      }),
    );
  } catch (error) {
    console.error("progress notification failed", error);
  }
}

/**
 * A WebSocket connection opens: counted against its address's and its caller's caps (a 429 past
 * them), then remembered with whose it is (what it may subscribe to) and where it was counted.
 */
export async function openConnection(deps: AppDeps, connectionId: string, caller: Caller): Promise<void> {
  const counted = await admitConnection(deps, connectionId, caller);
  const connection = {
    id: connectionId,
    owner: ownerKey(caller),
    expiresAt: new Date(deps.now().getTime() + JOB_RETENTION_HOURS * 3600_000).toISOString(),
    ...counted,
  };
  try {
    await deps.connections.open(connection);
  } catch (error) {
    await releaseConnection(deps, connection);
    throw error;
  }
}

/** A connection is gone ($disconnect, or a post that found it closed): forgotten, and its slots given back. */
export async function closeConnection(deps: AppDeps, connectionId: string): Promise<void> {
  const closed = await deps.connections.close(connectionId);
  if (closed) await releaseConnection(deps, closed);
}

/**
 * Subscribes a connection to a job or a batch and sends each job's current state at once, so a
 * late subscriber misses nothing (the subscription is written first: a change made meanwhile is
 * sent too, possibly twice, never lost). Other callers' ids answer "Not found.".
 */
export async function subscribe(deps: AppDeps, connectionId: string, topic: { jobId: string } | { batchId: string }): Promise<void> {
  const connections = deps.connections;
  const gateway = requireDep(deps, "gateway");
  const store = deps.jobs;
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
  const admitted = await admitSubscription(deps, connectionId, id);
  if (!admitted.allowed) {
    await gateway.post(connectionId, { type: "error", error: `Too many subscriptions: at most ${admitted.limit} on one connection (a batch is one).` });
    return;
  }
  await connections.subscribe(id, connectionId, expiresAt);
  // Read again after subscribing: anything that changed before the subscription existed is in this snapshot.
  const current = "jobId" in topic ? [await store.get(id)] : ((await store.getBatch(id))?.jobs ?? jobs);
  for (const job of current) if (job) await gateway.post(connectionId, progressMessage(job, await viewOf(deps, job), deps.now(), configuredBaseUrl(deps)));
}
