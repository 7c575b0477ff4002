import { parentPort } from "node:worker_threads";

/** What a worker's handler may return: a plain value, or one whose buffers go back without copying. */
export class Transferable<T> {
  constructor(
    readonly value: T,
    readonly transfer: ArrayBuffer[],
  ) {}
}

/**
 * The worker's side of pool.ts: answers each request in turn with `answer`'s value, or with the error's
 * name and message (the pool rejects the caller with a WorkerFailure carrying them as its cause).
 */
export function serveRequests<R extends object>(answer: (request: R) => Promise<unknown>): void {
  parentPort!.on("message", async (message: R & { id: number }) => {
    try {
      const result = await answer(message);
      if (result instanceof Transferable) parentPort!.postMessage({ id: message.id, result: result.value }, result.transfer);
      else parentPort!.postMessage({ id: message.id, result });
    } catch (error) {
      const failure = error as Error;
      parentPort!.postMessage({ id: message.id, error: { name: failure.name, message: failure.message } });
    }
  });
}
