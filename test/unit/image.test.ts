import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../../shared/domain/errors.js";
import { normalizedForStorage, openImage, perceptualHash, resizedJpeg } from "../../shared/image/decode.js";
import { sniffImageFormat } from "../../shared/image/format.js";
import { hammingDistance, md5Hex, phashFromGray32 } from "../../shared/image/hash.js";

const coffee = await readFile("fixtures/photos/coffee-mug.jpg");
const cat = await readFile("fixtures/photos/chelsea-cat.jpg");
const astronaut = await readFile("fixtures/photos/astronaut.jpg");
const limits = { maxPixels: 100_000_000 };
const END_OF_IMAGE = Buffer.from([0xff, 0xd9]);

/** Where a baseline JPEG's entropy-coded data starts (after its start-of-scan header) and ends (at its end-of-image marker). */
function entropyCodedData(jpeg: Buffer): { start: number; end: number } {
  let offset = 2;
  while (jpeg[offset + 1] !== 0xda) offset += 2 + jpeg.readUInt16BE(offset + 2);
  expect(jpeg.subarray(-2)).toEqual(END_OF_IMAGE);
  return { start: offset + 2 + jpeg.readUInt16BE(offset + 2), end: jpeg.length - 2 };
}

async function phash(bytes: Buffer) {
  return perceptualHash(await openImage(bytes, limits));
}

describe("format sniffing", () => {
  it("recognises formats from magic bytes, not names", async () => {
    expect(sniffImageFormat(coffee)).toBe("jpeg");
    expect(sniffImageFormat(await sharp(coffee).png().toBuffer())).toBe("png");
    expect(sniffImageFormat(await sharp(coffee).webp().toBuffer())).toBe("webp");
    expect(sniffImageFormat(await sharp(coffee).gif().toBuffer())).toBe("gif");
    expect(sniffImageFormat(await sharp(coffee).resize(64).avif().toBuffer())).toBe("avif");
    const heicHeader = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from("ftypheic"), Buffer.from([0, 0, 0, 0]), Buffer.from("mif1heic")]);
    expect(sniffImageFormat(heicHeader)).toBe("heic");
    expect(sniffImageFormat(Buffer.from("<html><body>not an image</body></html>"))).toBeNull();
    expect(sniffImageFormat(Buffer.alloc(4))).toBeNull();
  });
});

describe("hashes", () => {
  it("MD5 is the hex digest of the bytes", () => {
    expect(md5Hex(Buffer.from("hello"))).toBe("5d41402abc4b2a76b9719d911017c592");
  });

  it("pHash is 16 hex chars and stable", async () => {
    const hash = await phash(coffee);
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    expect(await phash(coffee)).toBe(hash);
  });

  it("pHash barely moves under resize, recompression and format change", async () => {
    const original = await phash(coffee);
    const variants = [
      await sharp(coffee).resize(200).jpeg({ quality: 60 }).toBuffer(),
      await sharp(coffee).png().toBuffer(),
      await sharp(coffee).webp({ quality: 70 }).toBuffer(),
    ];
    for (const variant of variants) expect(hammingDistance(original, await phash(variant))).toBeLessThanOrEqual(6);
  });

  it("pHash separates different photos", async () => {
    const hashes = [await phash(coffee), await phash(cat), await phash(astronaut)];
    expect(hammingDistance(hashes[0]!, hashes[1]!)).toBeGreaterThan(16);
    expect(hammingDistance(hashes[0]!, hashes[2]!)).toBeGreaterThan(16);
    expect(hammingDistance(hashes[1]!, hashes[2]!)).toBeGreaterThan(16);
  });

  it("pHash (greyed after the shrink) is within 2 bits of the hash greyed before it, which stored hashes were made with", async () => {
    for (const photo of [coffee, cat, astronaut]) {
      const greyedFirst = await sharp(photo)
        .rotate()
        .flatten({ background: "#ffffff" })
        .greyscale()
        .resize(32, 32, { fit: "fill" })
        .extractChannel(0)
        .raw()
        .toBuffer();
      expect(hammingDistance(await phash(photo), phashFromGray32(greyedFirst))).toBeLessThanOrEqual(2);
    }
  });

  it("pHash's folded DCT gives the bits of the textbook one (every coefficient summed over all 32 values)", async () => {
    const cosine = (u: number, x: number) => Math.cos(((2 * x + 1) * u * Math.PI) / 64);
    const textbook = (pixels: Uint8Array) => {
      const rows = Array.from({ length: 32 }, (_, y) =>
        Array.from({ length: 9 }, (_, u) => pixels.subarray(y * 32, y * 32 + 32).reduce((sum, p, x) => sum + p * cosine(u, x), 0)),
      );
      const block: number[] = [];
      for (let v = 1; v <= 8; v++) {
        for (let u = 1; u <= 8; u++) block.push(Math.round(rows.reduce((sum, row, y) => sum + row[u]! * cosine(v, y), 0) * 1e6) / 1e6);
      }
      const sorted = [...block].sort((a, b) => a - b);
      const median = (sorted[31]! + sorted[32]!) / 2;
      return block.map((c) => (c > median ? "1" : "0")).join("");
    };
    let state = 5;
    const random = () => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return state >> 23;
    };
    const images = [
      ...Array.from({ length: 200 }, () => Uint8Array.from({ length: 1024 }, random)),
      ...(await Promise.all([coffee, cat, astronaut].map((photo) => sharp(photo).resize(32, 32, { fit: "fill" }).toColourspace("b-w").raw().toBuffer()))),
    ];
    for (const pixels of images)
      expect(
        BigInt(`0x${phashFromGray32(pixels)}`)
          .toString(2)
          .padStart(64, "0"),
      ).toBe(textbook(pixels));
  });

  it("pHash of a flat image is all zeros and of a gradient is not", () => {
    expect(phashFromGray32(new Uint8Array(1024).fill(128))).toBe("0000000000000000");
    // Varies in both directions (a purely horizontal gradient has no energy past the first row, so hashes to zero too).
    const gradient = Uint8Array.from({ length: 1024 }, (_, i) => (i % 32) * (Math.floor(i / 32) % 8));
    expect(phashFromGray32(gradient)).not.toBe("0000000000000000");
  });

  it("pHash is computed on the upright image (EXIF orientation applied)", async () => {
    const rotatedPixels = await sharp(cat).rotate(90).jpeg().toBuffer();
    // The same pixels stored sideways with orientation 6 ("rotate 90° to display") must hash like the upright copy.
    const sideways = await sharp(cat).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    expect(hammingDistance(await phash(rotatedPixels), await phash(sideways))).toBeLessThanOrEqual(4);
    const opened = await openImage(sideways, limits);
    const raw = await sharp(cat).metadata();
    expect([opened.width, opened.height]).toEqual([raw.height, raw.width]);
  });

  it("hamming distance counts differing bits", () => {
    expect(hammingDistance("0000000000000000", "000000000000000f")).toBe(4);
    expect(hammingDistance("ffffffffffffffff", "0000000000000000")).toBe(64);
  });
});

