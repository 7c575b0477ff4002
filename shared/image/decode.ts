import type { Metadata, Sharp } from "sharp";
import type { Settings } from "../config/settings.js";
import { MIME_TYPES, sniffImageFormat, type ImageFormat } from "./format.js";
import { type HeicDecoder, sharedInlineHeicDecoder } from "./heic.js";
import { INVALID_IMAGE_MESSAGE, invalidImage, tooManyPixels } from "./refusals.js";
import { PHASH_INPUT_SIZE, phashFromGray32 } from "./hash.js";

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

export { INVALID_IMAGE_MESSAGE } from "./refusals.js";
const UNSUPPORTED_FORMAT_MESSAGE = "Unsupported image format. Upload a JPEG, PNG, WebP, GIF, HEIC or AVIF image.";

/** A validated image, ready for hashing, resizing and re-encoding. */
export interface OpenedImage {
  format: ImageFormat;
  mimeType: string;
  /** Upright dimensions (EXIF orientation applied) of the photo as uploaded. */
  width: number;
  height: number;
  hasAlpha: boolean;
  /**
   * A fresh sharp pipeline over the upright first frame (HEIC: at most the options' working edge, see DecodeOptions.maxEdge).
   * Its toBuffer and stats fail with a 400 on `image` when the pixels cannot be decoded.
   */
  pipeline(): Sharp;
}

export interface DecodeOptions {
  /** Pixel budget (width x height), checked from the header before any full decode. */
  maxPixels: number;
  /** HEIC's own budget, when stricter: its decoder holds ~13 bytes per pixel at once (heic.ts). */
  maxHeicPixels?: number;
  /**
   * The longest edge anything made from the image has (the stored copy, the vision model's copy): HEIC
   * pixels beyond it are shrunk away where they are decoded (never below MIN_WORKING_EDGE). Default: none.
   */
  maxEdge?: number;
  /** Who decodes HEIC: worker threads where the process has them (heic.ts), else the calling thread. */
  heic?: HeicDecoder;
}

/** The local models look at up to 512 px: HEIC pixels are kept at least this large. */
const MIN_WORKING_EDGE = 1024;

/** What the service decodes with: its pixel budgets, and the largest copy it makes (stored or sent to a model). */
export function decodeOptionsFrom(settings: Settings, heic?: HeicDecoder): DecodeOptions {
  return {
    maxPixels: settings.PHOTO_ANALYSIS_MAX_PIXELS,
    maxHeicPixels: settings.PHOTO_ANALYSIS_MAX_HEIC_PIXELS,
    maxEdge: Math.max(settings.PHOTO_ANALYSIS_STORED_MAX_EDGE, settings.PHOTO_ANALYSIS_VISION_IMAGE_MAX_EDGE),
    heic,
  };
}

/**
 * Recognises the format from the bytes, reads the header and checks dimensions against the
 * pixel budget before any full decode. Everything a client can get wrong is a 400 on `image`.
 * sharp decodes on libuv's threads; HEIC (synchronous WebAssembly) goes to `options.heic`.
 */
export async function openImage(bytes: Buffer, options: DecodeOptions): Promise<OpenedImage> {
  const format = sniffImageFormat(bytes);
  if (!format) throw invalidImage(bytes.length < 12 ? INVALID_IMAGE_MESSAGE : UNSUPPORTED_FORMAT_MESSAGE);
  await loadSharp();
  if (format === "heic") return openHeic(bytes, options);

  const sharpOptions = { limitInputPixels: options.maxPixels, failOn: "warning" as const };
  // A hard time budget per decode: a pathological file fails instead of holding the function.
  const timed = (pipeline: Sharp) => pipeline.timeout({ seconds: DECODE_TIMEOUT_SECONDS });
  let metadata: Metadata;
  try {
    // Header only; the pixel budget is checked below with a clearer message than sharp's.
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw invalidImage();
  }
  const { width, height } = metadata;
  if (!width || !height) throw invalidImage();
  if (width * height > options.maxPixels) throw invalidImage(tooManyPixels(options.maxPixels));
  const swapsAxes = (metadata.orientation ?? 1) >= 5;
  return {
    format,
    mimeType: MIME_TYPES[format],
    width: swapsAxes ? height : width,
    height: swapsAxes ? width : height,
    hasAlpha: metadata.hasAlpha === true,
    pipeline: () => refusingUndecodable(timed(sharp(bytes, sharpOptions).rotate())),
  };
}

