import type { Settings } from "../config/settings.js";
import { InvalidInputError, UnprocessableInputError } from "../domain/errors.js";
import { DEFAULT_LANGUAGE, isEnglish, sameVariant, variantSuffix, type PromptVariant } from "../domain/prompt.js";
import type { Caller, PhotoAnalysisRecord } from "../domain/types.js";
import { isInformativeHash, md5Hex } from "../image/hash.js";
import { decodeOptionsFrom, lazyJpeg, openImage, perceptualHash, type OpenedImage } from "../image/decode.js";
import { rateLimitRules, statusOf, type RateLimitStatus } from "../ratelimit/rate-limiter.js";
import type { Style } from "../vision/instructions.js";
import type { VisionResult } from "../vision/provider.js";
import { withClaim } from "./claim.js";
import { countEvent, type AppDeps } from "./deps.js";
import { persistAnalysis } from "./persist.js";
import { moderatePhoto, refuseKnownBlocked, screenSuggestions } from "./moderate.js";
import { ensureStanding, withQuota } from "./quota.js";

export interface UploadInput {
  bytes: Buffer;
  caller: Caller;
  style?: Style;
  /** The caller's description of the room (normalised, at most MAX_CONTEXT_LENGTH characters). */
  context?: string;
  /** Canonical BCP 47 tag of the names' language (default "en"). */
  language?: string;
  /** When this request must have answered (the function's timeout); claims and waits never outlast it. */
  deadline?: Date;
  /**
   * Identifies the request to the rate limiter (default: a new id): a redelivered job passes the
   * same token on every attempt, so its unit is charged once however often it runs.
   */
  quotaToken?: string;
  /** Told as the work reaches each stage (async jobs report progress with it). */
  onStage?: (stage: "matching" | "analysing" | "storing") => Promise<void>;
}

export interface UploadOutcome {
  cached: boolean;
  record: PhotoAnalysisRecord;
  /** How a cached answer was found: the same bytes, or a perceptually similar photo at `distance` bits. */
  match?: { type: "exact" | "similar"; distance: number };
  /** The caller's rate-limit standing: after counting this analysis, or (cache hits) as it stands. */
  rateLimit?: RateLimitStatus;
}

/** The seed's "Image file too large. Maximum size is 10MB." */
export function tooLargeMessage(maxMegabytes: number): string {
  return `Image file too large. Maximum size is ${maxMegabytes}MB.`;
}

/** Without a deadline from the runtime, a request gets the upload function's timeout. */
export const DEFAULT_REQUEST_SECONDS = 60;

/**
 * The seed's flow, in the README's order: find a cached analysis (the same bytes, then a similar
 * photo), else with a claim on the photo (one analysis however many uploads race) and a unit of
 * the caller's allowance (given back on failure): analyse, then persist, whose record write is the
 * commit point. Cache hits cost nothing; an over-limit caller is refused before any decoding.
 */
export async function analyzeUpload(deps: AppDeps, input: UploadInput): Promise<UploadOutcome> {
  const settings = await deps.settings();
  checkSize(input.bytes, settings);
  const fileHash = md5Hex(input.bytes);
  const variant: PromptVariant = { style: input.style ?? null, context: input.context || null, language: input.language ?? DEFAULT_LANGUAGE };
  const stage = input.onStage ?? (async () => {});
  // One id per request: the claim's owner and (unless the caller names one) the token of its allowance unit.
  const requestId = deps.newId();
  const quotaToken = input.quotaToken ?? requestId;
  await refuseKnownBlocked(deps, settings, input.caller, fileHash, quotaToken);
  await stage("matching");
  const exact = await findExact(deps, settings, input.caller, fileHash, variant);
  if (exact) return exact;

  const refused = () => countEvent(deps, { kind: "rate_limited" });
  const standing = await ensureStanding(deps.rateLimiter, settings, input.caller, { now: deps.now(), onRefused: refused });
  const image = await openImage(input.bytes, decodeOptionsFrom(settings, deps.heicDecoder));
  const imagePhash = await perceptualHash(image);
  // The cloud model's copy, made only if a cloud moderator or provider asks for it, and then once.
  const jpeg = lazyJpeg(image, settings.PHOTO_ANALYSIS_VISION_IMAGE_MAX_EDGE);
  const moderation = await moderatePhoto(deps, settings, { image, jpeg, fileHash, caller: input.caller, token: quotaToken });
  const similar = await findSimilar(deps, settings, imagePhash, variant);
  if (similar) return { ...similar, rateLimit: standing };

  // Resolve the provider before counting the request: a misconfigured server must not eat quota.
  const provider = await deps.visionProvider(settings);
  if (provider.englishOnly && !isEnglish(variant.language)) {
    throw new UnprocessableInputError("language", `The local vision provider writes English names only; configure a cloud provider for '${variant.language}'.`);
  }
  const outcome = await withClaim(claimOptions(deps, input, fileHash + variantSuffix(variant), requestId), () =>
    withQuota(deps.rateLimiter, settings, input.caller, { now: deps.now(), token: quotaToken, onRefused: refused }, async (rateLimit) => {
      await stage("analysing");
      const result = await analyse(deps, provider, { image, jpeg }, settings, { style: input.style, context: variant.context ?? undefined, language: variant.language });
      await screenSuggestions(deps, settings, result);
      await stage("storing");
      const flagged = moderation?.decision === "flag" ? moderation : undefined;
      const record = await persistAnalysis(deps, settings, { image, result, fileHash, imagePhash, fileSize: input.bytes.length, variant, caller: input.caller, moderation: flagged });
      return { value: { cached: false, record, rateLimit } as UploadOutcome, recordId: record.id, keepUntil: Date.parse(record.expiresAt ?? record.createdAt) };
    }),
  );
  // A waiter answered by another request's record still reports where its caller stands.
  return { ...outcome, rateLimit: outcome.rateLimit ?? standing };
}

