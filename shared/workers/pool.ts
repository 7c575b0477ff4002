import { type ResourceLimits, Worker } from "node:worker_threads";
import { BusyError } from "../domain/errors.js";

/**
 * Work off the event loop: a small pool of worker threads running one module (see serve.ts for the
 * worker's side). Tasks wait in a bounded queue; when it is full the caller is refused at once (503
 * with Retry-After) rather than queued without limit. A worker that dies (a crash, or its memory
 * limit) fails the task it held and is replaced by the next task; the process lives on. Workers that
 * stay idle for `idleMs` are stopped, so memory they grew (WebAssembly heaps never shrink) goes back
 * to the system after a burst.
 */
export interface WorkerPoolOptions {
  /** The worker's module (see workerModule). */
  entry: string;
  /** Threads, started on first use. */
  size: number;
  /** Tasks that may wait for a thread (default 8 per thread). */
  maxQueue?: number;
  /** What a caller refused because the queue is full is told. */
  busyMessage: string;
  /** V8 heap limits of each worker; a worker past them dies (WorkerFailure with outOfMemory) and is replaced. */
  resourceLimits?: ResourceLimits;
  /** Stop a worker idle this long (undefined: keep it, e.g. while it holds loaded models). */
  idleMs?: number;
  /** Run the threads at this nice value (1-19, Linux): CPU-bound work then yields to the event loop. */
  niceness?: number;
}

export class WorkerFailure extends Error {
  override name = "WorkerFailure";
  /** The worker died of its memory limit while holding the task. */
  readonly outOfMemory: boolean;

  constructor(message: string, options: { cause?: unknown; outOfMemory?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.outOfMemory = options.outOfMemory ?? false;
  }
}

/** The worker module next to `metaUrl`'s module: `.ts` when running from sources (tsx), `.js` when built. */
export function workerModule(metaUrl: string, basename: string): string {
  return new URL(`./${basename}.${metaUrl.endsWith(".ts") ? "ts" : "js"}`, metaUrl).href;
}

interface Pending {
  request: object;
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
  idleTimer?: NodeJS.Timeout;
  /** Why it stopped, once it has (its memory limit, an uncaught error). */
  failure?: Error & { code?: string };
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private readonly maxQueue: number;

  constructor(private readonly options: WorkerPoolOptions) {
    this.maxQueue = options.maxQueue ?? options.size * 8;
  }

  get size(): number {
    return this.options.size;
  }

  /** Threads running now (idle ones included until they are stopped). */
  get running(): number {
    return this.slots.length;
  }

  /** Runs on the first free worker; waits in the queue when all are busy; refuses when the queue is full. */
  run<T>(request: object, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.queue.length >= this.maxQueue) return Promise.reject(new BusyError(this.options.busyMessage, 2));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ request, transfer, resolve: resolve as (result: unknown) => void, reject });
      this.dispatch();
    });
  }

  /** Starts every worker and sends each the same request (e.g. load the models now). */
  async broadcast(request: object): Promise<void> {
    while (this.slots.length < this.options.size) this.slots.push(this.startWorker());
    await Promise.all(this.slots.map((slot) => this.send(slot, request)));
  }

  async close(): Promise<void> {
    for (const pending of this.queue.splice(0)) pending.reject(new WorkerFailure("worker pool closed"));
    await Promise.all(
      this.slots.splice(0).map((slot) => {
        clearTimeout(slot.idleTimer);
        return slot.worker.terminate();
      }),
    );
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
      const taken = slot;
      taken.busy = true;
      clearTimeout(taken.idleTimer);
      this.send(taken, pending.request, pending.transfer)
        .then(pending.resolve, pending.reject)
        .finally(() => {
          taken.busy = false;
          this.dispatch();
          if (!taken.busy) this.stopWhenIdle(taken);
        });
    }
  }

  private stopWhenIdle(slot: Slot): void {
    if (this.options.idleMs === undefined || !this.slots.includes(slot)) return;
    clearTimeout(slot.idleTimer);
    slot.idleTimer = setTimeout(() => {
      if (slot.busy) return;
      this.remove(slot);
      void slot.worker.terminate();
    }, this.options.idleMs);
    slot.idleTimer.unref();
  }

  private remove(slot: Slot): void {
    const index = this.slots.indexOf(slot);
    if (index !== -1) this.slots.splice(index, 1);
  }

  private send(slot: Slot, message: object, transfer: ArrayBuffer[] = []): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.waiting.set(id, { resolve, reject });
      slot.worker.postMessage({ id, ...message }, transfer);
    });
  }

  private startWorker(): Slot {
    const worker = new Worker(new URL("./boot.mjs", import.meta.url), {
      workerData: { entry: this.options.entry, niceness: this.options.niceness },
      resourceLimits: this.options.resourceLimits,
    });
    // The pool never keeps a process alive on its own (CLIs exit when their work is done).
    worker.unref();
    const slot: Slot = { worker, busy: false, waiting: new Map() };
    worker.on("message", (reply: { id: number; result?: unknown; error?: { name: string; message: string } }) => {
      const waiter = slot.waiting.get(reply.id);
      slot.waiting.delete(reply.id);
      if (!waiter) return;
      if (reply.error) waiter.reject(new WorkerFailure(reply.error.message, { cause: reply.error }));
      else waiter.resolve(reply.result);
    });
    worker.on("error", (error: Error & { code?: string }) => {
      slot.failure ??= error;
    });
    worker.on("exit", (code) => {
      // A dead worker fails what it held; the next task starts a fresh one.
      clearTimeout(slot.idleTimer);
      const outOfMemory = slot.failure?.code === "ERR_WORKER_OUT_OF_MEMORY";
      const reason = slot.failure?.message ?? `exit code ${code}`;
      for (const waiter of slot.waiting.values()) waiter.reject(new WorkerFailure(`worker stopped: ${reason}`, { cause: slot.failure, outOfMemory }));
      slot.waiting.clear();
      this.remove(slot);
    });
    return slot;
  }
}
