import type { Settings } from "../config/settings.js";
import { RateLimitedError } from "../domain/errors.js";
import type { Caller } from "../domain/types.js";
import { rateLimitRules, statusOf, type RateLimitDecision, type RateLimitRule, type RateLimitStatus } from "../ratelimit/rate-limiter.js";
import { countEvent, type AppDeps } from "./deps.js";

/*
 * The one meter: every standing check, charge and refund of what a caller may spend goes through
 * here, in one vocabulary, on the rate limiter's counter items (`RATE#<key>`, hourly sliding windows):
 *
 *   analysis units  one per analysis a provider billed, and one per photo moderation refused
 *                   (PHOTO_ANALYSIS_RATE_LIMIT_*: per user, or per fingerprint and per IP)   fp:… ip:… user:…
 *   upload budget   one per photo decoded and moderated, near-duplicate hits included
 *                   (PHOTO_ANALYSIS_UPLOADS_PER_ANALYSIS × the analysis units)                uploads:fp:… uploads:ip:…
 *   tickets         one per presigned upload URL (TICKETS_PER_ANALYSIS × the analysis units)  ticket:fp:… ticket:ip:…
 *   pending jobs    queued and unfinished jobs held at once (PHOTO_ANALYSIS_MAX_PENDING_JOBS;
 *                   never more than the analysis units left, plus photos that can only be cache hits)   jobs:fp:… jobs:ip:…
 *
 * Each budget has the same identities as the analysis units: a signed-in user's, or an anonymous
 * caller's fingerprint AND address (the address's limit times PHOTO_ANALYSIS_RATE_LIMIT_IP_MULTIPLIER),
 * so rotating fingerprints from one address does not reset any of them. A caller's rules are computed
 * once, when their meter is made. With PHOTO_ANALYSIS_ENABLE_RATE_LIMITING off nothing is counted.
 */

/** Upload URLs per analysis unit (a retry or a second try per photo). */
export const TICKETS_PER_ANALYSIS = 2;

export type Budget = "analyses" | "uploads" | "tickets" | "jobs";

/** The counters and limits of one budget for a caller. */
export function budgetRules(caller: Caller, settings: Settings, budget: Budget): RateLimitRule[] {
  const units = rateLimitRules(caller, settings);
  if (budget === "analyses") return units;
  if (budget === "jobs") {
    const pending = settings.PHOTO_ANALYSIS_MAX_PENDING_JOBS;
    return units.map((rule, index) => ({ key: `jobs:${rule.key}`, limit: index === 0 ? pending : pending * settings.PHOTO_ANALYSIS_RATE_LIMIT_IP_MULTIPLIER }));
  }
  const times = budget === "uploads" ? settings.PHOTO_ANALYSIS_UPLOADS_PER_ANALYSIS : TICKETS_PER_ANALYSIS;
  const prefix = budget === "uploads" ? "uploads" : "ticket";
  return units.map((rule) => ({ key: `${prefix}:${rule.key}`, limit: rule.limit * times }));
}

/** How a failed analysis was paid for: set once a provider call was billed (a reply arrived). */
export interface Billing {
  billed: boolean;
}

/** Hours a pending-job slot can outlive a lost release (a job that never finished) before it stops counting. */
export const PENDING_JOB_LIFETIME_SECONDS = 3600;

/** One caller's meter for one request. */
export class CallerMeter {
  private readonly rules: Record<Budget, RateLimitRule[]>;
  /** The one look at the analysis units this request takes (report and requireStanding share it). */
  private standing?: Promise<RateLimitDecision>;

  constructor(
    private readonly deps: AppDeps,
    readonly settings: Settings,
    readonly caller: Caller,
  ) {
    const of = (budget: Budget) => budgetRules(caller, settings, budget);
    this.rules = { analyses: of("analyses"), uploads: of("uploads"), tickets: of("tickets"), jobs: of("jobs") };
  }

  get enabled(): boolean {
    return this.settings.PHOTO_ANALYSIS_ENABLE_RATE_LIMITING;
  }

  /** Where the caller stands in analysis units (reads only, refuses nothing): what a cached answer reports. */
  async report(): Promise<RateLimitStatus | undefined> {
    if (!this.enabled) return undefined;
    return statusOf(await this.look());
  }

  /** Reads the analysis units once per request (one round trip), however many steps ask. */
  private look(): Promise<RateLimitDecision> {
    this.standing ??= this.deps.rateLimiter.peek(this.rules.analyses, this.deps.now());
    return this.standing;
  }

  /**
   * Refuses (429) a caller with no analysis unit left, reading only: an over-limit caller's 100 MP
   * PNG is refused before it is decoded. Nothing is charged.
   */
  async requireStanding(): Promise<RateLimitStatus | undefined> {
    if (!this.enabled) return undefined;
    const standing = await this.look();
    if (!standing.allowed) return this.refuse(standing);
    return statusOf(standing);
  }

