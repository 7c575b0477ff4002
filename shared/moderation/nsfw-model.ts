import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { openLayersModel, planarBatch, type OnnxImageModel, type TfjsLayersModel } from "../onnx/runtime.js";

const require = createRequire(import.meta.url);

/** nsfwjs's classes, in its output order. */
export const NSFW_CLASSES = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"] as const;
/** The model's input: square RGB pixels of this side. */
export const NSFW_INPUT_SIZE = 224;

let model: Promise<OnnxImageModel> | undefined;

/**
 * nsfwjs's MobileNet v2 (its models ship inside the npm package, as JS modules holding the model
 * JSON and base64 weights), converted to ONNX in memory and run in onnxruntime-node like the
 * classifier (shared/onnx/): nsfwjs's own loader imports all of @tensorflow/tfjs. Loaded
 * lazily, once per thread (the main thread, or each inference worker).
 */
export function loadNsfwModel(): Promise<OnnxImageModel> {
  model ??= (async () => {
    // The package's exports hide its model files: resolve the package, then read them by path (resolving loads nothing).
    const modelDir = join(dirname(require.resolve("nsfwjs")), "..", "models", "mobilenet_v2");
    const manifest = require(join(modelDir, "model.min.js")) as {
      modelTopology: TfjsLayersModel["modelTopology"];
      weightsManifest: { paths: string[]; weights: TfjsLayersModel["weightSpecs"] }[];
    };
    const shards = manifest.weightsManifest.flatMap((group) =>
      group.paths.map((path) => Buffer.from(require(join(modelDir, `${path}.min.js`)) as string, "base64")),
    );
    return openLayersModel("nsfw", {
      modelTopology: manifest.modelTopology,
      weightSpecs: manifest.weightsManifest.flatMap((group) => group.weights),
      weightData: Buffer.concat(shards),
    });
  })().catch((error) => {
    model = undefined;
    throw error;
  });
  return model;
}

/** The model's probability for each of NSFW_CLASSES, from NSFW_INPUT_SIZE² RGB pixels. */
export async function nsfwProbabilities(pixels: Uint8Array): Promise<number[]> {
  const loaded = await loadNsfwModel();
  const input = planarBatch([pixels], NSFW_INPUT_SIZE * NSFW_INPUT_SIZE, 1 / 255, 0);
  return Array.from(await loaded.run(input, [1, 3, NSFW_INPUT_SIZE, NSFW_INPUT_SIZE]));
}
