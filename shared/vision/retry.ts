import { AnalysisFailedError } from "../domain/errors.js";

export interface RetryOptions {
  maxRetries: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/**
 * Retries retryable failures (429, 5xx, timeouts: AnalysisFailedError.retryable) with exponential
 * backoff and full jitter, so clients that failed together do not retry together. Anything else
 * (bad key, refused content, malformed reply) fails at once.
 */
export async function withRetries<T>(call: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { maxRetries, baseDelayMs = 500, maxDelayMs = 8000 } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const retryable = error instanceof AnalysisFailedError && error.retryable;
      if (!retryable || attempt >= maxRetries) throw error;
      await sleep(Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** attempt)));
    }
  }
}
