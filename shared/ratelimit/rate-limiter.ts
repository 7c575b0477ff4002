import { randomUUID } from "node:crypto";
import type { Settings } from "../config/settings.js";
import type { Caller } from "../domain/types.js";

/** Counters per (key, fixed window). The DynamoDB adapter makes each operation atomic. */
export interface CounterStore {
  /** Current count, 0 when absent (an expired-but-not-yet-deleted item still counts: it is read by window, not by TTL). */
  read(key: string, windowStart: number): Promise<number>;
  /** Several counts in one round trip (the same as `read` for each, in order). */
  readMany(counters: readonly { key: string; windowStart: number }[]): Promise<number[]>;
  /**
   * Adds one for `token` if the count is below `max` and returns the new count; null (and nothing
   * written) otherwise. Idempotent per token: a repeated call returns the count without adding.
   */
  incrementIfBelow(key: string, windowStart: number, max: number, expiresAtEpochSeconds: number, token: string): Promise<number | null>;
  /** Takes `token`'s unit back (refund); a second refund, or one for a token never counted, does nothing. */
  decrement(key: string, windowStart: number, token: string): Promise<void>;
}

export interface RateLimitRule {
  /** e.g. "fp:abc", "ip:203.0.113.9", "user:42". */
  key: string;
  limit: number;
}

export interface RateLimitStatus {
  limit: number;
  remaining: number;
  /** Seconds until the window the counts are in ends. */
  resetSeconds: number;
}

/** The standing a response reports (RateLimit-* headers), from any decision. */
export function statusOf(decision: RateLimitStatus): RateLimitStatus {
  return { limit: decision.limit, remaining: decision.remaining, resetSeconds: decision.resetSeconds };
}

export type RateLimitDecision =
  | (RateLimitStatus & { allowed: true; refund(): Promise<void> })
  | (RateLimitStatus & { allowed: false; used: number; retryAfterSeconds: number });

export const WINDOW_SECONDS = 3600;

/**
 * Identity rules, most specific first. Signed-in users are limited per user. Anonymous callers
 * are limited per fingerprint AND per IP (an allowance of several anonymous quotas), so minting
 * new fingerprints from one address does not reset the limit; without a fingerprint the IP alone
 * gets the anonymous quota.
 */
export function rateLimitRules(caller: Caller, settings: Settings): RateLimitRule[] {
  if (caller.userId) return [{ key: `user:${caller.userId}`, limit: settings.PHOTO_ANALYSIS_RATE_LIMIT_AUTHENTICATED }];
  const anonymous = settings.PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS;
  const rules: RateLimitRule[] = [];
  if (caller.fingerprint) rules.push({ key: `fp:${caller.fingerprint}`, limit: anonymous });
  if (caller.ipAddress) {
    const ipLimit = caller.fingerprint ? anonymous * settings.PHOTO_ANALYSIS_RATE_LIMIT_IP_MULTIPLIER : anonymous;
    rules.push({ key: `ip:${caller.ipAddress}`, limit: ipLimit });
  }
  return rules;
}

/**
 * Sliding-window limiter over two fixed one-hour windows (the estimate
 * `previous × (share of the previous window still inside the last hour) + current`).
 * Unlike a plain fixed window it does not let a client spend L at 10:59 and L more at 11:00;
 * unlike a log of timestamps it costs one small item per key per hour.
 *
 * Exactness: the previous window is closed, so its weighted share is known; the current window's
 * counter is then raised with a conditional write "count < limit − share", which DynamoDB applies
 * atomically. N concurrent requests therefore admit exactly the remaining allowance, and a
 * rejected request writes nothing. Several rules are taken in order; if a later one refuses, the
 * units already taken are given back.
 */
export class SlidingWindowRateLimiter {
  constructor(
    private readonly counters: CounterStore,
    private readonly windowSeconds = WINDOW_SECONDS,
  ) {}

