import type { TokenUsage } from "../domain/types.js";
import { PROVIDER_IDS, providerFacts } from "../config/providers.js";

/**
 * USD per million tokens, [input, output], by model-name prefix: every provider's published list
 * prices (shared/config/providers.ts); override with PHOTO_ANALYSIS_MODEL_PRICES.
 */
export const DEFAULT_MODEL_PRICES: Record<string, [number, number]> = Object.fromEntries(
  PROVIDER_IDS.flatMap((id) => Object.entries(providerFacts(id).prices).map(([model, [input, output]]) => [model, [input, output]])),
);

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