describe("openImage validation", () => {
  async function rejection(bytes: Buffer, maxPixels = 100_000_000) {
    const error = await openImage(bytes, { maxPixels })
      .then(
        (image) => perceptualHash(image).then(() => null),
        (caught: unknown) => caught,
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).subject).toBe("image");
    return (error as InvalidInputError).message;
  }

  it("rejects text, truncated files and too many pixels with a clear message", async () => {
    expect(await rejection(Buffer.from("GIF89a but really just text pretending"))).toMatch(/valid image/);
    // Every format it accepts is named, AVIF included.
    expect(await rejection(Buffer.from("just some text in a file named photo.jpg"))).toBe(
      "Unsupported image format. Upload a JPEG, PNG, WebP, GIF, HEIC or AVIF image.",
    );
    expect(await rejection(coffee.subarray(0, coffee.length / 3))).toMatch(/valid image/);
    expect(await rejection(coffee, 10_000)).toMatch(/Image dimensions too large/);
  });

  it("refuses a JPEG cut mid-scan, the same cut closed with an end-of-image marker, and one that stops after its header", async () => {
    for (const photo of [coffee, cat]) {
      const { start, end } = entropyCodedData(photo);
      const middle = Math.floor((start + end) / 2);
      expect(await rejection(photo.subarray(0, middle))).toMatch(/valid image/);
      expect(await rejection(Buffer.concat([photo.subarray(0, middle), END_OF_IMAGE]))).toMatch(/valid image/);
      expect(await rejection(photo.subarray(0, start))).toMatch(/valid image/);
    }
  });

  it("refuses a JPEG with data missing from its scan on whichever decode finds it, never with a decoder's own error", async () => {
    const { start, end } = entropyCodedData(coffee);
    const at = Math.floor((start + end) / 2);
    const missing = Buffer.concat([coffee.subarray(0, at), coffee.subarray(at + 200)]);
    // Garbage that still decodes (libjpeg resynchronises) may pass every decode: then it is simply an image.
    const garbled = Buffer.from(coffee);
    for (let i = 0; i < 64; i++) garbled[at + i] = (i * 37 + 11) & 0xff;
    const outcomes = async (bytes: Buffer) => {
      const image = await openImage(bytes, limits);
      const settle = (work: Promise<unknown>) =>
        work.then(
          () => "decoded",
          (error: unknown) => error,
        );
      return [await settle(perceptualHash(image)), await settle(normalizedForStorage(image, 2048)), await settle(resizedJpeg(image, 512))];
    };
    const refusedMissing = await outcomes(missing);
    expect(refusedMissing.some((outcome) => outcome instanceof InvalidInputError)).toBe(true);
    for (const outcome of [...refusedMissing, ...(await outcomes(garbled))]) {
      if (outcome !== "decoded") expect(outcome).toBeInstanceOf(InvalidInputError);
    }
  });

  it("makes a JPEG copy with the long edge capped for the vision model", async () => {
    const copy = await resizedJpeg(await openImage(coffee, limits), 256);
    const meta = await sharp(copy).metadata();
    expect(meta.format).toBe("jpeg");
    expect(Math.max(meta.width!, meta.height!)).toBe(256);
  });
});
