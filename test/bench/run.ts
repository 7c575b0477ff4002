/**
 * `npm run bench [-- section...]`: prints medians and p95s measured in this run.
 * Sections: core, neardup (BENCH_RECORDS=100000 by default), cleanup, ratelimit, normalize, tokens, coldstart, soak, inference, async, abuse. No section named: all of them.
 */
import { benchAbuse } from "./abuse-bench.js";
import { benchAsync } from "./async-bench.js";
import { benchCleanup } from "./cleanup-bench.js";
import { benchColdStart } from "./coldstart.js";
import { benchCore } from "./core.js";
import { benchInference } from "./inference-bench.js";
import { benchNearDuplicates } from "./near-duplicates-bench.js";
import { benchNormalize } from "./normalize-bench.js";
import { benchRateLimit } from "./ratelimit-bench.js";
import { benchSoak } from "./soak.js";
import { reportTokens } from "./tokens-report.js";

const sections: Record<string, () => Promise<void>> = {
  core: benchCore,
  neardup: () => benchNearDuplicates({ records: Number(process.env.BENCH_RECORDS ?? 100_000) }),
  cleanup: () => benchCleanup(),
  ratelimit: benchRateLimit,
  normalize: benchNormalize,
  tokens: reportTokens,
  coldstart: benchColdStart,
  soak: benchSoak,
  inference: benchInference,
  async: benchAsync,
  abuse: benchAbuse,
};

const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith("-"));
const unknown = wanted.filter((name) => !(name in sections));
if (unknown.length) {
  console.error(`unknown section(s): ${unknown.join(", ")}; known: ${Object.keys(sections).join(", ")}`);
  process.exit(2);
}
console.log(`Photo Analysis benchmarks — node ${process.version}, ${(await import("node:os")).cpus().length} CPUs`);
for (const name of wanted.length ? wanted : Object.keys(sections)) await sections[name]!();
