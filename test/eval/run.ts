/**
 * `npm run eval [-- --limit N] [--model-dir DIR]`: quality and speed of the local provider on the 250
 * dev photos in ../shared/eval/imagenet-dev (label top-5 accuracy, suggestion relevance, sameness,
 * ms per image, RSS), with the shipped classifier or the one in DIR.
 */
import { parseArgs } from "node:util";
import { evaluateLocal } from "./local-eval.js";

const { values } = parseArgs({ options: { limit: { type: "string" }, "model-dir": { type: "string" } } });
const limit = values.limit ? Number(values.limit) : undefined;
const result = await evaluateLocal({
  limit,
  modelDir: values["model-dir"],
  onProgress: (done, total) => {
    if (done % 25 === 0 || done === total) process.stderr.write(`  ${done}/${total} photos\n`);
  },
});
const percent = (share: number) => `${(share * 100).toFixed(1)} %`;
console.log(`photos                      ${result.photos} (${result.model})`);
console.log(`label top-5 accuracy        ${percent(result.top5Accuracy)} (classifier alone ${percent(result.classifierTop5Accuracy)}; top-1 ${percent(result.top1Accuracy)})`);
console.log(`suggestion relevance        ${percent(result.meanRelevance)}`);
console.log(`sameness, names             ${percent(result.sameness.names.share)} ("${result.sameness.names.skeleton}")`);
console.log(`sameness, descriptions      ${percent(result.sameness.descriptions.share)} ("${result.sameness.descriptions.skeleton}")`);
console.log(`ms per image (warm)         median ${result.medianMs.toFixed(0)}, p95 ${result.p95Ms.toFixed(0)} (first image ${result.firstMs.toFixed(0)})`);
console.log(`model load                  ${result.loadMs.toFixed(0)} ms`);
console.log(`peak RSS                    ${result.peakRssMb.toFixed(0)} MB`);
console.log("\nexamples:");
for (const example of result.examples) console.log(`  ${example.file} [${example.labels.slice(0, 3).join(", ")}]\n    ${example.names.join(" · ")}`);
