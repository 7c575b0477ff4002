import { randomUUID } from "node:crypto";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_VARIANT, variantKey } from "../../shared/domain/prompt.js";
import type { Analysis, Upload } from "../../shared/domain/types.js";
import { LocalImageStore } from "../../shared/stores/local-image-store.js";
import { DynamoCounterStore } from "../../shared/ratelimit/dynamo-counter-store.js";
import type { CounterStore } from "../../shared/ratelimit/rate-limiter.js";
import { createDocumentClient } from "../../shared/runtime/aws-clients.js";
import { DynamoUploadClaims } from "../../shared/stores/dynamo-upload-claims.js";
import { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import { SQSClient } from "@aws-sdk/client-sqs";
import { ApiGatewayConnections } from "../../shared/notifications/api-gateway-connections.js";
import { SqsJobQueue } from "../../shared/queue/sqs-job-queue.js";
import { FakeConnectionsApi, FakeSqs } from "../helpers/fake-aws-async.js";
import {
  type AnalysisStore,
  type ConnectionGateway,
  type ConnectionStore,
  type ImageStore,
  type JobQueue,
  type JobStore,
  ownRepeatOf,
  type StagingStore,
  type UploadClaims,
  type UploadIntents,
  type UploadStore,
  variantKeyOf,
} from "../../shared/stores/ports.js";
import type { BlockedPhotos } from "../../shared/moderation/moderation.js";
import type { StatsStore } from "../../shared/stats/stats.js";
import type { Job } from "../../shared/domain/jobs.js";
import {
  MemoryAnalysisStore,
  MemoryBlockedPhotos,
  MemoryClaims,
  MemoryConnections,
  MemoryCounters,
  MemoryGateway,
  MemoryImageStore,
  MemoryIntents,
  MemoryJobStore,
  MemoryQueue,
  MemoryStaging,
  MemoryStats,
  MemoryUploadStore,
} from "../doubles/memory.js";
import { startTestStack, type TestStack } from "../helpers/stack.js";

/**
 * One contract per port, run against the memory double and the production adapter (DynamoDB on
 * dynalite, S3 on s3rver), so the doubles the use-case tests rely on cannot drift from the real
 * thing. Each case states a behaviour a use case depends on.
 */

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

const now = new Date("2026-06-01T12:00:00.000Z");

function analysis(overrides: Partial<Analysis> = {}): Analysis {
  return {
    id: randomUUID(),
    fileHash: randomUUID().replace(/-/g, ""),
    imagePhash: "f0f0f0f00f0f0f0f",
    variantKey: variantKey(DEFAULT_VARIANT),
    style: null,
    language: "en",
    suggestions: [],
    labels: [],
    rawResponse: null,
    aiVisionModel: "m",
    provider: "p",
    tokenUsage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    estimatedCostUsd: null,
    image: null,
    expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    ...overrides,
  };
}

function upload(overrides: Partial<Upload> = {}): Upload {
  const id = randomUUID();
  return {
    id,
    analysisId: randomUUID(),
    owner: "fp:fp",
    userId: null,
    username: null,
    fingerprint: "fp",
    ipAddress: "198.51.100.1",
    context: "names for my hiking club",
    style: null,
    language: "en",
    fileHash: randomUUID().replace(/-/g, ""),
    imagePhash: "f0f0f0f00f0f0f0f",
    fileSize: 10,
    storedSize: 10,
    imagePath: `photo_analysis/${id}.jpg`,
    storageType: "s3",
    contentType: "image/jpeg",
    timesUsed: 0,
    provider: "p",
    aiVisionModel: "m",
    suggestionCount: 10,
    tokenUsage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    estimatedCostUsd: null,
    flagged: false,
    expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
    erasedAt: null,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    ...overrides,
  };
}

const adapters = {
  analyses: [
    ["memory", async (): Promise<AnalysisStore> => new MemoryAnalysisStore()],
    ["DynamoDB", async (): Promise<AnalysisStore> => (await stack.deps()).analyses],
  ],
  uploads: [
    ["memory", async (): Promise<UploadStore> => new MemoryUploadStore()],
    ["DynamoDB", async (): Promise<UploadStore> => (await stack.deps()).uploads],
  ],
  claims: [
    ["memory", async (): Promise<UploadClaims> => new MemoryClaims()],
    [
      "DynamoDB",
      async (): Promise<UploadClaims> => new DynamoUploadClaims(createDocumentClient((await stack.deps()).runtime), (await stack.deps()).runtime.tableName),
    ],
  ],
  counters: [
    ["memory", async (): Promise<CounterStore> => new MemoryCounters()],
    [
      "DynamoDB",
      async (): Promise<CounterStore> => {
        const deps = await stack.deps();
        return new DynamoCounterStore(createDocumentClient(deps.runtime), deps.runtime.tableName);
      },
    ],
  ],
  images: [
    ["memory", async (): Promise<ImageStore> => new MemoryImageStore()],
    ["S3", async (): Promise<ImageStore> => (await stack.deps()).imageStores.s3!],
    ["disk", async (): Promise<ImageStore> => new LocalImageStore(await mkdtemp(join(tmpdir(), "photo-analysis-contract-")))],
  ],
  jobs: [
    ["memory", async (): Promise<JobStore> => new MemoryJobStore()],
    ["DynamoDB", async (): Promise<JobStore> => (await stack.deps()).jobs!],
  ],
  connections: [
    ["memory", async (): Promise<ConnectionStore> => new MemoryConnections()],
    ["DynamoDB", async (): Promise<ConnectionStore> => (await stack.deps()).connections!],
  ],
  staging: [
    ["memory", async (): Promise<StagingStore> => new MemoryStaging()],
    ["S3", async (): Promise<StagingStore> => (await stack.deps()).staging!],
  ],
  intents: [
    ["memory", async (): Promise<UploadIntents> => new MemoryIntents()],
    ["DynamoDB", async (): Promise<UploadIntents> => (await stack.deps()).intents],
  ],
  blocked: [
    ["memory", async (): Promise<BlockedPhotos> => new MemoryBlockedPhotos()],
    ["DynamoDB", async (): Promise<BlockedPhotos> => (await stack.deps()).blockedPhotos!],
  ],
  stats: [
    ["memory", async (): Promise<StatsStore> => new MemoryStats()],
    ["DynamoDB", async (): Promise<StatsStore> => (await stack.deps()).stats],
  ],
} as const;

function job(overrides: Partial<Job> = {}): Job {
  return {
    id: randomUUID(),
    owner: "fp:owner",
    caller: { userId: null, username: null, fingerprint: "owner", ipAddress: "127.0.0.1" },
    stagingKey: "uploads/job-x",
    style: null,
    stage: "queued",
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + 86_400_000).toISOString(),
    ...overrides,
  };
}

