import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseSettings } from "../../shared/config/settings.js";
import { openImage, resizedJpeg } from "../../shared/image/decode.js";
import { formatBytes } from "../../shared/cli/output.js";
import { SUGGESTIONS_JSON_SCHEMA, userInstruction } from "../../shared/vision/instructions.js";
import { EVAL_DIR, readTruth } from "../eval/local-eval.js";
import { twelveMegapixelJpeg } from "./photos.js";
import { median } from "./stats.js";

/**
 * OpenAI's published image-token formula for GPT-4o: "low" detail is a flat 85 tokens; "high" scales
 * the image to fit 2048x2048, then its shortest side to 768, and costs 85 + 170 per 512 px tile.
 */
export function openAiImageTokens(width: number, height: number, detail: "low" | "high"): number {
  if (detail === "low") return 85;
  let w = width;
  let h = height;
  const fit = Math.min(1, 2048 / Math.max(w, h));
  w *= fit;
  h *= fit;
  const shortest = Math.min(1, 768 / Math.min(w, h));
  w *= shortest;
  h *= shortest;
  return 85 + 170 * Math.ceil(w / 512) * Math.ceil(h / 512);
}

/** Issue 7: what downscaling and low detail save, per photo, and the token budget of one analysis. */
export async function reportTokens() {
  console.log("\n## tokens: image bytes and OpenAI image tokens before/after downscaling (formula, GPT-4o)");
  const settings = parseSettings({});
  const edge = settings.PHOTO_ANALYSIS_VISION_IMAGE_MAX_EDGE;
  const rows: { before: number; after: number; tokensBefore: number }[] = [];
  for (const truth of await readTruth()) {
    const bytes = await readFile(join(EVAL_DIR, truth.file));
    const image = await openImage(bytes, { maxPixels: 1e8 });
    const sent = await resizedJpeg(image, edge);
    rows.push({ before: bytes.length, after: sent.length, tokensBefore: openAiImageTokens(image.width, image.height, "high") });
  }
  const sum = (pick: (row: (typeof rows)[number]) => number) => rows.reduce((total, row) => total + pick(row), 0);
  console.log(
    `250 dev photos (≤288 px): bytes median ${formatBytes(median(rows.map((r) => r.before)))} → ${formatBytes(median(rows.map((r) => r.after)))} sent; total ${formatBytes(sum((r) => r.before))} → ${formatBytes(sum((r) => r.after))}`,
  );
  console.log(
    `  image tokens: high detail median ${median(rows.map((r) => r.tokensBefore))} (total ${sum((r) => r.tokensBefore)}) → low detail 85 (total ${85 * rows.length})`,
  );

  const phone = await twelveMegapixelJpeg("fixtures/photos/coffee-mug.jpg");
  const phoneSent = await resizedJpeg(await openImage(phone, { maxPixels: 1e8 }), edge);
  console.log(
    `12 MP phone photo (4000x3000): ${formatBytes(phone.length)} → ${formatBytes(phoneSent.length)} sent (${edge} px JPEG q85); image tokens ${openAiImageTokens(4000, 3000, "high")} (high) → 85 (low)`,
  );

  // The rest of the budget, estimated at ~4 characters per token (English text, JSON).
  const systemTokens = Math.ceil(settings.PHOTO_ANALYSIS_PROMPT.length / 4);
  const userTokens = Math.ceil(userInstruction().length / 4);
  const schemaTokens = Math.ceil(JSON.stringify(SUGGESTIONS_JSON_SCHEMA).length / 4);
  const completionTokens = Math.ceil(
    JSON.stringify({
      suggestions: Array.from({ length: 10 }, () => ({ name: "Morning Mug Club", description: "Slow mornings, warm mugs and good conversation together" })),
    }).length / 4,
  );
  const total = systemTokens + userTokens + schemaTokens + 85 + completionTokens;
  console.log(
    `estimated tokens per analysis: system ${systemTokens} + user ${userTokens} + schema ${schemaTokens} + image 85 + completion ~${completionTokens} ≈ ${total} (seed sample: 1,430)`,
  );
}
