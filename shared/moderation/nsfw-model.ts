import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { tensorflow } from "../vision/local/models.js";

const require = createRequire(import.meta.url);
type TfLayers = typeof import("@tensorflow/tfjs-layers");
type Tensor = import("@tensorflow/tfjs-core").Tensor;

/** nsfwjs's classes, in its output order. */
export const NSFW_CLASSES = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"] as const;
/** The model's input: square RGB pixels of this side. */
export const NSFW_INPUT_SIZE = 224;

let model: Promise<{ predict(input: Tensor): Tensor }> | undefined;

/**
 * nsfwjs's MobileNet v2 (its models ship inside the npm package, as JS modules holding the model
 * JSON and base64 weights), loaded directly into tfjs-layers on the same WebAssembly backend as the
 * vision models: nsfwjs's own loader imports all of @tensorflow/tfjs and took ~6 s; this takes well
 * under one. Loaded lazily, once per thread (the main thread, or each inference worker).
 */
export function loadNsfwModel() {
  model ??= (async () => {
    const tf = await tensorflow();
    const layers = require("@tensorflow/tfjs-layers") as TfLayers;
    // The package's exports hide its model files: resolve the package, then read them by path (resolving loads nothing).
    const modelDir = join(dirname(require.resolve("nsfwjs")), "..", "models", "mobilenet_v2");
    const manifest = require(join(modelDir, "model.min.js")) as { modelTopology: object; weightsManifest: { paths: string[]; weights: object[] }[] };
    const shards = manifest.weightsManifest.flatMap((group) => group.paths.map((path) => Buffer.from(require(join(modelDir, `${path}.min.js`)) as string, "base64")));
    const weights = Buffer.concat(shards);
    const handler = {
      load: async () => ({
        modelTopology: manifest.modelTopology,
        weightSpecs: manifest.weightsManifest.flatMap((group) => group.weights),
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
      }),
    };
    const loaded = await layers.loadLayersModel(handler as never);
    // One warm-up pass compiles the kernels, so the first photo is not the slow one.
    tf.tidy(() => loaded.predict(tf.zeros([1, NSFW_INPUT_SIZE, NSFW_INPUT_SIZE, 3])) as Tensor).dispose();
    return loaded as unknown as { predict(input: Tensor): Tensor };
  })().catch((error) => {
    model = undefined;
    throw error;
  });
  return model;
}

/** The model's probability for each of NSFW_CLASSES, from NSFW_INPUT_SIZE² RGB pixels. */
export async function nsfwProbabilities(pixels: Uint8Array): Promise<number[]> {
  const [loaded, tf] = await Promise.all([loadNsfwModel(), tensorflow()]);
  const output = tf.tidy(() => loaded.predict(tf.div(tf.tensor4d(Float32Array.from(pixels), [1, NSFW_INPUT_SIZE, NSFW_INPUT_SIZE, 3]), 255)));
  const probabilities = Array.from(await output.data());
  output.dispose();
  return probabilities;
}
