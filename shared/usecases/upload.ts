import { createHash } from "node:crypto";
import type { Settings } from "../config/settings.js";
import { AnalysisFailedError, InvalidInputError, UnprocessableInputError } from "../domain/errors.js";
import { DEFAULT_LANGUAGE, isEnglish, variantKey, variantSuffix, type PromptVariant } from "../domain/prompt.js";
import { ownerKey, type Analysis, type AnalysisAnswer, type Caller, type Upload } from "../domain/types.js";
import { isInformativeHash, md5Hex } from "../image/hash.js";
import { decodeOptionsFrom, lazyJpeg, openImage, perceptualHash, type OpenedImage } from "../image/decode.js";
import type { RateLimitStatus } from "../ratelimit/rate-limiter.js";
import { ownRepeatOf, type OwnRepeat } from "../stores/ports.js";
import type { Style } from "../domain/styles.js";
import type { VisionResult } from "../vision/provider.js";
import { rememberedFailure, withClaim } from "./claim.js";
import { countEvent, imageStoreForWrites, type AppDeps } from "./deps.js";
import { attachUpload, commitUpload, newUpload, persistAnalysis, type Photo } from "./persist.js";
import { moderatePhoto, refuseKnownBlocked, screenSuggestions } from "./moderate.js";
import { meterOf, type Billing } from "./meter.js";

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
   * Identifies the request to the meter (default: a new id): a redelivered job passes the same token
   * on every attempt, so its analysis unit and its upload budget are charged once however often it runs.
   */
  meterToken?: string;
  /** Told as the work reaches each stage (async jobs report progress with it). */
  onStage?: (stage: "matching" | "analysing" | "storing") => Promise<void>;
}

export interface UploadOutcome {
  /** True only when the caller was answered from their own earlier upload (the same one again: 200). */
  cached: boolean;
  /** Always the caller's own upload. */
  upload: Upload;
  analysis: AnalysisAnswer;
  /** How the caller's own earlier upload was found again: the same bytes, or a similar photo at `distance` bits. */
  match?: { type: "exact" | "similar"; distance: number };
  /** The caller's rate-limit standing: after counting this analysis, or (no vision call) as it stands. */
  rateLimit?: RateLimitStatus;
}

/** The API's message for a file over the maximum, e.g. "Image file too large. Maximum size is 10MB." */
export function tooLargeMessage(maxMegabytes: number): string {
  return `Image file too large. Maximum size is ${maxMegabytes}MB.`;
}

/** Without a deadline from the runtime, a request gets the upload function's timeout. */
export const DEFAULT_REQUEST_SECONDS = 60;

type Match = NonNullable<UploadOutcome["match"]>;
const EXACT: Match = { type: "exact", distance: 0 };

/**
 * The upload, in the order the README gives: find a cached analysis (the same bytes, then a similar
 * photo), else with a claim on the photo (one analysis however many uploads race) and a unit of the
 * caller's allowance (given back only if no provider call was billed): analyse, then persist. Every
 * answer is the caller's own upload: a cached analysis answers the caller from their own earlier
 * upload when they have one (200, times_used + 1), else through a new upload of theirs on the shared
 * analysis (201, as if analysed: nothing says anyone sent the photo before). The caller's repeat of
 * their own photo is found first, by the bytes alone (their repeat entry, read with the refused-bytes
 * check and their standing: one round trip), and answered with one conditional write. An exact-byte
 * hit costs nothing and is not decoded; everything decoded (near-duplicate hits too) spends from the caller's
 * upload budget; an over-limit caller is refused before any decoding; a photo whose billed analysis
 * failed moments ago is answered with that failure (meter.ts has the whole vocabulary).
 */
