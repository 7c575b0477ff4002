/**
 * TF.js weight manifests (model.json's weightsManifest) and their binary shards: every weight in
 * order, each float32 or int32, possibly stored quantised (uint8/uint16 affine, or float16).
 */

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: "float32" | "int32" | "bool" | string;
  quantization?: { dtype: "uint8" | "uint16" | "float16"; min?: number; scale?: number };
}

export interface TfjsWeight {
  shape: number[];
  dtype: "float32" | "int32";
  data: Float32Array | Int32Array;
  /** The stored 8-bit codes when the weight was saved as uint8 affine (value = code·scale + min). */
  uint8?: { codes: Uint8Array; scale: number; min: number };
}

/** IEEE 754 half precision bits to a number. */
export function fromFloat16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (mantissa / 1024);
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + mantissa / 1024);
}

let float16Table: Float32Array | undefined;

/** Every half-precision value, indexed by its bits: a lookup is far cheaper than decoding millions of weights one by one. */
function float16Values(): Float32Array {
  if (!float16Table) {
    float16Table = new Float32Array(65536);
    // Normal halves map to float32 bits directly (exponent rebiased 15 → 127); the rest are decoded.
    const asBits = new Uint32Array(float16Table.buffer);
    for (let bits = 0; bits < 65536; bits++) {
      const exponent = (bits >> 10) & 0x1f;
      if (exponent === 0 || exponent === 0x1f) float16Table[bits] = fromFloat16(bits);
      else asBits[bits] = ((bits & 0x8000) << 16) | ((exponent + 112) << 23) | ((bits & 0x3ff) << 13);
    }
  }
  return float16Table;
}

export function decodeTfjsWeights(specs: readonly TfjsWeightSpec[], bytes: Uint8Array): Map<string, TfjsWeight> {
  const weights = new Map<string, TfjsWeight>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const quantization = spec.quantization;
    if (spec.dtype !== "float32" && spec.dtype !== "int32") throw new Error(`weight ${spec.name}: dtype ${spec.dtype} is not supported`);
    const data = spec.dtype === "int32" ? new Int32Array(size) : new Float32Array(size);
    let uint8: TfjsWeight["uint8"];
    if (!quantization) {
      // Copied into an aligned buffer (little-endian, like every platform Node runs on here).
      new Uint8Array(data.buffer).set(bytes.subarray(offset, offset + 4 * size));
      offset += 4 * size;
    } else if (quantization.dtype === "float16") {
      const table = float16Values();
      const halves = new Uint16Array(size);
      new Uint8Array(halves.buffer).set(bytes.subarray(offset, offset + 2 * size));
      for (let i = 0; i < size; i++) data[i] = table[halves[i]!]!;
      offset += 2 * size;
    } else {
      const { scale = 1, min = 0 } = quantization;
      const width = quantization.dtype === "uint8" ? 1 : 2;
      for (let i = 0; i < size; i++) data[i] = (width === 1 ? bytes[offset + i]! : view.getUint16(offset + 2 * i, true)) * scale + min;
      if (width === 1) uint8 = { codes: bytes.slice(offset, offset + size), scale, min };
      offset += width * size;
    }
    weights.set(spec.name, { shape: spec.shape, dtype: spec.dtype, data, uint8 });
  }
  if (offset !== bytes.length) throw new Error(`the weight shards hold ${bytes.length} bytes, the manifest describes ${offset}`);
  return weights;
}
