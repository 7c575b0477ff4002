import { serveRequests } from "../../shared/workers/serve.js";

/** A pool worker for tests: holds `megabytes` of JavaScript objects (past its heap limit it dies), then answers its thread id. */
const held: unknown[] = [];
serveRequests<{ megabytes: number; keep?: boolean }>(async ({ megabytes, keep }) => {
  const chunk: number[][] = [];
  // ~8 bytes per element in a packed double array: 131,072 elements per megabyte.
  for (let mb = 0; mb < megabytes; mb++) chunk.push(new Array<number>(131_072).fill(mb + 0.5));
  if (keep) held.push(chunk);
  const { threadId } = await import("node:worker_threads");
  return threadId;
});
