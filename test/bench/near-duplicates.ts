import { readFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { openImage, perceptualHash } from "../../shared/image/decode.js";
import { hammingDistance } from "../../shared/image/hash.js";
import { readTruth, EVAL_DIR } from "../eval/local-eval.js";

/** The transformations the same photo goes through before it is uploaded again. */
export const TRANSFORMS: Record<string, (bytes: Buffer) => Promise<Buffer>> = {
  "resize 50%": async (b) => {
    const { width } = await sharp(b).metadata();
    return sharp(b)
      .resize(Math.round(width! / 2))
      .jpeg({ quality: 85 })
      .toBuffer();
  },
  "JPEG quality 60": (b) => sharp(b).jpeg({ quality: 60 }).toBuffer(),
  "PNG re-save": (b) => sharp(b).png().toBuffer(),
  "brightness +10%": (b) => sharp(b).modulate({ brightness: 1.1 }).jpeg({ quality: 90 }).toBuffer(),
  "crop 5%": async (b) => {
    const { width, height } = await sharp(b).metadata();
    const dx = Math.round(width! * 0.025);
    const dy = Math.round(height! * 0.025);
    return sharp(b)
      .extract({ left: dx, top: dy, width: width! - 2 * dx, height: height! - 2 * dy })
      .jpeg({ quality: 90 })
      .toBuffer();
  },
  "rotate 2°": (b) => sharp(b).rotate(2, { background: "#ffffff" }).jpeg({ quality: 90 }).toBuffer(),
  "horizontal flip": (b) => sharp(b).flop().jpeg({ quality: 90 }).toBuffer(),
  "border 5%": async (b) => {
    const { width } = await sharp(b).metadata();
    const pad = Math.round(width! * 0.05);
    return sharp(b).extend({ top: pad, bottom: pad, left: pad, right: pad, background: "#ffffff" }).jpeg({ quality: 90 }).toBuffer();
  },
};

async function phash(bytes: Buffer) {
  return perceptualHash(await openImage(bytes, { maxPixels: 1e8 }));
}

export interface NearDuplicateReport {
  threshold: number;
  recall: Record<string, number>;
  distances: Record<string, number[]>;
  pairs: number;
  falsePositives: number;
  minDistinctDistance: number;
  distinctHistogram: number[];
}

/** Recall per transformation and false positives over all pairs of distinct photos, at `threshold`. */
export async function measureNearDuplicates(threshold: number): Promise<NearDuplicateReport> {
  const truths = await readTruth();
  const originals: string[] = [];
  const distances: Record<string, number[]> = Object.fromEntries(Object.keys(TRANSFORMS).map((name) => [name, []]));
  for (const truth of truths) {
    const bytes = await readFile(join(EVAL_DIR, truth.file));
    const original = await phash(bytes);
    originals.push(original);
    for (const [name, transform] of Object.entries(TRANSFORMS)) distances[name]!.push(hammingDistance(original, await phash(await transform(bytes))));
  }
  const recall = Object.fromEntries(Object.entries(distances).map(([name, values]) => [name, values.filter((d) => d <= threshold).length / values.length]));
  let pairs = 0;
  let falsePositives = 0;
  let minDistinctDistance = 64;
  const distinctHistogram = new Array<number>(65).fill(0);
  for (let i = 0; i < originals.length; i++) {
    for (let j = i + 1; j < originals.length; j++) {
      const distance = hammingDistance(originals[i]!, originals[j]!);
      pairs++;
      distinctHistogram[distance]!++;
      minDistinctDistance = Math.min(minDistinctDistance, distance);
      if (distance <= threshold) falsePositives++;
    }
  }
  return { threshold, recall, distances, pairs, falsePositives, minDistinctDistance, distinctHistogram };
}
