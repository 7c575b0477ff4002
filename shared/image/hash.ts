import { createHash } from "node:crypto";

export function md5Hex(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

export const PHASH_INPUT_SIZE = 32;
const PHASH_BLOCK = 8;

// DCT-II basis, computed once: COSINES[u][x] = cos((2x + 1) u π / 2N).
const COSINES: Float64Array[] = Array.from({ length: PHASH_BLOCK + 1 }, (_, u) =>
  Float64Array.from({ length: PHASH_INPUT_SIZE }, (_, x) => Math.cos(((2 * x + 1) * u * Math.PI) / (2 * PHASH_INPUT_SIZE))),
);

/**
 * 64-bit DCT perceptual hash of a 32x32 greyscale image (row-major, one byte per pixel):
 * 2-D DCT, the 8x8 low-frequency block just past the DC row and column (DC carries overall
 * brightness only), each bit set when its coefficient exceeds the block's median. Hex, 16 chars.
 * Only the 9 lowest frequencies in each direction are computed: that is all the hash reads.
 */
export function phashFromGrey32(pixels: Uint8Array): string {
  const n = PHASH_INPUT_SIZE;
  if (pixels.length !== n * n) throw new Error(`expected ${n * n} greyscale pixels, got ${pixels.length}`);
  // Row transform: rowDct[y][u] for u in 0..8.
  const rowDct = new Float64Array(n * (PHASH_BLOCK + 1));
  for (let y = 0; y < n; y++) {
    for (let u = 0; u <= PHASH_BLOCK; u++) {
      const basis = COSINES[u]!;
      let sum = 0;
      for (let x = 0; x < n; x++) sum += pixels[y * n + x]! * basis[x]!;
      rowDct[y * (PHASH_BLOCK + 1) + u] = sum;
    }
  }
  // Column transform, keeping v, u in 1..8.
  const block: number[] = [];
  for (let v = 1; v <= PHASH_BLOCK; v++) {
    const basis = COSINES[v]!;
    for (let u = 1; u <= PHASH_BLOCK; u++) {
      let sum = 0;
      for (let y = 0; y < n; y++) sum += rowDct[y * (PHASH_BLOCK + 1) + u]! * basis[y]!;
      // Rounded so floating-point noise cannot flip bits of flat regions (a blank image hashes to zero).
      block.push(Math.round(sum * 1e6) / 1e6);
    }
  }
  const sorted = [...block].sort((a, b) => a - b);
  const median = (sorted[31]! + sorted[32]!) / 2;
  let hash = 0n;
  for (const coefficient of block) hash = (hash << 1n) | (coefficient > median ? 1n : 0n);
  return hash.toString(16).padStart(16, "0");
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
