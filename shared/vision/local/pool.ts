import { Worker } from "node:worker_threads";
import { BusyError } from "../../domain/errors.js";
import type { InferenceResult, InferenceTask } from "./inference.js";

/**
 * Local inference off the event loop: a small pool of worker threads, each loading the models once.
 * The event loop then keeps answering (cache hits, other routes) while photos are analysed (and
 * judged by the local moderation model), and on several cores analyses run side by side. Tasks wait
 * in a bounded queue; when it is full the request is refused at once (503 with Retry-After) rather
 * than queued without limit.
 */

/** What a worker is asked to do (inference-worker.ts answers each kind). */
export type WorkerRequest = { kind: "warm"; modelDir: string } | { kind: "warm-moderation" } | { kind: "run"; task: InferenceTask } | { kind: "moderate"; pixels: Uint8Array };

interface Pending {
  request: WorkerRequest;
  /** Buffers handed to the worker without copying. */
  transfer: ArrayBuffer[];
  resolve(result: unknown): void;
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

  private readonly maxQueue: number;

  /** `size` threads, started on first use, with room for `maxQueue` waiting tasks (default 8 per thread). */
  constructor(private readonly options: { size: number; maxQueue?: number }) {
    this.maxQueue = options.maxQueue ?? options.size * 8;
  }

  get size(): number {
    return this.options.size;
  }

  /** Analyses a photo's pixels on the first free worker (see enqueue). */
  run(task: InferenceTask): Promise<InferenceResult> {
    return this.enqueue({ kind: "run", task }, [task.full.data.buffer, task.crop.data.buffer, task.mirrored.data.buffer] as ArrayBuffer[]) as Promise<InferenceResult>;
  }

  /** The moderation model's probabilities for a photo's square RGB pixels (see nsfw-model.ts). */
  moderate(pixels: Uint8Array): Promise<number[]> {
    // Transferred only when the view owns its whole buffer (a pooled Buffer's slab must not be detached).
    const own = pixels.byteOffset === 0 && pixels.byteLength === pixels.buffer.byteLength ? pixels : pixels.slice();
    return this.enqueue({ kind: "moderate", pixels: own }, [own.buffer as ArrayBuffer]) as Promise<number[]>;
  }

  /** Starts every worker and loads the vision models in each (they otherwise start with the first tasks). */
  async warmUp(modelDir: string): Promise<void> {
    await this.everyWorker({ kind: "warm", modelDir });
  }

  /** Starts every worker and loads the moderation model in each. */
  async warmModeration(): Promise<void> {
    await this.everyWorker({ kind: "warm-moderation" });
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.splice(0).map((slot) => slot.worker.terminate()));
  }

  /** Runs on the first free worker; waits in the queue when all are busy; refuses when the queue is full. */
  private enqueue(request: WorkerRequest, transfer: ArrayBuffer[]): Promise<unknown> {
    if (this.queue.length >= this.maxQueue) {
      return Promise.reject(new BusyError("The local vision models are busy with other photos; try again in a moment.", 2));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ request, transfer, resolve, reject });
      this.dispatch();
    });
  }

  private async everyWorker(request: WorkerRequest): Promise<void> {
    while (this.slots.length < this.options.size) this.slots.push(this.startWorker());
    await Promise.all(this.slots.map((slot) => this.send(slot, request)));
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
      this.send(slot, pending.request, pending.transfer).then(pending.resolve, pending.reject).finally(() => {
        slot.busy = false;
        this.dispatch();
      });
    }
  }

  private send(slot: Slot, message: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<unknown> {
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
