import { readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";
import { synthesizeFunctions } from "../helpers/synth.js";
import { countLoadInstructions, type LoadTarget, profileModules, timeLoad, valgrindAvailable } from "./module-profile.js";
import { median, percentile } from "./stats.js";

const RUNS = 7;
const PROFILE_RUNS = 3;
const TOP_MODULES = 5;

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
 * What Lambda's Node.js 22 runtime sets before it loads a function with active tracing and JSON
 * logs, beside the stack's own variables (CloudFormation references become placeholders). Code
 * that only runs in Lambda (Powertools' logger, metrics and tracer) then loads as it does there.
 */
function lambdaEnvironment(name: string, variables: Record<string, unknown>): NodeJS.ProcessEnv {
  const stackVariables = Object.fromEntries(
    Object.entries(variables).map(([key, value]) => [key, typeof value === "string" ? value : `bench-${key.toLowerCase()}`]),
  );
  delete stackVariables.NODE_OPTIONS;
  return {
    ...stackVariables,
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
    AWS_LAMBDA_FUNCTION_NAME: `photo-analysis-${name}`,
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1024",
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_LAMBDA_LOG_FORMAT: "JSON",
    AWS_LAMBDA_LOG_LEVEL: "INFO",
    AWS_XRAY_CONTEXT_MISSING: "LOG_ERROR",
    AWS_XRAY_DAEMON_ADDRESS: "169.254.79.129:2000",
    _AWS_XRAY_DAEMON_ADDRESS: "169.254.79.129",
    _AWS_XRAY_DAEMON_PORT: "2000",
    _HANDLER: "index.handler",
    LAMBDA_TASK_ROOT: "/var/task",
    TZ: ":UTC",
  };
}

/**
 * Two lines per function: its top modules (* = seen in the reference's profile too), then the top ones the
 * reference's profile does not show, with what no module owns (parsing the bundle, compiling a bundled module
 * on its first call, garbage collection). Shares of the function's profiled load time.
 */
function formatModules(name: string, modules: Map<string, number>, reference: Map<string, number>): string {
  const total = [...modules.values()].reduce((sum, ms) => sum + ms, 0);
  const share = ([module, ms]: [string, number]) => `${module} ${((100 * ms) / total).toFixed(0)}%`;
  const ranked = [...modules].sort((a, b) => b[1] - a[1]);
  const named = ranked.filter(([module]) => !module.startsWith("("));
  const top = named.slice(0, TOP_MODULES).map(([module, ms]) => share([`${module}${reference.has(module) ? "*" : ""}`, ms]));
  const beyond = named
    .filter(([module]) => !reference.has(module))
    .slice(0, TOP_MODULES)
    .map(share);
  const unowned = ranked.filter(([module]) => module.startsWith("(")).map(share);
  return `${name.padEnd(17)} top: ${top.join(", ")}\n${"".padEnd(17)} not in the reference: ${beyond.join(", ") || "none"}; ${unowned.join(", ")}`;
}

/**
 * `npm run bench -- coldstart`: every function as deployed (synthesized bundle, its layers, its
 * NODE_OPTIONS, Lambda's environment), module load time in fresh processes beside a reference
 * bundle holding only the DynamoDB, S3 and SSM clients. Each load of a function is paired with a
 * load of the reference right before it, and "× reference" is the median of those pairs' ratios, so
 * a busy machine slows both sides alike. Then, per function, the modules its load spends most time
 * in (CPU profiles; * marks modules the reference loads too). With valgrind installed and
 * BENCH_INSTRUCTIONS=1, also the instructions each load executes, which a busy machine does not change.
 * BENCH_FUNCTIONS=Upload,Health measures only those functions.
 *
 * Bundles are synthesized with source maps (to name the modules in the profiles); esbuild emits the
 * same code either way, and loads are timed without --enable-source-maps, as deployed by default.
 */
export async function benchColdStart(): Promise<void> {
  console.log(`\n## cold start: module load as deployed (fresh process each; median / p95 of ${RUNS}, each beside a reference load)`);
  const synthesized = await synthesizeFunctions({ sourceMaps: true });
  try {
    const reference = join(synthesized.outdir, "reference");
    const referenceEntry = join(synthesized.outdir, "reference-entry.ts");
    await writeFile(
      referenceEntry,
      `import { DynamoDBClient } from "@aws-sdk/client-dynamodb";\nimport { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";\nimport { S3Client } from "@aws-sdk/client-s3";\nimport { SSMClient } from "@aws-sdk/client-ssm";\nexport const clients = [DynamoDBDocumentClient.from(new DynamoDBClient({})), new S3Client({}), new SSMClient({})];\nexport const handler = async () => ({ statusCode: 200 });\n`,
    );
    await build({
      entryPoints: [referenceEntry],
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node22",
      minify: true,
      sourcemap: true,
      outfile: join(reference, "index.js"),
      external: ["@aws-sdk/client-*", "@aws-sdk/lib-*"],
      logLevel: "silent",
      nodePaths: [join(process.cwd(), "node_modules")],
    });
    const targetOf = (name: string): LoadTarget => {
      const variables = synthesized.environmentOf[name] ?? {};
      const nodeOptions = typeof variables.NODE_OPTIONS === "string" ? variables.NODE_OPTIONS.replace("--enable-source-maps", "").trim() : undefined;
      return {
        entry: join(synthesized.assets[name] ?? reference, "index.js"),
        nodePath: [...(synthesized.layersOf[name] ?? []), synthesized.runtimeModules],
        nodeOptions: nodeOptions || undefined,
        env: lambdaEnvironment(name, variables),
        cwd: synthesized.outdir,
      };
    };
    const referenceTarget = targetOf("(reference)");
    const wanted = process.env.BENCH_FUNCTIONS?.split(",").filter(Boolean);
    const names = Object.keys(synthesized.assets)
      .filter((name) => !wanted || wanted.includes(name))
      .sort();
    const instructions = process.env.BENCH_INSTRUCTIONS === "1" && (await valgrindAvailable());
    if (process.env.BENCH_INSTRUCTIONS === "1" && !instructions) console.log("(BENCH_INSTRUCTIONS=1 but valgrind is not installed: no instruction counts)");
    const referenceInstructions = instructions ? await countLoadInstructions(referenceTarget) : 0;
    const referenceModules = await profileModules(referenceTarget, PROFILE_RUNS);

    const referenceTimes: number[] = [];
    const rows: string[][] = [];
    const topModules: string[] = [];
    for (const name of names) {
      const target = targetOf(name);
      const times: number[] = [];
      const ratios: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const referenceMs = await timeLoad(referenceTarget);
        const ms = await timeLoad(target);
        referenceTimes.push(referenceMs);
        times.push(ms);
        ratios.push(ms / referenceMs);
      }
      const size = await sizeOf(synthesized.assets[name]!);
      const counted = instructions ? await countLoadInstructions(target) : 0;
      rows.push([
        name,
        `${(size.code / 1e3).toFixed(0)} kB`,
        `${(size.maps / 1e3).toFixed(0)} kB`,
        `${median(times).toFixed(0)} / ${percentile(times, 95).toFixed(0)}`,
        median(ratios).toFixed(2),
        ...(instructions ? [`${(counted / 1e6).toFixed(0)} M, ${(counted / referenceInstructions).toFixed(2)}`] : []),
      ]);
      topModules.push(formatModules(name, await profileModules(target, PROFILE_RUNS), referenceModules));
    }
    const header = ["function", "bundle", "maps", "load ms", "× reference", ...(instructions ? ["instructions, × ref"] : [])];
    const widths = [17, 9, 10, 12, 12, 22];
    const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(" ");
    console.log(line(header));
    const referenceSize = await sizeOf(reference);
    console.log(
      line([
        "(reference)",
        `${(referenceSize.code / 1e3).toFixed(0)} kB`,
        "-",
        `${median(referenceTimes).toFixed(0)} / ${percentile(referenceTimes, 95).toFixed(0)}`,
        "1.00",
        ...(instructions ? [`${(referenceInstructions / 1e6).toFixed(0)} M, 1.00`] : []),
      ]),
    );
    for (const row of rows) console.log(line(row));
    console.log(
      `\nwhere each load's time goes (top ${TOP_MODULES} modules by share of profiled load time, ${PROFILE_RUNS} profiled loads each; * = seen in the reference's profile too)`,
    );
    console.log(formatModules("(reference)", referenceModules, new Map()).split("\n")[0]);
    for (const row of topModules) console.log(row);
  } finally {
    await synthesized.dispose();
  }
}
