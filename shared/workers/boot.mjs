// Starts a pool worker. From TypeScript sources (npm start, the CLIs, the tests) the worker
// registers tsx first, since loaders on the main thread do not reach worker threads.
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { workerData } from "node:worker_threads";

if (workerData.niceness) {
  // Linux schedules threads one by one: this thread (and what it starts) yields the CPU to the event
  // loop's thread. Best effort: elsewhere, or without /proc, the worker runs at normal priority.
  try {
    setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), workerData.niceness);
  } catch {
    // not Linux
  }
}

if (workerData.entry.endsWith(".ts")) {
  const { register } = await import("tsx/esm/api");
  register();
}
await import(workerData.entry);
