import { existsSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Classification } from "./concepts.js";
import { loadDetector, type Detector } from "./detector.js";
import { openLayersModel, openTfliteModel, planarBatch, type OnnxImageModel, type TfjsLayersModel } from "../../onnx/runtime.js";

/**
 * The local models, in onnxruntime-node. Everything comes from disk, as TF.js models converted to
 * ONNX in memory when loaded (shared/onnx/): the ImageNet classifier is the project's quantised MobileNet
 * (models/, made by bin/quantize-model.ts) unless PHOTO_ANALYSIS_LOCAL_MODEL_DIR names another TF.js
 * ImageNet layers model; the detector's weights ship in @vladmandic/human's package (detector.ts).
 * Loaded once per process, lazily; concurrent first requests share one load.
 */

const require = createRequire(import.meta.url);

export class LocalModelError extends Error {
  override name = "LocalModelError";
}

export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

// ---- ImageNet classifier (TF.js layers model from a directory) ----

/** The classifier the project ships (see models/NOTICE). */
export const SHIPPED_CLASSIFIER = "mobilenet_v1_0.75_224_quant";

/**
 * A second ImageNet classifier beside the shipped one in models/ (see models/NOTICE), an 8-bit
 * TensorFlow Lite MobileNet v2: the shipped classifier's probabilities are averaged with its own.
 * Its directory holds the .tflite file in parts (model.tflite.part1of2, …), each under 2 MB as the
 * shipped classifier's weight shards are, so that no committed file is large.
 */
export const SHIPPED_COMPANION = "mobilenet_v2_1.0_224_quant";

/** The companion's parts in order (`model.tflite.part<i>of<n>`), or none when the directory is incomplete. */
export function companionParts(companionDir: string): string[] {
  if (!existsSync(companionDir)) return [];
  const parts = readdirSync(companionDir).flatMap((file) => {
    const match = /^model\.tflite\.part(\d+)of(\d+)$/.exec(file);
    return match ? [{ file, index: Number(match[1]), of: Number(match[2]) }] : [];
  });
  parts.sort((a, b) => a.index - b.index);
  const complete = parts.length > 0 && parts.every((part, position) => part.index === position + 1 && part.of === parts.length);
  return complete ? parts.map((part) => join(companionDir, part.file)) : [];
}

/** The companion directory of a classifier directory: the shipped classifier's, when it is beside it; another directory's model stands alone. */
export function companionOf(classifierDir: string): string | undefined {
  const companion = join(resolve(classifierDir), "..", SHIPPED_COMPANION);
  return basename(resolve(classifierDir)) === SHIPPED_CLASSIFIER && companionParts(companion).length > 0 ? companion : undefined;
}

/**
 * Where the shipped classifier is: models/ at the project root (found upwards from this module),
 * or models/ at the root of the runtime layer, which is two levels above the layer's node_modules
 * among `modulePaths` (NODE_PATH: /opt/nodejs/node_modules → /opt/models in Lambda).
 */
export function shippedClassifierDir(modulePaths: readonly string[] = []): string {
  const candidates: string[] = [];
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    candidates.push(join(dir, "models", SHIPPED_CLASSIFIER));
    if (dirname(dir) === dir) break;
  }
  for (const modules of modulePaths) candidates.push(join(modules, "..", "..", "models", SHIPPED_CLASSIFIER));
  const found = candidates.find((dir) => existsSync(join(dir, "model.json")));
  if (!found)
    throw new LocalModelError(`the shipped classifier models/${SHIPPED_CLASSIFIER} is missing (looked upwards from ${candidates.at(0)} and beside NODE_PATH)`);
  return found;
}

export interface Classifier {
  /** Views of one photo (224×224 each, e.g. a crop and its mirror): their probabilities are averaged. */
  classify(views: RgbImage[], topK: number): Promise<Classification[]>;
}

const IMAGENET_ANIMAL_CLASSES = 398; // classes 0-397 are animals (WordNet ids n01…/n02…)

