import pluralize from "pluralize";
import type { Suggestion } from "../../shared/domain/types.js";
import type { ClassEntry } from "../../shared/vision/local/concepts.js";
import { lineage } from "../../shared/vision/local/themes.js";
import { resolveLabel, synset } from "./wordnet.js";

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

/**
 * The words people use for the true class, from the class table (lexicon/classes.ts): its everyday
 * word ("Labrador" for a Labrador retriever, "tandem bike"), and the nouns of the topics it belongs
 * to ("dog", "pet"), except the broadest ones ("animal", "food", "vehicle"), which say nothing
 * about a subject, as distant WordNet ancestors do not. Names use these words rather than the
 * class's own name, so relevance counts them besides the WordNet terms.
 */
export function everydayTerms(truth: ClassEntry): string[] {
  const topics = lineage(truth.topic).filter((topic) => topic.parentTopic);
  return [truth.word, truth.words, ...topics.flatMap((topic) => [topic.noun, topic.nouns ?? pluralize(topic.noun)])].map((term) => term.toLowerCase());
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
