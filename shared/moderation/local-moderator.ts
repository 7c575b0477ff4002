import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { tensorflow } from "../vision/local/models.js";
import { topLabels, type ModerationScores, type Moderator } from "./moderation.js";

const require = createRequire(import.meta.url);
type TfLayers = typeof import("@tensorflow/tfjs-layers");
type Tensor = import("@tensorflow/tfjs-core").Tensor;

/** nsfwjs's classes, in its output order. */
const CLASSES = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"] as const;
const INPUT_SIZE = 224;

/**
 * nsfwjs's MobileNet v2 (its models ship inside the npm package, as JS modules holding the model
 * JSON and base64 weights), loaded directly into tfjs-layers on the same WebAssembly backend as the
 * vision models: nsfwjs's own loader imports all of @tensorflow/tfjs and took ~6 s; this takes well
 * under one. Loaded lazily, once per process.
 */
export class LocalModerator implements Moderator {
  readonly name = "local";
  private model?: Promise<{ predict(input: Tensor): Tensor }>;

  private load() {
    this.model ??= (async () => {
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
      const model = await layers.loadLayersModel(handler as never);
      // One warm-up pass compiles the kernels, so the first photo is not the slow one.
      tf.tidy(() => model.predict(tf.zeros([1, INPUT_SIZE, INPUT_SIZE, 3])) as Tensor).dispose();
      return model as unknown as { predict(input: Tensor): Tensor };
    })().catch((error) => {
      this.model = undefined;
      throw error;
    });
    return this.model;
  }

  async warmUp(): Promise<void> {
    await this.load();
  }

  async moderateImage(input: { rgb(size: number): Promise<Uint8Array> }): Promise<ModerationScores> {
    const [model, tf, pixels] = await Promise.all([this.load(), tensorflow(), input.rgb(INPUT_SIZE)]);
    const output = tf.tidy(() => model.predict(tf.div(tf.tensor4d(Float32Array.from(pixels), [1, INPUT_SIZE, INPUT_SIZE, 3]), 255)));
    const probabilities = await output.data();
    output.dispose();
    const labels = CLASSES.map((label, index) => ({ label, score: probabilities[index] ?? 0 }));
    const score = (label: (typeof CLASSES)[number]) => labels.find((entry) => entry.label === label)!.score;
    return { labels: topLabels(labels), explicit: score("Porn") + score("Hentai"), suggestive: score("Sexy") };
  }
}
