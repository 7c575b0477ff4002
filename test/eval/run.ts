/**
 * `npm run eval [-- --limit N]`: quality and speed of the local provider on the 250 dev photos in
 * ../shared/eval/imagenet-dev (label top-5 accuracy, suggestion relevance, ms per image, RSS).
 */
import { parseArgs } from "node:util";
import { evaluateLocal } from "./local-eval.js";

const { values } = parseArgs({ options: { limit: { type: "string" } } });
const limit = values.limit ? Number(values.limit) : undefined;
const result = await evaluateLocal({
  limit,
  onProgress: (done, total) => {
    if (done % 25 === 0 || done === total) process.stderr.write(`  ${done}/${total} photos\n`);
  },
});
console.log(`photos                      ${result.photos}`);
console.log(`label top-5 accuracy        ${(result.top5Accuracy * 100).toFixed(1)} %`);
console.log(`suggestion relevance        ${(result.meanRelevance * 100).toFixed(1)} %`);
console.log(`ms per image (warm)         median ${result.medianMs.toFixed(0)}, p95 ${result.p95Ms.toFixed(0)} (first image ${result.firstMs.toFixed(0)})`);
console.log(`model load                  ${result.loadMs.toFixed(0)} ms`);
console.log(`peak RSS                    ${result.peakRssMb.toFixed(0)} MB`);
console.log("\nexamples:");
for (const example of result.examples) console.log(`  ${example.file} [${example.labels.slice(0, 3).join(", ")}]\n    ${example.names.join(" · ")}`);
