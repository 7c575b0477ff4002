import { randomUUID } from "node:crypto";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PhotoAnalysisRecord } from "../../shared/domain/types.js";
import { DynamoCounterStore } from "../../shared/ratelimit/dynamo-counter-store.js";
import type { CounterStore } from "../../shared/ratelimit/rate-limiter.js";
import { createDocumentClient } from "../../shared/runtime/context.js";
import { DynamoUploadClaims } from "../../shared/stores/dynamo-upload-claims.js";
import type { ConnectionStore, ImageStore, JobStore, RecordStore, UploadClaims } from "../../shared/stores/ports.js";
import type { Job } from "../../shared/domain/jobs.js";
import { MemoryClaims, MemoryConnections, MemoryCounters, MemoryImageStore, MemoryJobStore, MemoryRecordStore } from "../doubles/memory.js";
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

function record(overrides: Partial<PhotoAnalysisRecord> = {}): PhotoAnalysisRecord {
  const id = randomUUID();
  return {
    id,
    imagePhash: "f0f0f0f00f0f0f0f",
    fileHash: randomUUID().replace(/-/g, ""),
    fileSize: 10,
    storedSize: 10,
    imagePath: `photo_analysis/${id}.jpg`,
    storageType: "s3",
    contentType: "image/jpeg",
    expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
    suggestions: [],
    labels: [],
    rawResponse: null,
    aiVisionModel: "m",
    provider: "p",
    estimatedCostUsd: null,
    style: null,
    tokenUsage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    userId: null,
    username: null,
    fingerprint: "fp",
    ipAddress: null,
    timesUsed: 0,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    ...overrides,
  };
}

const adapters = {
  records: [
    ["memory", async (): Promise<RecordStore> => new MemoryRecordStore()],
    ["DynamoDB", async (): Promise<RecordStore> => (await stack.deps()).records],
  ],
  claims: [
    ["memory", async (): Promise<UploadClaims> => new MemoryClaims()],
    ["DynamoDB", async (): Promise<UploadClaims> => new DynamoUploadClaims(createDocumentClient((await stack.deps()).runtime), (await stack.deps()).runtime.tableName)],
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
  ],
  jobs: [
    ["memory", async (): Promise<JobStore> => new MemoryJobStore()],
    ["DynamoDB", async (): Promise<JobStore> => (await stack.deps()).jobs!],
  ],
  connections: [
    ["memory", async (): Promise<ConnectionStore> => new MemoryConnections()],
    ["DynamoDB", async (): Promise<ConnectionStore> => (await stack.deps()).connections!],
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
    baseUrl: "http://127.0.0.1:3000",
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
    expect((await store.getBatch(batchId))!.jobs.map((j) => [j.index, j.stage])).toEqual([[0, "queued"], [1, "queued"], [2, "queued"]]);
    expect(await store.getBatch(randomUUID())).toBeNull();

    const id = jobs[1]!.id;
    const later = new Date(now.getTime() + 5_000);
    expect((await store.advance(id, "analysing", {}, later))).toMatchObject({ stage: "analysing", updatedAt: later.toISOString() });
    expect(await store.advance(id, "decoding", {}, later)).toBeNull(); // a redelivery's earlier stage
    expect(await store.advance(id, "done", { cached: false, recordId: "r-1" }, later)).toMatchObject({ stage: "done", cached: false, recordId: "r-1" });
    expect(await store.advance(id, "failed", { error: { status: 500, body: {} } }, later)).toBeNull();
    expect(await store.advance(id, "done", { cached: true, recordId: "r-2" }, later)).toBeNull();
    expect(await store.get(id)).toMatchObject({ stage: "done", recordId: "r-1", cached: false, caller: jobs[1]!.caller, index: 1, batchId });
    expect(await store.advance(randomUUID(), "decoding")).toBeNull();

    await store.remove(jobs.map((j) => j.id), batchId);
    expect(await store.getBatch(batchId)).toBeNull();
    expect(await store.get(id)).toBeNull();
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
    const connection = { id: "c-counted", owner: "fp:a", expiresAt: new Date(now.getTime() + 3_600_000).toISOString(), ip: "203.0.113.9", countedIn: 1_800_000_000 };
    await store.open(connection);
    expect(await store.close("c-counted")).toEqual(connection);
    expect(await store.close("c-counted")).toBeNull();
  });
});

describe.each(adapters.records)("RecordStore contract: %s", (_, make) => {
  it("commits a record; repeating the same create (a retry) succeeds; another record with the id is refused", async () => {
    const store = await make();
    const first = record();
    await store.create(first);
    await store.create(first);
    expect(await store.get(first.id)).toMatchObject({ id: first.id, fileHash: first.fileHash });
    await expect(store.create({ ...first, createdAt: "2026-06-01T12:00:01.000Z" })).rejects.toThrow();
  });

  it("finds the newest unexpired record by file hash, and similar ones within the distance; index entries of abandoned creates lead nowhere", async () => {
    const store = await make();
    const stored = record({ imagePhash: "ffff0000ffff0000" });
    await store.create(stored);
    expect((await store.findByFileHash(stored.fileHash, now))?.id).toBe(stored.id);
    expect(await store.findByFileHash(stored.fileHash, new Date(now.getTime() + 7_200_000))).toBeNull();
    const near = await store.findSimilar("ffff0000ffff0003", 4, now);
    expect(near).toMatchObject({ record: { id: stored.id }, distance: 2 });
    expect(await store.findSimilar("0000ffff0000ffff", 4, now)).toBeNull();
    const abandoned = record({ imagePhash: "aaaa5555aaaa5555" });
    await store.abandon(abandoned);
    expect(await store.findSimilar("aaaa5555aaaa5555", 4, now)).toBeNull();
  });

  it("never indexes a featureless pHash", async () => {
    const store = await make();
    const flat = record({ imagePhash: "0000000000000000" });
    await store.create(flat);
    expect(await store.findSimilar("0000000000000000", 4, now)).toBeNull();
    expect((await store.findByFileHash(flat.fileHash, now))?.id).toBe(flat.id);
  });

  it("counts uses atomically and deletes idempotently", async () => {
    const store = await make();
    const stored = record();
    await store.create(stored);
    await Promise.all([store.recordUse(stored.id, now), store.recordUse(stored.id, now)]);
    expect((await store.get(stored.id))?.timesUsed).toBe(2);
    await store.delete(stored);
    await store.delete(stored);
    expect(await store.get(stored.id)).toBeNull();
    expect(await store.recordUse(stored.id, now)).toBeNull();
  });

  it("pages expired records with a cursor and refuses a forged one", async () => {
    const store = await make();
    const expired = [1, 2, 3].map(() => record({ fingerprint: `fp-${randomUUID()}`, expiresAt: new Date(now.getTime() - 1000).toISOString() }));
    for (const r of expired) await store.create(r);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listExpired(now, 2, cursor);
      seen.push(...page.records.map((r) => r.id));
      cursor = page.cursor;
    } while (cursor);
    expect(seen.sort()).toEqual(expired.map((r) => r.id).sort());
    await expect(store.listExpired(now, 2, Buffer.from('{"shard":"x"}').toString("base64url"))).rejects.toThrow(/Invalid cursor/);
  });
});

describe.each(adapters.claims)("UploadClaims contract: %s", (_, make) => {
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
