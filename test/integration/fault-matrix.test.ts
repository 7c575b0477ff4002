import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HttpResult } from "../../functions/http.js";
import { createUploadHandler } from "../../functions/upload/handler.js";
import { createAnalysis } from "../../shared/runtime/analysis.js";
import { createAppDeps } from "../../shared/runtime/app-deps.js";
import { cleanupExpired, ORPHAN_GRACE_MS } from "../../shared/usecases/cleanup.js";
import type { FaultKind, Operation } from "../helpers/fault-proxy.js";
import { FAULTS, startFaultLab, unitsCharged, type FaultLab } from "../helpers/fault-lab.js";
import { uploadEvent } from "../helpers/events.js";
import { captureLogs } from "../helpers/console.js";

/**
 * Uploads under one injected fault at a time, between the service and its DynamoDB and S3 servers,
 * for every fault kind × write the upload makes. After each, the table and the bucket are read
 * directly and the invariants audited: at most one analysis and one upload for the photo; no upload
 * without its image or its analysis; no image without an upload once cleanup has run; no claim left
 * blocking the photo; units charged = provider calls billed (a call that answered keeps its unit even
 * when our own write fails after it); the client got a 2xx or a 5xx JSON; the same
 * photo uploads again. README has the resulting table.
 */

const OPERATIONS: Operation[] = [
  "record put",
  "index write",
  "upload put",
  "upload index write",
  "claim put",
  "claim update",
  "counter update",
  "s3 put",
  "s3 delete",
];
/** The writes of a caller's repeat of their own photo: the use of their upload, and the repeat entry of an upload made without one. */
const REPEAT_OPERATIONS: Operation[] = ["upload use", "repeat entry put"];
let lab: FaultLab;

beforeAll(async () => {
  lab = await startFaultLab((OPERATIONS.length + REPEAT_OPERATIONS.length) * FAULTS.length, 1313);
});
afterAll(async () => {
  await lab?.close();
});

interface Audit {
  status: number;
  jsonBody: boolean;
  faultedCalls: number;
  analyses: number;
  uploads: number;
  uploadsWithoutImage: number;
  uploadsWithoutAnalysis: number;
  imagesWithoutUpload: number;
  blockingClaims: number;
  unitsCharged: number;
  /** Provider calls that answered during the first upload (each billed). */
  billedCalls: number;
  retryStatus: number;
}

function isJson(body: string | undefined): boolean {
  try {
    JSON.parse(body ?? "");
    return true;
  } catch {
    return false;
  }
}

/** One table and one bucket per cell, so that audits and the orphan sweep see only that cell's data. */
async function cell(kind: FaultKind, times: number, operation: Operation, photo: Buffer): Promise<Audit> {
  const storage = await lab.cellStorage("faults");
  const env = { OPENAI_API_KEY: "sk-test", PHOTO_ANALYSIS_VISION_MAX_RETRIES: "0", PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "5" };
  const deps = createAppDeps({ runtime: storage.runtime, env, ...createAnalysis(storage.runtime, env) });
  const upload = createUploadHandler(() => deps);
  const send = async () => (await upload(uploadEvent(photo, { fingerprint: "fp-faults", sourceIp: "198.51.100.77" }), {} as never)) as HttpResult;

  const proxy = lab.inject(operation, { kind, times }, operation.startsWith("s3"));
  const callsBefore = lab.fake.callCount;
  const result = await send();
  const billedCalls = lab.fake.callCount - callsBefore;
  const faultedCalls = proxy.faulted(operation);
  lab.clear();

  const jsonBody = isJson(result.body);
  // The sweep runs as the hourly job would, later than the grace period.
  await cleanupExpired({ ...deps, now: () => new Date(Date.now() + ORPHAN_GRACE_MS + 60_000) }, { dryRun: false, batchSize: 100 });
  const all = await storage.items();
  const analyses = all.filter((item) => item.sk === "ANALYSIS");
  const uploads = all.filter((item) => item.sk === "PHOTO");
  const uploadsWithoutImage = (await Promise.all(uploads.map((upload) => storage.imageExists(upload.imagePath as string)))).filter((exists) => !exists).length;
  const uploadsWithoutAnalysis = uploads.filter((upload) => !analyses.some((analysis) => analysis.id === upload.analysisId)).length;
  const keys = await storage.listKeys("photo_analysis/");
  const imagesWithoutUpload = keys.filter((key) => !uploads.some((upload) => upload.imagePath === key)).length;
  // A claim blocks the photo if it is in flight, still leased, and no analysis answers the photo.
  const blockingClaims = all.filter((item) => item.sk === "CLAIM" && !item.recordId && Number(item.leaseUntil) > Date.now() && analyses.length === 0).length;
  const retry = await send();
  storage.destroy();
  return {
    status: result.statusCode ?? 0,
    jsonBody,
    faultedCalls,
    analyses: analyses.length,
    uploads: uploads.length,
    uploadsWithoutImage,
    uploadsWithoutAnalysis,
    imagesWithoutUpload,
    blockingClaims,
    unitsCharged: unitsCharged(all),
    billedCalls,
    retryStatus: retry.statusCode ?? 0,
  };
}

