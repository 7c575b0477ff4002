import { cleanupExpired } from "../../shared/usecases/cleanup.js";
import { seedUpload } from "../helpers/records.js";
import { manualClock, startTestStack } from "../helpers/stack.js";

/** Issue 6: time to clean 1,000 expired uploads and their analyses (image in the local S3 API; upload, its owner entry and link; analysis and 5 index items each). */
export async function benchCleanup(count = 1000) {
  console.log(`\n## cleanup: ${count} expired uploads (each with its own analysis) against the local DynamoDB and S3 servers`);
  const stack = await startTestStack();
  try {
    const clock = manualClock();
    const deps = await stack.deps({}, { now: clock.now });
    for (let i = 0; i < count; i += 50) await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => seedUpload(deps)));
    clock.advance(2 * 3600_000);
    const started = performance.now();
    const summary = await cleanupExpired(deps, { dryRun: false, batchSize: 100 });
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `erased ${summary.uploadsErased} uploads, deleted ${summary.analysesDeleted} analyses and ${summary.imagesDeleted} images (${summary.found} found) in ${seconds.toFixed(1)} s (${((seconds * 1000) / count).toFixed(1)} ms per upload), ${summary.failures.length} failures`,
    );
  } finally {
    await stack.close();
  }
}
