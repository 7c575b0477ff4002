import type { TokenUsage } from "../domain/types.js";

/** USD per million tokens, [input, output]. Defaults from the providers' published list prices; override with PHOTO_ANALYSIS_MODEL_PRICES. */
export const DEFAULT_MODEL_PRICES: Record<string, [number, number]> = {
  "gpt-4o": [2.5, 10],
  "gpt-4o-mini": [0.15, 0.6],
  "gpt-4.1": [2, 8],
  "gpt-4.1-mini": [0.4, 1.6],
  "claude-haiku-4-5": [1, 5],
  "claude-sonnet-4-5": [3, 15],
  "gemini-2.5-flash": [0.3, 2.5],
  "gemini-2.5-flash-lite": [0.1, 0.4],
  "local:": [0, 0],
};

/**
 * Estimated cost of one analysis. The model a provider reports ("gpt-4o-2024-08-06") is matched to
 * the longest price-table key it starts with ("gpt-4o", not "gpt-4"); unknown models have no estimate.
 */
export function estimateCostUsd(model: string, usage: TokenUsage, prices: Record<string, [number, number]> = DEFAULT_MODEL_PRICES): number | null {
  const key = Object.keys(prices)
    .filter((candidate) => model.startsWith(candidate))
    .sort((a, b) => b.length - a.length)[0];
  if (!key) return null;
  const [input, output] = prices[key]!;
  return Math.round(((usage.prompt_tokens * input + usage.completion_tokens * output) / 1e6) * 1e8) / 1e8;
}
