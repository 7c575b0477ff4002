import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createVisionDeps } from "../../shared/runtime/vision-context.js";
import { analyzeImageBytes, type FileAnalysis } from "../../shared/usecases/analyze-file.js";
import { localModels, shippedClassifierDir } from "../../shared/vision/local/models.js";
import { median, percentile } from "../bench/stats.js";
import { relevance, subjectTerms } from "./relevance.js";
import { sameness, type Sameness } from "./sameness.js";

export const EVAL_DIR = "../shared/eval/imagenet-dev";
/** Google's float32 MobileNet, the reference the shipped quantised copy is measured against. */
export const FLOAT_MODEL_DIR = "../shared/models/mobilenet_v1_0.75_224";

interface Truth {
  file: string;
  wnid: string;
  label: string;
}

export async function readTruth(dir = EVAL_DIR): Promise<Truth[]> {
  const lines = (await readFile(join(dir, "labels.tsv"), "utf8")).trim().split("\n").slice(1);
  return lines.map((line) => {
    const [file, wnid, label] = line.split("\t") as [string, string, string];
    return { file, wnid, label };
  });
}

const classes = (createRequire(import.meta.url)("@tensorflow-models/mobilenet/dist/imagenet_classes.js") as { IMAGENET_CLASSES: Record<number, string> }).IMAGENET_CLASSES;

/** The class's synonyms; for names used twice ("crane") the WordNet id says animal (n01/n02) or not. */
function classSynonyms(truth: Truth): { synonyms: string[]; isAnimalClass: boolean } {
  const isAnimalClass = truth.wnid.startsWith("n01") || truth.wnid.startsWith("n02");
  for (let index = 0; index < 1000; index++) {
    const synonyms = classes[index]!.split(",").map((name) => name.trim());
    if (synonyms[0]!.toLowerCase() === truth.label.toLowerCase() && index < 398 === isAnimalClass) return { synonyms, isAnimalClass };
  }
  return { synonyms: [truth.label], isAnimalClass };
}

export interface EvalResult {
  photos: number;
  model: string;
  /** The true class among the first five labels the provider reports. */
  top5Accuracy: number;
  /** The same for the classifier's own five guesses, before the detector's evidence is merged. */
  classifierTop5Accuracy: number;
  top1Accuracy: number;
  meanRelevance: number;
  sameness: { names: Sameness; descriptions: Sameness };
  medianMs: number;
  p95Ms: number;
  firstMs: number;
  loadMs: number;
  peakRssMb: number;
  examples: { file: string; labels: string[]; names: string[] }[];
}

/**
 * Runs the local provider over the dev photos and scores it (relevance.ts and sameness.ts are the
 * scorers). `modelDir`: a classifier other than the shipped one (e.g. FLOAT_MODEL_DIR).
 */
export async function evaluateLocal(options: { limit?: number; modelDir?: string; onProgress?: (done: number, total: number) => void } = {}): Promise<EvalResult> {
  const deps = createVisionDeps({ region: "us-east-1" }, { PHOTO_ANALYSIS_VISION_PROVIDER: "local", PHOTO_ANALYSIS_LOCAL_MODEL_DIR: options.modelDir });
  const loadStarted = performance.now();
  await localModels(options.modelDir ?? shippedClassifierDir());
  const loadMs = performance.now() - loadStarted;

  let truths = await readTruth();
  if (options.limit) {
    // An even spread over the classes, not just the first (animal) ones.
    const step = truths.length / options.limit;
    truths = Array.from({ length: options.limit }, (_, i) => truths[Math.floor(i * step)]!);
  }
  const times: number[] = [];
  let hits = 0;
  let classifierHits = 0;
  let top1Hits = 0;
  let relevanceSum = 0;
  let model = "";
  const outputs: { labels: string[]; suggestions: FileAnalysis["suggestions"] }[] = [];
  const examples: EvalResult["examples"] = [];
  for (const [index, truth] of truths.entries()) {
    const result: FileAnalysis = await analyzeImageBytes(deps, await readFile(join(EVAL_DIR, truth.file)));
    times.push(result.ms);
    const { synonyms, isAnimalClass } = classSynonyms(truth);
    const wanted = new Set(synonyms.map((name) => name.toLowerCase()));
    const matches = (label: string) => wanted.has(label.toLowerCase());
    if (result.labels.slice(0, 5).some((label) => matches(label.label))) hits++;
    if (result.labels[0] && matches(result.labels[0].label)) top1Hits++;
    const concepts = (result.raw as { concepts: { label: string; source: string }[] }).concepts;
    if (concepts.filter((concept) => concept.source === "classifier").some((concept) => matches(concept.label))) classifierHits++;
    model = result.model;
    outputs.push({ labels: result.labels.map((label) => label.label), suggestions: result.suggestions });
    relevanceSum += relevance(result.suggestions, subjectTerms(synonyms, isAnimalClass));
    if (examples.length < 10 && index % Math.max(1, Math.floor(truths.length / 10)) === 0) {
      examples.push({ file: truth.file, labels: result.labels.map((l) => l.label), names: result.suggestions.map((s) => s.name) });
    }
    options.onProgress?.(index + 1, truths.length);
  }
  const [first, ...warm] = times;
  return {
    photos: truths.length,
    model,
    top5Accuracy: hits / truths.length,
    classifierTop5Accuracy: classifierHits / truths.length,
    top1Accuracy: top1Hits / truths.length,
    sameness: { names: sameness(outputs, "name"), descriptions: sameness(outputs, "description") },
    meanRelevance: relevanceSum / truths.length,
    medianMs: median(warm.length ? warm : times),
    p95Ms: percentile(warm.length ? warm : times, 95),
    firstMs: first ?? 0,
    loadMs,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    examples,
  };
}