describe.each(adapters.jobs)("JobStore contract: %s", (_, make) => {
  it("keeps a batch's jobs in index order; stages only move forward and a final answer is never replaced", async () => {
    const store = await make();
    const batchId = randomUUID();
    const jobs = [0, 1, 2].map((index) => job({ batchId, index }));
    await store.create(jobs, { id: batchId, owner: "fp:owner", jobIds: jobs.map((j) => j.id), createdAt: now.toISOString(), expiresAt: jobs[0]!.expiresAt });
    expect((await store.getBatch(batchId))!.jobs.map((j) => [j.index, j.stage])).toEqual([
      [0, "queued"],
      [1, "queued"],
      [2, "queued"],
    ]);
    expect(await store.getBatch(randomUUID())).toBeNull();

    const id = jobs[1]!.id;
    const later = new Date(now.getTime() + 5_000);
    expect(await store.advance(id, "analysing", {}, later)).toMatchObject({ stage: "analysing", updatedAt: later.toISOString() });
    expect(await store.advance(id, "decoding", {}, later)).toBeNull(); // a redelivery's earlier stage
    expect(await store.advance(id, "done", { cached: false, uploadId: "u-1" }, later)).toMatchObject({ stage: "done", cached: false, uploadId: "u-1" });
    expect(await store.advance(id, "failed", { error: { status: 500, body: {} } }, later)).toBeNull();
    expect(await store.advance(id, "done", { cached: true, uploadId: "u-2" }, later)).toBeNull();
    expect(await store.get(id)).toMatchObject({ stage: "done", uploadId: "u-1", cached: false, caller: jobs[1]!.caller, index: 1, batchId });
    expect(await store.advance(randomUUID(), "decoding")).toBeNull();

    await store.remove(
      jobs.map((j) => j.id),
      batchId,
    );
    expect(await store.getBatch(batchId)).toBeNull();
    expect(await store.get(id)).toBeNull();
  });

  it("lets only the delivery that took the job over last move it; a final job cannot be taken over", async () => {
    const store = await make();
    const [one] = [job({})];
    await store.create([one!]);
    const later = new Date(now.getTime() + 5_000);
    expect(await store.begin(one!.id, "receipt-1")).toMatchObject({ stage: "queued", attempt: "receipt-1" });
    expect(await store.advance(one!.id, "decoding", {}, later, "receipt-1")).toMatchObject({ stage: "decoding" });
    expect(await store.begin(one!.id, "receipt-2")).toMatchObject({ stage: "decoding", attempt: "receipt-2" });
    expect(await store.advance(one!.id, "failed", { error: { status: 500, body: {} } }, later, "receipt-1")).toBeNull();
    expect(await store.advance(one!.id, "done", { cached: false, uploadId: "u-1" }, later, "receipt-2")).toMatchObject({ stage: "done", uploadId: "u-1" });
    expect(await store.begin(one!.id, "receipt-3")).toBeNull();
    expect(await store.begin(randomUUID(), "receipt-1")).toBeNull();
    expect(await store.get(one!.id)).toMatchObject({ stage: "done", attempt: "receipt-2" });
  });
});

describe.each(adapters.connections)("ConnectionStore contract: %s", (_, make) => {
  it("remembers whose a connection is and who listens to a topic, and forgets both", async () => {
    const store = await make();
    const expiresAt = new Date(now.getTime() + 3_600_000).toISOString();
    await store.open({ id: "c1", owner: "fp:a", expiresAt });
    await store.open({ id: "c2", owner: "user:b", expiresAt });
    expect(await store.owner("c1")).toBe("fp:a");
    await store.subscribe("topic-1", "c1", expiresAt);
    await store.subscribe("topic-1", "c2", expiresAt);
    await store.subscribe("topic-1", "c2", expiresAt); // twice is once
    expect((await store.subscribers("topic-1")).sort()).toEqual(["c1", "c2"]);
    expect(await store.subscribers("topic-2")).toEqual([]);
    await store.unsubscribe("topic-1", "c1");
    await store.close("c1");
    expect(await store.subscribers("topic-1")).toEqual(["c2"]);
    expect(await store.owner("c1")).toBeNull();
  });

  it("tells what a closed connection was (where its slots were counted), once", async () => {
    const store = await make();
    const connection = {
      id: "c-counted",
      owner: "fp:a",
      expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
      ip: "203.0.113.9",
      countedIn: 1_800_000_000,
    };
    await store.open(connection);
    expect(await store.close("c-counted")).toEqual(connection);
    expect(await store.close("c-counted")).toBeNull();
  });
});

