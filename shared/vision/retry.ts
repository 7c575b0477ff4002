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

/** What went wrong with a provider call, independent of its SDK. */
export interface CallFailure {
  status?: number;
  timedOut?: boolean;
  unreachable?: boolean;
}

/**
 * The one mapping from a failed call to the API's 500 detail: a safe message (no keys or account
 * ids from the provider's text) and whether retrying could help (429, 5xx incl. 529, timeouts,
 * dropped connections).
 */
export function providerFailure(label: string, failure: CallFailure, cause: unknown): AnalysisFailedError {
  const fail = (detail: string, retryable: boolean) => new AnalysisFailedError(`${label} API error: ${detail}`, { cause, retryable });
  const { status } = failure;
  if (failure.timedOut) return fail("request timed out", true);
  if (failure.unreachable) return fail("could not connect", true);
  if (status === 429) return fail("Rate limit exceeded", true);
  if (status === 529) return fail("overloaded", true);
  if (status === 401 || status === 403) return fail("authentication failed", false);
  if (status !== undefined && status >= 500) return fail(`server error (${status})`, true);
  if (status !== undefined) return fail(`request rejected (${status})`, false);
  return fail("unexpected failure", false);
}
