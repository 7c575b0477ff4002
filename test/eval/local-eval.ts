import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Suggestion } from "../../shared/domain/types.js";
import { createAnalysis } from "../../shared/runtime/analysis.js";
import { createAppDeps } from "../../shared/runtime/app-deps.js";
import { runtimeEnvironmentFrom } from "../../shared/runtime/environment.js";
import { analyzeImageBytes, type FileAnalysis } from "../../shared/usecases/analyze-file.js";
import { localModels, shippedClassifierDir } from "../../shared/vision/local/models.js";
import { STYLE_NAMES, type Style } from "../../shared/domain/styles.js";
import { median, percentile } from "../bench/stats.js";
import { isAnimalWnid, isSubjectWrong, type NamedSubject, nameLengths, namingQuality, type NamingQuality, truthEntry } from "./naming-measures.js";
import { everydayTerms, relevance, subjectTerms } from "./relevance.js";
import { sameness, type Sameness } from "./sameness.js";

export const EVAL_DIR = "../shared/eval/imagenet-dev";
/** Google's float32 MobileNet, the reference the shipped quantised copy is measured against. */
export const FLOAT_MODEL_DIR = "../shared/models/mobilenet_v1_0.75_224";

export interface Truth {
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

/** The dev photos to use: all, or `limit` spread evenly over the classes (not just the first, animal, ones). */
export function spread<T>(items: T[], limit?: number): T[] {
  if (!limit || limit >= items.length) return items;
  const step = items.length / limit;
  return Array.from({ length: limit }, (_, i) => items[Math.floor(i * step)]!);
}

const classes = (createRequire(import.meta.url)("@tensorflow-models/mobilenet/dist/imagenet_classes.js") as { IMAGENET_CLASSES: Record<number, string> })
  .IMAGENET_CLASSES;

/** The class's synonyms; for names used twice ("crane") the WordNet id says animal or not. */
export function classSynonyms(truth: Truth): { synonyms: string[]; isAnimalClass: boolean } {
  const isAnimalClass = isAnimalWnid(truth.wnid);
  for (let index = 0; index < 1000; index++) {
    const synonyms = classes[index]!.split(",").map((name) => name.trim());
    if (synonyms[0]!.toLowerCase() === truth.label.toLowerCase() && index < 398 === isAnimalClass) return { synonyms, isAnimalClass };
  }
  return { synonyms: [truth.label], isAnimalClass };
}

export interface StyleFigures {
  chars: number;
  words: number;
  /** Share of one- or two-word names. */
  shortShare: number;
  /** Share of its names that the default list of the same photo also has. */
  sharedWithDefault: number;
}

export interface EvalResult {
  photos: number;
  /** Dev photos the moderation policy blocked: not analysed, so not scored. */
  blocked: string[];
  model: string;
  /** The true class among the first five labels the provider reports. */
  top5Accuracy: number;
  /** The same for the classifier's own five guesses, before the detector's evidence is merged. */
  classifierTop5Accuracy: number;
  top1Accuracy: number;
  /** Share of suggestions that mention the true class: its WordNet terms or the words people use for it (relevance.ts). */
  meanRelevance: number;
  /** The same with the WordNet terms alone (the measure before names used everyday words). */
  wordnetRelevance: number;
  sameness: { names: Sameness; descriptions: Sameness };
  naming: NamingQuality;
  /** Photos whose names are about the wrong subject (naming-measures.ts), and those named for nothing in particular. */
  wrongSubject: { share: number; files: string[] };
  unnamedShare: number;
  /** Photos analysed twice with the same answer, of those tried. */
  repeatable: { same: number; tried: number };
  styles: { photos: number; byStyle: Record<"default" | Style, StyleFigures> };
  medianMs: number;
  p95Ms: number;
  firstMs: number;
  loadMs: number;
  peakRssMb: number;
  examples: { file: string; labels: string[]; names: string[] }[];
}

/**
 * Runs the local provider over the dev photos and scores it (relevance.ts, sameness.ts and
 * naming-measures.ts are the scorers). `modelDir`: a classifier other than the shipped one (e.g.
 * FLOAT_MODEL_DIR). Every `styleEvery`-th photo (none for 0) is also named in each style, for the
 * style figures, and the first `repeats` photos are analysed twice, to see the same names again.
 */
export async function evaluateLocal(
  options: { limit?: number; modelDir?: string; styleEvery?: number; repeats?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<EvalResult> {
  // Settings from this environment alone (no config file); the evaluation stores nothing.
  const env = { PHOTO_ANALYSIS_VISION_PROVIDER: "local", PHOTO_ANALYSIS_LOCAL_MODEL_DIR: options.modelDir };
  const runtime = runtimeEnvironmentFrom(env, { tableName: "unused", configFile: undefined });
  const deps = createAppDeps({ runtime, env, ...createAnalysis(runtime, env) });
  const loadStarted = performance.now();
  await localModels(options.modelDir ?? shippedClassifierDir());
  const loadMs = performance.now() - loadStarted;
  const styleEvery = options.styleEvery ?? 5;
  const repeats = options.repeats ?? 10;

  const truths = spread(await readTruth(), options.limit);
  const times: number[] = [];
  const blocked: string[] = [];
  let scored = 0;
  let hits = 0;
  let classifierHits = 0;
  let top1Hits = 0;
  let relevanceSum = 0;
  let wordnetRelevanceSum = 0;
  let unnamed = 0;
  const wrong: string[] = [];
  let model = "";
  const outputs: { labels: string[]; suggestions: Suggestion[] }[] = [];
  const styleLists: Record<"default" | Style, Suggestion[][]> = { default: [], playful: [], professional: [], short: [], cozy: [] };
  const shared: Record<Style, number[]> = { playful: [], professional: [], short: [], cozy: [] };
  const repeatable = { same: 0, tried: 0 };
  const examples: EvalResult["examples"] = [];
  for (const [index, truth] of truths.entries()) {
    const bytes = await readFile(join(EVAL_DIR, truth.file));
    const result: FileAnalysis = await analyzeImageBytes(deps, bytes);
    options.onProgress?.(index + 1, truths.length);
    // A photo the moderation policy blocks gets no analysis (labels and suggestions are empty): nothing to score.
    if (result.moderation?.decision === "block") {
      blocked.push(truth.file);
      continue;
    }
    scored++;
    times.push(result.ms);
    const { synonyms, isAnimalClass } = classSynonyms(truth);
    const wanted = new Set(synonyms.map((name) => name.toLowerCase()));
    const matches = (label: string) => wanted.has(label.toLowerCase());
    if (result.labels.slice(0, 5).some((label) => matches(label.label))) hits++;
    if (result.labels[0] && matches(result.labels[0].label)) top1Hits++;
    const raw = result.raw as { concepts?: { label: string; source: string }[]; subject?: NamedSubject } | null;
    if ((raw?.concepts ?? []).filter((concept) => concept.source === "classifier").some((concept) => matches(concept.label))) classifierHits++;
    model = result.model;
    outputs.push({ labels: result.labels.map((label) => label.label), suggestions: result.suggestions });
    const terms = subjectTerms(synonyms, isAnimalClass);
    const entry = truthEntry(truth.label, truth.wnid);
    wordnetRelevanceSum += relevance(result.suggestions, terms);
    relevanceSum += relevance(result.suggestions, entry ? [...new Set([...terms, ...everydayTerms(entry)])] : terms);
    if (raw?.subject && entry) {
      const isWrong = isSubjectWrong(raw.subject, entry);
      if (isWrong === undefined) unnamed++;
      else if (isWrong) wrong.push(`${truth.file} (named ${raw.subject.level} "${raw.subject.word}", is ${entry.word})`);
    }
    if (index < repeats) {
      repeatable.tried++;
      const again = await analyzeImageBytes(deps, bytes);
      if (JSON.stringify(again.suggestions) === JSON.stringify(result.suggestions)) repeatable.same++;
    }
    if (styleEvery > 0 && index % styleEvery === 0) {
      styleLists.default.push(result.suggestions);
      const defaultNames = new Set(result.suggestions.map((s) => s.name));
      for (const style of STYLE_NAMES) {
        const styled = await analyzeImageBytes(deps, bytes, style);
        styleLists[style].push(styled.suggestions);
        shared[style].push(styled.suggestions.filter((s) => defaultNames.has(s.name)).length / styled.suggestions.length);
      }
    }
    if (examples.length < 10 && index % Math.max(1, Math.floor(truths.length / 10)) === 0) {
      examples.push({ file: truth.file, labels: result.labels.map((l) => l.label), names: result.suggestions.map((s) => s.name) });
    }
  }
  const [first, ...warm] = times;
  const share = (n: number) => (scored ? n / scored : 0);
  const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);
  const byStyle = Object.fromEntries(
    (["default", ...STYLE_NAMES] as const).map((style) => [
      style,
      { ...nameLengths(styleLists[style]), sharedWithDefault: style === "default" ? 1 : mean(shared[style]) },
    ]),
  ) as Record<"default" | Style, StyleFigures>;
  return {
    photos: scored,
    blocked,
    model,
    top5Accuracy: share(hits),
    classifierTop5Accuracy: share(classifierHits),
    top1Accuracy: share(top1Hits),
    sameness: { names: sameness(outputs, "name"), descriptions: sameness(outputs, "description") },
    meanRelevance: share(relevanceSum),
    wordnetRelevance: share(wordnetRelevanceSum),
    naming: namingQuality(outputs),
    wrongSubject: { share: share(wrong.length), files: wrong },
    unnamedShare: share(unnamed),
    repeatable,
    styles: { photos: styleLists.default.length, byStyle },
    medianMs: times.length ? median(warm.length ? warm : times) : 0,
    p95Ms: times.length ? percentile(warm.length ? warm : times, 95) : 0,
    firstMs: first ?? 0,
    loadMs,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    examples,
  };
}