export async function analyzeUpload(deps: AppDeps, input: UploadInput): Promise<UploadOutcome> {
  const settings = await deps.settings();
  checkSize(input.bytes, settings);
  const variant: PromptVariant = { style: input.style ?? null, context: input.context || null, language: input.language ?? DEFAULT_LANGUAGE };
  const photo: Photo = { bytes: input.bytes, fileHash: md5Hex(input.bytes), caller: input.caller, variant };
  const key = variantKey(variant);
  const stage = input.onStage ?? (async () => {});
  // One id per request: the claim's owner and (unless the caller names one) the token of its allowance unit.
  const requestId = deps.newId();
  const meterToken = input.meterToken ?? requestId;
  const meter = await meterOf(deps, input.caller, settings);
  const claimKey = photo.fileHash + variantSuffix(variant);
  await stage("matching");
  // Refused bytes, the caller's own repeat of these bytes and their standing are independent reads:
  // one round trip (one BatchGetItem in DynamoDB).
  const [, repeat, status] = await Promise.all([
    refuseKnownBlocked(deps, settings, meter, photo.fileHash, meterToken),
    deps.uploads.findRepeat(ownerKey(input.caller), photo.fileHash, key, deps.now()),
    meter.report(),
  ]);
  const own = repeat && (await answerRepeat(deps, repeat, meterToken));
  if (own) return status ? { ...own, rateLimit: status } : own;
  // An entry that led nowhere (its upload never committed, or went meanwhile) was counted as an exact
  // hit already: the long way, which finds the same analysis by the same bytes, counts no hit again.
  const counted = repeat !== null;

  const exact = await deps.analyses.findByFileHash(photo.fileHash, deps.now(), (analysis) => analysis.variantKey === key);
  // A new upload of the caller's on a stored analysis keeps a copy of the image: it spends the upload budget (once per request).
  const answer = (from: Photo, analysis: Analysis, match: Match) =>
    answerFrom(deps, { settings, input, requestId, token: meterToken, counted, storing: () => meter.spend("uploads", meterToken) }, from, analysis, match);
  if (exact) {
    // An exact hit is free: it reports where the caller stands, and refuses nothing.
    const hit = await answer(photo, exact, EXACT);
    if (hit) return status ? { ...hit, rateLimit: status } : hit;
  }

  const [standing, claim] = await Promise.all([meter.requireStanding(), deps.claims.read(claimKey)]);
  const remembered = rememberedFailure(claim, deps.now().getTime());
  if (remembered) throw remembered;
  await meter.spend("uploads", meterToken);
  const image = await openImage(input.bytes, decodeOptionsFrom(settings, deps.heicDecoder));
  const decoded = { ...photo, image, imagePhash: await perceptualHash(image) };
  // The cloud model's copy, made only if a cloud moderator or provider asks for it, and then once.
  const jpeg = lazyJpeg(image, settings.PHOTO_ANALYSIS_VISION_IMAGE_MAX_EDGE);
  const moderation = await moderatePhoto(deps, settings, meter, { image, jpeg, fileHash: photo.fileHash, token: meterToken });
  const similar = await findSimilar(deps, settings, decoded.imagePhash, key);
  if (similar) {
    const hit = await answer(decoded, similar.analysis, { type: "similar", distance: similar.distance });
    if (hit) return { ...hit, rateLimit: standing };
  }

  // Resolve the provider before counting the request: a misconfigured server must not spend the caller's allowance.
  const provider = await deps.visionProvider(settings);
  if (provider.englishOnly && !isEnglish(variant.language)) {
    throw new UnprocessableInputError("language", `The local vision provider writes English names only; configure a cloud provider for '${variant.language}'.`);
  }
  const settle = async (analysisId: string): Promise<Claimed | null> => {
    // Another request analysed these bytes meanwhile (perhaps another caller's): the caller's answer is on its analysis.
    const analysis = await deps.analyses.get(analysisId);
    const hit = analysis && (await answer(decoded, analysis, EXACT));
    return hit ? { kind: "answered", outcome: hit } : null;
  };
  let billing: Billing | undefined;
  const claimed = await withClaim<Claimed>(
    { ...claimOptions(deps, input, claimKey, requestId, settle), remembers: (error) => billedFailure(deps, settings, billing, error) },
    () =>
      meter.withAnalysisUnit(meterToken, async (rateLimit, paid) => {
        billing = paid;
        await stage("analysing");
        const result = await analyze(
          deps,
          provider,
          { image, jpeg },
          settings,
          { style: input.style, context: variant.context ?? undefined, language: variant.language },
          paid,
        );
        await screenSuggestions(deps, settings, result);
        await stage("storing");
        const uploadId = deps.newId();
        const flagged = moderation?.decision === "flag" ? moderation : undefined;
        const fresh = await persistAnalysis(deps, settings, { photo: decoded, result, moderation: flagged, uploadId });
        // The analysis is committed and paid for (the unit stays, the claim points at it) whatever happens
        // to the caller's upload; the claim is completed after the upload, so that the same caller's
        // racing repeats find it as their own.
        const upload = await oneUploadPerCaller(deps, { input, requestId, token: meterToken }, decoded.caller, fresh.analysis.id, () =>
          commitUpload(deps, newUpload(deps, settings, decoded, fresh.analysis, fresh.image, uploadId), fresh.analysis),
        )
          .then(async (made) => {
            // Another of the caller's requests put an upload of theirs on this analysis first: theirs is the answer.
            if (made?.upload.imagePath !== fresh.image.path)
              await imageStoreForWrites(deps, settings)
                .delete(fresh.image.path)
                .catch(() => {});
            return made ?? { failed: new Error("the new analysis vanished before its upload was written") };
          })
          .catch((error: unknown) => ({ failed: error }));
        return {
          value: { kind: "fresh", analysis: fresh.analysis, upload, rateLimit } as Claimed,
          recordId: fresh.analysis.id,
          keepUntil: Date.parse(fresh.analysis.expiresAt ?? fresh.analysis.createdAt),
        };
      }),
  );
  // A waiter answered on another request's analysis still reports where its caller stands.
  if (claimed.kind === "answered") return { ...claimed.outcome, rateLimit: claimed.outcome.rateLimit ?? standing };
  if ("failed" in claimed.upload) throw claimed.upload.failed;
  const { upload, cached } = claimed.upload;
  return cached
    ? { cached, upload, analysis: claimed.analysis, match: EXACT, rateLimit: claimed.rateLimit }
    : { cached, upload, analysis: claimed.analysis, rateLimit: claimed.rateLimit };
}

