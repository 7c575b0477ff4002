import { readFile } from "node:fs/promises";
import type { SQSEvent } from "aws-lambda";
import { md5Hex } from "../../shared/image/hash.js";
import { describe, expect, it } from "vitest";
import { createWorkerHandler, jobFailureOf } from "../../functions/worker/handler.js";
import { BusyError, RateLimitedError, StorageError } from "../../shared/domain/errors.js";
import type { Caller } from "../../shared/domain/types.js";
import { submitJobs } from "../../shared/usecases/jobs.js";
import { announce, subscribe } from "../../shared/usecases/progress.js";
import { runJob } from "../../shared/usecases/run-job.js";
import { memoryDeps, providerFailure, ScriptedVision } from "../doubles/memory.js";
import { distinctImages } from "../helpers/photos.js";
import { captureLogs } from "../helpers/console.js";

/** The async use cases on memory doubles: submission's commit point, the worker's failure policy, notifications. */

const coffee = await readFile("fixtures/photos/coffee-mug.jpg");
const caller: Caller = { userId: null, username: null, fingerprint: "fp-jobs", ipAddress: "198.51.100.7" };
const [photoA, photoB] = await distinctImages(2, 777);
const retryNever = () => ({ status: 500, body: {} });

function sqsEvent(jobIds: string[], receiveCount = 1): SQSEvent {
  return {
    Records: jobIds.map((jobId, index) => ({
      messageId: `m-${index}`,
      receiptHandle: `r-${index}`,
      body: JSON.stringify({ job_id: jobId }),
      attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: "0", SenderId: "x", ApproximateFirstReceiveTimestamp: "0" },
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:jobs",
      awsRegion: "us-east-1",
    })),
  };
}

