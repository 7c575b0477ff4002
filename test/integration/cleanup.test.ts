import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCleanupHandler } from "../../functions/cleanup/handler.js";
import type { ImageStore } from "../../shared/stores/ports.js";
import { cleanupExpired } from "../../shared/usecases/cleanup.js";
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
    const failing: ImageStore = { ...real, storageType: "s3", put: real.put.bind(real), get: real.get.bind(real),
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

  it("the scheduled Lambda handler runs the same use case and returns the summary", async () => {
    const { deps, clock } = await setup();
    await seedRecord(deps);
    clock.advance(2 * 3600_000);
    const handler = createCleanupHandler(() => deps);
    expect(await handler({ dryRun: true })).toMatchObject({ dryRun: true, found: 1 });
    expect(await handler({})).toMatchObject({ dryRun: false, found: 1, recordsDeleted: 1 });
  });
});
