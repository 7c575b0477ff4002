import type { Settings } from "../config/settings.js";

/**
 * Content safety before any vision call and before anything is stored. A moderator scores a photo
 * (its own labels, plus two normalised scores); the policy turns the scores into a decision.
 */

export interface ModerationLabel {
  label: string;
  score: number;
}

export interface ModerationScores {
  /** What the moderator reported, best first (its own category names). */
  labels: ModerationLabel[];
  /** 0-1: sexually explicit content (what `block` refuses). */
  explicit: number;
  /** 0-1: suggestive but not explicit (swimwear, lingerie): flagged, never blocked. */
  suggestive: number;
}

export type ModerationDecision = "allow" | "flag" | "block";

export interface ModerationVerdict {
  decision: ModerationDecision;
  labels: ModerationLabel[];
  /** Which moderator judged (local, rekognition, openai). */
  provider: string;
}

/** A photo as moderators take it, each form made on demand (see input.ts). */
export interface ModerationInput {
  /** A small JPEG (cloud moderators). */
  jpeg(): Promise<Buffer>;
  /** Square RGB pixels of the given side (a local model). */
  rgb(size: number): Promise<Uint8Array>;
}

/** Scores a photo; a cloud moderator may also check text (generated names). */
export interface Moderator {
  readonly name: string;
  moderateImage(input: ModerationInput): Promise<ModerationScores>;
  /** For each text, whether it is unacceptable. */
  moderateTexts?(texts: string[]): Promise<boolean[]>;
  /** Loads what the first photo would otherwise wait for (an in-process model). */
  warmUp?(): Promise<void>;
  close?(): Promise<void>;
}

/** Photos refused once are refused again by their bytes, without running a model. */
export interface BlockedPhotos {
  isBlocked(fileHash: string): Promise<boolean>;
  remember(fileHash: string, verdict: ModerationVerdict, at: Date): Promise<void>;
}

/** The API's message of a refusal (422 on the `image` field). */
export const BLOCKED_MESSAGE = "This photo can't be analysed: it appears to contain explicit content.";

/** The policy: explicit content over the block threshold is blocked (flagged under `flag`); explicit or suggestive content over the flag threshold is flagged. */
export function decide(
  scores: ModerationScores,
  settings: Pick<Settings, "PHOTO_ANALYSIS_MODERATION" | "PHOTO_ANALYSIS_MODERATION_BLOCK_THRESHOLD" | "PHOTO_ANALYSIS_MODERATION_FLAG_THRESHOLD">,
): ModerationDecision {
  if (settings.PHOTO_ANALYSIS_MODERATION === "off") return "allow";
  if (scores.explicit >= settings.PHOTO_ANALYSIS_MODERATION_BLOCK_THRESHOLD) return settings.PHOTO_ANALYSIS_MODERATION === "block" ? "block" : "flag";
  if (Math.max(scores.explicit, scores.suggestive) >= settings.PHOTO_ANALYSIS_MODERATION_FLAG_THRESHOLD) return "flag";
  return "allow";
}

/** Rounded scores, best first, the few that matter. */
export function topLabels(labels: ModerationLabel[], count = 5): ModerationLabel[] {
  return [...labels]
    .sort((a, b) => b.score - a.score)
    .slice(0, count)
    .map((entry) => ({ label: entry.label, score: Math.round(entry.score * 1000) / 1000 }));
}
