import { afterEach, describe, expect, it } from "vitest";
import { BusyError } from "../../shared/domain/errors.js";
import { WorkerFailure, WorkerPool } from "../../shared/workers/pool.js";

/** The pool behind local inference and HEIC decoding, with a test worker that holds as much memory as asked. */
const entry = new URL("../helpers/hog-worker.ts", import.meta.url).href;
const pools: WorkerPool[] = [];

function pool(options: Partial<ConstructorParameters<typeof WorkerPool>[0]> = {}) {
  const made = new WorkerPool({ entry, size: 1, busyMessage: "busy", ...options });
  pools.push(made);
  return made;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((made) => made.close()));
});

describe("the worker pool", () => {
  it("fails only the task whose worker died of its memory limit, and runs the next on a fresh worker", async () => {
    const limited = pool({ resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 } });
    const first = await limited.run<number>({ megabytes: 1 });
    const killed = await limited.run({ megabytes: 400, keep: true }).catch((error: unknown) => error);
    expect(killed).toBeInstanceOf(WorkerFailure);
    expect((killed as WorkerFailure).outOfMemory).toBe(true);
    const next = await limited.run<number>({ megabytes: 1 });
    expect(next).not.toBe(first); // another thread
    expect(limited.running).toBe(1);
  });

  it("stops workers that stay idle, and starts one again when work comes", async () => {
    const idle = pool({ size: 2, idleMs: 100 });
    // Two tasks at once start both threads (counted while they run: once one is done it may already be stopped
    // before the other finishes, however slow the machine).
    const both = Promise.all([idle.run({ megabytes: 1 }), idle.run({ megabytes: 1 })]);
    expect(idle.running).toBe(2);
    await both;
    const deadline = Date.now() + 5_000;
    while (idle.running > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(idle.running).toBe(0);
    expect(typeof (await idle.run({ megabytes: 1 }))).toBe("number");
  });

  it("refuses at once (503) when its queue is full", async () => {
    const tiny = pool({ maxQueue: 1 });
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map(() => tiny.run({ megabytes: 20 })));
    expect(outcomes.filter((outcome) => outcome.status === "fulfilled").length).toBeGreaterThanOrEqual(1);
    const refused = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const refusal of refused) expect(refusal.reason).toBeInstanceOf(BusyError);
  });
});
