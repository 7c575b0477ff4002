import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SQSEvent } from "aws-lambda";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LocalJobQueue, type QueueConsumer } from "../../local/queue.js";

/** A disk that can be made slow: while `slowDisk.hold` is set, the queue's file writes wait for it. */
const slowDisk: { hold?: Promise<void> } = {};
vi.mock("node:fs/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs/promises")>();
  return {
    ...actual,
    rename: async (...args: Parameters<typeof actual.rename>) => {
      await slowDisk.hold;
      return actual.rename(...args);
    },
  };
});

/**
 * The in-process queue `npm start` runs jobs through, held to the SQS semantics the worker relies
 * on: at-least-once delivery, visibility timeout, partial batch responses, dead letters, and (with
 * a file) messages that outlive the process.
 */

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "photo-analysis-queue-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Delivery {
  jobId: string;
  receiveCount: number;
}

/** A consumer that records each delivery and answers as `answer` says: ok, fail (reported), or never. */
function consumer(answer: (delivery: Delivery) => "ok" | "fail" | "never" | "throw") {
  const deliveries: Delivery[] = [];
  const consume: QueueConsumer = async (event: SQSEvent) => {
    const record = event.Records[0]!;
    const delivery = { jobId: (JSON.parse(record.body) as { job_id: string }).job_id, receiveCount: Number(record.attributes.ApproximateReceiveCount) };
    deliveries.push(delivery);
    const outcome = answer(delivery);
    if (outcome === "never") return new Promise(() => {});
    if (outcome === "throw") throw new Error("consumer crashed");
    return { batchItemFailures: outcome === "fail" ? [{ itemIdentifier: record.messageId }] : [] };
  };
  return { deliveries, consume };
}

/** A two-slot queue whose consumer takes 10 ms a job and records the order jobs went out in. */
function recordingOrder() {
  const queue = new LocalJobQueue({ concurrency: 2 });
  const order: string[] = [];
  queue.attach(async (event) => {
    order.push((JSON.parse(event.Records[0]!.body) as { job_id: string }).job_id);
    await new Promise((resolve) => setTimeout(resolve, 10));
    return { batchItemFailures: [] };
  });
  return { queue, order };
}

const silenced = async <T>(run: () => Promise<T>): Promise<T> => {
  const original = console.error;
  console.error = () => {};
  try {
    return await run();
  } finally {
    console.error = original;
  }
};

