import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCleanupHandler } from "../../functions/cleanup/handler.js";
import type { ImageStore } from "../../shared/stores/ports.js";
import { cleanupExpired, ORPHAN_GRACE_MS } from "../../shared/usecases/cleanup.js";
import { LocalImageStore } from "../../shared/stores/local-image-store.js";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seedRecord } from "../helpers/records.js";
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

describe("cleanup of expired analyses", () => {
  it("a dry run reports counts and bytes and deletes nothing", async () => {
    const { deps, clock } = await setup();
    const expired = await Promise.all(Array.from({ length: 5 }, () => seedRecord(deps)));
    clock.advance(2 * 3600_000);
    const fresh = await seedRecord(deps);
    const summary = await cleanupExpired(deps, { dryRun: true, batchSize: 2 });
    expect(summary).toMatchObject({ dryRun: true, found: 5, imagesDeleted: 0, recordsDeleted: 0, failures: [] });
    expect(summary.bytesFreed).toBe(expired.reduce((sum, r) => sum + r.fileSize, 0));
    for (const record of [...expired, fresh]) {
      expect(await deps.records.get(record.id)).not.toBeNull();
      expect(await deps.imageStores.s3!.get(record.imagePath)).not.toBeNull();
    }
  });

  it("deletes expired images then records, in batches, and leaves unexpired ones; a second run is a no-op", async () => {
    const { deps, clock } = await setup();
    const expired = await Promise.all(Array.from({ length: 20 }, () => seedRecord(deps)));
    clock.advance(2 * 3600_000);
    const fresh = await seedRecord(deps);
    const batches: number[] = [];
    const summary = await cleanupExpired(deps, { dryRun: false, batchSize: 7, onBatch: (s) => batches.push(s.recordsDeleted) });
    expect(summary).toMatchObject({ found: 20, imagesDeleted: 20, recordsDeleted: 20, failures: [] });
    expect(batches.length).toBeGreaterThanOrEqual(3);
    for (const record of expired) {
      expect(await deps.records.get(record.id)).toBeNull();
      expect(await deps.imageStores.s3!.get(record.imagePath)).toBeNull();
      expect(await deps.records.findSimilar(record.imagePhash, 0, new Date(0))).toBeNull();
    }
    expect(await deps.records.get(fresh.id)).not.toBeNull();
    const again = await cleanupExpired(deps, { dryRun: false, batchSize: 7 });
    expect(again).toMatchObject({ found: 0, recordsDeleted: 0, failures: [] });
  });

  it("continues past failures and cleans them on the next run; a crash between image and record loses nothing", async () => {
    const { deps, clock } = await setup();
    const records = await Promise.all(Array.from({ length: 4 }, () => seedRecord(deps)));
    clock.advance(2 * 3600_000);
    const real = deps.imageStores.s3!;
    const failing: ImageStore = { ...real, storageType: "s3", put: real.put.bind(real), get: real.get.bind(real), list: real.list.bind(real),
      delete: async (key) => {
        if (key === records[1]!.imagePath) throw new Error("S3 is having a bad day");
        return real.delete(key);
      },
    };
    // A previous run died after deleting this image but before deleting its record.
    await real.delete(records[2]!.imagePath);

    const first = await cleanupExpired({ ...deps, imageStores: { s3: failing } }, { dryRun: false, batchSize: 100 });
    expect(first.found).toBe(4);
    expect(first.recordsDeleted).toBe(3);
    expect(first.failures).toEqual([{ id: records[1]!.id, error: "S3 is having a bad day" }]);
    expect(await deps.records.get(records[1]!.id)).not.toBeNull();
    expect(await deps.records.get(records[2]!.id)).toBeNull();

    const second = await cleanupExpired(deps, { dryRun: false, batchSize: 100 });
    expect(second).toMatchObject({ found: 1, recordsDeleted: 1, failures: [] });
  });

  it("sweeps images no record points at once they are past the grace period, and leaves recent ones and recorded ones", async () => {
    const clock = manualClock(new Date());
    const dir = await mkdtemp(join(tmpdir(), "photo-analysis-orphans-"));
    try {
      const local = new LocalImageStore(dir);
      const deps = await stack.deps({ PHOTO_ANALYSIS_USE_S3: "false" }, { now: clock.now, imageStores: { local } });
      const kept = await seedRecord(deps, { storageType: "local", expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
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
    await seedRecord(deps);
    clock.advance(2 * 3600_000);
    const handler = createCleanupHandler(() => deps);
    expect(await handler({ dryRun: true })).toMatchObject({ dryRun: true, found: 1 });
    expect(await handler({})).toMatchObject({ dryRun: false, found: 1, recordsDeleted: 1 });
  });
});
