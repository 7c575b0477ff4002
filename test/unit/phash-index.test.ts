import { describe, expect, it } from "vitest";
import { MAX_INDEXED_DISTANCE, phashSegments, PHASH_SEGMENTS } from "../../shared/image/phash-index.js";

function randomHash(random: () => number): bigint {
  let value = 0n;
  for (let i = 0; i < 4; i++) value = (value << 16n) | BigInt(Math.floor(random() * 65536));
  return value;
}
const hex = (value: bigint) => value.toString(16).padStart(16, "0");

describe("pHash multi-index segments", () => {
  it("cuts 64 bits into 5 labelled pieces that rebuild the hash", () => {
    const segments = phashSegments("f0f0f0f0f0f0f0f0");
    expect(segments).toHaveLength(PHASH_SEGMENTS);
    expect(segments.map((segment) => segment.split(":")[0])).toEqual(["0", "1", "2", "3", "4"]);
    const widths = [13, 13, 13, 13, 12];
    let rebuilt = 0n;
    segments.forEach((segment, i) => {
      rebuilt = (rebuilt << BigInt(widths[i]!)) | BigInt(`0x${segment.split(":")[1]}`);
    });
    expect(hex(rebuilt)).toBe("f0f0f0f0f0f0f0f0");
  });

  it("guarantees a shared segment for every pair within the indexed distance (pigeonhole)", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let trial = 0; trial < 2000; trial++) {
      const a = randomHash(random);
      let b = a;
      const flips = 1 + (trial % MAX_INDEXED_DISTANCE);
      const positions = new Set<number>();
      while (positions.size < flips) positions.add(Math.floor(random() * 64));
      for (const position of positions) b ^= 1n << BigInt(position);
      const shared = phashSegments(hex(a)).filter((segment) => phashSegments(hex(b)).includes(segment));
      expect(shared.length, `${hex(a)} vs ${hex(b)}`).toBeGreaterThanOrEqual(1);
    }
  });
});
