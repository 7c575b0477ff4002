import type { Style } from "../../domain/styles.js";
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

/** Threads that run the models (shared/inference/pool.ts) instead of the calling thread (runInference). */
export interface LocalInference {
  run(task: InferenceTask): Promise<InferenceResult>;
  /** Loads the models (in every thread) now rather than on the first task. */
  warmUp(modelDir: string): Promise<void>;
}

/** Pixels the palette looks at: one in four is plenty for a mean and a share of hues, and cheap. */
const PALETTE_STRIDE = 4;

/** Mean colour and spread of the detector's copy, and its share of each hue: what the names fall back on when nothing is recognised. */
export function palette(image: RgbImage): Palette {
  const data = image.data;
  let [sumR, sumG, sumB, squares] = [0, 0, 0, 0];
  const hues = new Array<number>(12).fill(0);
  let light = 0;
  let dark = 0;
  let pixels = 0;
  for (let i = 0; i + 2 < data.length; i += 3 * PALETTE_STRIDE) {
    const r = data[i]!;
    const g = data[i + 1]!;
    const b = data[i + 2]!;
    pixels++;
    sumR += r;
    sumG += g;
    sumB += b;
    squares += r * r + g * g + b * b;
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    const chroma = max - min;
    if (min >= 215) light++;
    else if (max <= 50) dark++;
    // Clearly coloured: saturated and not too dark. Bins of 30° centred on red (0°), orange (30°)…
    if (chroma >= 50 && chroma >= 0.3 * max && max >= 70) {
      const sector = max === r ? (g - b) / chroma : max === g ? 2 + (b - r) / chroma : 4 + (r - g) / chroma;
      hues[Math.floor(((((sector * 60 + 15) % 360) + 360) % 360) / 30)]!++;
    }
  }
  const count = Math.max(1, pixels);
  const mean: [number, number, number] = [sumR / count, sumG / count, sumB / count];
  const spread = Math.sqrt(Math.max(0, (squares / count - mean[0] ** 2 - mean[1] ** 2 - mean[2] ** 2) / 3));
  return { mean, spread, hues: hues.map((n) => n / count), light: light / count, dark: dark / count };
}

/**
 * The CPU-heavy part of a local analysis (the models in onnxruntime, then naming): the same code in
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
      concepts: scene.concepts.map((concept) => ({
        label: concept.label,
        score: concept.score,
        source: concept.source,
        topic: concept.topic.id,
        word: concept.word,
      })),
      // What the names are about ("thing", "topic", "people" or "none"): npm run eval checks it against the true class.
      subject: { word: reading.subject.word, topic: reading.subject.topic.id, level: reading.subject.level },
      people: scene.people,
      faces: detected.faces,
      objects: detected.objects,
    },
  };
}
