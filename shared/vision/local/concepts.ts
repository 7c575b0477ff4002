import { createRequire } from "node:module";
import type { Label } from "../../domain/types.js";
import { CLASS_TABLE, DETECTOR_TABLE } from "./lexicon/classes.js";
import type { Concept, Scene } from "./naming.js";
import { lineage, MYSTERY, type Topic, topicById } from "./themes.js";

/** A classifier guess: the label's synonyms (first is the display name) and its probability. */
export interface Classification {
  synonyms: string[];
  score: number;
  /** True for ImageNet's animal classes: tells "crane" the bird from "crane" the machine. */
  isAnimalClass?: boolean;
}

/** A detector box: COCO label, confidence and the share of the image it covers (0..1). */
export interface Detection {
  label: string;
  score: number;
  area: number;
}

/** What a label is called in names: its everyday word, the word's plural, its topic, and whether the label itself may be printed. */
export interface ClassEntry {
  label: string;
  word: string;
  words: string;
  topic: Topic;
  /** The label reads fine in a room name (the table's "+", or the label is the word). */
  fit: boolean;
}

/** COCO detector labels, said the way people say them in `labels`. */
const DETECTOR_NAMES: Record<string, string> = {
  cup: "coffee cup",
  "cell phone": "phone",
  tv: "TV",
  "sports ball": "ball",
  "dining table": "dinner table",
  "potted plant": "houseplant",
  "hair drier": "hair dryer",
};

const LINE = /^(?:(\d+) )?(.+?)(?: > ([^@/]+?)(?:\/([^@]+?))?)? @([a-z-]+)( \+)?$/;

function parseTable(text: string): (ClassEntry & { index?: number })[] {
  return text
    .trim()
    .split("\n")
    .map((line) => {
      const match = LINE.exec(line.trim());
      if (!match) throw new Error(`lexicon: cannot read the class table line "${line}"`);
      const [, index, label, word, plural, topic, plus] = match as unknown as [
        string,
        string | undefined,
        string,
        string | undefined,
        string | undefined,
        string,
        string | undefined,
      ];
      const everyday = word ?? label;
      return {
        index: index === undefined ? undefined : Number(index),
        label,
        word: everyday,
        words: plural ?? pluralOf(everyday),
        topic: topicById(topic),
        // A label inside its own everyday word ("buckle" in "belt buckle") is fit by that word.
        fit: plus !== undefined || new RegExp(`(^|\\s)${label.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\s|$)`).test(everyday.toLowerCase()),
      };
    });
}

/** Regular English plurals of the last word ("tandem bike" → "tandem bikes"); the table spells out the rest. */
export function pluralOf(word: string): string {
  if (/(s|x|z|ch|sh)$/i.test(word)) return `${word}es`;
  if (/[^aeiou]y$/i.test(word)) return `${word.slice(0, -1)}ies`;
  return `${word}s`;
}

const IMAGENET_ANIMAL_CLASSES = 398;
const require = createRequire(import.meta.url);
const imagenetClasses = (require("@tensorflow-models/mobilenet/dist/imagenet_classes.js") as { IMAGENET_CLASSES: Record<number, string> }).IMAGENET_CLASSES;

/** Every ImageNet class by its full synonym list and kind (the list alone repeats for "crane"). */
const classEntries = new Map<string, ClassEntry>();
export const IMAGENET_ENTRIES: ClassEntry[] = [];
for (const entry of parseTable(CLASS_TABLE)) {
  const index = entry.index!;
  const synonyms = imagenetClasses[index]!.split(",").map((name) => name.trim());
  if (synonyms[0] !== entry.label) throw new Error(`lexicon: class ${index} is "${synonyms[0]}", the table says "${entry.label}"`);
  classEntries.set(classKey(synonyms, index < IMAGENET_ANIMAL_CLASSES), entry);
  IMAGENET_ENTRIES[index] = entry;
}
export const DETECTOR_ENTRIES = new Map(parseTable(DETECTOR_TABLE).map((entry) => [entry.label, entry]));

function classKey(synonyms: string[], isAnimalClass: boolean | undefined): string {
  return `${isAnimalClass ? "animal" : "thing"}|${synonyms.join(", ")}`;
}

/** The table's entry for a classifier label; a label it does not know keeps its own words and no topic. */
export function classEntry(synonyms: string[], isAnimalClass?: boolean): ClassEntry {
  return (
    classEntries.get(classKey(synonyms, isAnimalClass)) ??
    classEntries.get(classKey(synonyms, !isAnimalClass)) ?? {
      label: synonyms[0]!,
      word: synonyms[0]!,
      words: pluralOf(synonyms[0]!),
      topic: MYSTERY,
      fit: true,
    }
  );
}