describe.each(adapters.analyses)("AnalysisStore contract: %s", (_, make) => {
  it("commits an analysis; repeating the same create (a retry) succeeds; another analysis with the id is refused", async () => {
    const store = await make();
    const first = analysis();
    await store.create(first);
    await store.create(first);
    expect(await store.get(first.id)).toEqual(first);
    await expect(store.create({ ...first, createdAt: "2026-06-01T12:00:01.000Z" })).rejects.toThrow();
  });

  it("finds the newest unexpired analysis by file hash (as `accept` allows), and similar ones within the distance; index entries of abandoned creates lead nowhere", async () => {
    const store = await make();
    const stored = analysis({ imagePhash: "ffff0000ffff0000" });
    await store.create(stored);
    expect((await store.findByFileHash(stored.fileHash, now))?.id).toBe(stored.id);
    expect(await store.findByFileHash(stored.fileHash, now, (found) => found.variantKey === "another variant")).toBeNull();
    expect(await store.findByFileHash(stored.fileHash, new Date(now.getTime() + 7_200_000))).toBeNull();
    const near = await store.findSimilar("ffff0000ffff0003", 4, now);
    expect(near).toMatchObject({ analysis: { id: stored.id }, distance: 2 });
    expect(await store.findSimilar("0000ffff0000ffff", 4, now)).toBeNull();
    const abandoned = analysis({ imagePhash: "aaaa5555aaaa5555" });
    await store.abandon(abandoned);
    expect(await store.findSimilar("aaaa5555aaaa5555", 4, now)).toBeNull();
  });

  it("never indexes a featureless pHash", async () => {
    const store = await make();
    const flat = analysis({ imagePhash: "0000000000000000" });
    await store.create(flat);
    expect(await store.findSimilar("0000000000000000", 4, now)).toBeNull();
    expect((await store.findByFileHash(flat.fileHash, now))?.id).toBe(flat.id);
  });

  it("is kept as long as its latest upload (never shortened), found similar all that time, and points at the newest copy of its bytes; a gone one says so", async () => {
    const store = await make();
    const stored = analysis({ imagePhash: "0f0f0f0ff0f0f0f0" });
    await store.create(stored);
    const later = new Date(now.getTime() + 48 * 3_600_000).toISOString();
    const image = { path: "photo_analysis/newer.jpg", storageType: "s3" as const, contentType: "image/jpeg", size: 42 };
    expect(await store.extend(stored, later, now, image)).toBe(true);
    // An older view of it asking for less changes nothing but the pointer.
    expect(await store.extend(stored, new Date(now.getTime() + 2 * 3_600_000).toISOString(), now)).toBe(true);
    expect(await store.get(stored.id)).toMatchObject({ expiresAt: later, image });
    const dayAfter = new Date(now.getTime() + 24 * 3_600_000);
    expect((await store.findByFileHash(stored.fileHash, dayAfter))?.id).toBe(stored.id);
    expect((await store.findSimilar("0f0f0f0ff0f0f0f0", 0, dayAfter))?.analysis.id).toBe(stored.id);
    expect((await store.listExpired(dayAfter, 10)).analyses.map((a) => a.id)).not.toContain(stored.id);
    await store.delete(stored);
    await store.delete(stored);
    expect(await store.extend(stored, later, now)).toBe(false);
    expect(await store.get(stored.id)).toBeNull();
    expect(await store.findSimilar("0f0f0f0ff0f0f0f0", 0, now)).toBeNull();
  });

  it("pages expired analyses with a cursor (never uploads) and refuses a forged cursor; admin lookups include expired ones", async () => {
    const store = await make();
    const expiredAt = new Date(now.getTime() - 1000).toISOString();
    const shared = randomUUID().replace(/-/g, "");
    const expired = [1, 2, 3].map(() => analysis({ fileHash: shared, imagePhash: "123456789abcdef0", expiresAt: expiredAt }));
    for (const a of expired) await store.create(a);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listExpired(now, 2, cursor);
      seen.push(...page.analyses.map((a) => a.id));
      cursor = page.cursor;
    } while (cursor);
    for (const a of expired) expect(seen).toContain(a.id);
    await expect(store.listExpired(now, 2, Buffer.from('{"shard":"x"}').toString("base64url"))).rejects.toThrow(/Invalid cursor/);
    expect((await store.findAllByFileHash(shared)).map((a) => a.id).sort()).toEqual(expired.map((a) => a.id).sort());
    expect((await store.findAllByPhash("123456789abcdef0")).map((a) => a.id)).toEqual(expect.arrayContaining(expired.map((a) => a.id)));
  });
});

