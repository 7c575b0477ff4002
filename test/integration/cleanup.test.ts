import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCleanupHandler } from "../../functions/cleanup/handler.js";
import type { ImageStore } from "../../shared/stores/ports.js";
import { cleanupExpired, ORPHAN_GRACE_MS } from "../../shared/usecases/cleanup.js";
import { LocalImageStore } from "../../shared/stores/local-image-store.js";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seedUpload } from "../helpers/records.js";
import { manualClock, startTestStack, type TestStack } from "../helpers/stack.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

async function setup() {
  const clock = manualClock();
  const deps = await stack.deps({}, { now: clock.now });
  return { deps, clock };
}

describe("cleanup of expired uploads and analyses", () => {
  it("a dry run reports counts and bytes and deletes nothing", async () => {
    const { deps, clock } = await setup();
    const expired = await Promise.all(Array.from({ length: 5 }, () => seedUpload(deps)));
    clock.advance(2 * 3600_000);
    const fresh = await seedUpload(deps);
    const summary = await cleanupExpired(deps, { dryRun: true, batchSize: 2 });
    expect(summary).toMatchObject({ dryRun: true, found: 10, imagesDeleted: 0, uploadsErased: 0, analysesDeleted: 0, failures: [] });
    expect(summary.wouldDelete!.uploads.map((u) => u.id).sort()).toEqual(expired.map((u) => u.id).sort());
    expect(summary.wouldDelete!.analyses.map((a) => a.id).sort()).toEqual(expired.map((u) => u.analysisId).sort());
    expect(summary.bytesFreed).toBe(expired.reduce((sum, upload) => sum + upload.storedSize, 0));
    for (const upload of [...expired, fresh]) {
      expect(await deps.uploads.get(upload.id)).toMatchObject({ erasedAt: null, fingerprint: "seed-fp" });
      expect(await deps.analyses.get(upload.analysisId)).not.toBeNull();
      expect(await deps.imageStores.s3!.get(upload.imagePath)).not.toBeNull();
    }
  });

  it("deletes expired uploads' images and erases their personal fields (tombstones stay), deletes expired analyses, in batches, and leaves unexpired ones; a second run is a no-op", async () => {
    const { deps, clock } = await setup();
    const expired = await Promise.all(
      Array.from({ length: 20 }, (_, i) => seedUpload(deps, { fingerprint: `fp-${i}`, ipAddress: "198.51.100.30", context: "names for my hiking club" })),
    );
    clock.advance(2 * 3600_000);
    const fresh = await seedUpload(deps);
    const batches: number[] = [];
    const summary = await cleanupExpired(deps, { dryRun: false, batchSize: 7, onBatch: (s) => batches.push(s.uploadsErased + s.analysesDeleted) });
    expect(summary).toMatchObject({ found: 40, imagesDeleted: 20, uploadsErased: 20, analysesDeleted: 20, failures: [] });
    expect(batches.length).toBeGreaterThanOrEqual(6);
    for (const upload of expired) {
      const tombstone = await deps.uploads.get(upload.id);
      expect(tombstone).toMatchObject({
        owner: null,
        userId: null,
        username: null,
        fingerprint: null,
        ipAddress: null,
        context: null,
        erasedAt: clock.now().toISOString(),
      });
      expect(tombstone).toMatchObject({ createdAt: upload.createdAt, expiresAt: upload.expiresAt, aiVisionModel: upload.aiVisionModel, suggestionCount: 10 });
      expect(await deps.uploads.listRecent({ fingerprint: upload.fingerprint! }, 5)).toEqual([]);
      expect(await deps.imageStores.s3!.get(upload.imagePath)).toBeNull();
      expect(await deps.analyses.get(upload.analysisId)).toBeNull();
      expect(await deps.analyses.findSimilar(upload.analysis.imagePhash, 0, new Date(0))).toBeNull();
    }
    expect(await deps.uploads.get(fresh.id)).toMatchObject({ erasedAt: null });
    expect(await deps.analyses.get(fresh.analysisId)).not.toBeNull();
    const again = await cleanupExpired(deps, { dryRun: false, batchSize: 7 });
    expect(again).toMatchObject({ found: 0, uploadsErased: 0, analysesDeleted: 0, failures: [] });
  });

  it("keeps an analysis as long as its latest upload: an expired upload is erased while the analysis another caller still relies on stays", async () => {
    const { deps, clock } = await setup();
    const first = await seedUpload(deps);
    clock.advance(30 * 60_000);
    const later = {
      ...first,
      id: randomUUID(),
      owner: "fp:later",
      fingerprint: "fp-later",
      imagePath: `photo_analysis/${randomUUID()}.jpg`,
      createdAt: clock.now().toISOString(),
      expiresAt: new Date(clock.now().getTime() + 3600_000).toISOString(),
    };
    const { analysis: _analysis, ...laterUpload } = later;
    await deps.imageStores.s3!.put(laterUpload.imagePath, Buffer.from("later"), "image/jpeg");
    expect(await deps.analyses.extend(first.analysis, laterUpload.expiresAt, clock.now())).toBe(true);
    await deps.uploads.create(laterUpload);
    clock.advance(45 * 60_000);
    const summary = await cleanupExpired(deps, { dryRun: false, batchSize: 10 });
    expect(summary).toMatchObject({ uploadsErased: 1, analysesDeleted: 0, failures: [] });
    expect((await deps.uploads.get(first.id))!.erasedAt).not.toBeNull();
    expect((await deps.uploads.get(laterUpload.id))!.erasedAt).toBeNull();
    expect(await deps.analyses.get(first.analysisId)).not.toBeNull();
  });

  it("continues past failures and cleans them on the next run; a crash between image and erasure loses nothing", async () => {
    const { deps, clock } = await setup();
    const records = await Promise.all(Array.from({ length: 4 }, () => seedUpload(deps)));
    clock.advance(2 * 3600_000);
    const real = deps.imageStores.s3!;
    const failing: ImageStore = {
      ...real,
      storageType: "s3",
      put: real.put.bind(real),
      get: real.get.bind(real),
      list: real.list.bind(real),
      copy: real.copy.bind(real),
      delete: async (key) => {
        if (key === records[1]!.imagePath) throw new Error("S3 is having a bad day");
        return real.delete(key);
      },
    };
    // A previous run died after deleting this image but before erasing its upload.
    await real.delete(records[2]!.imagePath);

    const first = await cleanupExpired({ ...deps, imageStores: { s3: failing } }, { dryRun: false, batchSize: 100 });
    expect(first.found).toBe(8);
    expect(first.uploadsErased).toBe(3);
    expect(first.failures).toEqual([{ id: records[1]!.id, error: "S3 is having a bad day" }]);
    expect((await deps.uploads.get(records[1]!.id))!.erasedAt).toBeNull();
    expect((await deps.uploads.get(records[2]!.id))!.erasedAt).not.toBeNull();

    const second = await cleanupExpired(deps, { dryRun: false, batchSize: 100 });
    expect(second).toMatchObject({ found: 1, uploadsErased: 1, failures: [] });
  });

  it("sweeps images no upload points at once they are past the grace period, and leaves recent ones and uploads' own", async () => {
    const clock = manualClock(new Date());
    const dir = await mkdtemp(join(tmpdir(), "photo-analysis-orphans-"));
    try {
      const local = new LocalImageStore(dir);
      const deps = await stack.deps({ PHOTO_ANALYSIS_USE_S3: "false" }, { now: clock.now, imageStores: { local } });
      const kept = await seedUpload(deps, { storageType: "local", expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
      await local.put(kept.imagePath, Buffer.from("recorded"), "image/jpeg");
      const orphan = `photo_analysis/${randomUUID()}.jpg`;
      await local.put(orphan, Buffer.from("no record"), "image/jpeg");
      const early = await cleanupExpired(deps, { dryRun: false, batchSize: 1 });
      expect(early).toMatchObject({ orphansFound: 0, orphansDeleted: 0 });
      clock.advance(ORPHAN_GRACE_MS + 60_000);
      expect(await cleanupExpired(deps, { dryRun: true, batchSize: 1 })).toMatchObject({ orphansFound: 1, orphansDeleted: 0 });
      expect(await local.get(orphan)).not.toBeNull();
      expect(await cleanupExpired(deps, { dryRun: false, batchSize: 1 })).toMatchObject({ orphansFound: 1, orphansDeleted: 1, failures: [] });
      expect(await local.get(orphan)).toBeNull();
      expect(await local.get(kept.imagePath)).not.toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("the scheduled Lambda handler runs the same use case and returns the summary", async () => {
    const { deps, clock } = await setup();
    await seedUpload(deps);
    clock.advance(2 * 3600_000);
    const handler = createCleanupHandler(() => deps);
    expect(await handler({ dryRun: true })).toMatchObject({ dryRun: true, found: 2 });
    expect(await handler({})).toMatchObject({ dryRun: false, found: 2, uploadsErased: 1, analysesDeleted: 1 });
  });
});