export function detectorEntry(label: string): ClassEntry {
  return DETECTOR_ENTRIES.get(label) ?? { label, word: label, words: pluralOf(label), topic: MYSTERY, fit: true };
}

export interface MergedScene extends Scene {
  labels: Label[];
}

/** Labels reported: at least five, and always all of the classifier's five besides what the detector puts first. */
export const CLASSIFIER_LABELS = 5;

function concept(label: string, score: number, source: Concept["source"], entry: ClassEntry, area?: number): Concept {
  return { label, score, source, topic: entry.topic, word: entry.word, words: entry.words, fit: entry.fit, ...(area === undefined ? {} : { area }) };
}

/** Whether two topics are one the other's ancestor (a "bird" box agrees with a goldfinch). */
function related(a: Topic, b: Topic): boolean {
  return lineage(a).includes(b) || lineage(b).includes(a);
}

/**
 * Merges what the classifier and the detector saw. The classifier (ImageNet) names things
 * precisely but knows no "person"; the detector (COCO) finds people, faces and everyday objects.
 * - People lead when they fill the photo and the classifier is unsure.
 * - A detected object leads only when the classifier has no topic of its own: its guesses in one
 *   topic add up (three cat breeds at 0.2 each are a confident cat), so a 0.5 "dog" box never
 *   renames a cat.
 * - Otherwise the classifier's ranking stands; detector agreement re-ranks within it (a "cat" box
 *   lifts the cat breeds), and detector-only objects follow.
 * The labels keep all five classifier guesses: the detector adds to them, never pushes them out.
 */
export function mergeConcepts(classifications: Classification[], detections: Detection[], confidentFaces: number): MergedScene {
  const persons = detections.filter((d) => d.label === "person" && d.score >= 0.5);
  const people = Math.max(persons.length, confidentFaces);
  const personArea = persons.reduce((sum, d) => sum + d.area, 0);
  const topClassScore = classifications[0]?.score ?? 0;

  const detectedByLabel = new Map<string, Detection>();
  for (const detection of detections) {
    if (detection.label === "person") continue;
    const best = detectedByLabel.get(detection.label);
    if (!best || detection.score > best.score) detectedByLabel.set(detection.label, detection);
  }
  const detected: Concept[] = [...detectedByLabel.values()]
    .sort((a, b) => b.score * Math.sqrt(b.area) - a.score * Math.sqrt(a.area))
    .map((d) => concept(DETECTOR_NAMES[d.label] ?? d.label, d.score, "detector", detectorEntry(d.label), d.area));
  const confidentBoxes = detected.filter((c) => c.score >= 0.5);

  const classified: Concept[] = classifications
    .slice(0, CLASSIFIER_LABELS)
    .map((c) => concept(c.synonyms[0]!, c.score, "classifier", classEntry(c.synonyms, c.isAnimalClass)))
    // A detector box in a related topic is a second opinion: a small lift, enough to break near-ties.
    .map((guess, rank) => {
      const agreement = Math.max(0, ...confidentBoxes.filter((box) => related(box.topic, guess.topic)).map((box) => box.score));
      return { guess, weight: guess.score * (1 + 0.5 * agreement) - rank * 1e-6 };
    })
    .sort((a, b) => b.weight - a.weight)
    .map(({ guess }) => guess);
  const topicMass = new Map<Topic, number>();
  for (const guess of classified) if (guess.topic !== MYSTERY) topicMass.set(guess.topic, (topicMass.get(guess.topic) ?? 0) + guess.score);
  const strongestTopic = Math.max(0, ...topicMass.values());

  const promoted: Concept[] = [];
  if (people > 0 && personArea >= 0.15 && topClassScore < 0.5) {
    const score = Math.max(...persons.map((p) => p.score), 0.5);
    promoted.push(concept(people === 1 ? "person" : "people", score, "detector", detectorEntry("person"), personArea));
  }
  const leadingObject = detected[0];
  if (leadingObject && leadingObject.score >= 0.6 && topClassScore < 0.2 && strongestTopic < 0.3) promoted.push(leadingObject);
  const concepts: Concept[] = [];
  for (const next of [...promoted, ...classified, ...detected]) {
    if (!concepts.some((existing) => existing.label.toLowerCase() === next.label.toLowerCase())) concepts.push(next);
  }
  const labeled = Math.max(CLASSIFIER_LABELS, promoted.length + classified.length);
  return {
    concepts,
    people,
    labels: concepts.slice(0, labeled).map((c) => ({ label: c.label, score: Math.round(c.score * 1000) / 1000 })),
  };
}
