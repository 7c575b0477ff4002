/**
 * Multi-index hashing for pHash lookups. The 64 bits are cut into `segments` pieces; if two hashes
 * differ in at most `segments − 1` bits, at least one piece is identical (pigeonhole), so querying
 * each piece's exact value finds every candidate within that distance, and the real distance is
 * computed on those few. With 5 segments (13+13+13+13+12 bits) a lookup is 5 key queries.
 */

export const PHASH_SEGMENTS = 5;
/** The largest distance the index guarantees to find. */
export const MAX_INDEXED_DISTANCE = PHASH_SEGMENTS - 1;

/** Segment i of a 16-hex-digit hash, as "i:<bits in hex>". */
export function phashSegments(hash: string, segments = PHASH_SEGMENTS): string[] {
  const bits = BigInt(`0x${hash}`);
  const result: string[] = [];
  let offset = 0;
  for (let i = 0; i < segments; i++) {
    const width = Math.floor(64 / segments) + (i < 64 % segments ? 1 : 0);
    const value = (bits >> BigInt(64 - offset - width)) & ((1n << BigInt(width)) - 1n);
    result.push(`${i}:${value.toString(16)}`);
    offset += width;
  }
  return result;
}
