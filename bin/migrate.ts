#!/usr/bin/env -S npx tsx
/**
 * `npm run migrate -- [--dry-run] [--batch-size N] [--cursor C]`: converts the records the previous
 * release wrote (one item mixing the shared analysis with the personal upload) into an analysis and
 * an upload with the record's own id (shared/stores/legacy-migration.ts). Idempotent; a stopped run
 * resumes by running again, or from the cursor it printed. Runs against the local data in .data/
 * unless PHOTO_ANALYSIS_TABLE names a real table (credentials from the SDK's standard chain).
 */
import { resolve } from "node:path";
import { parseCommandLine } from "../shared/cli/args.js";
import { palette } from "../shared/cli/output.js";
import { createDocumentClient } from "../shared/runtime/aws-clients.js";
import { runtimeEnvironmentFrom, type RuntimeEnvironment } from "../shared/runtime/environment.js";
import { migrateLegacyRecords } from "../shared/stores/legacy-migration.js";
import { runningServer, startLocalRuntime } from "../local/service.js";

const USAGE = "usage: npm run migrate -- [--dry-run] [--batch-size N] [--cursor C]";
const { values } = parseCommandLine(
  {
    options: {
      "dry-run": { type: "boolean", default: false },
      "batch-size": { type: "string", default: "100" },
      cursor: { type: "string" },
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
  // The same data `npm start` uses; while it runs, through its servers.
  const dataDir = resolve(process.env.PHOTO_ANALYSIS_DATA_DIR ?? ".data");
  const server = await runningServer(dataDir);
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
  colors.bold(
    `${dryRun ? "DRY RUN: nothing will be written. " : ""}Migrating records of the previous release in ${runtime.tableName} (pages of ${batchSize} items)`,
  ),
);
const started = performance.now();
const client = createDocumentClient(runtime);
try {
  const summary = await migrateLegacyRecords(client, runtime.tableName, {
    dryRun,
    batchSize,
    cursor: values.cursor,
    onPage: (progress) =>
      console.log(
        colors.dim(
          `  ${progress.scanned} items scanned, ${progress.found} records found, ${progress.migrated} migrated, ${progress.failures.length} failed${progress.cursor ? ` (resume with --cursor ${progress.cursor})` : ""}`,
        ),
      ),
  });
  const line = (label: string, value: string) => console.log(`${label.padEnd(28)}${value}`);
  console.log("");
  line("Items scanned:", String(summary.scanned));
  line(dryRun ? "Records to migrate:" : "Records found:", String(summary.found));
  if (!dryRun) line("Records migrated:", String(summary.migrated));
  line("Failures:", summary.failures.length === 0 ? colors.green("0") : colors.red(String(summary.failures.length)));
  for (const failure of summary.failures) console.log(colors.red(`  ${failure.id}: ${failure.error}`));
  if (summary.failures.length) console.log("Run the command again: migrated records are skipped, the others are tried again.");
  console.log(colors.dim(`Finished in ${((performance.now() - started) / 1000).toFixed(1)} s`));
  process.exitCode = summary.failures.length ? 1 : 0;
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  client.destroy();
  await closeLocal();
}