describe("LocalJobQueue", () => {
  it("delivers each message; a reported failure or a thrown error is delivered again after the visibility timeout, with its receive count", async () => {
    const queue = new LocalJobQueue({ visibilityTimeoutMs: 150 });
    const { deliveries, consume } = consumer((delivery) =>
      delivery.jobId === "b" && delivery.receiveCount === 1 ? "fail" : delivery.jobId === "c" && delivery.receiveCount === 1 ? "throw" : "ok",
    );
    queue.attach(consume);
    const started = Date.now();
    await silenced(async () => {
      await queue.enqueue(["a", "b", "c"]);
      await queue.idle();
    });
    expect(deliveries.map((delivery) => `${delivery.jobId}${delivery.receiveCount}`).sort()).toEqual(["a1", "b1", "b2", "c1", "c2"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140); // the failed ones waited out the timeout
    expect(queue.deadLetters).toEqual([]);
    await queue.close();
  });

  it("abandons a consumer that never answers at the timeout and delivers the message again; after maxReceives failures it dead-letters", async () => {
    const queue = new LocalJobQueue({ visibilityTimeoutMs: 100, maxReceives: 3 });
    const { deliveries, consume } = consumer((delivery) =>
      delivery.jobId === "hung" && delivery.receiveCount === 1 ? "never" : delivery.jobId === "bad" ? "fail" : "ok",
    );
    queue.attach(consume);
    await silenced(async () => {
      await queue.enqueue(["hung", "bad"]);
      await queue.idle();
    });
    expect(deliveries.filter((delivery) => delivery.jobId === "hung").map((delivery) => delivery.receiveCount)).toEqual([1, 2]);
    expect(deliveries.filter((delivery) => delivery.jobId === "bad").map((delivery) => delivery.receiveCount)).toEqual([1, 2, 3]);
    expect(queue.deadLetters).toEqual([{ messageId: expect.any(String), body: JSON.stringify({ job_id: "bad" }), receiveCount: 3 }]);
    await queue.close(0);
  });

  it("never runs more deliveries at once than its concurrency", async () => {
    const queue = new LocalJobQueue({ concurrency: 2 });
    let running = 0;
    let most = 0;
    queue.attach(async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running--;
      return { batchItemFailures: [] };
    });
    await queue.enqueue(["1", "2", "3", "4", "5", "6"]);
    await queue.idle();
    expect(most).toBe(2);
    await queue.close();
  });

  it("serves groups fairly: a caller's first job goes out at the next free slot, ahead of another caller's backlog", async () => {
    const { queue, order } = recordingOrder();
    await queue.enqueue(
      Array.from({ length: 30 }, (_, index) => `flood-${index}`),
      "flooder",
    );
    await queue.enqueue(["first"], "someone-else");
    await queue.idle();
    // Two of the flood's were out when "first" arrived; it went out at the next free slot.
    expect(order.indexOf("first")).toBeLessThanOrEqual(2);
    expect(order).toHaveLength(31);
    await queue.close();
  });

  it("takes turns between equally busy groups: a new caller is not starved by several flooding ones", async () => {
    const { queue, order } = recordingOrder();
    for (const flooder of ["a", "b", "c", "d"])
      await queue.enqueue(
        Array.from({ length: 8 }, (_, index) => `${flooder}-${index}`),
        flooder,
      );
    await queue.enqueue(["first"], "someone-else");
    await queue.idle();
    // "a" took both slots before the others arrived; then every group has one turn, the new one among them
    // (first come, first served it would be last, after 32 jobs).
    expect(
      order
        .slice(0, 6)
        .map((id) => id[0])
        .sort(),
    ).toEqual(["a", "a", "b", "c", "d", "f"]);
    expect(
      order
        .slice(6, 10)
        .map((id) => id[0])
        .sort(),
    ).toEqual(["a", "b", "c", "d"]);
    await queue.close();
  });

  describe("with a file", () => {
    it("keeps waiting messages across a stop and delivers them at the next start", async () => {
      const file = join(dir, "queue.json");
      const first = new LocalJobQueue({ file });
      first.pause();
      first.attach(consumer(() => "ok").consume);
      await first.enqueue(["x", "y"]);
      await first.close();

      const second = new LocalJobQueue({ file });
      const { deliveries, consume } = consumer(() => "ok");
      second.attach(consume);
      await second.idle();
      expect(deliveries.map((delivery) => delivery.jobId).sort()).toEqual(["x", "y"]);
      await second.close();
      // Delivered and deleted: a third start has nothing to do.
      expect(JSON.parse(await readFile(file, "utf8"))).toEqual({ messages: [], deadLetters: [] });
    });

    it("a message is kept once enqueue resolves: a process killed right after (no close) loses nothing", async () => {
      const file = join(dir, "queue.json");
      const killed = new LocalJobQueue({ file });
      killed.pause();
      await killed.enqueue(["kept"]);
      // No close(): the process died. What is on disk is all the next start knows.
      const restarted = new LocalJobQueue({ file });
      const { deliveries, consume } = consumer(() => "ok");
      restarted.attach(consume);
      await restarted.idle();
      expect(deliveries).toEqual([{ jobId: "kept", receiveCount: 1 }]);
      await restarted.close();
    });

    it("a delivery under way when the process died stays hidden until its visibility timeout, then comes again counted as the second", async () => {
      const file = join(dir, "queue.json");
      const killed = new LocalJobQueue({ file, visibilityTimeoutMs: 400 });
      // One delivery in this process, however long the test takes to stop it.
      const dying = consumer(() => {
        killed.pause();
        return "never";
      });
      killed.attach(dying.consume);
      const killedAt = Date.now();
      await killed.enqueue(["mid-job"]);
      await vi.waitFor(() => expect(dying.deliveries).toHaveLength(1), { interval: 5 });
      expect((JSON.parse(await readFile(file, "utf8")) as { messages: { receiveCount: number }[] }).messages[0]?.receiveCount).toBe(1);
      await killed.close(0); // as good as dead: its delivery never ends, and it writes the file no more

      const restarted = new LocalJobQueue({ file, visibilityTimeoutMs: 400 });
      const { deliveries, consume } = consumer(() => "ok");
      restarted.attach(consume);
      await restarted.idle();
      expect(deliveries).toEqual([{ jobId: "mid-job", receiveCount: 2 }]);
      expect(Date.now() - killedAt).toBeGreaterThanOrEqual(390);
      await restarted.close();
    });

    it("counts deliveries across restarts: a message that keeps failing dead-letters, and the dead letters are kept", async () => {
      const file = join(dir, "queue.json");
      const first = new LocalJobQueue({ file, visibilityTimeoutMs: 300, maxReceives: 2 });
      // One delivery in this process, however long the test takes to stop it (a loaded machine may pass the timeout).
      const failing = consumer(() => {
        first.pause();
        return "fail";
      });
      first.attach(failing.consume);
      await first.enqueue(["poison"]);
      await vi.waitFor(() => expect(failing.deliveries).toHaveLength(1), { interval: 5 });
      await silenced(() => first.close());

      const second = new LocalJobQueue({ file, visibilityTimeoutMs: 50, maxReceives: 2 });
      const again = consumer(() => "fail");
      await silenced(async () => {
        second.attach(again.consume);
        await second.idle();
      });
      expect(again.deliveries).toEqual([{ jobId: "poison", receiveCount: 2 }]);
      expect(second.deadLetters).toHaveLength(1);
      await second.close();
      expect(new LocalJobQueue({ file }).deadLetters).toEqual([{ messageId: expect.any(String), body: JSON.stringify({ job_id: "poison" }), receiveCount: 2 }]);
    });

    it("hands a message to one consumer at a time however slow the disk: the timeout runs from the hand-over, and the count is the delivery's own", async () => {
      const queue = new LocalJobQueue({ file: join(dir, "queue.json"), visibilityTimeoutMs: 40 });
      const { deliveries, consume } = consumer(() => "ok");
      queue.attach(consume);
      queue.pause();
      await queue.enqueue(["slow-disk"]);
      let release!: () => void;
      slowDisk.hold = new Promise((resolve) => (release = resolve));
      try {
        queue.resume(); // the delivery's write now waits on the disk, well past the visibility timeout
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(deliveries).toEqual([]);
      } finally {
        slowDisk.hold = undefined;
        release();
      }
      await queue.idle();
      expect(deliveries).toEqual([{ jobId: "slow-disk", receiveCount: 1 }]);
      await queue.close();
    });

    it("fails the send when the file cannot be written, and delivers nothing of it (SendMessage failed)", async () => {
      const folder = join(dir, "not-a-folder");
      const queue = new LocalJobQueue({ file: join(folder, "queue.json") });
      await writeFile(folder, "a file where the queue's folder should be"); // the disk goes bad after the start
      const { deliveries, consume } = consumer(() => "ok");
      queue.attach(consume);
      await expect(queue.enqueue(["lost"])).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(deliveries).toEqual([]);
      expect(queue.depth).toBe(0);
      await silenced(() => queue.close());
    });

    it("refuses to start on a file it cannot read or that holds something else, saying what to do (it may hold jobs)", async () => {
      const file = join(dir, "queue.json");
      await writeFile(file, "{not json");
      expect(() => new LocalJobQueue({ file })).toThrow(/not readable JSON.*move it away/);
      for (const wrong of ["[1, 2]", '{"messages": 5, "deadLetters": []}', '{"messages": [{"body": 3}], "deadLetters": []}', "null"]) {
        await writeFile(file, wrong);
        expect(() => new LocalJobQueue({ file }), wrong).toThrow(/does not hold a job queue.*move it away/);
      }
    });
  });
});
