import { AnalysisFailedError, BusyError } from "../domain/errors.js";
import type { ClaimState, UploadClaims } from "../stores/ports.js";

/**
 * One analysis per photo under concurrency, as a wrapper around the work (the state machine of
 * Powertools' idempotency utility, kept apart from the claim store that persists it):
 *
 *   acquire ──▶ work ──▶ complete(recordId)            the holder
 *      │          └─ fails ──▶ release (or, for a failure worth remembering, record it until then), rethrow
 *      └─ held by another ──▶ poll: settled → its result; failed → that failure; released or lease over → acquire again;
 *                              own deadline reached → BusyError (503, Retry-After)
 *
 * The lease never outlives the request (it ends at the request's deadline), so a crashed holder's
 * claim is taken over as soon as it could no longer be working, and a waiter never waits past
 * its own deadline. The store recognises the owner's own earlier write, so a retried acquire is
 * never blocked by itself.
 */
export interface ClaimOptions<T> {
  claims: UploadClaims;
  key: string;
  /** Unique per request. */
  owner: string;
  /** Epoch ms by which this request must have answered (the function's timeout). */
  deadline: number;
  /**
   * Epoch ms until which the claim holds while the work runs (default: the deadline). Longer for work
   * that must never be done twice, in case a holder outlives its deadline (a local queue cannot stop a
   * delivery it has given up on): others then wait for it, or answer busy, rather than take over.
   */
  leaseUntil?: number;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** What a finished holder's analysis gives this request (null if it has gone: try to claim again). */
  settled(recordId: string): Promise<T | null>;
  /**
   * Give the claim up when the work is done instead of pointing waiters at its result: for work whose
   * result waiters find by themselves once they hold the claim (nothing stays behind in the table).
   */
  releaseWhenDone?: boolean;
  /**
   * A failure worth remembering (one that was paid for): the claim keeps it until `until`, and
   * everyone asking meanwhile gets it (rememberedFailure) instead of doing the work again. Null: release.
   */
  remembers?(error: unknown): { failure: string; until: number } | null;
}

export interface ClaimedResult<T> {
  value: T;
  /** The analysis the work committed, and how long the claim should keep pointing at it. */
  recordId: string;
  keepUntil: number;
}

export const CLAIM_POLL_MS = 100;
/** Time kept back from the deadline to answer after giving up waiting. */
export const ANSWER_MARGIN_MS = 1_000;

export async function withClaim<T>(options: ClaimOptions<T>, work: () => Promise<ClaimedResult<T>>): Promise<T> {
  const { claims, key, owner } = options;
  const giveUpAt = options.deadline - ANSWER_MARGIN_MS;
  for (let round = 0; ; round++) {
    if (round > 0 && options.now() >= giveUpAt) throw busy(CLAIM_POLL_MS);
    if (await claims.acquire(key, owner, options.leaseUntil ?? options.deadline, options.now())) break;
    const waited = await waitForHolder(options, giveUpAt);
    if (waited.kind === "settled") return waited.value;
    // Free again (released, lease over, or its analysis gone): a short pause before trying to take it.
    if (round > 0) await options.sleep(CLAIM_POLL_MS);
  }
  let result: ClaimedResult<T>;
  try {
    result = await work();
  } catch (error) {
    const remembered = options.remembers?.(error);
    const given = remembered ? claims.recordFailure(key, owner, remembered.failure, remembered.until) : claims.release(key, owner);
    await given.catch((releaseError) => console.error("claim release failed", releaseError));
    throw error;
  }
  // The result is committed: a failure to point the claim at it only makes waiters wait for the
  // lease (then they find it); it must not turn a success into an error.
  const done = options.releaseWhenDone ? claims.release(key, owner) : claims.complete(key, owner, result.recordId, result.keepUntil);
  await done.catch((completeError) => console.error("claim completion failed", completeError));
  return result.value;
}

async function waitForHolder<T>(options: ClaimOptions<T>, giveUpAt: number): Promise<{ kind: "settled"; value: T } | { kind: "free" }> {
  for (;;) {
    const claim = await options.claims.read(options.key);
    const now = options.now();
    if (!claim || claim.leaseUntil < now) return { kind: "free" };
    if (claim.failure) throw rememberedFailure(claim, now)!;
    if (claim.recordId) {
      const value = await options.settled(claim.recordId);
      return value === null ? { kind: "free" } : { kind: "settled", value };
    }
    if (now + CLAIM_POLL_MS >= giveUpAt) throw busy(claim.leaseUntil - now);
    await options.sleep(CLAIM_POLL_MS);
  }
}

/** `retryAfterMs`: when the holder's lease ends, the earliest a retry could take the photo over. */
function busy(retryAfterMs: number): BusyError {
  return new BusyError("This photo is already being analysed by another request; try again in a moment.", Math.max(1, Math.ceil(retryAfterMs / 1000)));
}

/** The failure a claim remembers, as the answer to give now; null when it remembers none (or no longer). */
export function rememberedFailure(claim: ClaimState | null, now: number): AnalysisFailedError | null {
  if (!claim?.failure || claim.leaseUntil < now) return null;
  const seconds = Math.max(1, Math.ceil((claim.leaseUntil - now) / 1000));
  return new AnalysisFailedError(
    `This photo's analysis failed moments ago (${claim.failure}); it is not analysed again for another ${seconds} s. Try another photo, or another style or context.`,
  );
}