describe("submitJobs", () => {
  it("stages each photo, writes the jobs and the batch, then queues them", async () => {
    const { deps, jobs, queue, staging } = memoryDeps();
    const { batch, jobs: created } = await submitJobs(deps, { caller, photos: [{ bytes: photoA! }, { bytes: photoB! }], batch: true });
    expect(created.map((job) => [job.index, job.stage, job.batchId])).toEqual([
      [0, "queued", batch!.id],
      [1, "queued", batch!.id],
    ]);
    expect(queue.sent).toEqual(created.map((job) => job.id));
    // One group per caller (the queue serves callers fairly by it), naming nobody.
    const groups = created.map((job) => queue.groups.get(job.id));
    expect(groups[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(groups[1]).toBe(groups[0]);
    expect(jobs.batches.get(batch!.id)!.jobIds).toEqual(created.map((job) => job.id));
    expect(created.map((job) => staging.objects.get(job.stagingKey))).toEqual([photoA, photoB]);
  });

  it("leaves nothing behind when the queue refuses: no jobs, no batch, no staged photos, nothing charged", async () => {
    const { deps, jobs, queue, staging, counters } = memoryDeps();
    queue.fail(new Error("SQS unavailable"));
    await expect(submitJobs(deps, { caller, photos: [{ bytes: photoA! }, { bytes: photoB! }], batch: true })).rejects.toThrow(StorageError);
    expect([jobs.jobs.size, jobs.batches.size, staging.objects.size, counters.total("fp:fp-jobs")]).toEqual([0, 0, 0, 0]);
  });

  it("leaves nothing behind when the jobs cannot be written", async () => {
    const { deps, jobs, queue, staging } = memoryDeps();
    jobs.fail("create", new Error("throttled"));
    await expect(submitJobs(deps, { caller, photos: [{ bytes: photoA! }], batch: false })).rejects.toThrow(StorageError);
    expect([jobs.jobs.size, staging.objects.size, queue.sent.length]).toEqual([0, 0, 0]);
  });
});

describe("admission before queueing", () => {
  it("queues nothing for a caller with no analysis unit left (429, nothing staged or written), but admits photos that can only be cache hits", async () => {
    const { deps, jobs, queue, staging } = memoryDeps({ settings: { PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "1" } });
    const [first] = (await submitJobs(deps, { caller, photos: [{ bytes: coffee }], batch: false })).jobs;
    await runJob(deps, first!.id, { failureOf: retryNever });
    const before = [jobs.jobs.size, queue.sent.length, staging.objects.size];
    await expect(submitJobs(deps, { caller, photos: [{ bytes: photoA! }], batch: true })).rejects.toBeInstanceOf(RateLimitedError);
    await expect(submitJobs(deps, { caller, photos: [{ bytes: coffee }, { bytes: photoA! }], batch: true })).rejects.toBeInstanceOf(RateLimitedError);
    expect([jobs.jobs.size, queue.sent.length, staging.objects.size]).toEqual(before);
    // The same coffee photo twice: both can only be cache hits.
    expect((await submitJobs(deps, { caller, photos: [{ bytes: coffee }, { bytes: coffee }], batch: true })).jobs).toHaveLength(2);
  });

  it("accepts at most the units left, counting jobs still waiting, and gives a finished job's slot back", async () => {
    const { deps, counters } = memoryDeps({ settings: { PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "3" } });
    const { jobs: waiting } = await submitJobs(deps, { caller, photos: [{ bytes: photoA! }, { bytes: photoB! }], batch: true });
    const [photoC, photoD] = await distinctImages(2, 778);
    await expect(submitJobs(deps, { caller, photos: [{ bytes: photoC! }, { bytes: photoD! }], batch: true })).rejects.toBeInstanceOf(RateLimitedError);
    expect(counters.total("jobs:fp:fp-jobs")).toBe(2);
    await submitJobs(deps, { caller, photos: [{ bytes: photoC! }], batch: false });
    expect(counters.total("jobs:fp:fp-jobs")).toBe(3);
    for (const job of waiting) await runJob(deps, job.id, { failureOf: retryNever });
    expect([counters.total("jobs:fp:fp-jobs"), counters.total("fp:fp-jobs")]).toEqual([1, 2]);
    // 1 unit left, 1 job waiting for it: nothing more.
    await expect(submitJobs(deps, { caller, photos: [{ bytes: photoD! }], batch: false })).rejects.toBeInstanceOf(RateLimitedError);
  });

  it("caps the jobs a caller may have waiting, whatever their allowance", async () => {
    const { deps } = memoryDeps({ settings: { PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "100", PHOTO_ANALYSIS_MAX_PENDING_JOBS: "3" } });
    const photos = await distinctImages(4, 779);
    await submitJobs(deps, { caller, photos: photos.slice(0, 3).map((bytes) => ({ bytes })), batch: true });
    await expect(submitJobs(deps, { caller, photos: [{ bytes: photos[3]! }], batch: false })).rejects.toBeInstanceOf(RateLimitedError);
    // Another caller is not affected.
    expect((await submitJobs(deps, { caller: { ...caller, fingerprint: "fp-other" }, photos: [{ bytes: photos[3]! }], batch: false })).jobs).toHaveLength(1);
  });
});

describe("runJob", () => {
  it("an abandoned delivery (its visibility timeout over, the job delivered again) cannot answer for the delivery that replaced it", async () => {
    captureLogs(); // the abandoned delivery's failure logs
    const vision = new ScriptedVision([providerFailure("late failure")]);
    let release!: () => void;
    vision.gate = new Promise((resolve) => (release = resolve));
    const { deps, jobs } = memoryDeps({ vision });
    const [job] = (await submitJobs(deps, { caller, photos: [{ bytes: photoA! }], batch: false })).jobs;
    // The first delivery waits on the provider; the queue gives up on it and delivers again.
    const abandoned = runJob(deps, job!.id, { attempt: "receipt-1", failureOf: (error) => jobFailureOf(error, job!.id, true) });
    const until = async (condition: () => boolean) => {
      while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
    };
    await until(() => vision.calls === 1); // the first delivery is at the provider, holding the photo's claim
    const redelivery = runJob(deps, job!.id, { attempt: "receipt-2", failureOf: retryNever });
    await until(() => jobs.jobs.get(job!.id)?.attempt === "receipt-2");
    vision.gate = undefined;
    release();
    await Promise.all([abandoned, redelivery]);
    // The first call's failure arrived after the redelivery took over: the redelivery's answer stands.
    expect(jobs.jobs.get(job!.id)).toMatchObject({ stage: "done", attempt: "receipt-2" });
    expect(jobs.jobs.get(job!.id)?.error).toBeUndefined();
  });

  it("moves a job through every stage to done after the caller's upload is committed, and tells subscribers each step in the owner's view", async () => {
    const { deps, jobs, uploads, gateway, connections, staging } = memoryDeps();
    const {
      jobs: [job],
    } = await submitJobs(deps, { caller, photos: [{ bytes: coffee }], batch: false });
    await connections.open({ id: "c1", owner: "fp:fp-jobs", expiresAt: "2099-01-01T00:00:00.000Z" });
    await subscribe(deps, "c1", { jobId: job!.id });
    await runJob(deps, job!.id, { failureOf: retryNever });
    const sent = gateway.sent.get("c1") as { stage: string; analysis?: { id: string; file_hash: string | null; image_url: string } }[];
    expect(sent.map((message) => message.stage)).toEqual(["queued", "decoding", "matching", "analysing", "storing", "done"]);
    const done = jobs.jobs.get(job!.id)!;
    expect(done).toMatchObject({ stage: "done", cached: false });
    expect(uploads.uploads.get(done.uploadId!)).toMatchObject({ owner: "fp:fp-jobs" });
    expect(sent.at(-1)!.analysis).toMatchObject({ id: done.uploadId, file_hash: md5Hex(coffee) });
    // No request to take an origin from, and none configured: the link is relative to the API (jobs store no URL).
    expect(sent.at(-1)!.analysis!.image_url).toBe(`/api/photo-analysis/${done.uploadId}/image/`);
    expect(JSON.stringify(done)).not.toMatch(/https?:/);
    expect(staging.objects.size).toBe(0);
  });

  it("lets a transient fault be delivered again while deliveries remain; the last delivery makes it the job's answer", async () => {
    captureLogs(); // this path logs on purpose
    const busy = new BusyError("held", 2);
    expect(jobFailureOf(busy, "j", false)).toBeNull();
    expect(jobFailureOf(new Error("socket hang up"), "j", false)).toBeNull();
    expect(jobFailureOf(new Error("socket hang up"), "j", true)).toEqual({ status: 500, body: { error: "Internal server error", request_id: "j" } });
    expect(jobFailureOf(busy, "j", true)).toMatchObject({ status: 503, body: { error: "Photo analysis busy" } });
    // A provider's failure is the upload's answer at once: another delivery would fail the same way.
    expect(jobFailureOf(providerFailure("bad reply"), "j", false)).toMatchObject({
      status: 500,
      body: { error: "Photo analysis failed", detail: "bad reply" },
    });

    const { deps, jobs, staging } = memoryDeps();
    const {
      jobs: [job],
    } = await submitJobs(deps, { caller, photos: [{ bytes: coffee }], batch: false });
    deps.analyses.findByFileHash = async () => {
      throw new Error("ECONNRESET");
    };
    await expect(runJob(deps, job!.id, { failureOf: (error) => jobFailureOf(error, job!.id, false) })).rejects.toThrow("ECONNRESET");
    expect(jobs.jobs.get(job!.id)!.stage).toBe("matching");
    expect(staging.objects.size).toBe(1); // kept for the next delivery
    await runJob(deps, job!.id, { failureOf: (error) => jobFailureOf(error, job!.id, true) });
    expect(jobs.jobs.get(job!.id)).toMatchObject({ stage: "failed", error: { status: 500 } });
    expect(staging.objects.size).toBe(0);
  });

  it("carries the request's context and language to the analysis", async () => {
    const { deps, uploads } = memoryDeps();
    const {
      jobs: [job],
    } = await submitJobs(deps, { caller, photos: [{ bytes: coffee }], batch: false, context: "for our office book swap", language: "pt-BR" });
    await runJob(deps, job!.id, { failureOf: retryNever });
    expect([...uploads.uploads.values()].map((upload) => [upload.context, upload.language])).toEqual([["for our office book swap", "pt-BR"]]);
  });

  it("two deliveries of one job at once (a redelivery while the first still runs) make one analysis and one upload", async () => {
    const { deps, jobs, analyses, uploads, vision } = memoryDeps();
    const {
      jobs: [job],
    } = await submitJobs(deps, { caller, photos: [{ bytes: coffee }], batch: false });
    await Promise.all([runJob(deps, job!.id, { failureOf: retryNever }), runJob(deps, job!.id, { failureOf: retryNever })]);
    expect([vision.calls, analyses.analyses.size, uploads.uploads.size]).toEqual([1, 1, 1]);
    expect(jobs.jobs.get(job!.id)).toMatchObject({ stage: "done", uploadId: [...uploads.uploads.keys()][0] });
  });

  it("a redelivered final job is only announced again: no second analysis", async () => {
    const { deps, vision, gateway, connections } = memoryDeps();
    const {
      jobs: [job],
    } = await submitJobs(deps, { caller, photos: [{ bytes: coffee }], batch: false });
    await runJob(deps, job!.id, { failureOf: retryNever });
    await connections.open({ id: "late", owner: "fp:fp-jobs", expiresAt: "2099-01-01T00:00:00.000Z" });
    await connections.subscribe(job!.id, "late");
    await runJob(deps, job!.id, { failureOf: retryNever });
    expect(vision.calls).toBe(1);
    expect((gateway.sent.get("late") as { stage: string }[]).map((message) => message.stage)).toEqual(["done"]);
  });
});

describe("the worker handler", () => {
  it("reports only the message that should run again (partial batch response)", async () => {
    captureLogs(); // this path logs on purpose
    const { deps, jobs } = memoryDeps({ vision: new ScriptedVision(["ok", "ok"]) });
    const { jobs: created } = await submitJobs(deps, { caller, photos: [{ bytes: photoA! }, { bytes: photoB! }], batch: true });
    const flaky = created[1]!.id;
    const advance = deps.jobs!.advance.bind(deps.jobs);
    deps.jobs!.advance = async (id, stage, outcome, now) => {
      if (id === flaky && stage === "decoding") throw new Error("throttled");
      return advance(id, stage, outcome, now);
    };
    const result = await createWorkerHandler(() => deps, {})(sqsEvent(created.map((job) => job.id)));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "m-1" }]);
    expect(jobs.jobs.get(created[0]!.id)!.stage).toBe("done");
    expect(jobs.jobs.get(flaky)!.stage).toBe("queued");
    // Malformed messages are dropped, not retried forever.
    expect((await createWorkerHandler(() => deps, {})({ Records: [{ ...sqsEvent(["x"]).Records[0]!, body: "{" }] })).batchItemFailures).toEqual([]);
  });
});

describe("announce", () => {
  it("forgets connections that have gone and still tells the others", async () => {
    const { deps, gateway, connections } = memoryDeps();
    const {
      jobs: [job],
    } = await submitJobs(deps, { caller, photos: [{ bytes: coffee }], batch: false });
    for (const id of ["alive", "gone"]) {
      await connections.open({ id, owner: "fp:fp-jobs", expiresAt: "2099-01-01T00:00:00.000Z" });
      await connections.subscribe(job!.id, id);
    }
    gateway.gone.add("gone");
    await announce(deps, job!);
    expect(gateway.sent.get("alive")).toHaveLength(1);
    expect(await connections.subscribers(job!.id)).toEqual(["alive"]);
    expect(await connections.owner("gone")).toBeNull();
  });
});
