import { createRequire } from "node:module";
import type { Metadata, Sharp } from "sharp";
import { InvalidInputError } from "../domain/errors.js";
import { MIME_TYPES, sniffImageFormat, type ImageFormat } from "./format.js";
import { PHASH_INPUT_SIZE, phashFromGrey32 } from "./hash.js";

const DECODE_TIMEOUT_SECONDS = 20;

type SharpModule = typeof import("sharp").default;
let sharpModule: SharpModule | undefined;

/** sharp's native addon is loaded by the first openImage, not at start: a cached upload (same bytes, found by MD5) never decodes. */
async function loadSharp(): Promise<void> {
  sharpModule ??= (await import("./sharp-module.js")).default;
}

/** sharp, once openImage has loaded it: every pipeline starts from an opened image. */
function sharp(...args: Parameters<SharpModule>): Sharp {
  if (!sharpModule) throw new Error("sharp used before openImage loaded it");
  return sharpModule(...args);
}

export const INVALID_IMAGE_MESSAGE =
  "Upload a valid image. The file you uploaded was either not an image or a corrupted image.";
const UNSUPPORTED_FORMAT_MESSAGE = "Unsupported image format. Upload a JPEG, PNG, WebP, GIF or HEIC image.";

/** A validated image, ready for hashing, resizing and re-encoding. */
export interface OpenedImage {
  format: ImageFormat;
  mimeType: string;
  /** Upright dimensions (EXIF orientation applied). */
  width: number;
  height: number;
  hasAlpha: boolean;
  /** A fresh sharp pipeline over the upright first frame. */
  pipeline(): Sharp;
}

interface HeicImage {
  width: number;
  height: number;
  decode(): Promise<{ width: number; height: number; data: Uint8ClampedArray }>;
}
type HeicDecoder = { all(input: { buffer: Uint8Array }): Promise<HeicImage[] & { dispose(): void }> };
let heicDecoder: HeicDecoder | undefined;

/** The prebuilt sharp has no HEVC decoder: HEIC goes through libheif compiled to wasm, loaded on first use. */
function loadHeicDecoder(): HeicDecoder {
  heicDecoder ??= createRequire(import.meta.url)("heic-decode") as HeicDecoder;
  return heicDecoder;
}

function invalid(message = INVALID_IMAGE_MESSAGE): InvalidInputError {
  return new InvalidInputError("image", message);
}

/**
 * Recognises the format from the bytes, reads the header and checks dimensions against the
 * pixel budget before any full decode. Everything a client can get wrong is a 400 on `image`.
 */
export async function openImage(bytes: Buffer, options: { maxPixels: number }): Promise<OpenedImage> {
  const format = sniffImageFormat(bytes);
  if (!format) throw invalid(bytes.length < 12 ? INVALID_IMAGE_MESSAGE : UNSUPPORTED_FORMAT_MESSAGE);
  await loadSharp();
  if (format === "heic") return openHeic(bytes, options.maxPixels);

  const sharpOptions = { limitInputPixels: options.maxPixels, failOn: "warning" as const };
  // A hard time budget per decode: a pathological file fails instead of holding the function.
  const timed = (pipeline: Sharp) => pipeline.timeout({ seconds: DECODE_TIMEOUT_SECONDS });
  let metadata: Metadata;
  try {
    // Header only; the pixel budget is checked below with a clearer message than sharp's.
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw invalid();
  }
  const { width, height } = metadata;
  if (!width || !height) throw invalid();
  if (width * height > options.maxPixels) throw invalid(tooManyPixels(options.maxPixels));
  const swapsAxes = (metadata.orientation ?? 1) >= 5;
  return {
    format,
    mimeType: MIME_TYPES[format],
    width: swapsAxes ? height : width,
    height: swapsAxes ? width : height,
    hasAlpha: metadata.hasAlpha === true,
    pipeline: () => timed(sharp(bytes, sharpOptions).rotate()),
  };
}