describe.each(adapters.uploads)("UploadStore contract: %s", (_, make) => {
  it("commits an upload; repeating the same create succeeds; another upload with the id is refused", async () => {
    const store = await make();
    const first = upload();
    await store.create(first);
    await store.create(first);
    expect(await store.get(first.id)).toEqual(first);
    await expect(store.create({ ...first, createdAt: "2026-06-01T12:00:01.000Z" })).rejects.toThrow();
  });

  it("answers an owner from their own unexpired upload on an analysis, counting the use atomically; nobody else, and not once expired", async () => {
    const store = await make();
    const mine = upload({ owner: "user:u-1", userId: "u-1", fingerprint: null });
    await store.create(mine);
    await Promise.all([store.reuseOwn("user:u-1", mine.analysisId, now, "request-1"), store.reuseOwn("user:u-1", mine.analysisId, now, "request-2")]);
    expect((await store.get(mine.id))?.timesUsed).toBe(2);
    expect(await store.reuseOwn("fp:fp", mine.analysisId, now, "request-3")).toBeNull();
    expect(await store.reuseOwn("user:u-1", randomUUID(), now, "request-3")).toBeNull();
    expect(await store.reuseOwn("user:u-1", mine.analysisId, new Date(now.getTime() + 7_200_000), "request-3")).toBeNull();
    // A newer own upload on the same analysis takes the owner's entry over.
    const newer = upload({
      owner: "user:u-1",
      userId: "u-1",
      fingerprint: null,
      analysisId: mine.analysisId,
      createdAt: new Date(now.getTime() + 1000).toISOString(),
    });
    await store.create(newer);
    expect((await store.reuseOwn("user:u-1", mine.analysisId, now, "request-4"))?.id).toBe(newer.id);
    // An abandoned create's entry leads nowhere.
    const never = upload({ owner: "fp:ghost" });
    await store.create({ ...never });
    await store.delete(never);
    await store.abandon(never);
    expect(await store.reuseOwn("fp:ghost", never.analysisId, now, "request-5")).toBeNull();
  });

  it("counts one use per token: a retried use (a lost response, a redelivered job) is answered with the upload, not counted again", async () => {
    const store = await make();
    const mine = upload();
    await store.create(mine);
    const first = await store.useOwn("fp:fp", mine.id, mine.analysisId, now, "request-1");
    expect(first).toMatchObject({ id: mine.id, timesUsed: 1, updatedAt: now.toISOString() });
    expect(await store.useOwn("fp:fp", mine.id, mine.analysisId, now, "request-1")).toEqual(first);
    expect((await store.useOwn("fp:fp", mine.id, mine.analysisId, now, "request-2"))?.timesUsed).toBe(2);
    // Not the owner's, not on that analysis, gone, or expired: nothing, whatever the token.
    expect(await store.useOwn("fp:other", mine.id, mine.analysisId, now, "request-2")).toBeNull();
    expect(await store.useOwn("fp:fp", mine.id, randomUUID(), now, "request-2")).toBeNull();
    expect(await store.useOwn("fp:fp", randomUUID(), mine.analysisId, now, "request-3")).toBeNull();
    expect(await store.useOwn("fp:fp", mine.id, mine.analysisId, new Date(now.getTime() + 7_200_000), "request-2")).toBeNull();
    expect((await store.get(mine.id))?.timesUsed).toBe(2);
  });

  it("keeps an owner's repeat entry with the upload of exactly the analysed bytes: found by owner, bytes and variant until the earlier expiry", async () => {
    const store = await make();
    const answered = analysis({
      suggestions: [{ name: "Trail Crew", key: "trail-crew", description: "For the hikers." }],
      labels: [{ label: "mountain", score: 0.9 }],
      expiresAt: new Date(now.getTime() + 1_800_000).toISOString(),
    });
    const mine = upload({ analysisId: answered.id, fileHash: answered.fileHash });
    const repeat = ownRepeatOf(mine, answered)!;
    expect(repeat).toEqual({
      owner: "fp:fp",
      fileHash: answered.fileHash,
      variantKey: variantKeyOf(mine),
      uploadId: mine.id,
      analysisId: answered.id,
      suggestions: answered.suggestions,
      labels: answered.labels,
      // The analysis expires first here.
      expiresAt: answered.expiresAt,
    });
    await store.create(mine, repeat);
    expect(await store.findRepeat("fp:fp", answered.fileHash, variantKeyOf(mine), now)).toEqual(repeat);
    // Anyone else, other bytes, another way of asking, or once expired: none.
    expect(await store.findRepeat("fp:other", answered.fileHash, variantKeyOf(mine), now)).toBeNull();
    expect(await store.findRepeat("fp:fp", randomUUID().replace(/-/g, ""), variantKeyOf(mine), now)).toBeNull();
    expect(await store.findRepeat("fp:fp", answered.fileHash, variantKeyOf({ ...mine, context: null }), now)).toBeNull();
    expect(await store.findRepeat("fp:fp", answered.fileHash, variantKeyOf(mine), new Date(Date.parse(answered.expiresAt!)))).toBeNull();
    // An upload of other bytes than the analysis's (a near-duplicate) has none, nor has an erased one.
    expect(ownRepeatOf({ ...mine, fileHash: randomUUID().replace(/-/g, "") }, answered)).toBeNull();
    expect(ownRepeatOf({ ...mine, owner: null }, answered)).toBeNull();
  });

  it("removes the repeat entry with its upload (erase, delete, an abandoned create), and remembers one for an upload made without", async () => {
    const store = await make();
    const answered = analysis();
    const key = (u: Upload) => [u.owner!, u.fileHash, variantKeyOf(u), now] as const;
    const erased = upload({ analysisId: answered.id, fileHash: answered.fileHash, owner: "fp:erased", fingerprint: "erased" });
    await store.create(erased, ownRepeatOf(erased, answered));
    expect(await store.findRepeat(...key(erased))).not.toBeNull();
    await store.erase(erased, now);
    expect(await store.findRepeat(...key(erased))).toBeNull();

    const deleted = upload({ analysisId: answered.id, fileHash: answered.fileHash, owner: "fp:deleted", fingerprint: "deleted" });
    await store.create(deleted);
    expect(await store.findRepeat(...key(deleted))).toBeNull();
    await store.rememberRepeat(ownRepeatOf(deleted, answered)!);
    expect((await store.findRepeat(...key(deleted)))?.uploadId).toBe(deleted.id);
    await store.delete(deleted);
    expect(await store.findRepeat(...key(deleted))).toBeNull();
    // Remembered by a request that read the upload before it was deleted (or erased): no entry is left naming its owner.
    await store.rememberRepeat(ownRepeatOf(deleted, answered)!);
    expect(await store.findRepeat(...key(deleted))).toBeNull();
    await store.rememberRepeat(ownRepeatOf(erased, answered)!);
    expect(await store.findRepeat(...key(erased))).toBeNull();

    const abandoned = upload({ analysisId: answered.id, fileHash: answered.fileHash, owner: "fp:abandoned", fingerprint: "abandoned" });
    await store.create(abandoned, ownRepeatOf(abandoned, answered));
    await store.abandon(abandoned);
    expect(await store.findRepeat(...key(abandoned))).toBeNull();

    // A newer own upload of the same bytes took the entry over: deleting the older one leaves it.
    const older = upload({ analysisId: answered.id, fileHash: answered.fileHash, owner: "fp:twice", fingerprint: "twice" });
    const newer = upload({ analysisId: randomUUID(), fileHash: answered.fileHash, owner: "fp:twice", fingerprint: "twice" });
    await store.create(older, ownRepeatOf(older, answered));
    await store.create(newer, ownRepeatOf(newer, { ...answered, id: newer.analysisId }));
    await store.delete(older);
    expect((await store.findRepeat(...key(newer)))?.uploadId).toBe(newer.id);
  });

  it("lists a user's uploads, and a fingerprint's anonymous ones, newest first; and the uploads of an analysis", async () => {
    const store = await make();
    const user = `u-${randomUUID()}`;
    const fingerprint = `fp-${randomUUID()}`;
    const analysisId = randomUUID();
    const at = (minutes: number) => new Date(now.getTime() + minutes * 60_000).toISOString();
    const signedIn = [
      upload({ userId: user, owner: `user:${user}`, fingerprint: null, createdAt: at(1), analysisId }),
      upload({ userId: user, owner: `user:${user}`, fingerprint: null, createdAt: at(2) }),
    ];
    const anonymous = upload({ fingerprint, owner: `fp:${fingerprint}`, createdAt: at(3), analysisId });
    for (const u of [...signedIn, anonymous]) await store.create(u);
    expect((await store.listRecent({ userId: user }, 10)).map((u) => u.id)).toEqual([signedIn[1]!.id, signedIn[0]!.id]);
    expect((await store.listRecent({ fingerprint }, 10)).map((u) => u.id)).toEqual([anonymous.id]);
    expect((await store.listRecent({ userId: user }, 1)).map((u) => u.id)).toEqual([signedIn[1]!.id]);
    expect((await store.listByAnalysis(analysisId, 10)).map((u) => u.id).sort()).toEqual([signedIn[0]!.id, anonymous.id].sort());
  });

  it("erases an expired upload's personal fields, keeping a tombstone outside the expiry listing; deletes idempotently", async () => {
    const store = await make();
    const fingerprint = `fp-${randomUUID()}`;
    const expired = upload({ fingerprint, owner: `fp:${fingerprint}`, username: null, expiresAt: new Date(now.getTime() - 1000).toISOString() });
    await store.create(expired);
    const listed = async () => {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listExpired(now, 2, cursor);
        ids.push(...page.uploads.map((u) => u.id));
        cursor = page.cursor;
      } while (cursor);
      return ids;
    };
    expect(await listed()).toContain(expired.id);
    await store.erase(expired, now);
    expect(await store.get(expired.id)).toEqual({
      ...expired,
      owner: null,
      userId: null,
      username: null,
      fingerprint: null,
      ipAddress: null,
      context: null,
      erasedAt: now.toISOString(),
      updatedAt: now.toISOString(),
    });
    expect(await listed()).not.toContain(expired.id);
    expect(await store.listRecent({ fingerprint }, 10)).toEqual([]);
    expect(await store.listByAnalysis(expired.analysisId, 10)).toHaveLength(1);
    await store.delete(expired);
    await store.delete(expired);
    expect(await store.get(expired.id)).toBeNull();
    expect(await store.listByAnalysis(expired.analysisId, 10)).toEqual([]);
  });

  it("pages a month's uploads newest first with the admin's filters", async () => {
    const store = await make();
    const month = "2031-02";
    const at = (day: number) => `${month}-${String(day).padStart(2, "0")}T10:00:00.000Z`;
    const plain = upload({ createdAt: at(1), expiresAt: at(3) });
    const flagged = upload({
      createdAt: at(2),
      expiresAt: "2031-12-01T00:00:00.000Z",
      flagged: true,
      provider: "openai",
      aiVisionModel: "gpt-4o-2024-08-06",
      userId: "u",
      owner: "user:u",
      fingerprint: null,
    });
    for (const u of [plain, flagged]) await store.create(u);
    const page = (filter: Record<string, unknown>) =>
      store.pageByMonth(month, { limit: 10, filter, now: new Date(`${month}-10T00:00:00.000Z`) }).then((p) => p.uploads.map((u) => u.id));
    expect(await page({})).toEqual([flagged.id, plain.id]);
    expect(await page({ flagged: true })).toEqual([flagged.id]);
    expect(await page({ model: "gpt-4o" })).toEqual([flagged.id]);
    expect(await page({ signedIn: false })).toEqual([plain.id]);
    expect(await page({ expired: true })).toEqual([plain.id]);
  });
});

