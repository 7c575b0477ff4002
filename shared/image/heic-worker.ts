import { serveRequests, Transferable } from "../workers/serve.js";
import { decodeHeicHere } from "./heic.js";

/** One HEIC decode thread (heic.ts: HeicWorkers): decodes a photo at a time; the pixels go back without copying. */
serveRequests<{ bytes: Uint8Array; limits: { maxPixels: number; keepEdge: number } }>(async ({ bytes, limits }) => {
  const outcome = await decodeHeicHere(bytes, limits);
  return outcome.ok ? new Transferable(outcome, [outcome.pixels.rgb.buffer as ArrayBuffer]) : outcome;
});