async function loadClassifier(directory: string): Promise<Classifier> {
  const dir = resolve(directory);
  const manifestPath = join(dir, "model.json");
  if (!existsSync(manifestPath)) {
    throw new LocalModelError(`PHOTO_ANALYSIS_LOCAL_MODEL_DIR=${directory}: no model.json there (expected a TF.js layers model such as mobilenet_v1_0.75_224)`);
  }
  const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as {
    modelTopology: TfjsLayersModel["modelTopology"];
    weightsManifest: { paths: string[]; weights: TfjsLayersModel["weightSpecs"] }[];
  };
  let members: OnnxImageModel[];
  try {
    const shards = await Promise.all(manifest.weightsManifest.flatMap((group) => group.paths.map((path) => readFile(join(dir, path)))));
    const model = openLayersModel("classifier", {
      modelTopology: manifest.modelTopology,
      weightSpecs: manifest.weightsManifest.flatMap((group) => group.weights),
      weightData: Buffer.concat(shards),
    });
    const companion = companionOf(dir);
    members = await Promise.all([
      model,
      ...(companion
        ? [Promise.all(companionParts(companion).map((part) => readFile(part))).then((parts) => openTfliteModel("companion", Buffer.concat(parts)))]
        : []),
    ]);
  } catch (error) {
    throw new LocalModelError(`PHOTO_ANALYSIS_LOCAL_MODEL_DIR=${directory}: cannot load the model (${(error as Error).message})`);
  }
  const classes = (require("@tensorflow-models/mobilenet/dist/imagenet_classes.js") as { IMAGENET_CLASSES: Record<number, string> }).IMAGENET_CLASSES;
  for (const member of members) {
    // Some exports add a background class at index 0.
    if (member.outputSize !== 1000 && member.outputSize !== 1001) {
      throw new LocalModelError(`PHOTO_ANALYSIS_LOCAL_MODEL_DIR=${directory}: expected 1000 ImageNet classes, the model has ${member.outputSize}`);
    }
  }

  return {
    async classify(views, topK) {
      const [first] = views;
      if (!first) throw new LocalModelError("classify needs at least one view");
      // MobileNet's input range: v / 127.5 - 1.
      const input = planarBatch(
        views.map((view) => view.data),
        first.width * first.height,
        1 / 127.5,
        -1,
      );
      const dims = [views.length, 3, first.height, first.width] as const;
      const outputs = await Promise.all(members.map((member) => member.run(input, dims)));
      // Every view of every model counts the same.
      const probabilities = new Float32Array(1000);
      const weight = 1 / (views.length * members.length);
      for (const [m, output] of outputs.entries()) {
        const width = members[m]!.outputSize;
        const offset = width - 1000;
        for (let n = 0; n < views.length; n++) for (let i = 0; i < 1000; i++) probabilities[i]! += output[n * width + offset + i]! * weight;
      }
      const ranked = [...probabilities]
        .map((score, index) => ({ score, index }))
        .sort((a, b) => b.score - a.score)
        .slice(0, topK);
      return ranked.map(({ score, index }) => ({
        synonyms: classes[index]!.split(",").map((name) => name.trim()),
        score,
        isAnimalClass: index < IMAGENET_ANIMAL_CLASSES,
      }));
    },
  };
}

export interface LocalModels {
  classifier: Classifier;
  detector: Detector;
  loadMs: number;
}

const loaded = new Map<string, Promise<LocalModels>>();

/** Loads (once per classifier directory) the detector and the classifier. */
export function localModels(modelDir: string): Promise<LocalModels> {
  const key = resolve(modelDir);
  let models = loaded.get(key);
  if (!models) {
    models = (async () => {
      const started = performance.now();
      const [detector, classifier] = await Promise.all([loadDetector(), loadClassifier(modelDir)]);
      return { detector, classifier, loadMs: performance.now() - started };
    })();
    // A failed load is not cached: fixing the directory and retrying must work without a restart.
    models.catch(() => loaded.delete(key));
    loaded.set(key, models);
  }
  return models;
}
