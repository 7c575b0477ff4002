import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile } from "node:fs/promises";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startScratchService } from "../helpers/local-service.js";
import type { LocalService } from "../../local/service.js";
import { acceptedBatchSchema, acceptedJobSchema, batchSchema, jobSchema, progressMessageSchema } from "../../shared/api/schemas.js";
import { md5Hex } from "../../shared/image/hash.js";
import { rateLimitRules } from "../../shared/ratelimit/rate-limiter.js";
import type { AppDeps } from "../../shared/usecases/deps.js";
import { STYLE_NAMES } from "../../shared/domain/styles.js";
import type { VisionProvider } from "../../shared/vision/provider.js";
import { FakeOpenAI } from "../helpers/fake-providers.js";
import { distinctImages } from "../helpers/photos.js";
import { openWatcher, refusedHandshake, type SocketMessage } from "../helpers/socket.js";
import { captureLogs } from "../helpers/console.js";

/**
 * The async pipeline end to end on `npm start`'s local service: real HTTP, a real WebSocket client,
 * the in-process queue running the worker handler, local DynamoDB and S3.
 */

const coffee = await readFile("fixtures/photos/coffee-mug.jpg");
const cat = await readFile("fixtures/photos/chelsea-cat.jpg");
let fake: FakeOpenAI;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  fake = await new FakeOpenAI().start();
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await fake.close();
});

async function service(options: { env?: NodeJS.ProcessEnv; override?: (deps: AppDeps) => AppDeps; visibilityTimeoutMs?: number } = {}): Promise<LocalService> {
  const started = await startScratchService({
    env: {
      OPENAI_API_KEY: "sk-local",
      OPENAI_BASE_URL: fake.baseUrl,
      PHOTO_ANALYSIS_VISION_MAX_RETRIES: "0",
      PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "100",
      ...options.env,
    },
    override: options.override,
    queue: { visibilityTimeoutMs: options.visibilityTimeoutMs ?? 30_000 },
  });
  cleanups.push(() => started.close());
  return started;
}

function form(parts: { bytes: Buffer; type?: string; name?: string }[], fields: Record<string, string> = {}) {
  const body = new FormData();
  for (const [index, part] of parts.entries())
    body.append("image", new Blob([part.bytes], { type: part.type ?? "image/jpeg" }), part.name ?? `photo-${index}.jpg`);
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  return body;
}

interface Accepted {
  job_id: string;
  batch_id: string;
  status: string;
  status_url: string;
  events_url: string;
  items: { index: number; job_id: string; status: string }[];
}

async function accepted(response: Response): Promise<Accepted> {
  expect(response.status, await response.clone().text()).toBe(202);
  return (await response.json()) as Accepted;
}

const isFinal = (message: SocketMessage) => message.type === "progress" && (message.stage === "done" || message.stage === "failed");

