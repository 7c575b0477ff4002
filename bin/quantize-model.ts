/**
 * `npm run quantize-model -- [--from DIR] [--to DIR]`: writes the compact classifier the project
 * ships (models/mobilenet_v1_0.75_224_quant) from Google's float32 TF.js MobileNet v1 weights
 * (../shared/models/mobilenet_v1_0.75_224 by default).
 *
 * TF.js weight quantisation as its converter writes it (the manifest's `quantization` field, undone
 * by tfjs-core at load, so any TF.js runtime reads the result):
 * - the 1×1 convolutions (most of the bytes) as uint8 affine, v ≈ q·scale + min. The format has one
 *   scale per tensor, and output channels differ in range by 10× or more, so plain per-tensor uint8
 *   cost 3.2 points of top-5. Each channel is first scaled up to the tensor's widest range and the
 *   following batch norm absorbs the factor exactly (mean·s, (var+ε)·s² − ε): per-channel precision
 *   in a per-tensor format, with an unchanged function;
 * - the classifier (no batch norm to absorb a scale) and the small depthwise kernels as float16;
 * - batch-norm statistics and biases as float32 (a few KB; they carry the folded scales).
 * Shards are cut at SHARD_BYTES.
 */
import { mkdir, readFile, writeFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

export const SHARD_BYTES = 1_900_000;
const BATCH_NORM_EPSILON = 1e-3; // every BatchNormalization layer of this model (checked at load)
/** A channel is scaled up by at most this much: a near-empty channel would otherwise blow up its variance. */
const MAX_CHANNEL_SCALE = 64;

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: "float32";
  quantization?: { dtype: "uint8"; scale: number; min: number; original_dtype: "float32" } | { dtype: "float16"; original_dtype: "float32" };
}

type Encoding = "uint8" | "float16" | "float32";

/** 1×1 convolutions followed by batch norm go uint8; other kernels float16; the rest stays float32. */
export function encodingFor(name: string): Encoding {
  if (/^conv_pw_\d+\/kernel$/.test(name)) return "uint8";
  if (/kernel$/.test(name)) return "float16";
  return "float32";
}

