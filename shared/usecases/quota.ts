import type { Settings } from "../config/settings.js";
import { RateLimitedError } from "../domain/errors.js";
import type { Caller } from "../domain/types.js";
import { rateLimitRules, statusOf, type RateLimiter, type RateLimitStatus } from "../ratelimit/rate-limiter.js";

/**
 * The caller's allowance around one analysis: admit a unit (or refuse with the seed's 429), run
 * the work, and give the unit back if the work fails. `token` identifies the request, so retried
 * counter writes charge it once and a refund removes exactly its unit.
 */
export async function withQuota<T>(
  limiter: RateLimiter,
  settings: Settings,
  caller: Caller,
  options: { now: Date; token: string; onRefused?: () => Promise<void>; note?: string },
  work: (status: RateLimitStatus | undefined) => Promise<T>,
): Promise<T> {
  if (!settings.PHOTO_ANALYSIS_ENABLE_RATE_LIMITING) return work(undefined);
  const decision = await limiter.acquire(rateLimitRules(caller, settings), options.now, options.token);
  if (!decision.allowed) {
    await options.onRefused?.();
    throw new RateLimitedError(decision.used, decision.limit, decision.retryAfterSeconds, options.note);
  }
  try {
    return await work(statusOf(decision));
  } catch (error) {
    await decision.refund().catch((refundError) => console.error("rate-limit refund failed", refundError));
    throw error;
  }
}

/**
 * A cheap refusal before any expensive work: a read-only look at the caller's standing. An
 * over-limit caller's 100 MP PNG is refused before it is decoded. Nothing is charged here.
 */
export async function ensureStanding(
  limiter: RateLimiter,
  settings: Settings,
  caller: Caller,
  options: { now: Date; onRefused?: () => Promise<void>; note?: string },
): Promise<RateLimitStatus | undefined> {
  if (!settings.PHOTO_ANALYSIS_ENABLE_RATE_LIMITING) return undefined;
  const standing = await limiter.peek(rateLimitRules(caller, settings), options.now);
  if (!standing.allowed) {
    await options.onRefused?.();
    throw new RateLimitedError(standing.used, standing.limit, standing.retryAfterSeconds, options.note);
  }
  return statusOf(standing);
}