describe.each(adapters.claims)("UploadClaims contract: %s", (_, make) => {
  it("a recorded failure holds the claim, says why, until its time; only the holder records one, and a taker-over starts clean", async () => {
    const claims = await make();
    const key = randomUUID();
    expect(await claims.acquire(key, "a", 1_000, 0)).toBe(true);
    await claims.recordFailure(key, "b", "not the holder", 9_000);
    expect((await claims.read(key))?.failure).toBeUndefined();
    await claims.recordFailure(key, "a", "7 usable suggestions", 60_000);
    expect(await claims.read(key)).toMatchObject({ owner: "a", leaseUntil: 60_000, failure: "7 usable suggestions" });
    expect(await claims.acquire(key, "b", 70_000, 59_999)).toBe(false);
    expect(await claims.acquire(key, "b", 70_000, 60_001)).toBe(true);
    const taken = await claims.read(key);
    expect(taken).toMatchObject({ owner: "b", leaseUntil: 70_000 });
    expect(taken?.failure).toBeUndefined();
  });

  it("one holder at a time; the holder's own retry succeeds; a lapsed lease is taken over; release and complete are repeatable", async () => {
    const claims = await make();
    const key = randomUUID();
    expect(await claims.acquire(key, "a", 1_000, 0)).toBe(true);
    expect(await claims.acquire(key, "a", 1_000, 10)).toBe(true);
    expect(await claims.acquire(key, "b", 2_000, 500)).toBe(false);
    expect(await claims.read(key)).toMatchObject({ owner: "a", leaseUntil: 1_000 });
    expect(await claims.acquire(key, "b", 5_000, 1_001)).toBe(true);
    await claims.release(key, "a"); // not the holder any more: no effect
    expect((await claims.read(key))?.owner).toBe("b");
    await claims.complete(key, "b", "record-1", 9_000);
    await claims.complete(key, "b", "record-1", 9_000);
    expect(await claims.read(key)).toMatchObject({ owner: "b", recordId: "record-1", leaseUntil: 9_000 });
    const other = randomUUID();
    await claims.acquire(other, "c", 1_000, 0);
    await claims.release(other, "c");
    await claims.release(other, "c");
    expect(await claims.read(other)).toBeNull();
  });
});

