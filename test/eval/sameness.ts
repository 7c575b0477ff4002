import pluralize from "pluralize";
import type { Suggestion } from "../../shared/domain/types.js";

/**
 * How template-like the names read across photos. Each photo's own label words are blanked
 * ("Tench Lovers" on a tench photo → "{} lovers"); a skeleton's share is the fraction of photos
 * whose names (or descriptions) contain it. The most common skeleton's share is the figure: 93 %
 * for "{} Lovers" means nearly every photo got that frame.
 */
export function skeleton(text: string, labelWords: Set<string>): string {
  return text
    .toLowerCase()
    .split(/([^a-z'-]+)/)
    .map((token) => (labelWords.has(token) || labelWords.has(pluralize.singular(token)) ? "{}" : token))
    .join("")
    .replace(/\{\}(?:[\s-]+\{\})+/g, "{}")
    .trim();
}

export function labelWordsOf(labels: string[]): Set<string> {
  const words = new Set<string>();
  for (const label of labels) {
    for (const word of label.toLowerCase().split(/[^a-z'-]+/)) {
      if (word.length < 2) continue;
      words.add(word);
      words.add(pluralize.singular(word));
    }
  }
  return words;
}

export interface Sameness {
  share: number;
  skeleton: string;
}

/** The most common skeleton of one field across photos, with the share of photos that contain it. */
export function sameness(photos: { labels: string[]; suggestions: Suggestion[] }[], field: "name" | "description"): Sameness {
  const counts = new Map<string, number>();
  for (const photo of photos) {
    const words = labelWordsOf(photo.labels);
    for (const shape of new Set(photo.suggestions.map((s) => skeleton(s[field], words)))) counts.set(shape, (counts.get(shape) ?? 0) + 1);
  }
  let best: Sameness = { share: 0, skeleton: "" };
  for (const [shape, count] of counts) if (count / photos.length > best.share) best = { share: count / photos.length, skeleton: shape };
  return best;
}
