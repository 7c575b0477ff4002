#!/usr/bin/env -S npx tsx
/**
 * `npm run cleanup -- [--dry-run] [--batch-size N]`, the cleanup of expired photos:
 * deletes expired uploads' images and erases their personal fields, then deletes expired analyses. Runs against the local data in .data/ unless
 * PHOTO_ANALYSIS_TABLE (and PHOTO_ANALYSIS_BUCKET) name real AWS resources.
 */
import "../shared/cli/node-version.js"; // first: settles the AWS SDK's Node version notice before any client exists
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseCommandLine } from "../shared/cli/args.js";
import { palette, formatBytes } from "../shared/cli/output.js";
import { createAppDeps } from "../shared/runtime/app-deps.js";
import { runtimeEnvironmentFrom, type RuntimeEnvironment } from "../shared/runtime/environment.js";
import { cleanupExpired } from "../shared/usecases/cleanup.js";
import { runningServer, startLocalRuntime } from "../local/service.js";
import { CLEANUP_FUNCTION } from "../functions/routes.js";
import { withTableGrant } from "../shared/runtime/table-access.js";

const USAGE = "usage: npm run cleanup -- [--dry-run] [--batch-size N]";
const { values } = parseCommandLine(
  {
    options: {
      "dry-run": { type: "boolean", default: false },
      "batch-size": { type: "string", default: "100" },
      help: { type: "boolean", short: "h" },
    },
  },
  USAGE,
);
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const batchSize = Number(values["batch-size"]);
if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000) {
  console.error("--batch-size must be a whole number from 1 to 1000");
  process.exit(2);
}

const colors = palette();
let runtime: RuntimeEnvironment;
let closeLocal = async () => {};
if (process.env.PHOTO_ANALYSIS_TABLE) {
  runtime = runtimeEnvironmentFrom(process.env);
} else {
  // The same data `npm start` uses. While it runs, its servers hold the files: use them rather than open the files twice.
  const dataDir = resolve(process.env.PHOTO_ANALYSIS_DATA_DIR ?? ".data");
  const server = await runningServer(dataDir);
  if (!server && !process.env.PHOTO_ANALYSIS_DYNAMODB_ENDPOINT && !existsSync(dataDir)) {
    // Nothing to clean, and no folder made for nothing: npm start makes it.
    console.log(`No local data in ${dataDir} (npm start keeps its data there; PHOTO_ANALYSIS_DATA_DIR names another folder). Nothing to clean.`);
    process.exit(0);
  }
  console.log(`Local data: ${dataDir}`);
  if (server) console.log(`Using the running npm start's data servers (pid ${server.pid}, ${server.url}).`);
  const env = server
    ? { ...process.env, PHOTO_ANALYSIS_DYNAMODB_ENDPOINT: server.dynamodbEndpoint, PHOTO_ANALYSIS_S3_ENDPOINT: server.s3Endpoint }
    : process.env;
  const local = await startLocalRuntime({ dataDir, env }).catch((error: Error) => {
    console.error(`error: ${error.message}`);
    process.exit(1);
  });
  runtime = local.runtime;
  closeLocal = local.close;
}

const dryRun = values["dry-run"];
console.log(
  colors.bold(`${dryRun ? "DRY RUN: nothing will be deleted. " : ""}Cleaning up expired photo analyses in ${runtime.tableName} (batches of ${batchSize})`),
);
const started = performance.now();
try {
  // With the cleanup function's table grant: what the command may do is what the deployed function may.
  const summary = await withTableGrant(CLEANUP_FUNCTION.id, CLEANUP_FUNCTION.access, () =>
    cleanupExpired(createAppDeps({ runtime }), {
      dryRun,
      batchSize,
      onBatch: (progress) =>
        console.log(
          colors.dim(
            `  batch ${progress.batches}: ${progress.found} found, ${progress.uploadsErased} uploads erased, ${progress.analysesDeleted} analyses deleted, ${progress.failures.length} failed so far`,
          ),
        ),
    }),
  );
  const line = (label: string, value: string) => console.log(`${label.padEnd(26)}${value}`);
  console.log("");
  const wouldErase = summary.wouldDelete?.uploads.length ?? 0;
  line("Expired items found:", String(summary.found));
  line(dryRun ? "Images to delete:" : "Images deleted:", String(dryRun ? wouldErase : summary.imagesDeleted));
  line(dryRun ? "Uploads to erase:" : "Uploads erased:", String(dryRun ? wouldErase : summary.uploadsErased));
  line(dryRun ? "Analyses to delete:" : "Analyses deleted:", String(dryRun ? (summary.wouldDelete?.analyses.length ?? 0) : summary.analysesDeleted));
  line(dryRun ? "Space to free:" : "Space freed:", formatBytes(summary.bytesFreed));
  line(dryRun ? "Orphan images to delete:" : "Orphan images deleted:", String(dryRun ? summary.orphansFound : summary.orphansDeleted));
  line("Failures:", summary.failures.length === 0 ? colors.green("0") : colors.red(String(summary.failures.length)));
  for (const failure of summary.failures) console.log(colors.red(`  ${failure.id}: ${failure.error}`));
  if (summary.wouldDelete) {
    const shown = 20;
    const items = [
      ...summary.wouldDelete.uploads.map((item) => `upload ${item.id}: image and personal fields (expired ${item.expiresAt})`),
      ...summary.wouldDelete.analyses.map((item) => `analysis ${item.id} (expired ${item.expiresAt})`),
      ...summary.wouldDelete.orphanImages.map((key) => `orphan image ${key}`),
    ];
    if (items.length) console.log("\nWould delete:");
    for (const item of items.slice(0, shown)) console.log(`  ${item}`);
    if (items.length > shown) console.log(`  … and ${items.length - shown} more`);
  }
  console.log(colors.dim(`Finished in ${((performance.now() - started) / 1000).toFixed(1)} s`));
  process.exitCode = summary.failures.length ? 1 : 0;
} finally {
  await closeLocal();
}
