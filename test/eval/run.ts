/**
 * `npm run eval [-- --limit N] [--model-dir DIR] [--style-every N] [--verbose]`: quality and speed of
 * the local provider on the 250 dev photos in ../shared/eval/imagenet-dev (labels, relevance,
 * sameness, how the names read, whether they are about the right subject, the styles, ms per image,
 * RSS), with the shipped classifier or the one in DIR. Without ../shared it says so and exits 0.
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { EVAL_DIR, evaluateLocal } from "./local-eval.js";

const { values } = parseArgs({
  options: { limit: { type: "string" }, "model-dir": { type: "string" }, "style-every": { type: "string" }, verbose: { type: "boolean" } },
});
if (!existsSync(EVAL_DIR)) {
  console.log(`skipped: ${EVAL_DIR} is not here (the dev photos come with ../shared)`);
  process.exit(0);
}
const result = await evaluateLocal({
  limit: values.limit ? Number(values.limit) : undefined,
  modelDir: values["model-dir"],
  styleEvery: values["style-every"] ? Number(values["style-every"]) : undefined,
  onProgress: (done, total) => {
    if (done % 25 === 0 || done === total) process.stderr.write(`  ${done}/${total} photos\n`);
  },
});
const percent = (share: number) => `${(share * 100).toFixed(1)} %`;
console.log(
  `photos                      ${result.photos} (${result.model})${result.blocked.length ? `; ${result.blocked.length} blocked by moderation, not scored: ${result.blocked.join(", ")}` : ""}`,
);
console.log(
  `label top-5 accuracy        ${percent(result.top5Accuracy)} (classifier alone ${percent(result.classifierTop5Accuracy)}; top-1 ${percent(result.top1Accuracy)})`,
);
console.log(`suggestion relevance        ${percent(result.meanRelevance)} (WordNet terms alone ${percent(result.wordnetRelevance)})`);
console.log(`sameness, names             ${percent(result.sameness.names.share)} ("${result.sameness.names.skeleton}")`);
console.log(`sameness, descriptions      ${percent(result.sameness.descriptions.share)} ("${result.sameness.descriptions.skeleton}")`);
console.log(`raw unfit class names       ${percent(result.naming.unfitShare)} of ${result.naming.names} names`);
console.log(`doubled words               ${percent(result.naming.doubledShare)} of names`);
console.log(`gloss taglines              ${percent(result.naming.glossShare)} of taglines (${percent(result.naming.repeatShare)} repeat their name)`);
console.log(
  `named subject wrong         ${percent(result.wrongSubject.share)} of photos (${percent(result.unnamedShare)} named for nothing in particular: colour and a second look)`,
);
console.log(`same photo, same names      ${result.repeatable.same} of ${result.repeatable.tried} photos analysed twice`);
console.log(`styles (${result.styles.photos} photos)          mean characters / words / 1-2 word names / names shared with the default list`);
for (const [style, figures] of Object.entries(result.styles.byStyle)) {
  console.log(
    `  ${style.padEnd(26)}${figures.chars.toFixed(1)} / ${figures.words.toFixed(2)} / ${percent(figures.shortShare)} / ${percent(figures.sharedWithDefault)}`,
  );
}
console.log(`ms per image (warm)         median ${result.medianMs.toFixed(0)}, p95 ${result.p95Ms.toFixed(0)} (first image ${result.firstMs.toFixed(0)})`);
console.log(`model load                  ${result.loadMs.toFixed(0)} ms`);
console.log(`peak RSS                    ${result.peakRssMb.toFixed(0)} MB`);
if (values.verbose && result.wrongSubject.files.length) console.log(`\nwrong subject:\n  ${result.wrongSubject.files.join("\n  ")}`);
console.log("\nexamples:");
for (const example of result.examples) console.log(`  ${example.file} [${example.labels.slice(0, 3).join(", ")}]\n    ${example.names.join(" · ")}`);
// The local models' worker threads would keep the process alive.
process.exit(0);
