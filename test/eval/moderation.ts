/**
 * `npm run eval-moderation [-- --provider local]`: the moderation policy over the 250 dev photos in
 * ../shared/eval/imagenet-dev (all ordinary ImageNet photos): how many would be blocked (the false-block
 * rate; the target is at most 1 %) or flagged, which, and the moderation latency per photo.
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseSettings } from "../../shared/config/settings.js";
import { openImage } from "../../shared/image/decode.js";
import { moderationInput } from "../../shared/moderation/input.js";
import { LocalModerator } from "../../shared/moderation/local-moderator.js";
import { decide } from "../../shared/moderation/moderation.js";
import { median, percentile } from "../bench/stats.js";

const DEV = "../shared/eval/imagenet-dev";
if (!existsSync(DEV)) {
  console.log(`skipped: ${DEV} is not here (the dev photos come with ../shared)`);
  process.exit(0);
}
const settings = parseSettings({});
const moderator = new LocalModerator();
const started = performance.now();
await moderator.warmUp();
const loadMs = performance.now() - started;
const files = (await readdir(DEV)).filter((name) => /\.(jpe?g|png)$/i.test(name)).sort();
const times: number[] = [];
const outcomes = { allow: [] as string[], flag: [] as string[], block: [] as string[] };
for (const file of files) {
  const image = await openImage(await readFile(join(DEV, file)), { maxPixels: settings.PHOTO_ANALYSIS_MAX_PIXELS });
  const t = performance.now();
  const scores = await moderator.moderateImage(moderationInput(image));
  times.push(performance.now() - t);
  const decision = decide(scores, settings);
  outcomes[decision].push(decision === "allow" ? file : `${file} (explicit ${scores.explicit.toFixed(2)}, suggestive ${scores.suggestive.toFixed(2)})`);
}
const percent = (n: number) => `${((100 * n) / files.length).toFixed(1)} %`;
console.log(
  `moderation (local nsfwjs MobileNet v2, policy block, thresholds block ${settings.PHOTO_ANALYSIS_MODERATION_BLOCK_THRESHOLD} / flag ${settings.PHOTO_ANALYSIS_MODERATION_FLAG_THRESHOLD}) on ${files.length} dev photos`,
);
console.log(`  blocked: ${outcomes.block.length} (${percent(outcomes.block.length)})${outcomes.block.length ? `: ${outcomes.block.join("; ")}` : ""}`);
console.log(`  flagged: ${outcomes.flag.length} (${percent(outcomes.flag.length)})${outcomes.flag.length ? `: ${outcomes.flag.join("; ")}` : ""}`);
console.log(`  allowed: ${outcomes.allow.length}`);
console.log(
  `  latency per photo: median ${median(times).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms (model load ${loadMs.toFixed(0)} ms, once)`,
);
process.exit(outcomes.block.length / files.length <= 0.01 ? 0 : 1);