/** IEEE 754 half precision, round to nearest even (what numpy's astype(float16) does). */
export function toFloat16(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  let mantissa = bits & 0x7fffff;
  if (exponent >= 0x1f) return sign | 0x7c00; // overflow → infinity (no weight is that large)
  if (exponent <= 0) {
    if (exponent < -10) return sign; // underflow → signed zero
    mantissa |= 0x800000;
    const shift = 14 - exponent;
    const half = mantissa >> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    return sign | (half + (rest > halfway || (rest === halfway && half & 1) ? 1 : 0));
  }
  const half = (exponent << 10) | (mantissa >> 13);
  const rest = mantissa & 0x1fff;
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

function encode(values: Float32Array, spec: WeightSpec, encoding: Encoding): Buffer {
  if (encoding === "float32") return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  if (encoding === "float16") {
    spec.quantization = { dtype: "float16", original_dtype: "float32" };
    const out = Buffer.alloc(values.length * 2);
    for (const [i, value] of values.entries()) out.writeUInt16LE(toFloat16(value), i * 2);
    return out;
  }
  let min = 0; // the range always holds 0, so zero weights stay exactly zero (as TF.js's converter nudges it)
  let max = 0;
  for (const value of values) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const scale = (max - min) / 255 || 1;
  const nudgedMin = -Math.round(-min / scale) * scale;
  spec.quantization = { dtype: "uint8", scale, min: nudgedMin, original_dtype: "float32" };
  const out = Buffer.alloc(values.length);
  values.forEach((value, i) => {
    out[i] = Math.max(0, Math.min(255, Math.round((value - nudgedMin) / scale)));
  });
  return out;
}

/**
 * Scales each output channel (last axis) of a kernel up to the widest channel's range and folds the
 * factor into the batch norm that follows, which computes the same function afterwards.
 */
function equalizeChannels(kernel: Float32Array, batchNorm: { moving_mean: Float32Array; moving_variance: Float32Array }): void {
  const channels = batchNorm.moving_mean.length;
  const widest = new Float32Array(channels);
  kernel.forEach((value, i) => {
    widest[i % channels] = Math.max(widest[i % channels]!, Math.abs(value));
  });
  const overall = Math.max(...widest);
  const factors = Array.from(widest, (range) => (range > 0 ? Math.min(MAX_CHANNEL_SCALE, overall / range) : 1));
  kernel.forEach((value, i) => {
    kernel[i] = value * factors[i % channels]!;
  });
  factors.forEach((factor, c) => {
    batchNorm.moving_mean[c] = batchNorm.moving_mean[c]! * factor;
    batchNorm.moving_variance[c] = (batchNorm.moving_variance[c]! + BATCH_NORM_EPSILON) * factor * factor - BATCH_NORM_EPSILON;
  });
}

export async function quantizeModel(from: string, to: string): Promise<{ bytes: number; files: { name: string; bytes: number }[] }> {
  const manifest = JSON.parse(await readFile(join(from, "model.json"), "utf8")) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  };
  const epsilons = new Set(
    JSON.stringify(manifest.modelTopology)
      .match(/"epsilon": ?[0-9.e-]+/g)
      ?.map((m) => Number(m.split(":")[1])),
  );
  if (epsilons.size !== 1 || !epsilons.has(BATCH_NORM_EPSILON))
    throw new Error(`expected every batch norm to use epsilon ${BATCH_NORM_EPSILON}, found ${[...epsilons].join(", ")}`);
  const tensors = new Map<string, { spec: WeightSpec; values: Float32Array }>();
  for (const group of manifest.weightsManifest) {
    const data = Buffer.concat(await Promise.all(group.paths.map((path) => readFile(join(from, path)))));
    let offset = 0;
    for (const weight of group.weights) {
      if (weight.dtype !== "float32") throw new Error(`${weight.name}: expected float32 weights, found ${weight.dtype}`);
      const count = weight.shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(data.buffer.slice(data.byteOffset + offset, data.byteOffset + offset + count * 4));
      offset += count * 4;
      tensors.set(weight.name, { spec: { name: weight.name, shape: weight.shape, dtype: "float32" }, values });
    }
  }
  for (const [name, { values }] of tensors) {
    if (encodingFor(name) !== "uint8") continue;
    const layer = name.split("/")[0]!;
    const mean = tensors.get(`${layer}_bn/moving_mean`)?.values;
    const variance = tensors.get(`${layer}_bn/moving_variance`)?.values;
    if (!mean || !variance) throw new Error(`${name}: no batch norm ${layer}_bn to fold the channel scales into`);
    equalizeChannels(values, { moving_mean: mean, moving_variance: variance });
  }
  const specs: WeightSpec[] = [];
  const chunks: Buffer[] = [];
  for (const [name, { spec, values }] of tensors) {
    chunks.push(encode(values, spec, encodingFor(name)));
    specs.push(spec);
  }
  const all = Buffer.concat(chunks);
  const shardCount = Math.ceil(all.length / SHARD_BYTES);
  const paths = Array.from({ length: shardCount }, (_, i) => `group1-shard${i + 1}of${shardCount}.bin`);
  await rm(to, { recursive: true, force: true });
  await mkdir(to, { recursive: true });
  const files: { name: string; bytes: number }[] = [];
  for (const [i, path] of paths.entries()) {
    const shard = all.subarray(i * SHARD_BYTES, (i + 1) * SHARD_BYTES);
    await writeFile(join(to, path), shard);
    files.push({ name: path, bytes: shard.length });
  }
  const out = {
    format: "layers-model",
    generatedBy: "photo-analysis bin/quantize-model.ts",
    convertedBy: null,
    modelTopology: manifest.modelTopology,
    weightsManifest: [{ paths, weights: specs }],
  };
  await writeFile(join(to, "model.json"), JSON.stringify(out));
  return { bytes: all.length, files };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("quantize-model.ts")) {
  const { values } = parseArgs({
    options: {
      from: { type: "string", default: "../shared/models/mobilenet_v1_0.75_224" },
      to: { type: "string", default: "models/mobilenet_v1_0.75_224_quant" },
    },
  });
  const result = await quantizeModel(resolve(values.from!), resolve(values.to!));
  for (const file of result.files) console.log(`${file.name}  ${(file.bytes / 1e6).toFixed(2)} MB`);
  console.log(`weights ${(result.bytes / 1e6).toFixed(2)} MB in ${result.files.length} shards → ${values.to}`);
}