type Claimed =
  | { kind: "answered"; outcome: UploadOutcome }
  | { kind: "fresh"; analysis: Analysis; upload: OwnUpload | { failed: unknown }; rateLimit?: RateLimitStatus };

/** The caller's upload on an analysis: an earlier one of theirs (cached), or one just made. */
interface OwnUpload {
  upload: Upload;
  cached: boolean;
}

function checkSize(bytes: Buffer, settings: Settings): void {
  const maxMegabytes = settings.PHOTO_ANALYSIS_MAX_FILE_SIZE_MB;
  if (bytes.length === 0) throw new InvalidInputError("image", "The submitted file is empty.");
  if (bytes.length > maxMegabytes * 1024 * 1024) throw new InvalidInputError("image", tooLargeMessage(maxMegabytes));
}

/** A perceptually similar photo asked for the same way (featureless images never match this way: isInformativeHash). */
async function findSimilar(deps: AppDeps, settings: Settings, imagePhash: string, key: string) {
  if (!settings.PHOTO_ANALYSIS_ENABLE_SIMILARITY_MATCHING || !isInformativeHash(imagePhash)) return null;
  const similar = await deps.analyses.findSimilar(imagePhash, settings.PHOTO_ANALYSIS_SIMILARITY_THRESHOLD, deps.now());
  return similar && similar.analysis.variantKey === key ? similar : null;
}

/**
 * The caller's repeat of their own photo, from their repeat entry: one more use of their upload (one
 * conditional write, the dashboard's counter sent beside it: one round trip), and the answer from the
 * entry and the upload alone. Null when the entry no longer leads to a usable upload of theirs (a
 * create that never committed): then the long way.
 */
async function answerRepeat(deps: AppDeps, repeat: OwnRepeat, token: string): Promise<UploadOutcome | null> {
  const [upload] = await Promise.all([
    deps.uploads.useOwn(repeat.owner, repeat.uploadId, repeat.analysisId, deps.now(), token),
    countEvent(deps, { kind: "exact_hit" }),
  ]);
  if (!upload) return null;
  // The upload carries the analysis's model, provider, tokens and cost; the entry its names and labels.
  const { aiVisionModel, provider, tokenUsage, estimatedCostUsd } = upload;
  const analysis = { id: repeat.analysisId, suggestions: repeat.suggestions, labels: repeat.labels, aiVisionModel, provider, tokenUsage, estimatedCostUsd };
  return { cached: true, upload, analysis, match: EXACT };
}

/**
 * A stored analysis answers the caller: from their own earlier upload on it when they have one (one
 * more use, free), else through a new upload of theirs (`storing` first: it keeps an image). Null when
 * the analysis vanished meanwhile. An own upload found this way for the same bytes has no usable
 * repeat entry (written before the entries existed, or past the one it had): it gets one.
 */
async function answerFrom(
  deps: AppDeps,
  request: RequestContext & { settings: Settings; counted: boolean; storing(): Promise<void> },
  photo: Photo,
  analysis: Analysis,
  match: Match,
): Promise<UploadOutcome | null> {
  const own = await deps.uploads.reuseOwn(ownerKey(photo.caller), analysis.id, deps.now(), request.token);
  if (!own) await request.storing();
  const made = own
    ? { upload: own, cached: true }
    : await oneUploadPerCaller(deps, request, photo.caller, analysis.id, () => attachUpload(deps, request.settings, photo, analysis));
  if (!made) return null;
  const repeat = made.cached && match.type === "exact" ? ownRepeatOf(made.upload, analysis) : null;
  await Promise.all([
    request.counted || countEvent(deps, { kind: match.type === "similar" ? "similar_hit" : "exact_hit" }),
    // Only saves the next repeat a round trip: a failure is logged, never the caller's.
    repeat && deps.uploads.rememberRepeat(repeat).catch((error) => console.error("repeat entry write failed", error)),
  ]);
  return made.cached ? { cached: true, upload: made.upload, analysis, match } : { cached: false, upload: made.upload, analysis };
}

