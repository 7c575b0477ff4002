import { createRequire } from "node:module";
import type { InferenceSession, Tensor } from "onnxruntime-node";
import { convertLayersModel, type KerasTopology } from "./layers.js";
import { convertTflite } from "./tflite.js";
import { decodeTfjsWeights, type TfjsWeightSpec } from "./tfjs-weights.js";

/**
 * onnxruntime-node (its CPU binaries ship in the npm package; its install script, which only
 * fetches GPU providers, is not run), loaded on first use: functions that never classify do not
 * pay for its native library. One intra-op thread per session: the parallelism is the inference
 * pool's workers (one per core), not threads inside one run.
 */

const require = createRequire(import.meta.url);
type Ort = typeof import("onnxruntime-node");

let ort: Ort | undefined;

function onnxruntime(): Ort {
  ort ??= require("onnxruntime-node") as Ort;
  return ort;
}

/** A TF.js layers model as read from disk: its model.json and the concatenated weight shards. */
export interface TfjsLayersModel {
  modelTopology: KerasTopology;
  weightSpecs: TfjsWeightSpec[];
  weightData: Uint8Array;
}

/** An image model in onnxruntime: NCHW float pixels in, one flat output per image. */
export interface OnnxImageModel {
  readonly outputSize: number;
  run(input: Float32Array, dims: readonly [number, number, number, number]): Promise<Float32Array>;
}

/** An ONNX model in onnxruntime: one NCHW float input, its outputs (flat) in the graph's order. */
export interface OnnxSession {
  run(input: Float32Array, dims: readonly number[]): Promise<Float32Array[]>;
}

/** Opens an ONNX model (bytes) in onnxruntime, with every graph optimisation (batch norms folded into convolutions, activations fused). */
export async function openOnnx(bytes: Uint8Array): Promise<OnnxSession> {
  const runtime = onnxruntime();
  const session: InferenceSession = await runtime.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
  const [inputName] = session.inputNames;
  return {
    async run(input, dims) {
      const result = await session.run({ [inputName!]: new runtime.Tensor("float32", input, [...dims]) });
      return session.outputNames.map((name) => (result[name] as Tensor).data as Float32Array);
    },
  };
}

/** An ONNX image model opened, its output's width measured by one run on zeros (which also warms the kernels: the first photo is not the slow one). */
async function openImageModel(bytes: Uint8Array, [channels, height, width]: readonly [number, number, number]): Promise<OnnxImageModel> {
  const session = await openOnnx(bytes);
  const [probe] = await session.run(new Float32Array(channels * height * width), [1, channels, height, width]);
  return {
    outputSize: probe!.length,
    async run(input, dims) {
      return (await session.run(input, dims))[0]!;
    },
  };
}

/** Converts a TF.js layers model to ONNX in memory (onnx/layers.ts) and opens it in onnxruntime. */
export async function openLayersModel(name: string, model: TfjsLayersModel): Promise<OnnxImageModel> {
  const weights = decodeTfjsWeights(model.weightSpecs, model.weightData);
  const [, channels, height, width] = probeShape(model.modelTopology);
  return openImageModel(convertLayersModel(model.modelTopology, weights, name).encode(), [channels, height, width]);
}

/** Converts an 8-bit TensorFlow Lite classifier to a float ONNX graph in memory (onnx/tflite.ts) and opens it (224×224 RGB input). */
export async function openTfliteModel(name: string, bytes: Uint8Array, side = 224): Promise<OnnxImageModel> {
  return openImageModel(convertTflite(bytes, name).encode(), [3, side, side]);
}

function probeShape(topology: KerasTopology): [number, number, number, number] {
  const layers = (topology.model_config?.config ?? topology.config)?.layers ?? [];
  const shape = layers.find((layer) => layer.class_name === "InputLayer")?.config.batch_input_shape as number[] | undefined;
  if (shape?.length !== 4) throw new Error("the model has no image input");
  return [1, shape[3]!, shape[1]!, shape[2]!];
}

/**
 * Interleaved RGB bytes of equal-sized views as one NCHW float batch, each value v as
 * v·scale + offset (the model's input range).
 */
export function planarBatch(views: readonly Uint8Array[], pixels: number, scale: number, offset: number): Float32Array {
  const batch = new Float32Array(views.length * 3 * pixels);
  for (const [n, view] of views.entries()) {
    const base = n * 3 * pixels;
    for (let i = 0, j = 0; i < pixels; i++, j += 3) {
      batch[base + i] = view[j]! * scale + offset;
      batch[base + pixels + i] = view[j + 1]! * scale + offset;
      batch[base + 2 * pixels + i] = view[j + 2]! * scale + offset;
    }
  }
  return batch;
}
