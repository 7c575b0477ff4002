import { createRequire } from "node:module";
import type { ResourceLimits } from "node:worker_threads";
import { BusyError } from "../domain/errors.js";
import { WorkerFailure, WorkerPool, workerModule } from "../workers/pool.js";
import { INVALID_IMAGE_MESSAGE, invalidImage, tooManyPixels } from "./refusals.js";

/**
 * HEIC/HEIF pixels. The prebuilt sharp has no HEVC decoder, so HEIC goes through libheif compiled to
 * WebAssembly (heic-decode), which decodes synchronously on the calling thread and whose heap grows to
 * the largest image decoded and never shrinks (about 13 bytes per pixel: a 35 MP photo takes ~0.5 GB).
 * Only the shrunk image leaves the decoder: a full-resolution buffer on the event loop's thread would
 * cost it a full garbage collection per photo (V8 collects when external memory grows by 64 MB).
 * Hence two decoders behind one interface: worker threads that are stopped when idle (`npm start`:
 * the event loop keeps serving, and the memory goes back after a burst), and the calling thread, one
 * photo at a time (Lambda: one request per instance, nothing else to keep responsive).
 */

/** An upright HEIC image (libheif has applied irot/imir): its dimensions, and its pixels as packed RGB (3 bytes per pixel), at most `keepEdge` on the long side. */
export interface HeicPixels {
  width: number;
  height: number;
  pixels: { width: number; height: number; rgb: Uint8Array };
}

export interface HeicDecoder {
  /** The primary image's pixels; a 400 on `image` (InvalidInputError) for anything undecodable or over `maxPixels`. */
  decode(bytes: Buffer, limits: { maxPixels: number; keepEdge: number }): Promise<HeicPixels>;
}

/** A decode's outcome as plain data (it crosses from a worker thread): pixels, or why the photo is refused. */
export type HeicOutcome = ({ ok: true } & HeicPixels) | { ok: false; refusal: string };

interface HeicImage {
  width: number;
  height: number;
  decode(): Promise<{ width: number; height: number; data: Uint8ClampedArray }>;
}
type HeicLibrary = { all(input: { buffer: Uint8Array }): Promise<HeicImage[] & { dispose(): void }> };
let library: HeicLibrary | undefined;

/** libheif, loaded on first use (the module compiles its WebAssembly when loaded). */
function heicLibrary(): HeicLibrary {
  library ??= createRequire(import.meta.url)("heic-decode") as HeicLibrary;
  return library;
}

/**
 * Decodes on this thread. The container's dimensions are checked first: a decompression bomb is
 * refused before any pixel is decoded. Pixels beyond `keepEdge` on the long side are never used
 * downstream (everything stored or analysed is smaller), so the image is shrunk here: what leaves
 * the decoder is at most a few MB whatever the photo's size.
 */
export async function decodeHeicHere(bytes: Uint8Array, limits: { maxPixels: number; keepEdge: number }): Promise<HeicOutcome> {
  let images: Awaited<ReturnType<HeicLibrary["all"]>>;
  try {
    images = await heicLibrary().all({ buffer: bytes });
  } catch {
    return { ok: false, refusal: INVALID_IMAGE_MESSAGE };
  }
  let decoded: Awaited<ReturnType<HeicImage["decode"]>>;
  try {
    const primary = images[0];
    if (!primary?.width || !primary.height) return { ok: false, refusal: INVALID_IMAGE_MESSAGE };
    if (primary.width * primary.height > limits.maxPixels) return { ok: false, refusal: tooManyPixels(limits.maxPixels) };
    try {
      decoded = await primary.decode();
    } catch {
      return { ok: false, refusal: INVALID_IMAGE_MESSAGE };
    }
  } finally {
    images.dispose();
  }
  const { width, height, data } = decoded;
  // libheif hands out RGBA; HEIC photos are opaque, so the alpha channel is dropped.
  // Imported here, as decode.ts does, so that sharp's addon loads with the first decode, not at start.
  const sharp = (await import("./sharp-module.js")).default;
  const pipeline = sharp(data, { raw: { width, height, channels: 4 }, limitInputPixels: false }).removeAlpha();
  if (Math.max(width, height) > limits.keepEdge) pipeline.resize(limits.keepEdge, limits.keepEdge, { fit: "inside" });
  const { data: rgb, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  // Its own ArrayBuffer, so that it can leave a worker without copying.
  return { ok: true, width, height, pixels: { width: info.width, height: info.height, rgb: new Uint8Array(rgb) } };
}

function pixelsOf(outcome: HeicOutcome): HeicPixels {
  if (!outcome.ok) throw invalidImage(outcome.refusal);
  return { width: outcome.width, height: outcome.height, pixels: outcome.pixels };
}

/**
 * The calling thread's decoder: one photo at a time per process, so the WebAssembly heap holds one
 * decode at most (concurrent jobs in one Lambda worker invocation queue here instead of stacking up).
 */
export function inlineHeicDecoder(): HeicDecoder {
  let previous: Promise<unknown> = Promise.resolve();
  return {
    decode(bytes, limits) {
      const turn = previous.then(() => decodeHeicHere(bytes, limits));
      previous = turn.catch(() => {});
      return turn.then(pixelsOf);
    },
  };
}

/** The one the process gets when it has no workers (see shared/runtime/analysis.ts). */
export const sharedInlineHeicDecoder = inlineHeicDecoder();

/** Idle decode workers stop after this long, giving their WebAssembly heap back. */
const IDLE_MS = 2_000;

/**
 * V8 heap limits of a decode worker: libheif's JavaScript and the decode's bookkeeping need ~30 MB
 * (the pixels are WebAssembly and ArrayBuffer memory, bounded by the pixel budget, not by these).
 */
export const HEIC_WORKER_LIMITS = { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 16 };

/** HEIC decoding in worker threads; a worker that dies of memory fails only its photo (400) and is replaced. */
export class HeicWorkers implements HeicDecoder {
  private readonly pool: WorkerPool;

  constructor(options: { size: number; maxQueue?: number; idleMs?: number; resourceLimits?: ResourceLimits }) {
    this.pool = new WorkerPool({
      size: options.size,
      maxQueue: options.maxQueue,
      entry: workerModule(import.meta.url, "heic-worker"),
      busyMessage: "The image decoder is busy with other photos; try again in a moment.",
      resourceLimits: options.resourceLimits ?? HEIC_WORKER_LIMITS,
      idleMs: options.idleMs ?? IDLE_MS,
      // A 35 MP decode is seconds of CPU: the event loop's thread goes first.
      niceness: 10,
    });
  }

  /** Decode threads running now (0 once they have been idle for a while). */
  get running(): number {
    return this.pool.running;
  }

  async decode(bytes: Buffer, limits: { maxPixels: number; keepEdge: number }): Promise<HeicPixels> {
    let outcome: HeicOutcome;
    try {
      outcome = await this.pool.run<HeicOutcome>({ bytes, limits });
    } catch (error) {
      if (error instanceof WorkerFailure && error.outOfMemory) {
        throw invalidImage("This image needs more memory to decode than this server allows. Upload a smaller photo (12 megapixels is plenty).");
      }
      if (error instanceof WorkerFailure) throw new BusyError("The image decoder stopped unexpectedly; try again in a moment.", 1);
      throw error;
    }
    return pixelsOf(outcome);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