describe("fault matrix: one injected DynamoDB or S3 fault per upload", () => {
  it(`holds every invariant for ${FAULTS.length} fault kinds × ${OPERATIONS.length} writes`, async () => {
    captureLogs(); // this path logs on purpose
    const rows: string[] = [];
    let index = 0;
    const problems: string[] = [];
    for (const fault of FAULTS) {
      for (const operation of OPERATIONS) {
        const audit = await cell(fault.kind, fault.times, operation, lab.photos[index++]!);
        const outcome = audit.faultedCalls === 0 ? "not on this path" : `${audit.status}`;
        rows.push(
          `| ${fault.label} | ${operation} | ${outcome} | ${audit.analyses} | ${audit.uploads} | ${audit.uploadsWithoutImage + audit.uploadsWithoutAnalysis} | ${audit.imagesWithoutUpload} | ${audit.blockingClaims} | ${Math.max(0, audit.unitsCharged - audit.billedCalls)} | ${audit.retryStatus} |`,
        );
        const where = `${fault.label} on ${operation}`;
        if (!((audit.status >= 200 && audit.status < 300) || audit.status >= 500) || !audit.jsonBody) problems.push(`${where}: answered ${audit.status}`);
        if (audit.uploadsWithoutImage) problems.push(`${where}: ${audit.uploadsWithoutImage} upload(s) without image`);
        if (audit.uploadsWithoutAnalysis) problems.push(`${where}: ${audit.uploadsWithoutAnalysis} upload(s) without analysis`);
        if (audit.imagesWithoutUpload) problems.push(`${where}: ${audit.imagesWithoutUpload} image(s) without upload after cleanup`);
        if (audit.blockingClaims) problems.push(`${where}: a claim blocks the photo`);
        if (audit.unitsCharged !== audit.billedCalls)
          problems.push(`${where}: ${audit.unitsCharged} unit(s) charged for ${audit.billedCalls} billed provider call(s)`);
        if (audit.analyses > 1) problems.push(`${where}: ${audit.analyses} analyses for one photo`);
        if (audit.uploads > 1) problems.push(`${where}: ${audit.uploads} uploads for one caller's photo`);
        // A 2xx answer names an upload that exists.
        if (audit.status < 300 && audit.uploads !== 1) problems.push(`${where}: answered ${audit.status} with ${audit.uploads} upload(s) stored`);
        if (![200, 201].includes(audit.retryStatus)) problems.push(`${where}: uploading again answered ${audit.retryStatus}`);
      }
    }
    console.log(
      [
        "| fault | operation | first answer | analyses | uploads | uploads without image or analysis | images without upload | blocking claims | double charges | again |",
        "|---|---|---|---|---|---|---|---|---|---|",
        ...rows,
      ].join("\n"),
    );
    expect(problems).toEqual([]);
    // Every write the upload makes on its success path was reached by the faults.
    for (const operation of ["record put", "index write", "upload put", "upload index write", "claim put", "claim update", "counter update", "s3 put"]) {
      expect(
        rows.some((row) => row.includes(`| ${operation} |`) && !row.includes("not on this path")),
        operation,
      ).toBe(true);
    }
  }, 240_000);
});

