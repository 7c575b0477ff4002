import { readFile } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { InvalidInputError } from "../../shared/domain/errors.js";
import { openImage, perceptualHash } from "../../shared/image/decode.js";
import { HeicWorkers } from "../../shared/image/heic.js";

/**
 * HEIC decoded in worker threads (npm start) must be exactly what the calling thread (Lambda)
 * decodes: the same upright pixels, the same refusals with the same messages.
 */
const upright = await readFile("fixtures/photos/cat-portrait.heic");
const sideways = await readFile("fixtures/photos/cat-portrait-irot.heic");
const wide = await readFile("fixtures/photos/wide-35mp.heic");
const workers = new HeicWorkers({ size: 1, idleMs: 300 });

afterAll(() => workers.close());

async function refusal(opening: Promise<unknown>): Promise<string> {
  const error = await opening.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(InvalidInputError);
  expect((error as InvalidInputError).subject).toBe("image");
  return (error as InvalidInputError).message;
}

describe("HEIC in worker threads", () => {
  it("gives the calling thread's upright pixels, irot applied", async () => {
    for (const bytes of [upright, sideways]) {
      const [here, there] = await Promise.all([openImage(bytes, { maxPixels: 1e8 }), openImage(bytes, { maxPixels: 1e8, heic: workers })]);
      expect([there.width, there.height]).toEqual([240, 320]);
      expect([there.width, there.height, there.hasAlpha]).toEqual([here.width, here.height, here.hasAlpha]);
      expect((await there.pipeline().raw().toBuffer()).equals(await here.pipeline().raw().toBuffer())).toBe(true);
      expect(await perceptualHash(there)).toBe(await perceptualHash(here));
    }
  });

  it("refuses what the calling thread refuses, with the same messages, and holds HEIC to its own pixel budget", async () => {
    for (const decoder of [undefined, workers]) {
      expect(await refusal(openImage(upright.subarray(0, 600), { maxPixels: 1e8, heic: decoder }))).toMatch(/valid image/);
      expect(await refusal(openImage(upright, { maxPixels: 50_000, heic: decoder }))).toBe("Image dimensions too large. Maximum is 0 megapixels.");
      // 35 MP is within the general budget but not within a stricter HEIC one.
      expect(await refusal(openImage(wide, { maxPixels: 1e8, maxHeicPixels: 30_000_000, heic: decoder }))).toBe(
        "Image dimensions too large. Maximum is 30 megapixels.",
      );
    }
  });

  it("shrinks a 35 MP HEIC where it is decoded to the largest copy anything needs, as the calling thread does, then stops its thread once idle", async () => {
    const options = { maxPixels: 1e8, maxEdge: 2048 };
    const there = await openImage(wide, { ...options, heic: workers });
    expect(workers.running).toBe(1);
    const here = await openImage(wide, options);
    // The photo's own dimensions; the pixels handed on are at most 2048 on the long side.
    expect([there.width, there.height]).toEqual([8192, 4320]);
    const { info } = await there.pipeline().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([2048, 1080]);
    expect((await there.pipeline().raw().toBuffer()).equals(await here.pipeline().raw().toBuffer())).toBe(true);
    expect(await perceptualHash(there)).toBe(await perceptualHash(here));
    const deadline = Date.now() + 10_000;
    while (workers.running > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(workers.running).toBe(0);
  });

  it("answers a 400 when a decode thread dies of its memory limit, and the process lives on", async () => {
    // A heap too small for libheif itself: every worker dies of memory, each time failing only its photo.
    const starved = new HeicWorkers({ size: 1, resourceLimits: { maxOldGenerationSizeMb: 4, maxYoungGenerationSizeMb: 1 } });
    try {
      for (let attempt = 0; attempt < 2; attempt++)
        expect(await refusal(openImage(upright, { maxPixels: 1e8, heic: starved }))).toMatch(/more memory to decode than this server allows/);
    } finally {
      await starved.close();
    }
    expect((await openImage(upright, { maxPixels: 1e8, heic: workers })).width).toBe(240);
  });
});
