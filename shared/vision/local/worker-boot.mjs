// Starts an inference worker. From TypeScript sources (npm start, the CLIs, the tests) the worker
// registers tsx first, since loaders on the main thread do not reach worker threads.
import { workerData } from "node:worker_threads";

if (workerData.entry.endsWith(".ts")) {
  const { register } = await import("tsx/esm/api");
  register();
}
await import(workerData.entry);
