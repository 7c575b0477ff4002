import type { LocalModeration } from "../moderation/local-moderator.js";
import type { InferenceResult, InferenceTask, LocalInference } from "../vision/local/inference.js";
import { WorkerPool, workerModule } from "../workers/pool.js";

/**
 * Local inference off the event loop: a small pool of worker threads (shared/workers/pool.ts), each
 * loading the local vision models and the local moderation model once and keeping them. It sits
 * above vision and moderation, which know it only by the interfaces it implements (LocalInference,
 * LocalModeration): one pool of threads serves both without either importing the other. The event loop then keeps answering (cache hits, other routes)
 * while photos are analysed (and judged by the local moderation model), and on several cores
 * analyses run side by side. A full queue refuses at once (503 with Retry-After).
 */

/** What a worker is asked to do (worker.ts answers each kind). */
export type WorkerRequest =
  | { kind: "warm"; modelDir: string }
  | { kind: "warm-moderation" }
  | { kind: "run"; task: InferenceTask }
  | { kind: "moderate"; pixels: Uint8Array };

export class InferencePool implements LocalInference, LocalModeration {
  private readonly workers: WorkerPool;

  /** `size` threads, started on first use, with room for `maxQueue` waiting tasks (default 8 per thread). */
  constructor(options: { size: number; maxQueue?: number }) {
    this.workers = new WorkerPool({
      ...options,
      entry: workerModule(import.meta.url, "worker"),
      busyMessage: "The local vision models are busy with other photos; try again in a moment.",
    });
  }

  get size(): number {
    return this.workers.size;
  }

  /** Analyses a photo's pixels on the first free worker. */
  run(task: InferenceTask): Promise<InferenceResult> {
    return this.send({ kind: "run", task }, [task.full.data.buffer, task.crop.data.buffer, task.mirrored.data.buffer] as ArrayBuffer[]);
  }

  /** The moderation model's probabilities for a photo's square RGB pixels (see nsfw-model.ts). */
  moderate(pixels: Uint8Array): Promise<number[]> {
    // Transferred only when the view owns its whole buffer (a pooled Buffer's slab must not be detached).
    const own = pixels.byteOffset === 0 && pixels.byteLength === pixels.buffer.byteLength ? pixels : pixels.slice();
    return this.send({ kind: "moderate", pixels: own }, [own.buffer as ArrayBuffer]);
  }

  /** Starts every worker and loads the vision models in each (they otherwise start with the first tasks). */
  async warmUp(modelDir: string): Promise<void> {
    await this.workers.broadcast({ kind: "warm", modelDir } satisfies WorkerRequest);
  }

  /** Starts every worker and loads the moderation model in each. */
  async warmModeration(): Promise<void> {
    await this.workers.broadcast({ kind: "warm-moderation" } satisfies WorkerRequest);
  }

  close(): Promise<void> {
    return this.workers.close();
  }

  private send<T>(request: WorkerRequest, transfer: ArrayBuffer[]): Promise<T> {
    return this.workers.run<T>(request, transfer);
  }
}