describe.each(adapters.counters)("CounterStore contract: %s", (_, make) => {
  it("admits up to the maximum, once per token however often it is retried, and refunds once per token", async () => {
    const counters = await make();
    const key = `fp:${randomUUID()}`;
    expect(await counters.incrementIfBelow(key, 0, 2, 9_999_999_999, "t1")).toBe(1);
    expect(await counters.incrementIfBelow(key, 0, 2, 9_999_999_999, "t1")).toBe(1);
    expect(await counters.incrementIfBelow(key, 0, 2, 9_999_999_999, "t2")).toBe(2);
    expect(await counters.incrementIfBelow(key, 0, 2, 9_999_999_999, "t3")).toBeNull();
    await counters.decrement(key, 0, "t1");
    await counters.decrement(key, 0, "t1");
    await counters.decrement(key, 0, "never-counted");
    expect(await counters.read(key, 0)).toBe(1);
  });

  it("reads several counters in one call, in the order asked, absent ones as 0 and a repeated one twice", async () => {
    const counters = await make();
    const [a, b] = [`fp:${randomUUID()}`, `ip:${randomUUID()}`];
    await counters.incrementIfBelow(a, 0, 5, 9_999_999_999, "t1");
    await counters.incrementIfBelow(b, 3600, 5, 9_999_999_999, "t1");
    await counters.incrementIfBelow(b, 3600, 5, 9_999_999_999, "t2");
    expect(
      await counters.readMany([
        { key: b, windowStart: 3600 },
        { key: a, windowStart: 0 },
        { key: a, windowStart: 3600 },
        { key: b, windowStart: 3600 },
      ]),
    ).toEqual([2, 1, 0, 2]);
    expect(await counters.readMany([])).toEqual([]);
  });
});

