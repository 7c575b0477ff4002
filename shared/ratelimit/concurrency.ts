import type { CounterStore, RateLimitRule } from "./rate-limiter.js";

export type ConcurrencyDecision = { allowed: true; window: number } | { allowed: false; rule: RateLimitRule };

/**
 * Things held at once (open WebSocket connections, a connection's subscriptions), counted on the rate
 * limiter's counter items (`RATE#<key>`, per window) with the same atomic, token-idempotent updates:
 * taking a slot again with the same token counts once, and giving it back twice gives back once.
 *
 * A holder lives at most `lifetimeSeconds` (API Gateway ends a WebSocket connection after 2 hours), so
 * the holders now are the previous window's count plus the current one's; a slot whose release was
 * lost (a $disconnect that never ran) stops counting within two windows instead of forever.
 */
export class ConcurrencyLimiter {
  constructor(
    private readonly counters: CounterStore,
    private readonly lifetimeSeconds: number,
  ) {}

  /** Takes a slot under every rule (all or none), as `token`; the window goes with the holder, to release it. */
  async acquire(rules: RateLimitRule[], now: Date, token: string): Promise<ConcurrencyDecision> {
    const window = this.windowOf(now);
    const expiresAt = window + 3 * this.lifetimeSeconds;
    const previous = await this.counters.readMany(rules.map((rule) => ({ key: rule.key, windowStart: window - this.lifetimeSeconds })));
    const taken: RateLimitRule[] = [];
    for (const [index, rule] of rules.entries()) {
      const room = rule.limit - previous[index]!;
      const counted = room > 0 ? await this.counters.incrementIfBelow(rule.key, window, room, expiresAt, token) : null;
      if (counted === null) {
        await this.release(
          taken.map((held) => held.key),
          window,
          token,
        );
        return { allowed: false, rule };
      }
      taken.push(rule);
    }
    return { allowed: true, window };
  }

  /**
   * Whether every rule has room for a new holder, reading only (all counters at once): what a refusal
   * under attack costs. Only for new tokens (a held token taken again would count once, room or not).
   */
  async peek(rules: RateLimitRule[], now: Date): Promise<ConcurrencyDecision> {
    const window = this.windowOf(now);
    const held = await this.held(
      rules.map((rule) => rule.key),
      now,
    );
    const full = rules.findIndex((rule, index) => held[index]! >= rule.limit);
    return full === -1 ? { allowed: true, window } : { allowed: false, rule: rules[full]! };
  }

  /** How many slots each key holds now (one round trip for all). */
  async held(keys: readonly string[], now: Date): Promise<number[]> {
    const window = this.windowOf(now);
    const counts = await this.counters.readMany(
      keys.flatMap((key) => [
        { key, windowStart: window - this.lifetimeSeconds },
        { key, windowStart: window },
      ]),
    );
    return keys.map((_, index) => counts[2 * index]! + counts[2 * index + 1]!);
  }

  /** Gives `token`'s slots back (once, however often it is called). */
  async release(keys: string[], window: number, token: string): Promise<void> {
    await Promise.all(keys.map((key) => this.counters.decrement(key, window, token)));
  }

  /** The window a slot taken at `when` is counted in (what `release` needs). */
  windowOf(now: Date): number {
    return Math.floor(now.getTime() / 1000 / this.lifetimeSeconds) * this.lifetimeSeconds;
  }
}