  /** `token` identifies the request: retries of its writes are recognised, so it is charged once. */
  async acquire(rules: RateLimitRule[], now: Date, token: string = randomUUID()): Promise<RateLimitDecision> {
    const nowSeconds = now.getTime() / 1000;
    const windowStart = Math.floor(nowSeconds / this.windowSeconds) * this.windowSeconds;
    const elapsedShare = (nowSeconds - windowStart) / this.windowSeconds;
    const resetSeconds = Math.max(1, Math.ceil(windowStart + this.windowSeconds - nowSeconds));
    const expiresAt = windowStart + 3 * this.windowSeconds;

    const taken: RateLimitRule[] = [];
    let primary: RateLimitStatus | undefined;
    // The previous windows are closed: all of them in one round trip, before the writes.
    const previousCounts = await this.counters.readMany(rules.map((rule) => ({ key: rule.key, windowStart: windowStart - this.windowSeconds })));
    for (const [index, rule] of rules.entries()) {
      const previous = previousCounts[index]!;
      const carried = previous * (1 - elapsedShare);
      // Admit while carried + current + 1 <= limit, i.e. current < limit - carried.
      const maxCurrent = Math.floor(rule.limit - carried);
      const current = maxCurrent > 0 ? await this.counters.incrementIfBelow(rule.key, windowStart, maxCurrent, expiresAt, token) : null;
      if (current === null) {
        await Promise.all(taken.map((done) => this.counters.decrement(done.key, windowStart, token)));
        const count = await this.counters.read(rule.key, windowStart);
        const used = Math.ceil(carried + count) + 1;
        return {
          allowed: false,
          limit: rule.limit,
          remaining: 0,
          resetSeconds,
          used,
          retryAfterSeconds: this.secondsUntilFree(rule.limit, previous, count, elapsedShare),
        };
      }
      taken.push(rule);
      primary ??= { limit: rule.limit, remaining: Math.max(0, Math.floor(rule.limit - carried - current)), resetSeconds };
    }
    let refunded = false;
    return {
      allowed: true,
      ...(primary ?? { limit: 0, remaining: 0, resetSeconds }),
      refund: async () => {
        if (refunded) return;
        refunded = true;
        await Promise.all(taken.map((rule) => this.counters.decrement(rule.key, windowStart, token)));
      },
    };
  }

  /**
   * Would `acquire` admit one more request now? Reads only, writes nothing: for steps that come
   * before the counted upload (asking for an upload URL) and must not spend the quota twice.
   */
  async peek(rules: RateLimitRule[], now: Date): Promise<RateLimitDecision> {
    const nowSeconds = now.getTime() / 1000;
    const windowStart = Math.floor(nowSeconds / this.windowSeconds) * this.windowSeconds;
    const elapsedShare = (nowSeconds - windowStart) / this.windowSeconds;
    const resetSeconds = Math.max(1, Math.ceil(windowStart + this.windowSeconds - nowSeconds));
    let primary: RateLimitStatus | undefined;
    // Nothing is written, so every counter is read at once, in one round trip.
    const counts = await this.counters.readMany(
      rules.flatMap((rule) => [
        { key: rule.key, windowStart: windowStart - this.windowSeconds },
        { key: rule.key, windowStart },
      ]),
    );
    for (const [index, rule] of rules.entries()) {
      const [previous, current] = [counts[2 * index]!, counts[2 * index + 1]!];
      const carried = previous * (1 - elapsedShare);
      if (carried + current + 1 > rule.limit) {
        return {
          allowed: false,
          limit: rule.limit,
          remaining: 0,
          resetSeconds,
          used: Math.ceil(carried + current) + 1,
          retryAfterSeconds: this.secondsUntilFree(rule.limit, previous, current, elapsedShare),
        };
      }
      primary ??= { limit: rule.limit, remaining: Math.max(0, Math.floor(rule.limit - carried - current)), resetSeconds };
    }
    return { allowed: true, ...(primary ?? { limit: 0, remaining: 0, resetSeconds }), refund: async () => {} };
  }

  /** When the estimate first leaves room for one more request, assuming no other traffic. */
  private secondsUntilFree(limit: number, previous: number, current: number, elapsedShare: number): number {
    const window = this.windowSeconds;
    const target = limit - 1;
    if (current <= target && previous > 0) {
      // Still in this window: wait for the previous window's share to decay far enough.
      const share = 1 - (target - current) / previous;
      return Math.max(1, Math.ceil((share - elapsedShare) * window));
    }
    // Next window: this window becomes "previous" and decays from there.
    const untilNextWindow = (1 - elapsedShare) * window;
    const shareNeeded = current > 0 ? Math.max(0, 1 - target / current) : 0;
    return Math.max(1, Math.ceil(untilNextWindow + shareNeeded * window));
  }
}

export type RateLimiter = Pick<SlidingWindowRateLimiter, "acquire" | "peek">;
