import type { Settings } from "../config/settings.js";
import { AnalysisFailedError, InvalidInputError, UnprocessableInputError } from "../domain/errors.js";
import type { OpenedImage } from "../image/decode.js";
import { moderationInput } from "../moderation/input.js";
import { BLOCKED_MESSAGE, decide, type ModerationVerdict } from "../moderation/moderation.js";
import type { VisionResult } from "../vision/provider.js";
import { countEvent, type AppDeps } from "./deps.js";
import type { CallerMeter } from "./meter.js";

/*
 * Content safety in the upload: the same bytes once refused are refused by their MD5 before
 * anything else (no model, no cache: a blocked photo never reaches the exact-match cache); every
 * other photo is judged after decoding, before the near-duplicate lookup and any vision call, and
 * before anything is stored. A refusal takes a unit of the caller's allowance (so refusals cannot
 * be probed for free) and counts on the dashboard.
 */

/** Refuses bytes refused before. */
export async function refuseKnownBlocked(deps: AppDeps, settings: Settings, meter: CallerMeter, fileHash: string, token: string): Promise<void> {
  if (settings.PHOTO_ANALYSIS_MODERATION !== "block") return;
  if (await deps.blockedPhotos.isBlocked(fileHash)) await refuse(deps, meter, token);
}

/** Judges a decoded photo; a blocked one is remembered and refused (422). Undefined when moderation is off. */
export async function moderatePhoto(
  deps: AppDeps,
  settings: Settings,
  meter: CallerMeter,
  request: { image: OpenedImage; jpeg(): Promise<Buffer>; fileHash: string; token: string },
): Promise<ModerationVerdict | undefined> {
  const selectModerator = settings.PHOTO_ANALYSIS_MODERATION === "off" ? undefined : deps.moderator;
  if (!selectModerator) return undefined;
  let verdict: ModerationVerdict;
  try {
    const moderator = await selectModerator(settings);
    const scores = await moderator.moderateImage(moderationInput(request.image, request.jpeg));
    verdict = { decision: decide(scores, settings), labels: scores.labels, provider: moderator.name };
  } catch (error) {
    // A photo whose pixels do not decode is the client's 400, whoever decoded them first.
    if (error instanceof InvalidInputError) throw error;
    // Fail closed: a photo that could not be checked is not analysed.
    throw new AnalysisFailedError(`Content moderation failed: ${(error as Error).message}`, { cause: error, retryable: true });
  }
  if (verdict.decision === "block") {
    await deps.blockedPhotos.remember(request.fileHash, verdict, deps.now());
    await refuse(deps, meter, request.token);
  }
  return verdict;
}

/** Generated names and descriptions through a text moderator, when one is configured; a rejected suggestion fails the analysis (10 are required). */
export async function screenSuggestions(deps: AppDeps, settings: Settings, result: VisionResult): Promise<void> {
  if (settings.PHOTO_ANALYSIS_MODERATION === "off" || !deps.textModerator) return;
  const moderator = await deps.textModerator(settings);
  if (!moderator?.moderateTexts) return;
  const texts = result.suggestions.map((suggestion) => `${suggestion.name}: ${suggestion.description}`);
  const rejected = (await moderator.moderateTexts(texts)).filter(Boolean).length;
  if (rejected)
    throw new AnalysisFailedError(
      `Vision provider returned ${result.suggestions.length - rejected} usable suggestions; ${result.suggestions.length} are required (${rejected} rejected by moderation)`,
    );
}

async function refuse(deps: AppDeps, meter: CallerMeter, token: string): Promise<never> {
  await meter.chargeRefusal(token);
  await countEvent(deps, { kind: "moderated" });
  throw new UnprocessableInputError("image", BLOCKED_MESSAGE);
}