function checkSize(bytes: Buffer, settings: Settings): void {
  const maxMegabytes = settings.PHOTO_ANALYSIS_MAX_FILE_SIZE_MB;
  if (bytes.length === 0) throw new InvalidInputError("image", "The submitted file is empty.");
  if (bytes.length > maxMegabytes * 1024 * 1024) throw new InvalidInputError("image", tooLargeMessage(maxMegabytes));
}

/**
 * The same bytes, same style: fully validated when first analysed, so a hit needs no decoding at
 * all (the cheapest answer is also the most common one).
 */
async function findExact(deps: AppDeps, settings: Settings, caller: Caller, fileHash: string, variant: PromptVariant): Promise<UploadOutcome | null> {
  const exact = await deps.records.findByFileHash(fileHash, deps.now(), (record) => sameVariant(record, variant));
  if (!exact) return null;
  // The use, the caller's standing (a read-only peek) and the dashboard counter in one round trip.
  const [hit, status] = await Promise.all([
    reuse(deps, exact.id, { type: "exact", distance: 0 }),
    settings.PHOTO_ANALYSIS_ENABLE_RATE_LIMITING ? deps.rateLimiter.peek(rateLimitRules(caller, settings), deps.now()) : undefined,
    countEvent(deps, { kind: "exact_hit" }),
  ]);
  return hit && status ? { ...hit, rateLimit: statusOf(status) } : hit;
}

/** A perceptually similar photo (featureless images never match this way: isInformativeHash). */
async function findSimilar(deps: AppDeps, settings: Settings, imagePhash: string, variant: PromptVariant): Promise<UploadOutcome | null> {
  if (!settings.PHOTO_ANALYSIS_ENABLE_SIMILARITY_MATCHING || !isInformativeHash(imagePhash)) return null;
  const similar = await deps.records.findSimilar(imagePhash, settings.PHOTO_ANALYSIS_SIMILARITY_THRESHOLD, deps.now());
  if (!similar || !sameVariant(similar.record, variant)) return null;
  return countedHit(deps, similar.record.id, { type: "similar", distance: similar.distance });
}

function claimOptions(deps: AppDeps, input: UploadInput, key: string, owner: string) {
  const deadline = (input.deadline ?? new Date(deps.now().getTime() + DEFAULT_REQUEST_SECONDS * 1000)).getTime();
  return {
    claims: deps.claims,
    key,
    owner,
    deadline,
    now: () => deps.now().getTime(),
    sleep: deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    // Another request analysed these bytes meanwhile: its record is this request's answer (a cache hit).
    settled: (recordId: string) => countedHit(deps, recordId, { type: "exact", distance: 0 }),
  };
}

async function analyse(
  deps: AppDeps,
  provider: Awaited<ReturnType<AppDeps["visionProvider"]>>,
  photo: { image: OpenedImage; jpeg(): Promise<Buffer> },
  settings: Settings,
  request: { style?: Style; context?: string; language: string },
): Promise<VisionResult> {
  const started = performance.now();
  try {
    const result = await provider.analyze({ ...photo, prompt: settings.PHOTO_ANALYSIS_PROMPT, ...request });
    deps.telemetry?.record({ kind: "provider_call", provider: result.provider, ms: performance.now() - started, ok: true });
    return result;
  } catch (error) {
    deps.telemetry?.record({ kind: "provider_call", provider: provider.name, ms: performance.now() - started, ok: false });
    await countEvent(deps, { kind: "failed" });
    throw error;
  }
}

/** A cache hit on a stored analysis: one more use, then the dashboard's counter. */
async function countedHit(deps: AppDeps, id: string, match: NonNullable<UploadOutcome["match"]>): Promise<UploadOutcome | null> {
  const hit = await reuse(deps, id, match);
  if (hit) await countEvent(deps, { kind: match.type === "similar" ? "similar_hit" : "exact_hit" });
  return hit;
}

/** Records one more use of a stored analysis (times_used + 1); null if the record vanished meanwhile. */
async function reuse(deps: AppDeps, id: string, match: NonNullable<UploadOutcome["match"]>): Promise<UploadOutcome | null> {
  const used = await deps.records.recordUse(id, deps.now());
  return used ? { cached: true, record: used, match } : null;
}
