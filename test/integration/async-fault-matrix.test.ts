import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBatchHandler } from "../../functions/batch/handler.js";
import type { HttpResult } from "../../functions/http.js";
import { createWorkerHandler } from "../../functions/worker/handler.js";
import { LocalJobQueue } from "../../local/queue.js";
import { createAnalysis } from "../../shared/runtime/analysis.js";
import { createAppDeps } from "../../shared/runtime/app-deps.js";
import { cleanupExpired, ORPHAN_GRACE_MS } from "../../shared/usecases/cleanup.js";
import { uploadEvent } from "../helpers/events.js";
import { FAULTS, startFaultLab, unitsCharged, type FaultLab } from "../helpers/fault-lab.js";
import type { FaultKind, Operation } from "../helpers/fault-proxy.js";
import { captureLogs } from "../helpers/console.js";

/**
 * The async path under one injected fault at a time: a batch submitted through the batch handler,
 * run by the worker handler behind the local queue (visibility timeout, redelivery, dead letters),
 * with one DynamoDB or S3 call kind faulted. Then the table and bucket are audited: the submission
 * answered 202 or a 5xx; a queued job ends final (or dead-lettered, when its state can never be
 * written); one analysis and one upload per photo, each upload with its image and its analysis; no
 * image without an upload once cleanup ran;
 * no staged photo left behind; one unit charged exactly when a provider call was billed (however many
 * deliveries the job took); and the same photo goes through again.
 */

const OPERATIONS: Operation[] = ["staging put", "job put", "batch put", "job update", "record put", "upload put", "counter update", "staging delete"];
/** Short, so that redeliveries happen within the test; above one job's worst case here (a stall and its retry). */
const VISIBILITY_MS = 2_500;

let lab: FaultLab;

beforeAll(async () => {
  lab = await startFaultLab(OPERATIONS.length * FAULTS.length, 2626);
});
afterAll(async () => {
  await lab?.close();
});

interface Audit {
  status: number;
  faultedCalls: number;
  jobStage: string;
  deadLettered: number;
  analyses: number;
  uploads: number;
  uploadsWithoutImage: number;
  imagesWithoutUpload: number;
  stagedLeft: number;
  unitsCharged: number;
  /** Provider calls that answered while the job ran (each billed; a redelivery may call again). */
  billedCalls: number;
  again: string;
}

async function cell(kind: FaultKind, times: number, operation: Operation, photo: Buffer): Promise<Audit> {
  const storage = await lab.cellStorage("async-faults");
  const runtime = storage.runtime;
  const queue = new LocalJobQueue({ visibilityTimeoutMs: VISIBILITY_MS, concurrency: 2 });
  const env = { OPENAI_API_KEY: "sk-test", PHOTO_ANALYSIS_VISION_MAX_RETRIES: "0", PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "5" };
  const deps = createAppDeps({ runtime, env, ...createAnalysis(runtime, env), queue });
  queue.attach(createWorkerHandler(() => deps, {}));
  const submit = async () =>
    (await createBatchHandler(() => deps)(uploadEvent(photo, { fingerprint: "fp-async-faults", sourceIp: "198.51.100.78" }), {} as never)) as HttpResult;
  const settle = () => Promise.race([queue.idle(), new Promise((resolve) => setTimeout(resolve, 4 * VISIBILITY_MS * 3))]);
  const jobStage = async (id: string) => ((await storage.items()).find((item) => item.pk === `JOB#${id}`)?.stage as string | undefined) ?? "missing";

  const proxy = lab.inject(operation, { kind, times }, ["staging put", "staging delete"].includes(operation));
  const callsBefore = lab.fake.callCount;
  const result = await submit();
  await settle();
  const billedCalls = lab.fake.callCount - callsBefore;
  const faultedCalls = proxy.faulted(operation);
  lab.clear();

  const accepted = result.statusCode === 202 ? (JSON.parse(result.body ?? "{}") as { items: { job_id: string }[] }) : null;
  const stage = accepted ? await jobStage(accepted.items[0]!.job_id) : "none (not queued)";
  const deadLettered = queue.deadLetters.length;
  await cleanupExpired({ ...deps, now: () => new Date(Date.now() + ORPHAN_GRACE_MS + 60_000) }, { dryRun: false, batchSize: 100 });
  const all = await storage.items();
  const analyses = all.filter((item) => item.sk === "ANALYSIS");
  const uploads = all.filter((item) => item.sk === "PHOTO");
  const uploadsWithoutImage =
    (await Promise.all(uploads.map((upload) => storage.imageExists(upload.imagePath as string)))).filter((found) => !found).length +
    uploads.filter((upload) => !analyses.some((analysis) => analysis.id === upload.analysisId)).length;
  const imagesWithoutUpload = (await storage.listKeys("photo_analysis/")).filter((key) => !uploads.some((upload) => upload.imagePath === key)).length;
  const stagedLeft = (await storage.listKeys("uploads/")).length;

  const retry = await submit();
  await settle();
  const again =
    retry.statusCode === 202
      ? await jobStage((JSON.parse(retry.body ?? "{}") as { items: { job_id: string }[] }).items[0]!.job_id)
      : `HTTP ${retry.statusCode}`;
  await queue.close();
  storage.destroy();
  return {
    status: result.statusCode ?? 0,
    faultedCalls,
    jobStage: stage,
    deadLettered,
    analyses: analyses.length,
    uploads: uploads.length,
    uploadsWithoutImage,
    imagesWithoutUpload,
    stagedLeft,
    unitsCharged: unitsCharged(all),
    billedCalls,
    again,
  };
}