describe("async upload and batches on the local service", () => {
  let local: LocalService;
  beforeAll(async () => {
    local = await service();
  });

  it("Prefer: respond-async answers 202 and a subscriber sees every stage in order, then the stored analysis", async () => {
    local.queue.pause(); // subscribe before the worker starts, to see every stage
    const response = await fetch(`${local.url}/api/photo-analysis/upload/`, {
      method: "POST",
      body: form([{ bytes: coffee }], { fingerprint: "fp-async" }),
      headers: { prefer: "respond-async" },
    });
    expect(response.headers.get("preference-applied")).toBe("respond-async");
    const job = await accepted(response);
    expect(job).toEqual({
      job_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: "queued",
      status_url: `${local.url}/api/photo-analysis/jobs/${job.job_id}/?fingerprint=fp-async`,
      events_url: `${local.url.replace("http", "ws")}/api/photo-analysis/events/?fingerprint=fp-async`,
    });
    expect(response.headers.get("location")).toBe(job.status_url);
    expect(acceptedJobSchema.safeParse(job).error).toBeUndefined();

    const watcher = await openWatcher(job.events_url);
    watcher.send({ action: "subscribe", job_id: job.job_id });
    await watcher.next((message) => message.stage === "queued");
    local.queue.resume();
    const done = await watcher.next(isFinal);
    watcher.close();
    expect(watcher.messages.map((message) => message.stage)).toEqual(["queued", "decoding", "matching", "analysing", "storing", "done"]);
    expect(watcher.messages.every((message) => message.type === "progress" && message.job_id === job.job_id && typeof message.at === "string")).toBe(true);
    expect(done.cached).toBe(false);
    expect(done.analysis?.suggestions).toHaveLength(10);
    // Every message, and the status answer below, match the published schemas (openapi.json).
    for (const message of watcher.messages) expect(progressMessageSchema.safeParse(message).error, message.stage).toBeUndefined();

    // The status URL and the stored record say the same; the record is there when `done` is sent.
    const status = (await (await fetch(job.status_url)).json()) as { status: string; stage: string; analysis: { id: string } };
    expect(jobSchema.safeParse(status).error).toBeUndefined();
    expect(status).toMatchObject({ job_id: job.job_id, status: "done", stage: "done", cached: false });
    expect(status.analysis.id).toBe(done.analysis!.id);
    expect((await fetch(`${local.url}/api/photo-analysis/${done.analysis!.id}/`)).status).toBe(200);
    // Without the header, the same upload is the seed's synchronous cached answer.
    const sync = await fetch(`${local.url}/api/photo-analysis/upload/`, { method: "POST", body: form([{ bytes: coffee }], { fingerprint: "fp-async" }) });
    expect(sync.status).toBe(200);
    expect(((await sync.json()) as { analysis: { id: string } }).analysis.id).toBe(done.analysis!.id);
  });

  it("a batch of 10 with 2 parts that are not images: 8 analyses done, 2 items failed with the upload's 400 body; a late subscriber gets every current state", async () => {
    const photos = await distinctImages(8, 41);
    const parts = photos.map((bytes) => ({ bytes, type: "image/png" }));
    parts.splice(3, 0, { bytes: Buffer.from("just some text"), type: "text/plain" });
    parts.splice(7, 0, { bytes: Buffer.from("%PDF-1.4 not a photo"), type: "application/pdf" });
    local.queue.pause();
    const batch = await accepted(await fetch(`${local.url}/api/photo-analysis/batch/`, { method: "POST", body: form(parts, { fingerprint: "fp-batch" }) }));
    expect(batch.status).toBe("queued");
    expect(acceptedBatchSchema.safeParse(batch).error).toBeUndefined();
    expect(batch.items.map((item) => [item.index, item.status])).toEqual(parts.map((_, index) => [index, "queued"]));
    expect(batch.status_url).toBe(`${local.url}/api/photo-analysis/batch/${batch.batch_id}/?fingerprint=fp-batch`);

    const watcher = await openWatcher(batch.events_url);
    watcher.send({ action: "subscribe", batch_id: batch.batch_id });
    await watcher.until((message) => message.stage === "queued", 10);
    local.queue.resume();
    const finals = await watcher.until(isFinal, 10, 30_000);
    watcher.close();
    expect(finals.every((message) => message.batch_id === batch.batch_id)).toBe(true);
    const failed = finals.filter((message) => message.stage === "failed");
    expect(failed.map((message) => message.index).sort()).toEqual([3, 7]);
    for (const message of failed) {
      expect(message.error).toEqual({
        status: 400,
        body: { image: ["Unsupported image format. Upload a JPEG, PNG, WebP, GIF, HEIC or AVIF image."], request_id: message.job_id },
      });
    }
    expect(finals.filter((message) => message.stage === "done")).toHaveLength(8);
    // Each job's stages arrive in order.
    for (const item of batch.items) {
      const stages = watcher.messages.filter((message) => message.job_id === item.job_id).map((message) => message.stage!);
      const order = ["queued", "decoding", "matching", "analysing", "storing", "done", "failed"];
      expect(stages.map((stage) => order.indexOf(stage))).toEqual([...stages.map((stage) => order.indexOf(stage))].sort((a, b) => a - b));
    }

    const status = (await (await fetch(batch.status_url)).json()) as { status: string; items: { index: number; status: string; analysis?: { id: string } }[] };
    expect(batchSchema.safeParse(status).error).toBeUndefined();
    expect(finals.every((message) => progressMessageSchema.safeParse(message).success)).toBe(true);
    expect(status.status).toBe("done");
    expect(status.items.map((item) => item.status)).toEqual(parts.map((_, index) => ([3, 7].includes(index) ? "failed" : "done")));
    const ids = status.items.flatMap((item) => (item.analysis ? [item.analysis.id] : []));
    expect(new Set(ids).size).toBe(8);

    const late = await openWatcher(batch.events_url);
    late.send({ action: "subscribe", batch_id: batch.batch_id });
    const current = await late.until(isFinal, 10);
    late.close();
    expect(current.map((message) => message.index).sort((a, b) => a! - b!)).toEqual(parts.map((_, index) => index));
    expect(current.find((message) => message.index === 0)?.analysis?.id).toBe(status.items[0]!.analysis!.id);
    // Nothing of the batch is left in staging.
    expect(await Promise.all(batch.items.map((item) => local.deps.staging!.size(`uploads/job-${item.job_id}`)))).toEqual(batch.items.map(() => null));
  });

  it("refuses other callers' jobs and batches: 404 over HTTP, 'Not found.' on the socket", async () => {
    local.queue.pause();
    const job = await accepted(
      await fetch(`${local.url}/api/photo-analysis/upload/`, {
        method: "POST",
        body: form([{ bytes: cat }], { fingerprint: "fp-owner" }),
        headers: { prefer: "respond-async" },
      }),
    );
    const batch = await accepted(
      await fetch(`${local.url}/api/photo-analysis/batch/`, { method: "POST", body: form([{ bytes: cat }], { fingerprint: "fp-owner" }) }),
    );
    local.queue.resume();
    for (const url of [
      `${local.url}/api/photo-analysis/jobs/${job.job_id}/?fingerprint=fp-stranger`,
      `${local.url}/api/photo-analysis/jobs/${job.job_id}/`,
      `${local.url}/api/photo-analysis/batch/${batch.batch_id}/?fingerprint=fp-stranger`,
      `${local.url}/api/photo-analysis/jobs/not-a-uuid/?fingerprint=fp-owner`,
    ]) {
      const response = await fetch(url);
      expect(response.status, url).toBe(404);
      expect(((await response.json()) as { detail: string }).detail).toBe("Not found.");
    }
    expect((await fetch(job.status_url)).status).toBe(200);

    const stranger = await openWatcher(`${local.url.replace("http", "ws")}/api/photo-analysis/events/?fingerprint=fp-stranger`);
    stranger.send({ action: "subscribe", job_id: job.job_id });
    stranger.send({ action: "subscribe", batch_id: batch.batch_id });
    stranger.send({ action: "subscribe" });
    stranger.send("not json");
    // Messages are handled as they come (as API Gateway invokes a function per message): answers in any order.
    const errors = (await stranger.until((message) => message.type === "error", 4)).map((message) => String(message.error)).sort();
    expect(errors).toEqual([
      'Name one job_id or one batch_id. Send {"action": "subscribe", "job_id": "…"} or {"action": "subscribe", "batch_id": "…"}.',
      "Not found.",
      "Not found.",
      expect.stringMatching(/^Unknown message\. Send/),
    ]);
    stranger.close();
    expect(stranger.messages.filter((message) => message.type === "progress")).toEqual([]);

    const refused = await refusedHandshake(`${local.url.replace("http", "ws")}/api/photo-analysis/events/?fingerprint=${"x".repeat(300)}`);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ fingerprint: ["Ensure this field has no more than 255 characters."] });
    const badToken = await refusedHandshake(`${local.url.replace("http", "ws")}/api/photo-analysis/events/?access_token=not-a-jwt`);
    expect(badToken.status).toBe(401);
    await local.queue.idle();
  });

  it("answers malformed batches with the seed's field errors and queues nothing", async () => {
    const url = `${local.url}/api/photo-analysis/batch/`;
    const eleven = await distinctImages(11, 77);
    const cases: [RequestInit, Record<string, unknown>][] = [
      [{ body: form([]) }, { image: ["No file was submitted."] }],
      [{ body: form(eleven.map((bytes) => ({ bytes }))) }, { image: ["Too many files: at most 10."] }],
      [{ body: JSON.stringify({ upload_ids: [] }), headers: { "content-type": "application/json" } }, { upload_ids: ["This list may not be empty."] }],
      [
        { body: JSON.stringify({ upload_ids: "abc" }), headers: { "content-type": "application/json" } },
        { upload_ids: ['Expected a list of upload ids: {"upload_ids": ["…"]}.'] },
      ],
      [
        { body: JSON.stringify({ upload_ids: ["6f1e1c5e-1111-4111-8111-111111111111"] }), headers: { "content-type": "application/json" } },
        { upload_ids: ['Unknown upload_id "6f1e1c5e-1111-4111-8111-111111111111".'] },
      ],
      [{ body: form([{ bytes: coffee }], { style: "loud" }) }, { style: [`"loud" is not a valid choice. Choose one of: ${STYLE_NAMES.join(", ")}.`] }],
    ];
    const depthBefore = local.queue.depth;
    for (const [init, errors] of cases) {
      const response = await fetch(url, { method: "POST", ...init });
      expect(response.status, JSON.stringify(errors)).toBe(400);
      expect(await response.json()).toMatchObject(errors);
    }
    expect(local.queue.depth).toBe(depthBefore);
  });

  it("analyses presigned uploads named by upload_ids", async () => {
    const ticket = (await (
      await fetch(`${local.url}/api/photo-analysis/upload-url/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ fingerprint: "fp-presigned" }),
      })
    ).json()) as {
      url: string;
      fields: Record<string, string>;
      upload_id: string;
    };
    const post = new FormData();
    for (const [name, value] of Object.entries(ticket.fields)) post.append(name, value);
    const [photo] = await distinctImages(1, 5);
    post.append("file", new Blob([photo!], { type: "image/jpeg" }));
    expect((await fetch(ticket.url, { method: "POST", body: post })).status).toBeLessThan(300);
    const batch = await accepted(
      await fetch(`${local.url}/api/photo-analysis/batch/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ upload_ids: [ticket.upload_id], fingerprint: "fp-presigned" }),
      }),
    );
    await local.queue.idle();
    const status = (await (await fetch(batch.status_url)).json()) as { status: string; items: { status: string; analysis: { file_hash: string } }[] };
    expect(status.status).toBe("done");
    expect(status.items[0]!.analysis.file_hash).toBe(md5Hex(photo!));
    // The upload was consumed by the batch: it cannot be analysed a second time.
    const again = await fetch(`${local.url}/api/photo-analysis/upload/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ upload_id: ticket.upload_id, fingerprint: "fp-presigned" }),
    });
    expect(again.status).toBe(404);
  });
});

describe("signed-in callers", () => {
  it("own their batches by user: the bearer token over HTTP, access_token on the WebSocket (browsers cannot set headers there)", async () => {
    const pair = await generateKeyPair("RS256");
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    const jwks = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => jwks.close(() => resolve())));
    const issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
    const token = await new SignJWT({ username: "ana" })
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer(issuer)
      .setAudience("photo-app")
      .setSubject("user-ana")
      .setExpirationTime("10m")
      .sign(pair.privateKey);
    const local = await service({
      env: { PHOTO_ANALYSIS_JWT_ISSUER: issuer, PHOTO_ANALYSIS_JWT_AUDIENCE: "photo-app", PHOTO_ANALYSIS_JWKS_URL: `${issuer}/jwks.json` },
    });
    const signedIn = { authorization: `Bearer ${token}` };
    local.queue.pause();
    const batch = await accepted(await fetch(`${local.url}/api/photo-analysis/batch/`, { method: "POST", body: form([{ bytes: cat }]), headers: signedIn }));
    // No fingerprint in the links: the token is the credential, and it is never put in a URL by the server.
    expect(batch.status_url).toBe(`${local.url}/api/photo-analysis/batch/${batch.batch_id}/`);
    expect(batch.events_url).toBe(`${local.url.replace("http", "ws")}/api/photo-analysis/events/`);
    expect((await fetch(batch.status_url, { headers: signedIn })).status).toBe(200);
    expect((await fetch(batch.status_url)).status).toBe(404);

    const owner = await openWatcher(`${batch.events_url}?access_token=${token}`);
    const anonymous = await openWatcher(batch.events_url);
    owner.send({ action: "subscribe", batch_id: batch.batch_id });
    anonymous.send({ action: "subscribe", batch_id: batch.batch_id });
    await owner.next((message) => message.stage === "queued");
    expect((await anonymous.next((message) => message.type === "error")).error).toBe("Not found.");
    local.queue.resume();
    const done = await owner.next(isFinal);
    owner.close();
    anonymous.close();
    expect(done).toMatchObject({ stage: "done", analysis: { username: "ana" } });
  });
});

describe("rate limiting of batches", () => {
  it("admits no more photos than the units left plus cache hits (429, nothing queued), then charges one unit per photo that needs a vision call; cache hits are free", async () => {
    const local = await service({ env: { PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "3" } });
    // One unit spent synchronously: 2 remain.
    expect(
      (await fetch(`${local.url}/api/photo-analysis/upload/`, { method: "POST", body: form([{ bytes: coffee }], { fingerprint: "fp-limited" }) })).status,
    ).toBe(201);
    const fresh = await distinctImages(4, 99);
    const batchOf = (photos: Buffer[]) =>
      fetch(`${local.url}/api/photo-analysis/batch/`, {
        method: "POST",
        body: form([{ bytes: coffee }, ...photos.map((bytes) => ({ bytes, type: "image/png" }))], { fingerprint: "fp-limited" }),
      });
    // 4 new photos for 2 units: refused whole, with the upload's 429 body, before anything is stored or queued.
    const depth = local.queue.depth;
    const refused = await batchOf(fresh);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: "Rate limit exceeded", retry_after: expect.any(Number) });
    expect(local.queue.depth).toBe(depth);
    // 2 new photos and the cached one fit.
    const batch = await accepted(await batchOf(fresh.slice(0, 2)));
    await local.queue.idle();
    const status = (await (await fetch(batch.status_url)).json()) as { items: { index: number; status: string; cached?: boolean }[] };
    expect(status.items[0]).toMatchObject({ status: "done", cached: true }); // the same coffee photo: free
    expect(status.items.slice(1).map((item) => item.status)).toEqual(["done", "done"]);
    const settings = await local.deps.settings();
    const standing = await local.deps.rateLimiter.peek(
      rateLimitRules({ userId: null, username: null, fingerprint: "fp-limited", ipAddress: "127.0.0.1" }, settings),
      new Date(),
    );
    // The allowance is spent, by exactly 3 units (a refused peek's `used` counts the request it imagines).
    expect(standing).toMatchObject({ allowed: false, used: 4 });
    // Nothing left, nothing new queued.
    expect((await batchOf(fresh.slice(2, 3))).status).toBe(429);
  });
});

describe("at-least-once delivery", () => {
  function countingVision(
    deps: AppDeps,
    behavior: (call: number, real: VisionProvider, input: Parameters<VisionProvider["analyze"]>[0]) => ReturnType<VisionProvider["analyze"]>,
  ) {
    let calls = 0;
    return {
      get calls() {
        return calls;
      },
      deps: {
        ...deps,
        visionProvider: async (settings: Parameters<AppDeps["visionProvider"]>[0]) => {
          const real = await deps.visionProvider(settings);
          return { ...real, name: real.name, analyze: (input: Parameters<VisionProvider["analyze"]>[0]) => behavior(++calls, real, input) } as VisionProvider;
        },
      } satisfies AppDeps,
    };
  }

  /** One analysis of the photo's bytes, and one upload (the job's answer) on it. */
  async function expectOneAnalysisAndUpload(deps: AppDeps, photo: Buffer, uploadId: string) {
    const analyses = await deps.analyses.findAllByFileHash(md5Hex(photo));
    expect(analyses).toHaveLength(1);
    expect((await deps.uploads.listByAnalysis(analyses[0]!.id, 10)).map((upload) => upload.id)).toEqual([uploadId]);
  }

  it("a worker killed mid-analysis is delivered again after the visibility timeout and the photo gets exactly one analysis and one upload, charged once", async () => {
    captureLogs(); // this path logs on purpose
    let vision: ReturnType<typeof countingVision> | undefined;
    // The first delivery's provider call never returns: that worker is dead as far as the queue can tell.
    const local = await service({
      visibilityTimeoutMs: 2_500,
      override: (deps) => {
        vision = countingVision(deps, (call, real, input) => (call === 1 ? new Promise(() => {}) : real.analyze(input)));
        return vision.deps;
      },
    });
    const [photo] = await distinctImages(1, 1234);
    const job = await accepted(
      await fetch(`${local.url}/api/photo-analysis/upload/`, {
        method: "POST",
        body: form([{ bytes: photo!, type: "image/png" }], { fingerprint: "fp-killed" }),
        headers: { prefer: "respond-async" },
      }),
    );
    await local.queue.idle();
    const status = (await (await fetch(job.status_url)).json()) as { status: string; cached: boolean; analysis: { id: string } };
    expect(status.status).toBe("done");
    expect(vision!.calls).toBe(2);
    await expectOneAnalysisAndUpload(local.deps, photo!, status.analysis.id);
    const settings = await local.deps.settings();
    const standing = await local.deps.rateLimiter.peek(
      rateLimitRules({ userId: null, username: null, fingerprint: "fp-killed", ipAddress: "127.0.0.1" }, settings),
      new Date(),
    );
    expect(standing.remaining).toBe(settings.PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS - 1);
    expect(local.queue.deadLetters).toEqual([]);
  });

  it("a worker that dies after the upload is committed but before the job says done finishes the job from that upload", async () => {
    let failedOnce = false;
    const local = await service({
      visibilityTimeoutMs: 1_500,
      override: (deps) => ({
        ...deps,
        jobs: {
          ...deps.jobs!,
          get: deps.jobs!.get.bind(deps.jobs),
          getBatch: deps.jobs!.getBatch.bind(deps.jobs),
          create: deps.jobs!.create.bind(deps.jobs),
          remove: deps.jobs!.remove.bind(deps.jobs),
          begin: deps.jobs!.begin.bind(deps.jobs),
          advance: async (id, stage, outcome, now, attempt) => {
            if (stage === "done" && !failedOnce) {
              failedOnce = true;
              throw Object.assign(new Error("connection reset"), { code: "ECONNRESET" });
            }
            return deps.jobs!.advance(id, stage, outcome, now, attempt);
          },
        },
      }),
    });
    const [photo] = await distinctImages(1, 4321);
    const job = await accepted(
      await fetch(`${local.url}/api/photo-analysis/upload/`, {
        method: "POST",
        body: form([{ bytes: photo!, type: "image/png" }], { fingerprint: "fp-lost" }),
        headers: { prefer: "respond-async" },
      }),
    );
    await local.queue.idle();
    expect(failedOnce).toBe(true);
    const status = (await (await fetch(job.status_url)).json()) as { status: string; analysis: { id: string } };
    expect(status.status).toBe("done");
    await expectOneAnalysisAndUpload(local.deps, photo!, status.analysis.id);
  });
});

describe("fair service between callers", () => {
  it("a caller's backlog does not hold back another caller's first job, and their flood past the pending-job cap is refused", async () => {
    const local = await service({ env: { PHOTO_ANALYSIS_MAX_PENDING_JOBS: "20" } });
    // Every analysis takes the provider a second: the flooder's 20 jobs are 5 rounds of the queue's 4 slots.
    fake.behaviors = [{ kind: "suggestions", delayMs: 1_000 }];
    try {
      const photos = await distinctImages(31, 5150);
      const batchOf = (slice: Buffer[]) =>
        fetch(`${local.url}/api/photo-analysis/batch/`, {
          method: "POST",
          body: form(
            slice.map((bytes) => ({ bytes, type: "image/png" })),
            { fingerprint: "fp-flooder" },
          ),
        });
      const flood = [await accepted(await batchOf(photos.slice(0, 10))), await accepted(await batchOf(photos.slice(10, 20)))];
      expect((await batchOf(photos.slice(20, 30))).status).toBe(429);
      const started = performance.now();
      const quiet = await accepted(
        await fetch(`${local.url}/api/photo-analysis/upload/`, {
          method: "POST",
          body: form([{ bytes: photos[30]!, type: "image/png" }], { fingerprint: "fp-quiet" }),
          headers: { prefer: "respond-async" },
        }),
      );
      for (;;) {
        const { status } = (await (await fetch(quiet.status_url)).json()) as { status: string };
        if (status === "done") break;
        expect(status).not.toBe("failed");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const waited = performance.now() - started;
      const floodDone = (
        await Promise.all(flood.map(async (batch) => ((await (await fetch(batch.status_url)).json()) as { items: { status: string }[] }).items))
      )
        .flat()
        .filter((item) => item.status === "done").length;
      await local.queue.idle();
      // First come, first served would finish all 20 of the flood's first (about 5 s); served fairly, the quiet
      // caller's job goes out at the first free slot (about 2 s). Generous bounds: the machine may be busy.
      expect(floodDone).toBeLessThan(16);
      expect(waited).toBeLessThan(10_000);
    } finally {
      fake.behaviors = [{ kind: "suggestions" }];
    }
  });
});