interface RepeatAudit {
  status: number;
  jsonBody: boolean;
  faultedCalls: number;
  uploads: number;
  /** The caller's upload's times_used in the table after the faulted repeat and one more. */
  timesUsed: number;
  /** Of those two repeats, the ones answered 200 (each must have counted one use, and only one). */
  answeredFromCache: number;
  againStatus: number;
  /** The caller's repeat entry is in the table after the repeat that followed the fault. */
  repeatEntry: boolean;
}

/**
 * The caller's photo analysed without faults, then their repeat under one fault. For the repeat
 * entry's write, the table first loses the entry, as one written before the entries existed.
 */
async function repeatCell(kind: FaultKind, times: number, operation: Operation, photo: Buffer): Promise<RepeatAudit> {
  const storage = await lab.cellStorage("repeats");
  const env = { OPENAI_API_KEY: "sk-test", PHOTO_ANALYSIS_VISION_MAX_RETRIES: "0" };
  const deps = createAppDeps({ runtime: storage.runtime, env, ...createAnalysis(storage.runtime, env) });
  const upload = createUploadHandler(() => deps);
  const send = async () => (await upload(uploadEvent(photo, { fingerprint: "fp-repeats", sourceIp: "198.51.100.78" }), {} as never)) as HttpResult;
  expect((await send()).statusCode).toBe(201);
  const isRepeatEntry = (item: Record<string, unknown>) => String(item.sk).startsWith("REPEAT#");
  if (operation === "repeat entry put") {
    const entry = (await storage.items()).find(isRepeatEntry)!;
    await storage.removeItem({ pk: String(entry.pk), sk: String(entry.sk) });
  }

  const proxy = lab.inject(operation, { kind, times }, false);
  const result = await send();
  const faultedCalls = proxy.faulted(operation);
  lab.clear();
  const jsonBody = isJson(result.body);
  const again = await send();
  const all = await storage.items();
  const uploads = all.filter((item) => item.sk === "PHOTO");
  storage.destroy();
  return {
    status: result.statusCode ?? 0,
    jsonBody,
    faultedCalls,
    uploads: uploads.length,
    timesUsed: Number(uploads[0]?.timesUsed ?? 0),
    answeredFromCache: [result, again].filter((answer) => answer.statusCode === 200).length,
    againStatus: again.statusCode ?? 0,
    repeatEntry: all.some(isRepeatEntry),
  };
}

describe("fault matrix: one injected DynamoDB fault per write of a caller's repeat", () => {
  it(`holds every invariant for ${FAULTS.length} fault kinds × ${REPEAT_OPERATIONS.length} writes`, async () => {
    captureLogs(); // this path logs on purpose
    const rows: string[] = [];
    const problems: string[] = [];
    let index = OPERATIONS.length * FAULTS.length;
    for (const fault of FAULTS) {
      for (const operation of REPEAT_OPERATIONS) {
        const audit = await repeatCell(fault.kind, fault.times, operation, lab.photos[index++]!);
        rows.push(
          `| ${fault.label} | ${operation} | ${audit.faultedCalls === 0 ? "not on this path" : audit.status} | ${audit.uploads} | ${audit.timesUsed} | ${audit.answeredFromCache} | ${audit.againStatus} | ${audit.repeatEntry} |`,
        );
        const where = `${fault.label} on ${operation}`;
        if (audit.faultedCalls === 0) problems.push(`${where}: the write was not reached`);
        if (![200, 500, 503].includes(audit.status) || !audit.jsonBody) problems.push(`${where}: answered ${audit.status}`);
        if (audit.uploads !== 1) problems.push(`${where}: ${audit.uploads} uploads for one caller's photo`);
        // A use whose response was lost is recognised by its token: counted once, however often it was sent.
        if (audit.timesUsed !== audit.answeredFromCache)
          problems.push(`${where}: times_used ${audit.timesUsed} after ${audit.answeredFromCache} answer(s) from the cache`);
        if (audit.againStatus !== 200) problems.push(`${where}: repeating again answered ${audit.againStatus}`);
        if (!audit.repeatEntry) problems.push(`${where}: no repeat entry after the next repeat`);
      }
    }
    console.log(
      [
        "| fault | operation | first answer | uploads | times_used | answers from the cache | again | repeat entry |",
        "|---|---|---|---|---|---|---|---|",
        ...rows,
      ].join("\n"),
    );
    expect(problems).toEqual([]);
  }, 120_000);
});
