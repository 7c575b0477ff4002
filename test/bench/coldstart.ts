import { execFile } from "node:child_process";
import { readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { synthesizeFunctions } from "../helpers/synth.js";
import { median, percentile } from "./stats.js";

const run = promisify(execFile);
const RUNS = 7;

/** Module load time of a bundle in a fresh process, as Lambda's init phase loads it (its NODE_PATH and NODE_OPTIONS). */
async function loadTimes(entry: string, nodePath: string[], nodeOptions: string | undefined, cwd: string): Promise<number[]> {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(entry)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { stdout } = await run(process.execPath, [...(nodeOptions ? nodeOptions.split(" ") : []), "-e", script], {
      cwd,
      env: { PATH: process.env.PATH, NODE_PATH: nodePath.join(":"), AWS_REGION: "us-east-1", PHOTO_ANALYSIS_TABLE: "t" },
    });
    times.push(Number(stdout));
  }
  return times;
}

async function sizeOf(dir: string): Promise<{ code: number; maps: number }> {
  let code = 0;
  let maps = 0;
  for (const name of await readdir(dir)) {
    const info = await stat(join(dir, name));
    if (!info.isFile()) continue;
    if (name.endsWith(".map")) maps += info.size;
    else if (name.endsWith(".js")) code += info.size;
  }
  return { code, maps };
}

/**
 * `npm run bench -- coldstart`: every function as deployed (synthesized bundle, its layers, its
 * NODE_OPTIONS), module load time in fresh processes (median and p95 of 7), beside a reference
 * bundle holding only the DynamoDB, S3 and SSM clients, measured in the same run.
 */
export async function benchColdStart(): Promise<void> {
  console.log("\n## cold start: module load as deployed (fresh process each, median / p95 of 7)");
  const synthesized = await synthesizeFunctions();
  const reference = join(synthesized.outdir, "reference");
  const referenceEntry = join(synthesized.outdir, "reference-entry.ts");
  await writeFile(
    referenceEntry,
    `import { DynamoDBClient } from "@aws-sdk/client-dynamodb";\nimport { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";\nimport { S3Client } from "@aws-sdk/client-s3";\nimport { SSMClient } from "@aws-sdk/client-ssm";\nexport const clients = [DynamoDBDocumentClient.from(new DynamoDBClient({})), new S3Client({}), new SSMClient({})];\nexport const handler = async () => ({ statusCode: 200 });\n`,
  );
  await build({ entryPoints: [referenceEntry], bundle: true, platform: "node", format: "cjs", target: "node22", minify: true, outfile: join(reference, "index.js"), external: ["@aws-sdk/client-*", "@aws-sdk/lib-*"], logLevel: "silent", nodePaths: [join(process.cwd(), "node_modules")] });
  const referenceTimes = await loadTimes(join(reference, "index.js"), [synthesized.runtimeModules], undefined, synthesized.outdir);
  const referenceMedian = median(referenceTimes);
  console.log(`${"function".padEnd(14)} ${"bundle".padStart(9)} ${"maps".padStart(9)} ${"load ms".padStart(16)} ${"× reference".padStart(12)}`);
  console.log(`${"(reference)".padEnd(14)} ${`${((await sizeOf(reference)).code / 1e3).toFixed(0)} kB`.padStart(9)} ${"-".padStart(9)} ${`${referenceMedian.toFixed(0)} / ${percentile(referenceTimes, 95).toFixed(0)}`.padStart(16)} ${"1.00".padStart(12)}`);
  for (const [name, dir] of Object.entries(synthesized.assets).sort()) {
    const times = await loadTimes(join(dir, "index.js"), [...synthesized.layersOf[name]!, synthesized.runtimeModules], synthesized.environmentOf[name]!.NODE_OPTIONS as string | undefined, synthesized.outdir);
    const size = await sizeOf(dir);
    console.log(
      `${name.padEnd(14)} ${`${(size.code / 1e3).toFixed(0)} kB`.padStart(9)} ${`${(size.maps / 1e3).toFixed(0)} kB`.padStart(9)} ${`${median(times).toFixed(0)} / ${percentile(times, 95).toFixed(0)}`.padStart(16)} ${(median(times) / referenceMedian).toFixed(2).padStart(12)}`,
    );
  }
  await synthesized.dispose();
}