describe("async fault matrix: one injected DynamoDB or S3 fault per batch", () => {
  it(`holds every invariant for ${FAULTS.length} fault kinds × ${OPERATIONS.length} calls`, async () => {
    captureLogs(); // this path logs on purpose
    const rows: string[] = [];
    const problems: string[] = [];
    let index = 0;
    for (const fault of FAULTS) {
      for (const operation of OPERATIONS) {
        const audit = await cell(fault.kind, fault.times, operation, lab.photos[index++]!);
        const where = `${fault.label} on ${operation}`;
        const answered = audit.faultedCalls === 0 ? "not on this path" : String(audit.status);
        rows.push(
          `| ${fault.label} | ${operation} | ${answered} | ${audit.jobStage}${audit.deadLettered ? " (dead-lettered)" : ""} | ${audit.analyses} | ${audit.uploads} | ${audit.uploadsWithoutImage} | ${audit.imagesWithoutUpload} | ${audit.stagedLeft} | ${Math.max(0, audit.unitsCharged - Math.min(audit.billedCalls, 1))} | ${audit.again} |`,
        );
        if (audit.status !== 202 && audit.status < 500) problems.push(`${where}: answered ${audit.status}`);
        // A queued job ends with an answer, unless its state can never be written (then the queue dead-letters it, alarmed in AWS).
        const stuckAllowed = fault.times === Infinity && operation === "job update";
        if (audit.status === 202 && !["done", "failed"].includes(audit.jobStage) && !(stuckAllowed && audit.deadLettered))
          problems.push(`${where}: job left ${audit.jobStage}`);
        if (audit.deadLettered && !stuckAllowed) problems.push(`${where}: ${audit.deadLettered} message(s) dead-lettered`);
        if (audit.analyses > 1) problems.push(`${where}: ${audit.analyses} analyses for one photo`);
        if (audit.uploads > 1) problems.push(`${where}: ${audit.uploads} uploads for one caller's photo`);
        if (audit.jobStage === "done" && audit.uploads !== 1) problems.push(`${where}: job done with ${audit.uploads} upload(s) stored`);
        if (audit.uploadsWithoutImage) problems.push(`${where}: upload without image or analysis`);
        if (audit.imagesWithoutUpload) problems.push(`${where}: image without upload after cleanup`);
        // A staged photo outlives its job only when deleting it always fails, or its job never ends: the lifecycle rule's case.
        if (audit.stagedLeft && !(fault.times === Infinity && ["staging delete", "job update"].includes(operation)))
          problems.push(`${where}: ${audit.stagedLeft} staged photo(s) left`);
        // One unit per job that reached a billed provider call, however many deliveries it took (a redelivery is the same request).
        if (audit.unitsCharged !== Math.min(audit.billedCalls, 1))
          problems.push(`${where}: ${audit.unitsCharged} unit(s) charged for ${audit.billedCalls} billed provider call(s)`);
        if (audit.again !== "done") problems.push(`${where}: submitting again ended ${audit.again}`);
      }
    }
    console.log(
      [
        "| fault | call | submission | job | analyses | uploads | uploads without image or analysis | images without upload | staged left | double charges | again |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        ...rows,
      ].join("\n"),
    );
    expect(problems).toEqual([]);
    for (const operation of OPERATIONS)
      expect(
        rows.some((row) => row.includes(`| ${operation} |`) && !row.includes("not on this path")),
        operation,
      ).toBe(true);
  }, 300_000);
});
