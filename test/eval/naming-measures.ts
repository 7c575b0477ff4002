import type { Suggestion } from "../../shared/domain/types.js";
import { type ClassEntry, IMAGENET_ENTRIES } from "../../shared/vision/local/concepts.js";
import { hasDoubledWord } from "../../shared/vision/local/naming.js";
import { lineage, topicById } from "../../shared/vision/local/themes.js";
import { resolveLabel, synset } from "./wordnet.js";

/**
 * How the names read, beyond relevance and sameness (npm run eval reports each):
 * - raw unfit class names: names containing a classifier label of the same photo that the class
 *   table (shared/vision/local/lexicon/classes.ts) marks unfit for names ("Egyptian Cat Plus Tabby");
 * - doubled words: a name with the same word twice ("Library Library", "Cats and Cat");
 * - gloss taglines: a tagline quoting a WordNet definition of one of the photo's labels ("Ostrich:
 *   fast-running African flightless bird…"), its first five words or first clause;
 * - taglines repeating their name ("Brew Crew: the brew crew meets here");
 * - wrong subject: what the names are about, checked against the photo's true class (below).
 */

const IMAGENET_ANIMAL_CLASSES = 398;
/** ImageNet's classes are in WordNet id order, and its first class that is not an animal is the abacus. */
const FIRST_THING_WNID = "n02666196";

/** Whether a WordNet id is one of ImageNet's animal classes: tells "crane" the bird from "crane" the machine. */
export function isAnimalWnid(wnid: string): boolean {
  return wnid < FIRST_THING_WNID;
}

/** The class table's entry for a dev photo's true class (labels.tsv: its label and WordNet id). */
export function truthEntry(label: string, wnid: string): ClassEntry | undefined {
  return IMAGENET_ENTRIES.find((entry, index) => entry.label.toLowerCase() === label.toLowerCase() && index < IMAGENET_ANIMAL_CLASSES === isAnimalWnid(wnid));
}

/** The entries a printed label may stand for ("crane" is a bird and a machine). */
function entriesLabeled(label: string): ClassEntry[] {
  return IMAGENET_ENTRIES.filter((entry) => entry.label.toLowerCase() === label.toLowerCase());
}

function containsPhrase(text: string, phrase: string): boolean {
  const escaped = phrase.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^a-z])${escaped}([^a-z]|$)`).test(text.toLowerCase());
}

/** Whether a name contains one of the photo's labels that the table marks unfit. */
export function hasUnfitClassName(name: string, labels: string[]): boolean {
  return labels.some((label) => entriesLabeled(label).some((entry) => !entry.fit) && containsPhrase(name, label));
}

export { hasDoubledWord };

const glossCache = new Map<string, string[]>();
/** The first clause and the first five words of the WordNet definitions a label may have. */
function glossFragments(label: string): string[] {
  let fragments = glossCache.get(label);
  if (!fragments) {
    fragments = [];
    for (const animal of [true, false]) {
      const offset = resolveLabel([label], animal);
      if (offset === undefined) continue;
      const clause = synset(offset).gloss.split(/[;"(]/)[0]!.trim().toLowerCase();
      if (clause.length >= 12) fragments.push(clause);
      const firstWords = clause.split(/\s+/).slice(0, 5).join(" ");
      if (firstWords.split(" ").length === 5) fragments.push(firstWords);
    }
    glossCache.set(label, fragments);
  }
  return fragments;
}

export function isGloss(tagline: string, labels: string[]): boolean {
  const lower = tagline.toLowerCase();
  return labels.some((label) => glossFragments(label).some((fragment) => lower.includes(fragment)));
}

export function repeatsName(suggestion: Suggestion): boolean {
  const name = suggestion.name.toLowerCase().replace(/[?!.]+$/, "");
  return suggestion.description.toLowerCase().includes(name);
}

/** What the engine says its names are about (raw.subject of the local provider). */
export interface NamedSubject {
  word: string;
  topic: string;
  level: "thing" | "topic" | "people" | "none";
}

/**
 * Whether the named subject is wrong for a photo whose true class is `truth`:
 * - a thing is right when its everyday word is the true class's ("cat" for a tabby named as an
 *   Egyptian cat), or the noun of a topic the true class belongs to (a broader word: "dog");
 * - a topic (or the people in it) is right when the true class's topic is that topic or under it
 *   (a reptile for an iguana); naming an ancestor is broader, never wrong;
 * - nothing named ("none": the colour and a second look) is not wrong; it is counted apart.
 */
export function isSubjectWrong(subject: NamedSubject, truth: ClassEntry): boolean | undefined {
  if (subject.level === "none") return undefined;
  const truthTopics = lineage(truth.topic);
  if (subject.level === "thing") {
    const word = subject.word.toLowerCase();
    return word !== truth.word.toLowerCase() && !truthTopics.some((topic) => topic.noun.toLowerCase() === word);
  }
  return !truthTopics.includes(topicById(subject.topic));
}

export interface NamingQuality {
  names: number;
  unfitShare: number;
  doubledShare: number;
  glossShare: number;
  repeatShare: number;
}

export function namingQuality(photos: { labels: string[]; suggestions: Suggestion[] }[]): NamingQuality {
  let names = 0;
  let unfit = 0;
  let doubled = 0;
  let gloss = 0;
  let repeat = 0;
  for (const { labels, suggestions } of photos) {
    for (const suggestion of suggestions) {
      names++;
      if (hasUnfitClassName(suggestion.name, labels)) unfit++;
      if (hasDoubledWord(suggestion.name)) doubled++;
      if (isGloss(suggestion.description, labels)) gloss++;
      if (repeatsName(suggestion)) repeat++;
    }
  }
  const share = (n: number) => (names ? n / names : 0);
  return { names, unfitShare: share(unfit), doubledShare: share(doubled), glossShare: share(gloss), repeatShare: share(repeat) };
}

/** Mean length of the names in characters and words, and the share of one- or two-word names. */
export function nameLengths(lists: Suggestion[][]): { chars: number; words: number; shortShare: number } {
  const names = lists.flat().map((s) => s.name);
  if (!names.length) return { chars: 0, words: 0, shortShare: 0 };
  const words = names.map((name) => name.split(/\s+/).length);
  return {
    chars: names.reduce((sum, name) => sum + name.length, 0) / names.length,
    words: words.reduce((a, b) => a + b, 0) / names.length,
    shortShare: words.filter((count) => count <= 2).length / names.length,
  };
}
