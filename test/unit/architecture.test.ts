import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The layers of shared/, lowest first: a folder imports its own modules and those of lower layers,
 * never a folder of its own layer or above. So no folder depends on one that depends on it (no
 * cycles), and what a layer means stays true as the code grows. A new folder needs a row here.
 */
const LAYERS: readonly (readonly string[])[] = [
  // What the service is about: types, errors, styles, jobs.
  ["domain"],
  // Building blocks over the domain: live settings and the provider registry, sign-in tokens, the API's
  // schemas, command-line helpers, worker threads, ONNX conversion and runtime.
  ["config", "auth", "api", "cli", "workers", "onnx"],
  // Photos: formats, decoding, hashes.
  ["image"],
  // The models and providers: vision and content moderation, neither importing the other.
  ["vision", "moderation"],
  // The local models' shared threads (above both: they know it by the interfaces it implements), and the stores.
  ["inference", "stores"],
  // Services over the stores.
  ["ratelimit", "stats", "queue", "notifications"],
  ["usecases"],
  // The composition root: everything wired.
  ["runtime"],
];

const root = resolve(import.meta.dirname, "../..");
const shared = join(root, "shared");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|mjs|js)$/.test(entry.name) ? [path] : [];
  });
}

/** Every module a file names: static imports and re-exports (types included), dynamic import() and require() of a literal. */
function importedSpecifiers(source: string): string[] {
  const patterns = [
    /^\s*(?:import|export)\b[^;"'`]*?\bfrom\s*["']([^"']+)["']/gm,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\(\s*["']([^"']+)["']\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1]!));
}

/** The top-level shared/ folder a path is in, or undefined outside shared/ ("." for a file directly in it). */
function folderOf(path: string): string | undefined {
  const inShared = relative(shared, path);
  if (inShared.startsWith("..")) return undefined;
  const parts = inShared.split(sep);
  return parts.length > 1 ? parts[0] : ".";
}

interface Edge {
  from: string;
  to: string;
  file: string;
  specifier: string;
}

function folderEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(shared)) {
    for (const specifier of importedSpecifiers(readFileSync(file, "utf8"))) {
      if (!specifier.startsWith(".")) continue;
      const target = resolve(dirname(file), specifier);
      const from = folderOf(file)!;
      const to = folderOf(target) ?? relative(root, target).split(sep)[0]!;
      if (from !== to) edges.push({ from, to, file: relative(root, file), specifier });
    }
  }
  return edges;
}

const layerOf = (folder: string) => LAYERS.findIndex((layer) => layer.includes(folder));

describe("architecture", () => {
  const edges = folderEdges();

  it("reads the imports it judges (static, type-only, re-exports, dynamic, require)", () => {
    const source = [
      'import { a } from "../domain/a.js";',
      'import type { B } from "../vision/b.js";',
      "import {\n  c,\n  d,\n} from '../stores/c.js';",
      'export { e } from "./e.js";',
      'import "../cli/node-version.js";',
      'const f = await import("../vision/local/provider.js");',
      'const g = require("./g.js");',
      'const text = "import nothing from here";',
    ].join("\n");
    expect(importedSpecifiers(source)).toEqual([
      "../domain/a.js",
      "../vision/b.js",
      "../stores/c.js",
      "./e.js",
      "../cli/node-version.js",
      "../vision/local/provider.js",
      "./g.js",
    ]);
    // The test sees the edges it is about: the use cases import the domain and the stores.
    expect(edges.some((edge) => edge.from === "usecases" && edge.to === "domain")).toBe(true);
    expect(edges.some((edge) => edge.from === "usecases" && edge.to === "stores")).toBe(true);
  });

  it("places every folder of shared/ in a layer", () => {
    const folders = readdirSync(shared, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(folders.filter((folder) => layerOf(folder) < 0)).toEqual([]);
  });

  it("has no upward or sideways imports between the folders of shared/ (and so no cycles)", () => {
    const wrong = edges
      .filter((edge) => edge.from !== "." && edge.to !== "." && !(layerOf(edge.to) >= 0 && layerOf(edge.to) < layerOf(edge.from)))
      .map((edge) => `${edge.from} → ${edge.to}: ${edge.file} imports ${edge.specifier}`);
    expect(wrong).toEqual([]);
  });

  it("keeps shared/ a library: it imports nothing from functions/, local/, lib/, bin/, client/ or test/", () => {
    const outside = edges
      .filter((edge) => ["functions", "local", "lib", "bin", "client", "test"].includes(edge.to))
      .map((edge) => `${edge.file} imports ${edge.specifier}`);
    expect(outside).toEqual([]);
  });

  it("keeps what only npm start runs out of the deployed functions: functions/ imports nothing from local/", () => {
    const functions = join(root, "functions");
    const local = join(root, "local");
    const intoLocal = sourceFiles(functions).flatMap((file) =>
      importedSpecifiers(readFileSync(file, "utf8"))
        .filter((specifier) => specifier.startsWith(".") && !relative(local, resolve(dirname(file), specifier)).startsWith(".."))
        .map((specifier) => `${relative(root, file)} imports ${specifier}`),
    );
    expect(intoLocal).toEqual([]);
  });
});
