import { AnalysisFailedError } from "../domain/errors.js";
import type { Label, Suggestion, TokenUsage } from "../domain/types.js";
import type { OpenedImage } from "../image/decode.js";
import type { Style } from "../domain/styles.js";

export interface VisionInput {
  /** The upright image, re-encoded as JPEG with the long edge capped: what a remote model receives (made on first request). */
  jpeg(): Promise<Buffer>;
  /** The decoded upright image, for providers that run models in-process (no second JPEG generation). */
  image?: OpenedImage;
  prompt: string;
  /** Optional per-request style, from a fixed list. */
  style?: Style;
  /** The caller's description of the room: data to consider, never instructions. */
  context?: string;
  /** BCP 47 tag of the language to write in (default "en"). */
  language?: string;
}

export interface VisionResult {
  /** Exactly 10, already normalised (see normalizeSuggestions). */
  suggestions: Suggestion[];
  /** The model(s) that produced them, e.g. "gpt-4o". */
  model: string;
  /** The provider that answered (in a fallback chain, not necessarily the first). */
  provider: string;
  tokenUsage: TokenUsage;
  /** What the provider saw, best first; empty when the provider does not say. */
  labels: Label[];
  /** The provider's reply, stored for inspection. */
  raw: unknown;
}

/** Image in, 10 validated chat-room suggestions out. Throws AnalysisFailedError on failure. */
export interface VisionProvider {
  readonly name: string;
  /** Writes English only (the local provider): another language is refused before any work. */
  readonly englishOnly?: boolean;
  analyze(input: VisionInput): Promise<VisionResult>;
  /** Loads whatever the first analysis would otherwise wait for (in-process models). */
  warmUp?(): Promise<void>;
  /** Releases what it holds (the local models' worker threads), so the process can exit. */
  close?(): Promise<void>;
}

export const ZERO_USAGE: TokenUsage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

/**
 * Reads a provider's reply that arrived, so was billed: any failure to make suggestions of it (a
 * refusal, invalid JSON, fewer than 10 usable names) is a billed failure, which keeps the caller's unit.
 */
export function readBilledReply<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof AnalysisFailedError)
      throw new AnalysisFailedError(error.detail, { cause: error.cause ?? error, retryable: error.retryable, billed: true });
    throw new AnalysisFailedError("The vision provider's reply could not be read", { cause: error, billed: true });
  }
}
