import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createVisionDeps } from "../../shared/runtime/vision-context.js";
import { analyzeImageBytes, type FileAnalysis } from "../../shared/usecases/analyze-file.js";
import { localModels } from "../../shared/vision/local/models.js";
import { median, percentile } from "../bench/stats.js";
import { relevance, subjectTerms } from "./relevance.js";

export const EVAL_DIR = "../shared/eval/imagenet-dev";
export const MODEL_DIR = "../shared/models/mobilenet_v1_0.75_224";

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
  top5Accuracy: number;
  meanRelevance: number;
  medianMs: number;
  p95Ms: number;
  firstMs: number;
  loadMs: number;
  peakRssMb: number;
  examples: { file: string; labels: string[]; names: string[] }[];
}

/** Runs the local provider over the dev photos and scores it (see relevance.ts for the scorer). */
export async function evaluateLocal(options: { limit?: number; modelDir?: string; onProgress?: (done: number, total: number) => void } = {}): Promise<EvalResult> {
  const modelDir = options.modelDir ?? MODEL_DIR;
  const deps = createVisionDeps({ region: "us-east-1" }, { PHOTO_ANALYSIS_VISION_PROVIDER: "local", PHOTO_ANALYSIS_LOCAL_MODEL_DIR: modelDir });
  const loadStarted = performance.now();
  await localModels(modelDir);
  const loadMs = performance.now() - loadStarted;

  let truths = await readTruth();
  if (options.limit) {
    // An even spread over the classes, not just the first (animal) ones.
    const step = truths.length / options.limit;
    truths = Array.from({ length: options.limit }, (_, i) => truths[Math.floor(i * step)]!);
  }
  const times: number[] = [];
  let hits = 0;
  let relevanceSum = 0;
  const examples: EvalResult["examples"] = [];
  for (const [index, truth] of truths.entries()) {
    const result: FileAnalysis = await analyzeImageBytes(deps, await readFile(join(EVAL_DIR, truth.file)));
    times.push(result.ms);
    const { synonyms, isAnimalClass } = classSynonyms(truth);
    const wanted = new Set(synonyms.map((name) => name.toLowerCase()));
    if (result.labels.some((label) => wanted.has(label.label.toLowerCase()))) hits++;
    relevanceSum += relevance(result.suggestions, subjectTerms(synonyms, isAnimalClass));
    if (examples.length < 5 && index % Math.max(1, Math.floor(truths.length / 5)) === 0) {
      examples.push({ file: truth.file, labels: result.labels.map((l) => l.label), names: result.suggestions.map((s) => s.name) });
    }
    options.onProgress?.(index + 1, truths.length);
  }
  const [first, ...warm] = times;
  return {
    photos: truths.length,
    top5Accuracy: hits / truths.length,
    meanRelevance: relevanceSum / truths.length,
    medianMs: median(warm.length ? warm : times),
    p95Ms: percentile(warm.length ? warm : times, 95),
    firstMs: first ?? 0,
    loadMs,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    examples,
  };
}
