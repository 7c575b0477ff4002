import { createHash } from "node:crypto";

export function md5Hex(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

export const PHASH_INPUT_SIZE = 32;
const PHASH_BLOCK = 8;

const HALF = PHASH_INPUT_SIZE / 2;

// DCT-II basis for u in 0..8, first half only: COSINES[u][x] = cos((2x + 1) u π / 2N), and cos at N - 1 - x is (-1)^u that.
const COSINES: Float64Array[] = Array.from({ length: PHASH_BLOCK + 1 }, (_, u) =>
  Float64Array.from({ length: HALF }, (_, x) => Math.cos(((2 * x + 1) * u * Math.PI) / (2 * PHASH_INPUT_SIZE))),
);

/**
 * The 1-D DCT coefficients 1..8 of `count` lines of 32 values, folded: each line is first turned into the sums and
 * differences of its mirrored halves (even frequencies read the sums, odd ones the differences), which halves the
 * multiplications. Value i of line k is `values[k * lineStep + i * valueStep]`; coefficient u of line k goes to
 * `out[k * outLineStep + (u - 1) * outStep]`. Plain indexed loops: this runs mostly before V8 has optimised it.
 */
function foldedDct(
  values: Uint8Array | Float64Array,
  count: number,
  [lineStep, valueStep]: [number, number],
  out: Float64Array,
  [outLineStep, outStep]: [number, number],
): void {
  const sums = new Float64Array(HALF);
  const differences = new Float64Array(HALF);
  for (let line = 0; line < count; line++) {
    const base = line * lineStep;
    for (let i = 0; i < HALF; i++) {
      const first = values[base + i * valueStep]!;
      const mirrored = values[base + (PHASH_INPUT_SIZE - 1 - i) * valueStep]!;
      sums[i] = first + mirrored;
      differences[i] = first - mirrored;
    }
    for (let u = 1; u <= PHASH_BLOCK; u++) {
      const basis = COSINES[u]!;
      const folded = u % 2 === 0 ? sums : differences;
      let sum = 0;
      for (let i = 0; i < HALF; i++) sum += folded[i]! * basis[i]!;
      out[line * outLineStep + (u - 1) * outStep] = sum;
    }
  }
}

/**
 * 64-bit DCT perceptual hash of a 32x32 greyscale image (row-major, one byte per pixel):
 * 2-D DCT, the 8x8 low-frequency block just past the DC row and column (DC carries overall
 * brightness only), each bit set when its coefficient exceeds the block's median. Hex, 16 chars.
 * Only frequencies 1..8 in each direction are computed: that is all the hash reads. It runs once per
 * decoded upload, mostly before V8 has optimised it: folded halves, typed arrays and 32-bit words keep it cheap.
 */
export function phashFromGray32(pixels: Uint8Array): string {
  const n = PHASH_INPUT_SIZE;
  if (pixels.length !== n * n) throw new Error(`expected ${n * n} greyscale pixels, got ${pixels.length}`);
  // Rows first (rowDct[y * 8 + u - 1]), then the 32 values of each u down the rows (block[(v - 1) * 8 + u - 1]).
  const rowDct = new Float64Array(n * PHASH_BLOCK);
  foldedDct(pixels, n, [n, 1], rowDct, [PHASH_BLOCK, 1]);
  const block = new Float64Array(PHASH_BLOCK * PHASH_BLOCK);
  foldedDct(rowDct, PHASH_BLOCK, [1, PHASH_BLOCK], block, [1, PHASH_BLOCK]);
  // Rounded so floating-point noise cannot flip bits of flat regions (a blank image hashes to zero).
  for (let i = 0; i < block.length; i++) block[i] = Math.round(block[i]! * 1e6) / 1e6;
  const sorted = Float64Array.from(block).sort();
  const median = (sorted[31]! + sorted[32]!) / 2;
  // Bits in row-major block order, first coefficient highest: two 32-bit words.
  let high = 0;
  let low = 0;
  for (let i = 0; i < 32; i++) high = (high << 1) | (block[i]! > median ? 1 : 0);
  for (let i = 32; i < 64; i++) low = (low << 1) | (block[i]! > median ? 1 : 0);
  return (high >>> 0).toString(16).padStart(8, "0") + (low >>> 0).toString(16).padStart(8, "0");
}

function bitsSet(value: bigint): number {
  let x = value;
  let count = 0;
  while (x) {
    x &= x - 1n;
    count++;
  }
  return count;
}

/** Number of differing bits between two hex hashes of equal length. */
export function hammingDistance(a: string, b: string): number {
  if (a.length !== b.length) throw new Error("hashes differ in length");
  return bitsSet(BigInt(`0x${a}`) ^ BigInt(`0x${b}`));
}

/**
 * Bits a pHash must have set to say anything about the picture. The median split sets about half
 * of the 64 bits on a real photo (exactly 32 on each of the 250 dev photos); flat images, plain colours and
 * smooth gradients tie at the median and set almost none (a white JPEG, a red PNG and a grey
 * gradient all hash to 0000000000000000), so they would "match" each other across users.
 */
export const MIN_INFORMATIVE_BITS = 8;

/** False for hashes of near-featureless images: those are matched by exact bytes (MD5) only. */
export function isInformativeHash(phash: string): boolean {
  return bitsSet(BigInt(`0x${phash}`)) >= MIN_INFORMATIVE_BITS;
}
