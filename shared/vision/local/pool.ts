import { Worker } from "node:worker_threads";
import { BusyError } from "../../domain/errors.js";
import type { InferenceResult, InferenceTask } from "./inference.js";

/**
 * Local inference off the event loop: a small pool of worker threads, each loading the models once.
 * The event loop then keeps answering (cache hits, other routes) while photos are analysed, and on
 * several cores analyses run side by side. Tasks wait in a bounded queue; when it is full the
 * request is refused at once (503 with Retry-After) rather than queued without limit.
 */

interface Pending {
  task: InferenceTask;
  resolve(result: InferenceResult): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  busy: boolean;
  /** Answers awaited from this worker, by message id. */
  waiting: Map<number, { resolve(value: unknown): void; reject(error: Error): void }>;
}

export class WorkerFailure extends Error {
  override name = "WorkerFailure";
}

export class InferencePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;

  constructor(private readonly options: { size: number; maxQueue: number }) {}

  get size(): number {
    return this.options.size;
  }

  /** Runs a task on the first free worker; waits in the queue when all are busy; refuses when the queue is full. */
  run(task: InferenceTask): Promise<InferenceResult> {
    if (this.queue.length >= this.options.maxQueue) {
      return Promise.reject(new BusyError("The local vision models are busy with other photos; try again in a moment.", 2));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.dispatch();
    });
  }

  /** Starts every worker and loads the models in each (they otherwise start with the first tasks). */
  async warmUp(modelDir: string): Promise<void> {
    while (this.slots.length < this.options.size) this.slots.push(this.startWorker());
    await Promise.all(this.slots.map((slot) => this.send(slot, { kind: "warm", modelDir })));
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.splice(0).map((slot) => slot.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length) {
      let slot = this.slots.find((candidate) => !candidate.busy);
      if (!slot && this.slots.length < this.options.size) {
        slot = this.startWorker();
        this.slots.push(slot);
      }
      if (!slot) return;
      const pending = this.queue.shift()!;
      slot.busy = true;
      const { task } = pending;
      const transfer = [task.full.data.buffer, task.crop.data.buffer, task.mirrored.data.buffer] as ArrayBuffer[];
      this.send(slot, { kind: "run", task }, transfer).then(
        (result) => pending.resolve(result as InferenceResult),
        (error: Error) => pending.reject(error),
      ).finally(() => {
        slot.busy = false;
        this.dispatch();
      });
    }
  }

  private send(slot: Slot, message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.waiting.set(id, { resolve, reject });
      slot.worker.postMessage({ id, ...message }, transfer);
    });
  }

  private startWorker(): Slot {
    const entry = new URL(`./inference-worker.${import.meta.url.endsWith(".ts") ? "ts" : "js"}`, import.meta.url).href;
    const worker = new Worker(new URL("./worker-boot.mjs", import.meta.url), { workerData: { entry } });
    // The pool never keeps a process alive on its own (CLIs exit when their work is done).
    worker.unref();
    const slot: Slot = { worker, busy: false, waiting: new Map() };
    worker.on("message", (reply: { id: number; result?: unknown; error?: { name: string; message: string } }) => {
      const waiter = slot.waiting.get(reply.id);
      slot.waiting.delete(reply.id);
      if (!waiter) return;
      if (reply.error) waiter.reject(Object.assign(new WorkerFailure(reply.error.message), { cause: reply.error }));
      else waiter.resolve(reply.result);
    });
    const fail = (error: Error) => {
      // A crashed worker fails what it held; the next task starts a fresh one.
      for (const waiter of slot.waiting.values()) waiter.reject(new WorkerFailure(`inference worker stopped: ${error.message}`));
      slot.waiting.clear();
      const index = this.slots.indexOf(slot);
      if (index !== -1) this.slots.splice(index, 1);
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`exit code ${code}`)));
    return slot;
  }
}
