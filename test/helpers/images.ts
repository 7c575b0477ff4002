import sharp from "sharp";
import { expect } from "vitest";
import { openImage, perceptualHash } from "../../shared/image/decode.js";
import { hammingDistance } from "../../shared/image/hash.js";

/** The served image is the stored, normalised copy of `original`: same picture, upright, no metadata. */
export async function expectNormalizedCopy(served: Buffer, original: Buffer, contentType = "image/jpeg") {
  const meta = await sharp(served).metadata();
  expect(`image/${meta.format}`).toBe(contentType);
  expect(meta.exif).toBeUndefined();
  expect(meta.orientation ?? 1).toBe(1);
  const limits = { maxPixels: 1e9 };
  const [a, b] = await Promise.all([openImage(served, limits), openImage(original, limits)]);
  expect(Math.max(a.width, a.height)).toBe(Math.min(2048, Math.max(b.width, b.height)));
  expect(a.width / a.height).toBeCloseTo(b.width / b.height, 1);
  expect(hammingDistance(await perceptualHash(a), await perceptualHash(b))).toBeLessThanOrEqual(6);
}