/**
 * How long past its deadline a request keeps its claim on a caller's upload: a holder still writing
 * after its deadline (a job whose delivery timed out in the local queue keeps running beside its
 * redelivery) is waited for, never duplicated. A crashed holder blocks the caller's pair that long (503).
 */
export const OWN_UPLOAD_LEASE_GRACE_MS = 60_000;

interface RequestContext {
  input: UploadInput;
  /** Unique per request: the owner of the claims it takes. */
  requestId: string;
  /** The request's meter token, also its use token: a use of an own upload counts once per token (a retry after a lost response too). */
  token: string;
}

/**
 * One upload per caller and analysis, however many of the caller's requests race (a double
 * submission, a redelivered job): the upload is made under a claim on the pair, and a request that
 * finds the claim taken waits, then is answered from the upload the holder made. Null when `make`
 * found the analysis gone.
 */
async function oneUploadPerCaller(
  deps: AppDeps,
  request: RequestContext,
  caller: Caller,
  analysisId: string,
  make: () => Promise<Upload | null>,
): Promise<OwnUpload | null> {
  const owner = ownerKey(caller);
  const reuse = async () => {
    const own = await deps.uploads.reuseOwn(owner, analysisId, deps.now(), request.token);
    return own && { upload: own, cached: true };
  };
  // The claim's key names the caller only by a hash (an abandoned claim outlives its lease by a day, as claims do).
  const key = `own:${analysisId}:${createHash("sha256").update(owner).digest("hex").slice(0, 32)}`;
  const options = claimOptions(deps, request.input, key, request.requestId, reuse);
  return withClaim<OwnUpload | null>({ ...options, leaseUntil: options.deadline + OWN_UPLOAD_LEASE_GRACE_MS, releaseWhenDone: true }, async () => {
    // Another of the caller's requests may have finished between the first look and the claim.
    const made = (await reuse()) ?? (await make().then((upload) => upload && { upload, cached: false }));
    return { value: made, recordId: made?.upload.id ?? "", keepUntil: deps.now().getTime() };
  });
}

function claimOptions<T>(deps: AppDeps, input: UploadInput, key: string, owner: string, settled: (recordId: string) => Promise<T | null>) {
  const deadline = (input.deadline ?? new Date(deps.now().getTime() + DEFAULT_REQUEST_SECONDS * 1000)).getTime();
  return {
    claims: deps.claims,
    key,
    owner,
    deadline,
    now: () => deps.now().getTime(),
    sleep: deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    settled,
  };
}

/**
 * What the negative cache keeps of a failed analysis: a provider's unusable reply or names text
 * moderation rejected (a billed call), for PHOTO_ANALYSIS_FAILURE_MEMORY_SECONDS, so the same photo
 * asked the same way is not billed again at once. Our own failures (storage) are not remembered.
 */
function billedFailure(deps: AppDeps, settings: Settings, billing: Billing | undefined, error: unknown) {
  const seconds = settings.PHOTO_ANALYSIS_FAILURE_MEMORY_SECONDS;
  if (!billing?.billed || !(error instanceof AnalysisFailedError) || seconds === 0) return null;
  return { failure: error.detail, until: deps.now().getTime() + seconds * 1000 };
}

/** The provider call; `billing` says whether it was billed (it answered, usable or not). */
async function analyze(
  deps: AppDeps,
  provider: Awaited<ReturnType<AppDeps["visionProvider"]>>,
  photo: { image: OpenedImage; jpeg(): Promise<Buffer> },
  settings: Settings,
  request: { style?: Style; context?: string; language: string },
  billing: Billing,
): Promise<VisionResult> {
  const started = performance.now();
  try {
    const result = await provider.analyze({ ...photo, prompt: settings.PHOTO_ANALYSIS_PROMPT, ...request });
    billing.billed = true;
    deps.telemetry?.record({ kind: "provider_call", provider: result.provider, ms: performance.now() - started, ok: true });
    return result;
  } catch (error) {
    if (error instanceof AnalysisFailedError && error.billed) billing.billed = true;
    deps.telemetry?.record({ kind: "provider_call", provider: provider.name, ms: performance.now() - started, ok: false });
    await countEvent(deps, { kind: "failed" });
    throw error;
  }
}