/**
 * The pipeline with its decode failures made the file's (a 400 on `image`; libvips' timeout excepted): corrupt data surfaces only when the pixels
 * are decoded, and not always on the first decode. libvips looks at libjpeg's warnings before each 8-line strip it
 * decodes, never after the last, so the pHash's 1/8-scale decode (64 source lines to a strip) passes some files whose
 * scan is damaged near its end that a finer decode later (the stored copy, a model's copy) refuses.
 */
function refusingUndecodable(pipeline: Sharp): Sharp {
  const toBuffer = pipeline.toBuffer.bind(pipeline) as (...args: unknown[]) => Promise<unknown> | Sharp;
  const stats = pipeline.stats.bind(pipeline) as (...args: unknown[]) => Promise<unknown> | Sharp;
  const refusing =
    (decode: (...args: unknown[]) => Promise<unknown> | Sharp) =>
    (...args: unknown[]) => {
      const result = decode(...args);
      // The callback forms return the pipeline itself: only promises are rewritten.
      return result instanceof Promise
        ? result.catch((error: unknown) => {
            // A spent time budget (DECODE_TIMEOUT_SECONDS) is the machine's, not the file's: it stays a failure to retry.
            if (error instanceof Error && error.message.startsWith("timeout:")) throw error;
            throw Object.assign(invalidImage(), { cause: error });
          })
        : result;
    };
  return Object.assign(pipeline, { toBuffer: refusing(toBuffer), stats: refusing(stats) });
}

async function openHeic(bytes: Buffer, options: DecodeOptions): Promise<OpenedImage> {
  const maxPixels = Math.min(options.maxPixels, options.maxHeicPixels ?? options.maxPixels);
  const keepEdge = Math.max(options.maxEdge ?? Number.POSITIVE_INFINITY, MIN_WORKING_EDGE);
  const { width, height, pixels } = await (options.heic ?? sharedInlineHeicDecoder).decode(bytes, { maxPixels, keepEdge });
  return {
    format: "heic",
    mimeType: MIME_TYPES.heic,
    width,
    height,
    hasAlpha: false,
    // libheif has already applied the HEIF transforms (irot/imir), which are what iPhones use for
    // rotation; EXIF orientation inside HEIF is informative only and is not applied again.
    pipeline: () => sharp(pixels.rgb, { raw: { width: pixels.width, height: pixels.height, channels: 3 } }),
  };
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

/**
 * pHash of the upright image. sharp's shrink-on-load decodes a large JPEG at 1/8 scale in the DCT domain (every
 * entropy-coded block is still read, which is what refuses a truncated file). The grey conversion is sharp's output
 * colourspace, made on the 32x32 result: greyscale() would grey every pixel of the shrunk-on-load image before the
 * resize (about 14 M instructions for a 12 MP JPEG), and moves at most 2 of the 64 bits (docs/benchmarks.md).
 */
export async function perceptualHash(image: OpenedImage): Promise<string> {
  // A decode failure is a 400 (see refusingUndecodable): truncated data surfaces here, on the first decode of the pixels.
  const grey = await image
    .pipeline()
    .flatten({ background: "#ffffff" })
    .resize(PHASH_INPUT_SIZE, PHASH_INPUT_SIZE, { fit: "fill" })
    .toColourspace("b-w")
    .raw()
    .toBuffer();
  return phashFromGray32(grey);
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
