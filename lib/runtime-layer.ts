import { cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { execFileSync } from "node:child_process";
import type { Construct } from "constructs";
import { AssetHashType, DockerImage } from "aws-cdk-lib";
import { Architecture, Code, LayerVersion, Runtime } from "aws-cdk-lib/aws-lambda";
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { buildSync } from "esbuild";
import { companionParts, SHIPPED_CLASSIFIER, SHIPPED_COMPANION } from "../shared/vision/local/models.js";

/** Content hash of the shipped classifier and its companion: a new quantisation or model rebuilds the layer. */
function modelsHash(root: string): string {
  const dir = join(root, "models", SHIPPED_CLASSIFIER);
  const hash = createHash("sha256");
  for (const file of readdirSync(dir).sort()) hash.update(file).update(readFileSync(join(dir, file)));
  for (const part of companionParts(join(root, "models", SHIPPED_COMPANION))) hash.update(part).update(readFileSync(part));
  return hash.digest("hex").slice(0, 16);
}

/**
 * Runtime packages the layer carries as one minified CommonJS file each (esbuild) instead of their
 * files: the cloud providers' SDKs, loaded when a provider is first called, and any-ascii's
 * transliteration table, loaded for the first name without Latin letters. Outside the functions'
 * bundles they cost nothing at start (parsing them was a fifth of the upload function's load);
 * as one file, an SDK loads in 40-75 % of the instructions its own hundreds of files take.
 */
export const PREBUNDLED_PACKAGES = ["openai", "@anthropic-ai/sdk", "@google/genai", "any-ascii"] as const;

/**
 * Packages the upload and worker functions load at run time instead of from their esbuild bundles:
 * native sharp and onnxruntime, model weights (the detector's inside @vladmandic/human, the
 * moderation model's inside nsfwjs, ImageNet's class names in @tensorflow-models/mobilenet) and the
 * prebundled ones above. They live in a layer under /opt/nodejs/node_modules, which Lambda's Node.js runtime puts on
 * NODE_PATH. The project's own classifier and its companion (models/) go to /opt/models, where
 * shippedClassifierDir() looks for them.
 */
export const RUNTIME_PACKAGES = [
  "sharp",
  "heic-decode",
  "@vladmandic/human",
  "@tensorflow-models/mobilenet",
  "nsfwjs",
  "onnxruntime-node",
  ...PREBUNDLED_PACKAGES,
] as const;

/** Dependencies only a package's install script uses (onnxruntime-node's fetches GPU providers, and is not run). */
const INSTALL_ONLY_DEPENDENCIES: Record<string, readonly string[]> = { "onnxruntime-node": ["adm-zip", "global-agent"] };

/** Node's name for a Lambda architecture's CPU (the directory onnxruntime-node keeps its binaries under). */
export function nodeArch(architecture: Architecture): "x64" | "arm64" {
  return architecture === Architecture.ARM_64 ? "arm64" : "x64";
}

/** Writes a prebundled package into a layer's node_modules: its package.json (name, version, main) and index.js. */
function writePrebundled(name: string, root: string, target: string): void {
  const version = installedVersion(name);
  const packageTarget = join(target, name);
  mkdirSync(packageTarget, { recursive: true });
  buildSync({
    stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: root, loader: "js" },
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node22",
    minify: true,
    // The SDKs name themselves by their classes' names (OpenAI's User-Agent is `${constructor.name}/JS`).
    keepNames: true,
    outfile: join(packageTarget, "index.js"),
    logLevel: "error",
  });
  writeFileSync(join(packageTarget, "package.json"), `${JSON.stringify({ name, version, main: "index.js" })}\n`);
}

