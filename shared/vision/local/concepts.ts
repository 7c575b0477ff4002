import type { Label } from "../../domain/types.js";
import type { Concept, Scene } from "./naming.js";
import { GENERIC_THEME, THEMES, type Theme } from "./themes.js";
import { ancestors, resolveLabel, synset } from "./wordnet.js";

/** A classifier guess: the label's synonyms (first is the display name) and its probability. */
export interface Classification {
  synonyms: string[];
  score: number;
  /** True for ImageNet's animal classes: disambiguates "crane" the bird from "crane" the machine. */
  isAnimalClass?: boolean;
}

/** A detector box: COCO label, confidence and the share of the image it covers (0..1). */
export interface Detection {
  label: string;
  score: number;
  area: number;
}

/** COCO detector labels, said the way people say them. */
const DETECTOR_NAMES: Record<string, string> = {
  cup: "coffee cup",
  "cell phone": "phone",
  tv: "TV",
  "sports ball": "ball",
  "dining table": "dinner table",
  "potted plant": "houseplant",
  "hair drier": "hair dryer",
  "wine glass": "wine glass",
};

const anchorThemes = new Map<string, Theme>();
const keywordThemes = new Map<string, Theme>();
for (const theme of THEMES) {
  for (const anchor of theme.anchors) if (!anchorThemes.has(anchor.toLowerCase())) anchorThemes.set(anchor.toLowerCase(), theme);
  for (const keyword of theme.keywords ?? []) if (!keywordThemes.has(keyword)) keywordThemes.set(keyword, theme);
}
const themeCache = new Map<string, Theme>();

const senseCache = new Map<string, number | undefined>();

/** The WordNet synset a label means (falling back to its head noun: "black and gold garden spider" → "spider"). */
export function senseOf(synonyms: string[], isAnimalClass?: boolean): number | undefined {
  const cacheKey = `${synonyms.join("|")}|${isAnimalClass}`;
  if (!senseCache.has(cacheKey)) {
    senseCache.set(cacheKey, resolveLabel(synonyms, isAnimalClass) ?? resolveLabel([synonyms[0]!.split(" ").at(-1)!], isAnimalClass));
  }
  return senseCache.get(cacheKey);
}

/** The theme of a concept: a curated keyword, else its nearest WordNet ancestor that anchors a theme. */
export function themeOf(synonyms: string[], isAnimalClass?: boolean): Theme {
  const cacheKey = `${synonyms.join("|")}|${isAnimalClass}`;
  const cached = themeCache.get(cacheKey);
  if (cached) return cached;
  let theme = keywordThemes.get(synonyms[0]!.toLowerCase());
  if (!theme) {
    const offset = senseOf(synonyms, isAnimalClass);
    if (offset !== undefined) {
      for (const node of [synset(offset), ...ancestors(offset)]) {
        theme = node.words.map((word) => anchorThemes.get(word.toLowerCase())).find(Boolean);
        if (theme) break;
      }
    }
  }
  theme ??= GENERIC_THEME;
  themeCache.set(cacheKey, theme);
  return theme;
}

export interface MergedScene extends Scene {
  labels: Label[];
}

/** Labels reported: at least five, and always all of the classifier's five besides what the detector puts first. */
export const CLASSIFIER_LABELS = 5;

/**
 * Merges what the classifier and the detector saw. The classifier (ImageNet) names things
 * precisely but knows no "person"; the detector (COCO) finds people, faces and everyday objects.
 * - People lead when they fill the photo and the classifier is unsure.
 * - A detected object leads only when the classifier has no theme of its own: its guesses in one
 *   theme add up (three cat breeds at 0.2 each are a confident cat), so a 0.5 "dog" box never
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
    .map((d) => ({ label: DETECTOR_NAMES[d.label] ?? d.label, score: d.score, source: "detector", theme: themeOf([d.label]), sense: senseOf([d.label]) }));
  const detectedThemes = new Map<string, number>();
  for (const concept of detected) if (concept.score >= 0.5) detectedThemes.set(concept.theme.id, Math.max(detectedThemes.get(concept.theme.id) ?? 0, concept.score));

  const classified: Concept[] = classifications
    .slice(0, CLASSIFIER_LABELS)
    .map((c): Concept => ({ label: c.synonyms[0]!, score: c.score, source: "classifier", theme: themeOf(c.synonyms, c.isAnimalClass), sense: senseOf(c.synonyms, c.isAnimalClass) }))
    // A detector box in the same theme is a second opinion: a small lift, enough to break near-ties.
    .map((concept, rank) => ({ concept, weight: concept.score * (1 + 0.5 * (detectedThemes.get(concept.theme.id) ?? 0)) - rank * 1e-6 }))
    .sort((a, b) => b.weight - a.weight)
    .map(({ concept }) => concept);
  const themeMass = new Map<string, number>();
  for (const concept of classified) themeMass.set(concept.theme.id, (themeMass.get(concept.theme.id) ?? 0) + concept.score);
  const strongestTheme = Math.max(0, ...[...themeMass].filter(([id]) => id !== GENERIC_THEME.id).map(([, mass]) => mass));

  const promoted: Concept[] = [];
  if (people > 0 && personArea >= 0.15 && topClassScore < 0.5) {
    promoted.push({ label: people === 1 ? "person" : "people", score: Math.max(...persons.map((p) => p.score), 0.5), source: "detector", theme: themeOf(["person"]) });
  }
  const leadingObject = detected[0];
  if (leadingObject && leadingObject.score >= 0.6 && topClassScore < 0.2 && strongestTheme < 0.3) promoted.push(leadingObject);
  const concepts: Concept[] = [];
  for (const concept of [...promoted, ...classified, ...detected]) {
    if (!concepts.some((existing) => existing.label.toLowerCase() === concept.label.toLowerCase())) concepts.push(concept);
  }
  const labelled = Math.max(CLASSIFIER_LABELS, promoted.length + classified.length);
  return {
    concepts,
    people,
    labels: concepts.slice(0, labelled).map((concept) => ({ label: concept.label, score: Math.round(concept.score * 1000) / 1000 })),
  };
}
