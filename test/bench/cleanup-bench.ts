import { cleanupExpired } from "../../shared/usecases/cleanup.js";
import { seedRecord } from "../helpers/records.js";
import { manualClock, startTestStack } from "../helpers/stack.js";

/** Issue 6: time to clean 1,000 expired records (image in the local S3 API, record and 5 index items each). */
export async function benchCleanup(count = 1000) {
  console.log(`\n## cleanup: ${count} expired analyses against the local DynamoDB and S3 servers`);
  const stack = await startTestStack();
  try {
    const clock = manualClock();
    const deps = await stack.deps({}, { now: clock.now });
    for (let i = 0; i < count; i += 50) await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => seedRecord(deps)));
    clock.advance(2 * 3600_000);
    const started = performance.now();
    const summary = await cleanupExpired(deps, { dryRun: false, batchSize: 100 });
    const seconds = (performance.now() - started) / 1000;
    console.log(`cleaned ${summary.recordsDeleted}/${summary.found} records and ${summary.imagesDeleted} images in ${seconds.toFixed(1)} s (${((seconds * 1000) / count).toFixed(1)} ms each), ${summary.failures.length} failures`);
  } finally {
    await stack.close();
  }
}
