import { DynamoCounterStore } from "../../shared/ratelimit/dynamo-counter-store.js";
import { SlidingWindowRateLimiter } from "../../shared/ratelimit/rate-limiter.js";
import { createDocumentClient } from "../../shared/runtime/aws-clients.js";
import { startTestStack } from "../helpers/stack.js";
import { median, report, timeRuns } from "./stats.js";

/** Issue 5: what the limiter adds to an upload, against the local DynamoDB server. */
export async function benchRateLimit() {
  console.log("\n## rate limiter: added latency per upload (local DynamoDB server)");
  const stack = await startTestStack();
  try {
    const deps = await stack.deps();
    const limiter = new SlidingWindowRateLimiter(new DynamoCounterStore(createDocumentClient(deps.runtime), deps.runtime.tableName));
    let n = 0;
    // Fresh identities each time, so every call is admitted (the common case).
    const anonymous = await timeRuns(200, () =>
      limiter.acquire(
        [
          { key: `fp:bench-${n}`, limit: 5 },
          { key: `ip:10.0.${n++ % 250}.1`, limit: 1_000_000 },
        ],
        new Date(),
      ),
    );
    report("anonymous upload (fingerprint + IP rules)", anonymous);
    const signedIn = await timeRuns(200, () => limiter.acquire([{ key: `user:bench-${n++}`, limit: 20 }], new Date()));
    report("signed-in upload (user rule)", signedIn);
    const refused = await timeRuns(200, () => limiter.acquire([{ key: "fp:always-full", limit: 0 }], new Date()));
    report("refused request (nothing written)", refused, `vs admitted ${(median(refused) / median(anonymous)).toFixed(2)}x`);
  } finally {
    await stack.close();
  }
}
