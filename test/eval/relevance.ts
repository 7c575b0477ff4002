import pluralize from "pluralize";
import type { Suggestion } from "../../shared/domain/types.js";
import { resolveLabel, synset } from "../../shared/vision/local/wordnet.js";

/**
 * The terms that count as "about the photo's subject": the true class's synonyms, its WordNet
 * lemmas, its hypernyms up to two levels (a Labrador retriever → retriever → sporting dog) and its
 * direct hyponyms. Distant ancestors ("animal", "object") do not count: naming every photo
 * "Animal Lovers" should not score.
 */
export function subjectTerms(synonyms: string[], isAnimalClass: boolean): string[] {
  const terms = new Set(synonyms.map((s) => s.toLowerCase()));
  const offset = resolveLabel(synonyms, isAnimalClass);
  if (offset !== undefined) {
    const node = synset(offset);
    for (const word of node.words) terms.add(word.toLowerCase());
    const parents = node.hypernyms.map(synset);
    const grandparents = parents.flatMap((parent) => parent.hypernyms.map(synset));
    for (const related of [...parents, ...grandparents, ...node.hyponyms.map(synset)]) for (const word of related.words) terms.add(word.toLowerCase());
  }
  return [...terms].filter((term) => term.length >= 3);
}

function mentions(text: string, term: string): boolean {
  const forms = new Set([term, pluralize(term), pluralize.singular(term)]);
  const lower = text.toLowerCase();
  return [...forms].some((form) => new RegExp(`(^|[^a-z])${form.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}([^a-z]|$)`).test(lower));
}

/** Share (0..1) of suggestions whose name or description mentions one of the terms. */
export function relevance(suggestions: Suggestion[], terms: string[]): number {
  const relevant = suggestions.filter((s) => terms.some((term) => mentions(s.name, term) || mentions(s.description, term)));
  return relevant.length / suggestions.length;
}
