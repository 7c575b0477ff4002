import type { Label, Suggestion } from "../domain/types.js";
import { decodeOptionsFrom, lazyJpeg, openImage } from "../image/decode.js";
import { moderationInput } from "../moderation/input.js";
import { decide } from "../moderation/moderation.js";
import type { AppDeps } from "./deps.js";
import type { Style } from "../domain/styles.js";

export interface FileAnalysis {
  /** What content moderation decided (absent when it is off); a blocked photo is not analysed. */
  moderation?: { decision: "allow" | "flag" | "block"; labels: { label: string; score: number }[] };
  labels: Label[];
  suggestions: Suggestion[];
  model: string;
  ms: number;
  /** What the provider reports of its work (the local provider: concepts by source, detections). */
  raw: unknown;
}

/**
 * The main job without a server or a record: validate the photo, make the model's copy, ask the
 * configured provider. Shared by the `analyze` CLI and the evaluation script.
 */
export async function analyzeImageBytes(deps: Pick<AppDeps, "settings" | "visionProvider" | "moderator">, bytes: Buffer, style?: Style): Promise<FileAnalysis> {
  const settings = await deps.settings();
  const started = performance.now();
  const image = await openImage(bytes, decodeOptionsFrom(settings));
  const jpeg = lazyJpeg(image, settings.PHOTO_ANALYSIS_VISION_IMAGE_MAX_EDGE);
  let moderation: FileAnalysis["moderation"];
  if (deps.moderator && settings.PHOTO_ANALYSIS_MODERATION !== "off") {
    const scores = await (await deps.moderator(settings)).moderateImage(moderationInput(image, jpeg));
    moderation = { decision: decide(scores, settings), labels: scores.labels };
    if (moderation.decision === "block") return { moderation, labels: [], suggestions: [], model: "", ms: performance.now() - started, raw: null };
  }
  const provider = await deps.visionProvider(settings);
  const result = await provider.analyze({ jpeg, image, prompt: settings.PHOTO_ANALYSIS_PROMPT, style });
  return { moderation, labels: result.labels, suggestions: result.suggestions, model: result.model, ms: performance.now() - started, raw: result.raw };
}
