import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { dependencyClosure } from "../../lib/runtime-layer.js";

/**
 * `npx cdk synth` as docs/deploy.md documents it: the real CLI, bin/app.ts, cdk-nag on, every function
 * bundled with esbuild. One synthesis per configuration per test run, shared by the test files that
 * need it (the template tests, cfn-lint, the bundle test) through the folder test/helpers/global-setup.ts
 * makes (PHOTO_ANALYSIS_TEST_SYNTH_DIR); outside the test runner (the benchmarks) a private folder.
 */
export interface SynthConfig {
  /** Names the configuration's folder. */
  name: string;
  /** AWS_REGION for the CLI; none: the CLI's own default. No other AWS or CDK variable is passed. */
  region?: string;
  context?: Record<string, string>;
  /** `--exclusively <stacks>`: every template is written and checked, but only these stacks' assets are bundled. */
  exclusively?: string[];
}

export interface SynthResult {
  outdir: string;
  /** The CLI's exit code and output. */
  code: number;
  output: string;
  /** Stack name → template. */
  templates: Record<string, unknown>;
}

/**
 * The README's first command (no AWS variables, the default stage), with the optional try page
 * (`-c tryPage=true`) so that its bundle is built and checked too.
 */
export const DEFAULT_SYNTH: SynthConfig = { name: "no-region-dev", context: { tryPage: "true" } };

async function synthRoot(): Promise<string> {
  return process.env.PHOTO_ANALYSIS_TEST_SYNTH_DIR ?? (await mkdtemp(join(tmpdir(), "photo-analysis-synth-")));
}

/** One `npx cdk synth` run, uncached (for runs expected to fail fast). */
export function runCli(config: SynthConfig, outdir: string): Promise<{ code: number; output: string }> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...(config.region ? { AWS_REGION: config.region } : {}) };
  const context = Object.entries(config.context ?? {}).flatMap(([name, value]) => ["-c", `${name}=${value}`]);
  return new Promise((resolve) => {
    const selection = config.exclusively ? ["--exclusively", ...config.exclusively] : [];
    execFile(
      "npx",
      ["cdk", "synth", ...selection, "-q", "-o", outdir, ...context],
      { env, cwd: process.cwd(), maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, output: `${stdout}${stderr}` });
      },
    );
  });
}

/**
 * The configuration's synthesis: run now, or being run by another test file (a lock folder says so),
 * or done earlier in this test run.
 */
export async function cliSynth(config: SynthConfig): Promise<SynthResult> {
  const outdir = join(await synthRoot(), config.name);
  const resultFile = `${outdir}.result.json`;
  const lock = `${outdir}.lock`;
  for (const started = Date.now(); !existsSync(resultFile); ) {
    let mine = false;
    try {
      await mkdir(lock);
      mine = true;
    } catch {}
    if (mine) {
      try {
        await rm(outdir, { recursive: true, force: true });
        const result = await runCli(config, outdir);
        await writeFile(resultFile, JSON.stringify(result));
      } finally {
        await rm(lock, { recursive: true, force: true });
      }
      break;
    }
    if (Date.now() - started > 900_000) throw new Error(`waited 15 minutes for another test file's synthesis of ${config.name}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const { code, output } = JSON.parse(await readFile(resultFile, "utf8")) as { code: number; output: string };
  const templates: Record<string, unknown> = {};
  if (existsSync(outdir)) {
    for (const file of await readdir(outdir)) {
      if (file.endsWith(".template.json")) templates[file.replace(/\.template\.json$/, "")] = JSON.parse(await readFile(join(outdir, file), "utf8"));
    }
  }
  return { outdir, code, output, templates };
}

/** A synthesized stack with real bundling, as `cdk synth` makes it: what the bundle test and the cold-start benchmark run. */
export interface SynthesizedFunctions {
  /** A scratch folder of the caller's (events, results); `dispose()` removes it. */
  outdir: string;
  /** Function id (route id, Cleanup, Worker, SettingsSeeder or a WebSocket route id) → its bundle folder. */
  assets: Record<string, string>;
  /** Function id → the node_modules folders of the layers the stack gives it. */
  layersOf: Record<string, string[]>;
  /** Function id → its environment variables in the template. */
  environmentOf: Record<string, Record<string, unknown>>;
  /** Stands in for /var/runtime/node_modules: the AWS SDK v3 that Lambda's Node.js 22 runtime provides. */
  runtimeModules: string;
  dispose(): Promise<void>;
}

/** `sourceMaps`: bundles with source maps (`-c sourceMaps=true`), for profiles that name modules. */
export async function synthesizeFunctions(options: { sourceMaps?: boolean } = {}): Promise<SynthesizedFunctions> {
  const config: SynthConfig = options.sourceMaps
    ? { name: `${DEFAULT_SYNTH.name}-source-maps`, context: { ...DEFAULT_SYNTH.context, sourceMaps: "true" } }
    : DEFAULT_SYNTH;
  const synthesized = await cliSynth(config);
  if (synthesized.code !== 0) throw new Error(`npx cdk synth failed:\n${synthesized.output.slice(-4000)}`);
  // biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
  const template = synthesized.templates["PhotoAnalysis-dev"] as { Resources: Record<string, { Type: string; Properties: any }> };
  const resources = template.Resources;
  const assetDir = (key: string) => join(synthesized.outdir, `asset.${key.replace(/\.zip$/, "")}`);
  const layerDirs: Record<string, string> = {};
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type === "AWS::Lambda::LayerVersion") layerDirs[id] = join(assetDir(resource.Properties.Content.S3Key), "nodejs", "node_modules");
  }
  const assets: Record<string, string> = {};
  const layersOf: Record<string, string[]> = {};
  const environmentOf: Record<string, Record<string, unknown>> = {};
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== "AWS::Lambda::Function") continue;
    const name = id.replace(/Function.*$/, "");
    assets[name] = assetDir(resource.Properties.Code.S3Key);
    layersOf[name] = (resource.Properties.Layers ?? []).map((layer: { Ref: string }) => layerDirs[layer.Ref]!);
    environmentOf[name] = resource.Properties.Environment?.Variables ?? {};
  }
  const outdir = await mkdtemp(join(tmpdir(), "photo-analysis-bundles-"));
  const runtimeModules = join(outdir, "lambda-runtime", "node_modules");
  const sdk = dependencyClosure([
    "@aws-sdk/client-dynamodb",
    "@aws-sdk/lib-dynamodb",
    "@aws-sdk/client-s3",
    "@aws-sdk/client-ssm",
    "@aws-sdk/client-sqs",
    "@aws-sdk/client-apigatewaymanagementapi",
    "@aws-sdk/client-rekognition",
  ]);
  for (const [relative, dir] of sdk) {
    if (relative.split("node_modules/").length > 2) continue; // nested copies resolve inside their parents
    const target = join(runtimeModules, relative.replace(/^node_modules\//, ""));
    await mkdir(dirname(target), { recursive: true });
    await symlink(dir, target, "dir");
  }
  const root = dirname(synthesized.outdir);
  return {
    outdir,
    assets,
    layersOf,
    environmentOf,
    runtimeModules,
    dispose: async () => {
      await rm(outdir, { recursive: true, force: true });
      if (!process.env.PHOTO_ANALYSIS_TEST_SYNTH_DIR) await rm(root, { recursive: true, force: true });
    },
  };
}
