import type { Style } from "../styles.js";
import { mergeConcepts } from "./concepts.js";
import { localModels, type RgbImage } from "./models.js";
import { planNames, type Palette } from "./naming.js";
import type { Label, Suggestion } from "../../domain/types.js";

/** What the models need: the detector's copy and the classifier's crop and mirror image (RGB). */
export interface InferenceTask {
  modelDir: string;
  full: RgbImage;
  crop: RgbImage;
  mirrored: RgbImage;
  style?: Style;
  /** The caller's description of the room: its words steer the themes where they match (purposes.ts). */
  context?: string;
}

export interface InferenceResult {
  suggestions: Suggestion[];
  labels: Label[];
  raw: Record<string, unknown>;
}

/** Mean colour and spread of the detector's copy, and its share of each hue: what the names fall back on when nothing is recognised. */
export function palette(image: RgbImage): Palette {
  const sums = [0, 0, 0];
  const squares = [0, 0, 0];
  const hues = new Array<number>(12).fill(0);
  let light = 0;
  let dark = 0;
  const pixels = image.data.length / 3;
  for (let i = 0; i < image.data.length; i += 3) {
    const r = image.data[i]!;
    const g = image.data[i + 1]!;
    const b = image.data[i + 2]!;
    sums[0]! += r;
    sums[1]! += g;
    sums[2]! += b;
    squares[0]! += r * r;
    squares[1]! += g * g;
    squares[2]! += b * b;
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    const chroma = max - min;
    if (min >= 215) light++;
    else if (max <= 50) dark++;
    // Clearly coloured: saturated and not too dark.
    if (chroma >= 50 && chroma >= 0.3 * max && max >= 70) {
      const sector = max === r ? (g - b) / chroma : max === g ? 2 + (b - r) / chroma : 4 + (r - g) / chroma;
      hues[Math.floor((((sector * 60 + 15) % 360) + 360) % 360 / 30)]!++;
    }
  }
  const mean = sums.map((sum) => sum / pixels) as [number, number, number];
  const spread = Math.sqrt(squares.reduce((total, square, c) => total + square / pixels - mean[c]! ** 2, 0) / 3);
  return { mean, spread, hues: hues.map((count) => count / pixels), light: light / pixels, dark: dark / pixels };
}

/**
 * The CPU-heavy part of a local analysis (TensorFlow.js inference, then naming): the same code in
 * the main thread or in a worker of the pool (pool.ts). Throws LocalModelError when models cannot load.
 */
export async function runInference(task: InferenceTask): Promise<InferenceResult> {
  const models = await localModels(task.modelDir);
  // The crop and its mirror image, averaged: classifier top-1 on the dev photos 84.0 → 84.8 % (top-5 unchanged).
  const classifications = await models.classifier.classify([task.crop, task.mirrored], 5);
  const detected = await models.detector.detect(task.full);
  const scene = { ...mergeConcepts(classifications, detected.objects, detected.faces), palette: palette(task.full) };
  const { reading, suggestions } = planNames(scene, task.style, task.context);
  return {
    suggestions,
    labels: scene.labels,
    raw: {
      provider: "local",
      concepts: scene.concepts.map((concept) => ({ label: concept.label, score: concept.score, source: concept.source, topic: concept.topic.id, word: concept.word })),
      // What the names are about ("thing", "topic", "people" or "none"): npm run eval checks it against the true class.
      subject: { word: reading.subject.word, topic: reading.subject.topic.id, level: reading.subject.level },
      people: scene.people,
      faces: detected.faces,
      objects: detected.objects,
    },
  };
}