describe.each(adapters.images)("ImageStore contract: %s", (_, make) => {
  it("puts, gets, lists by prefix a page at a time, and deletes idempotently", async () => {
    const images = await make();
    const prefix = `photo_analysis/`;
    const keys = [1, 2, 3].map(() => `${prefix}${randomUUID()}.jpg`);
    for (const key of keys) await images.put(key, Buffer.from(key), "image/jpeg");
    expect((await images.get(keys[0]!))?.bytes.toString()).toBe(keys[0]);
    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await images.list(prefix, { limit: 2, cursor });
      for (const object of page.objects) {
        listed.push(object.key);
        expect(object.lastModified).toBeInstanceOf(Date);
      }
      cursor = page.cursor;
    } while (cursor);
    for (const key of keys) expect(listed).toContain(key);
    await images.delete(keys[0]!);
    await images.delete(keys[0]!);
    expect(await images.get(keys[0]!)).toBeNull();
  });

  it("copies an object inside the store, content type included; a missing source is false", async () => {
    const images = await make();
    const from = `photo_analysis/${randomUUID()}.webp`;
    const to = `photo_analysis/${randomUUID()}.webp`;
    await images.put(from, Buffer.from("webp bytes"), "image/webp");
    expect(await images.copy(from, to)).toBe(true);
    expect(await images.get(to)).toEqual({ bytes: Buffer.from("webp bytes"), contentType: "image/webp" });
    await images.delete(from);
    expect(await images.get(to)).not.toBeNull();
    expect(await images.copy(from, `photo_analysis/${randomUUID()}.webp`)).toBe(false);
  });
});

describe("DynamoDB items of the async path", () => {
  it("carry a TTL at or after their expiry (jobs, batches, connections, subscriptions), so abandoned ones go", async () => {
    const deps = await stack.deps();
    const client = createDocumentClient(deps.runtime);
    const item = async (pk: string, sk: string) => (await client.send(new GetCommand({ TableName: deps.runtime.tableName, Key: { pk, sk } }))).Item!;
    const batchId = randomUUID();
    const queued = job({ batchId, index: 0 });
    await deps.jobs!.create([queued], { id: batchId, owner: "fp:owner", jobIds: [queued.id], createdAt: now.toISOString(), expiresAt: queued.expiresAt });
    const connectionExpiry = new Date(now.getTime() + 3_600_000).toISOString();
    await deps.connections!.open({ id: "c-ttl", owner: "fp:owner", expiresAt: connectionExpiry });
    await deps.connections!.subscribe(batchId, "c-ttl", queued.expiresAt);
    const expiry = (iso: string) => Date.parse(iso) / 1000;
    for (const [pk, sk, expiresAt] of [
      [`JOB#${queued.id}`, "JOB", queued.expiresAt],
      [`BATCH#${batchId}`, "BATCH", queued.expiresAt],
      ["CONN#c-ttl", "CONN", connectionExpiry],
      [`SUB#${batchId}`, "c-ttl", queued.expiresAt],
    ] as const) {
      const { ttl } = await item(pk, sk);
      expect(typeof ttl, pk).toBe("number");
      expect(ttl, pk).toBeGreaterThanOrEqual(expiry(expiresAt));
      expect(ttl, pk).toBeLessThanOrEqual(expiry(expiresAt) + 3_600);
    }
    client.destroy();
  });
});