  /** Spends one from the upload budget (a decode and a moderation call) or the tickets, as `token` (once per token): a 429 when spent. */
  async spend(budget: "uploads" | "tickets", token: string): Promise<void> {
    if (!this.enabled) return;
    const decision = await this.deps.rateLimiter.acquire(this.rules[budget], this.deps.now(), token);
    // A refused ticket is not a refused upload: the dashboard's count of rate-limited uploads leaves it out.
    if (!decision.allowed) await this.refuse(decision, budget !== "tickets");
  }

  /**
   * An analysis unit around the work that may bill a provider call (429 when there is none). The
   * unit is given back when the work fails before any call was billed (`billing.billed` still false:
   * our own failure before calling, a transport failure before any answer); a billed failure keeps it.
   */
  async withAnalysisUnit<T>(token: string, work: (status: RateLimitStatus | undefined, billing: Billing) => Promise<T>): Promise<T> {
    const billing: Billing = { billed: false };
    if (!this.enabled) return work(undefined, billing);
    const decision = await this.deps.rateLimiter.acquire(this.rules.analyses, this.deps.now(), token);
    if (!decision.allowed) return this.refuse(decision);
    try {
      return await work(statusOf(decision), billing);
    } catch (error) {
      if (!billing.billed) await decision.refund().catch((refundError) => console.error("rate-limit refund failed", refundError));
      throw error;
    }
  }

  /** A unit for a photo moderation refused, charged whatever the standing (a refusal cannot be probed for free). */
  async chargeRefusal(token: string): Promise<void> {
    if (!this.enabled) return;
    await this.deps.rateLimiter.acquire(this.rules.analyses, this.deps.now(), token).catch((error) => console.error("moderation charge failed", error));
  }

  /**
   * Admits jobs to the queue, all or none: each takes a pending-job slot (as `job:<id>`), and the
   * caller's slots may never exceed the analysis units left plus `cacheHits` (photos that can only
   * be answered from the cache), nor PHOTO_ANALYSIS_MAX_PENDING_JOBS. A 429 otherwise, with nothing
   * taken. `queuedAt` is the jobs' creation time: what `releaseJob` is told later.
   */
  async admitJobs(jobIds: readonly string[], cacheHits: number, queuedAt: Date): Promise<void> {
    if (!this.enabled) return;
    const now = queuedAt;
    const standing = await this.deps.rateLimiter.peek(this.rules.analyses, now);
    const left = standing.allowed ? standing.remaining : 0;
    const [owner, ...others] = this.rules.jobs;
    const rules = [{ key: owner!.key, limit: Math.min(owner!.limit, left + cacheHits) }, ...others];
    const slots = this.deps.pendingJobs;
    const taken: string[] = [];
    for (const jobId of jobIds) {
      const decision = await slots.acquire(rules, now, jobToken(jobId));
      if (!decision.allowed) {
        await Promise.all(
          taken.map((token) =>
            slots.release(
              rules.map((rule) => rule.key),
              slots.windowOf(now),
              token,
            ),
          ),
        );
        const held = (await slots.held([owner!.key], now))[0]!;
        await countEvent(this.deps, { kind: "rate_limited" });
        const retryAfter = standing.allowed ? 60 : standing.retryAfterSeconds;
        // The 429's "You have made N requests" counts what the caller asked for: the units spent, the jobs waiting, and these.
        const asked = Math.max(standing.limit + 1, standing.limit - left + held + jobIds.length - cacheHits);
        throw new RateLimitedError(asked, standing.limit, retryAfter, this.deps.rateLimitNote);
      }
      taken.push(jobToken(jobId));
    }
  }

  /** Gives a finished (or never queued) job's slot back; once, however often it is called. */
  async releaseJob(jobId: string, queuedAt: Date): Promise<void> {
    const slots = this.deps.pendingJobs;
    await slots
      .release(
        this.rules.jobs.map((rule) => rule.key),
        slots.windowOf(queuedAt),
        jobToken(jobId),
      )
      .catch((error) => console.error("pending-job release failed", error));
  }

  private async refuse(decision: { used: number; limit: number; retryAfterSeconds: number }, counted = true): Promise<never> {
    if (counted) await countEvent(this.deps, { kind: "rate_limited" });
    throw new RateLimitedError(decision.used, decision.limit, decision.retryAfterSeconds, this.deps.rateLimitNote);
  }
}

function jobToken(jobId: string): string {
  return `job:${jobId}`;
}

/** The caller's meter, with the live settings. */
export async function meterOf(deps: AppDeps, caller: Caller, settings?: Settings): Promise<CallerMeter> {
  return new CallerMeter(deps, settings ?? (await deps.settings()), caller);
}