/** The installed version of a package, read from its manifest (exports maps may hide package.json). */
function installedVersion(name: string): string {
  const dir = packageDir(name, process.cwd());
  if (!dir) throw new Error(`${name} is not installed: run npm install`);
  return (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version;
}

function packageDir(name: string, from: string): string | undefined {
  // Walk node_modules upwards like Node does, without needing the package's exports map to allow it.
  let dir = from;
  for (;;) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The packages and everything they depend on (optional dependencies that are installed included), as directories. */
export function dependencyClosure(names: readonly string[], root = process.cwd()): Map<string, string> {
  const found = new Map<string, string>();
  const queue = names.map((name) => ({ name, from: root }));
  while (queue.length) {
    const { name, from } = queue.shift()!;
    const dir = packageDir(name, from);
    if (!dir) continue; // an optional dependency for another platform
    const relative = dir.slice(root.length + 1);
    if (found.has(relative)) continue;
    found.set(relative, dir);
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
    const installOnly = INSTALL_ONLY_DEPENDENCIES[name] ?? [];
    for (const dependency of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
      if (!installOnly.includes(dependency)) queue.push({ name: dependency, from: dir });
    }
  }
  return found;
}

/**
 * Which files of an installed package run in Lambda. Lambda allows 250 MB unpacked for a function
 * and its layers; shipping whole packages (every module format, source maps, demos, all of
 * human's models, onnxruntime for every platform) would take over 300 MB, this about a third.
 * `file` is relative to the package directory, with forward slashes; `arch` is the function's CPU.
 */
export function shipsFile(packageName: string, file: string, arch: "x64" | "arm64" = "x64"): boolean {
  if (file === "package.json") return true;
  // The CommonJS build and the one native binary the function's CPU loads (46 MB for x64, 26 MB for arm64).
  if (packageName === "onnxruntime-node") return /^dist\/[^/]+\.js$/.test(file) || file.startsWith(`bin/napi-v6/linux/${arch}/`);
  if (packageName === "onnxruntime-common") return /^dist\/cjs\//.test(file);
  if (/\.(map|d\.ts|md|markdown)$/i.test(file) || /^(@types|@webgpu)\//.test(packageName)) return false;
  if (packageName === "@tensorflow-models/mobilenet") return file === "dist/imagenet_classes.js";
  if (packageName === "@vladmandic/human") {
    // The detector's weights (converted to ONNX when loaded); human.node.js only so that resolving the package works (it is never loaded).
    return file === "dist/human.node.js" || /^models\/(blazeface|centernet)\.(json|bin)$/.test(file);
  }
  // The moderation model (MobileNet v2, 3.5 MB); index.js only so that resolving the package works (it is never loaded).
  // dist/models/package.json marks the model files CommonJS (the package itself is "type": "module").
  if (packageName === "nsfwjs")
    return ["dist/cjs/index.js", "dist/models/package.json"].includes(file) || /^dist\/models\/mobilenet_v2\/[^/]+\.min\.js$/.test(file);
  return true;
}

/**
 * The layer. For x86_64 it is assembled from this checkout's node_modules (which hold the
 * linux-x64 sharp binary), so `cdk synth` needs no network. For arm64, sharp's linux-arm64
 * binary is installed into the layer with npm (which then needs the npm registry);
 * onnxruntime-node's npm package already holds both Linux binaries, and the layer takes the one
 * the architecture runs.
 */
export function runtimeLayer(scope: Construct, id: string, architecture: Architecture): LayerVersion {
  const root = process.cwd();
  const closure = dependencyClosure(
    RUNTIME_PACKAGES.filter((name) => !(PREBUNDLED_PACKAGES as readonly string[]).includes(name)),
    root,
  );
  const prebundled = PREBUNDLED_PACKAGES.map((name) => `${name}@${installedVersion(name)}`);
  const manifest = [...closure.keys()].sort().concat(prebundled).join("\n");
  return new LayerVersion(scope, id, {
    description: "Photo Analysis runtime: sharp, onnxruntime, local vision models, the providers' SDKs",
    compatibleRuntimes: [Runtime.NODEJS_22_X],
    compatibleArchitectures: [architecture],
    code: Code.fromAsset(join(root, "lib"), {
      assetHashType: AssetHashType.CUSTOM,
      // Rebuilt when the packages, their versions, the architecture or the shipping rules change.
      assetHash: `${architecture.name}:${installedVersion("sharp")}:${manifest}:${shipsFile.toString()}:${writePrebundled.toString()}:${modelsHash(root)}`,
      bundling: {
        image: DockerImage.fromRegistry("public.ecr.aws/sam/build-nodejs22.x"),
        local: {
          tryBundle(outputDir) {
            const target = join(outputDir, "nodejs", "node_modules");
            mkdirSync(target, { recursive: true });
            for (const [relative, dir] of closure) {
              const packageName = relative.split("node_modules/").at(-1)!;
              cpSync(dir, join(target, relative.replace(/^node_modules\//, "")), {
                recursive: true,
                dereference: true,
                filter: (source) => {
                  const file = source.slice(dir.length + 1).replace(/\\/g, "/");
                  // Directories are walked (nested node_modules are copied as their own packages).
                  if (!file || statSync(source).isDirectory()) return !file.startsWith("node_modules");
                  return shipsFile(packageName, file, nodeArch(architecture));
                },
              });
            }
            for (const name of PREBUNDLED_PACKAGES) writePrebundled(name, root, target);
            cpSync(join(root, "models", SHIPPED_CLASSIFIER), join(outputDir, "models", SHIPPED_CLASSIFIER), { recursive: true });
            cpSync(join(root, "models", SHIPPED_COMPANION), join(outputDir, "models", SHIPPED_COMPANION), { recursive: true });
            if (architecture === Architecture.ARM_64) {
              execFileSync("npm", ["install", "--no-save", "--os=linux", "--cpu=arm64", "--libc=glibc", `sharp@${installedVersion("sharp")}`], {
                cwd: join(outputDir, "nodejs"),
                stdio: "inherit",
              });
            }
            return true;
          },
        },
      },
    }),
  });
}