describe.each(adapters.staging)("StagingStore contract: %s", (_, make) => {
  it("keeps a staged photo until deleted, tells its size, and answers null for what is not there", async () => {
    const staging = await make();
    const key = `uploads/${randomUUID()}`;
    expect([await staging.size(key), await staging.read(key)]).toEqual([null, null]);
    await staging.put(key, Buffer.from("photo bytes"));
    expect(await staging.size(key)).toBe(11);
    expect((await staging.read(key))?.toString()).toBe("photo bytes");
    await staging.delete(key);
    await staging.delete(key);
    expect([await staging.size(key), await staging.read(key)]).toEqual([null, null]);
  });
  it("hands out a form target: a URL and fields to POST the file with", async () => {
    const target = await (await make()).createTarget(`uploads/${randomUUID()}`, { maxBytes: 1000, contentType: "image/jpeg", expiresInSeconds: 60 });
    expect(target.url).toMatch(/^\w+:\/\//);
    expect(Object.keys(target.fields).length).toBeGreaterThan(0);
  });
});

describe.each(adapters.intents)("UploadIntents contract: %s", (_, make) => {
  it("gives an intent back as written until it is deleted", async () => {
    const intents = await make();
    const intent = {
      id: randomUUID(),
      owner: "fp:owner",
      key: `uploads/${randomUUID()}`,
      maxBytes: 4_000_000,
      expiresAt: new Date(now.getTime() + 600_000).toISOString(),
    };
    expect(await intents.get(intent.id)).toBeNull();
    await intents.create(intent);
    expect(await intents.get(intent.id)).toEqual(intent);
    await intents.delete(intent.id);
    await intents.delete(intent.id);
    expect(await intents.get(intent.id)).toBeNull();
  });
});

describe.each(adapters.blocked)("BlockedPhotos contract: %s", (_, make) => {
  it("remembers a blocked photo by its hash, and only that one", async () => {
    const blocked = await make();
    const [hash, other] = [randomUUID().replace(/-/g, ""), randomUUID().replace(/-/g, "")];
    expect(await blocked.isBlocked(hash)).toBe(false);
    await blocked.remember(hash, { decision: "block", provider: "scripted", labels: [{ label: "explicit", score: 0.97 }] }, now);
    expect([await blocked.isBlocked(hash), await blocked.isBlocked(other)]).toEqual([true, false]);
  });
});

describe.each(adapters.stats)("StatsStore contract: %s", (_, make) => {
  it("counts each day's uploads and outcomes, tokens and cost, per model, and the names suggested most", async () => {
    const stats = await make();
    const analysis = (model: string, tokens: number, costUsd: number | null, names: string[]) => ({
      kind: "analysis" as const,
      provider: "openai",
      model,
      tokens,
      costUsd,
      names,
    });
    await stats.record("2026-06-01", analysis("gpt-4o", 100, 0.001, ["Trail Talk", "Summit Club"]));
    await stats.record("2026-06-01", analysis("gpt-4o", 50, 0.0005, ["Trail Talk"]));
    await stats.record("2026-06-02", analysis("gpt-4o-mini", 10, null, ["Summit Club", "trail talk!"]));
    for (const kind of ["exact_hit", "similar_hit", "rate_limited", "moderated", "failed"] as const) await stats.record("2026-06-02", { kind });
    const [first, second, third] = await stats.daily("2026-06-01", "2026-06-03");
    expect(first).toMatchObject({ day: "2026-06-01", uploads: 2, analyses: 2, exactHits: 0, tokens: 150 });
    expect(first?.costUsd).toBeCloseTo(0.0015, 9);
    expect(second).toMatchObject({
      day: "2026-06-02",
      uploads: 6,
      analyses: 1,
      exactHits: 1,
      similarHits: 1,
      rateLimited: 1,
      moderated: 1,
      failures: 1,
      tokens: 10,
      costUsd: 0,
    });
    expect(third).toMatchObject({ day: "2026-06-03", uploads: 0, analyses: 0, tokens: 0, costUsd: 0 });
    const models = await stats.models("2026-06-01", "2026-06-02");
    expect(models.map(({ provider, model, analyses, tokens }) => ({ provider, model, analyses, tokens }))).toEqual([
      { provider: "openai", model: "gpt-4o", analyses: 2, tokens: 150 },
      { provider: "openai", model: "gpt-4o-mini", analyses: 1, tokens: 10 },
    ]);
    expect(models[0]?.costUsd).toBeCloseTo(0.0015, 9);
    expect((await stats.topNames("2026-06-01", "2026-06-02", 1)).map((entry) => entry.count)).toEqual([3]);
    expect((await stats.topNames("2026-06-01", "2026-06-01", 5)).map((entry) => [entry.name, entry.count])).toEqual([
      ["Trail Talk", 2],
      ["Summit Club", 1],
    ]);
  });
});

/** The queue and the gateway have nothing to read back through their ports: each side says what reached the far end. */
const fakeCredentials = { accessKeyId: "test", secretAccessKey: "test" };
let fakeSqs: FakeSqs;
let fakeConnections: FakeConnectionsApi;
beforeAll(async () => {
  fakeSqs = await new FakeSqs().start();
  fakeConnections = await new FakeConnectionsApi().start();
});
afterAll(async () => {
  await fakeSqs?.close();
  await fakeConnections?.close();
});

const queues: [string, () => { queue: JobQueue; delivered: () => string[] }][] = [
  [
    "memory",
    () => {
      const queue = new MemoryQueue();
      return { queue, delivered: () => [...queue.sent] };
    },
  ],
  [
    "SQS (its wire format)",
    () => {
      fakeSqs.received.length = 0;
      const queue = new SqsJobQueue(() => new SQSClient({ region: "us-east-1", credentials: fakeCredentials }), fakeSqs.queueUrl);
      return { queue, delivered: () => fakeSqs.received.flatMap((call) => call.entries.map((entry) => JSON.parse(entry.MessageBody).job_id)) };
    },
  ],
];

describe.each(queues)("JobQueue contract: %s", (_, make) => {
  it("delivers every job id once, in order, however many there are", async () => {
    const { queue, delivered } = make();
    const ids = Array.from({ length: 12 }, () => randomUUID());
    await queue.enqueue([]);
    await queue.enqueue(ids.slice(0, 1));
    await queue.enqueue(ids.slice(1));
    expect(delivered()).toEqual(ids);
  });
});

const gateways: [string, () => { gateway: ConnectionGateway; received: (id: string) => unknown[]; leave: (id: string) => void }][] = [
  [
    "memory",
    () => {
      const gateway = new MemoryGateway();
      return { gateway, received: (id) => gateway.sent.get(id) ?? [], leave: (id) => gateway.gone.add(id) };
    },
  ],
  [
    "API Gateway (its wire format)",
    () => ({
      gateway: new ApiGatewayConnections(
        () => new ApiGatewayManagementApiClient({ region: "us-east-1", endpoint: fakeConnections.url, credentials: fakeCredentials }),
      ),
      received: (id) => fakeConnections.posted.get(id) ?? [],
      leave: (id) => fakeConnections.gone.add(id),
    }),
  ],
];

describe.each(gateways)("ConnectionGateway contract: %s", (_, make) => {
  it("posts to a live connection, answers false once the client has gone or the server closed it, and closes twice without error", async () => {
    const { gateway, received, leave } = make();
    const [live, left, closed] = [randomUUID(), randomUUID(), randomUUID()];
    expect(await gateway.post(live, { stage: "queued" })).toBe(true);
    expect(await gateway.post(live, { stage: "done" })).toBe(true);
    expect(received(live)).toEqual([{ stage: "queued" }, { stage: "done" }]);
    leave(left);
    expect(await gateway.post(left, { stage: "queued" })).toBe(false);
    await gateway.close(closed, 1008, "too many messages");
    await gateway.close(closed, 1008, "too many messages");
    expect(await gateway.post(closed, { stage: "queued" })).toBe(false);
    expect(received(closed)).toEqual([]);
  });
});