function tooManyPixels(maxPixels: number): string {
  return `Image dimensions too large. Maximum is ${Math.round(maxPixels / 1e6)} megapixels.`;
}

async function openHeic(bytes: Buffer, maxPixels: number): Promise<OpenedImage> {
  let images: Awaited<ReturnType<HeicDecoder["all"]>>;
  try {
    images = await loadHeicDecoder().all({ buffer: bytes });
  } catch {
    throw invalid();
  }
  try {
    const primary = images[0];
    // Dimensions come from the container: a decompression bomb is refused before any pixel is decoded.
    if (!primary?.width || !primary.height) throw invalid();
    if (primary.width * primary.height > maxPixels) throw invalid(tooManyPixels(maxPixels));
    let decoded: Awaited<ReturnType<HeicImage["decode"]>>;
    try {
      decoded = await primary.decode();
    } catch {
      throw invalid();
    }
    const { width, height, data } = decoded;
    const raw = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    return {
      format: "heic",
      mimeType: MIME_TYPES.heic,
      width,
      height,
      hasAlpha: false,
      // libheif has already applied the HEIF transforms (irot/imir), which are what iPhones use for
      // rotation; EXIF orientation inside HEIF is informative only and is not applied again.
      pipeline: () => sharp(raw, { raw: { width, height, channels: 4 }, limitInputPixels: maxPixels }).removeAlpha(),
    };
  } finally {
    images.dispose();
  }
}

/** The image as stored and served: upright, metadata stripped (no GPS, no serials), long edge capped, JPEG (WebP when transparent). */
export async function normalizedForStorage(image: OpenedImage, maxEdge: number): Promise<{ bytes: Buffer; contentType: string }> {
  const pipeline = image.pipeline().resize(maxEdge, maxEdge, { fit: "inside", withoutEnlargement: true });
  // sharp writes no EXIF, XMP or IPTC unless asked to (withMetadata/keepExif): nothing personal survives.
  // Transparency is kept (WebP) only when some pixel actually uses it: most GIFs and PNGs declare alpha and never use it.
  if (image.hasAlpha && !(await image.pipeline().stats()).isOpaque) {
    return { bytes: await pipeline.webp({ quality: 85 }).toBuffer(), contentType: "image/webp" };
  }
  return { bytes: await pipeline.flatten({ background: "#ffffff" }).jpeg({ quality: 85, mozjpeg: true }).toBuffer(), contentType: "image/jpeg" };
}

/** pHash of the upright image; sharp's shrink-on-load keeps this cheap for large JPEGs. */
export async function perceptualHash(image: OpenedImage): Promise<string> {
  let pixels: Buffer;
  try {
    pixels = await image
      .pipeline()
      .flatten({ background: "#ffffff" })
      .greyscale()
      .resize(PHASH_INPUT_SIZE, PHASH_INPUT_SIZE, { fit: "fill" })
      .extractChannel(0)
      .raw()
      .toBuffer();
  } catch {
    // Corrupt or truncated pixel data surfaces here, on the first full decode.
    throw invalid();
  }
  return phashFromGrey32(pixels);
}

/** A JPEG copy made when first asked for, then shared (moderation and the vision call may both want it; the local models want none). */
export function lazyJpeg(image: OpenedImage, maxEdge: number): () => Promise<Buffer> {
  let copy: Promise<Buffer> | undefined;
  return () => (copy ??= resizedJpeg(image, maxEdge));
}

/** A JPEG copy with the long edge capped: what a cloud vision model receives. */
export async function resizedJpeg(image: OpenedImage, maxEdge: number, quality = 85): Promise<Buffer> {
  return image
    .pipeline()
    .flatten({ background: "#ffffff" })
    .resize(maxEdge, maxEdge, { fit: "inside", withoutEnlargement: true })
    .jpeg({ quality, mozjpeg: false })
    .toBuffer();
}
