import { mkdir, mkdtemp, readFile, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { App } from "aws-cdk-lib";
import { Architecture } from "aws-cdk-lib/aws-lambda";
import { PhotoAnalysisStack } from "../../lib/photo-analysis-stack.js";
import { dependencyClosure } from "../../lib/runtime-layer.js";

/** A synthesized stack with real bundling, as `cdk synth` makes it: what the bundle test and the cold-start benchmark run. */
export interface SynthesizedFunctions {
  outdir: string;
  /** Function id (route id, Cleanup, Worker or a WebSocket route id) → its bundle folder. */
  assets: Record<string, string>;
  /** Function id → the node_modules folders of the layers the stack gives it. */
  layersOf: Record<string, string[]>;
  /** Function id → its environment variables in the template. */
  environmentOf: Record<string, Record<string, unknown>>;
  /** Stands in for /var/runtime/node_modules: the AWS SDK v3 that Lambda's Node.js 22 runtime provides. */
  runtimeModules: string;
}

export async function synthesizeFunctions(options: { sourceMaps?: boolean } = {}): Promise<SynthesizedFunctions> {
  const outdir = await mkdtemp(join(tmpdir(), "photo-analysis-cdk-"));
  const app = new App({ outdir });
  new PhotoAnalysisStack(app, "Bundle", { stage: "dev", architecture: Architecture.X86_64, sourceMaps: options.sourceMaps });
  const assembly = app.synth();
  const template = JSON.parse(await readFile(join(assembly.directory, "Bundle.template.json"), "utf8"));
  // biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
  const resources = template.Resources as Record<string, { Type: string; Properties: any }>;
  const assetDir = (key: string) => join(assembly.directory, `asset.${key.replace(/\.zip$/, "")}`);
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
  return { outdir, assets, layersOf, environmentOf, runtimeModules };
}
