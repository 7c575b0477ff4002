#!/usr/bin/env -S npx tsx
/**
 * `npm run analyze -- <image files or folders...> [--json]`
 * Analyses photos with the configured provider (the local models unless a cloud one is set up)
 * and prints, per image, the labels and the 10 suggestions. With --json: one JSON line per image.
 */
import "../shared/cli/node-version.js"; // first: settles the AWS SDK's Node version notice before any client exists
import { readFile } from "node:fs/promises";
import { fail, parseCommandLine } from "../shared/cli/args.js";
import { expandImagePaths } from "../shared/cli/files.js";
import { runtimeEnvironmentFrom } from "../shared/runtime/environment.js";
import { createAnalysis } from "../shared/runtime/analysis.js";
import { createAppDeps } from "../shared/runtime/app-deps.js";
import { analyzeImageBytes } from "../shared/usecases/analyze-file.js";
import { ValidationError } from "../shared/domain/errors.js";

const USAGE =
  "usage: npm run analyze -- <image files or folders...> [--json]\n  settings from PHOTO_ANALYSIS_* (e.g. PHOTO_ANALYSIS_LOCAL_MODEL_DIR=<classifier dir>)";
const { values, positionals } = parseCommandLine(
  { allowPositionals: true, options: { json: { type: "boolean", default: false }, help: { type: "boolean", short: "h" } } },
  USAGE,
);
if (values.help || positionals.length === 0) {
  console.log(USAGE);
  process.exit(positionals.length === 0 && !values.help ? 2 : 0);
}

// The command stores nothing: the table is never used.
const runtime = runtimeEnvironmentFrom(process.env, { tableName: "unused" });
const deps = createAppDeps({ runtime, ...createAnalysis(runtime) });
const files = await expandImagePaths(positionals).catch((error: Error) => fail(error.message));
let failures = 0;
for (const [index, file] of files.entries()) {
  try {
    const result = await analyzeImageBytes(deps, await readFile(file));
    if (result.moderation?.decision === "block") failures++;
    if (values.json) {
      console.log(
        JSON.stringify({
          file,
          ...(result.moderation ? { moderation: result.moderation } : {}),
          labels: result.labels,
          suggestions: result.suggestions,
          model: result.model,
          ms: Math.round(result.ms),
        }),
      );
    } else if (result.moderation?.decision === "block") {
      console.error(
        `\n[${index + 1}/${files.length}] ${file}: blocked by moderation (${result.moderation.labels.map((label) => `${label.label} ${(label.score * 100).toFixed(0)}%`).join(", ")})`,
      );
    } else {
      console.log(`\n[${index + 1}/${files.length}] ${file}  (${result.model}, ${Math.round(result.ms)} ms)`);
      console.log(`  labels: ${result.labels.map((label) => `${label.label} ${(label.score * 100).toFixed(0)}%`).join(", ") || "(none)"}`);
      if (result.moderation?.decision === "flag")
        console.log(`  moderation: flagged (${result.moderation.labels.map((label) => `${label.label} ${(label.score * 100).toFixed(0)}%`).join(", ")})`);
      for (const [n, suggestion] of result.suggestions.entries()) {
        console.log(`  ${String(n + 1).padStart(2)}. ${suggestion.name} (${suggestion.key})\n      ${suggestion.description}`);
      }
    }
  } catch (error) {
    failures++;
    const message = error instanceof ValidationError ? Object.values(error.fields).flat().join(" ") : (error as Error).message;
    if (values.json) console.log(JSON.stringify({ file, error: message }));
    else console.error(`\n[${index + 1}/${files.length}] ${file}: ${message}`);
  }
}
process.exit(failures ? 1 : 0);
