import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { SourceMap } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";

const run = promisify(execFile);

/** How a bundle is loaded: as Lambda's init loads it (its NODE_PATH, NODE_OPTIONS and environment). */
export interface LoadTarget {
  /** The bundle (CommonJS, with its source map beside it as `<entry>.map` when modules are to be named). */
  entry: string;
  nodePath: string[];
  nodeOptions?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

function nodeArguments(target: LoadTarget, extra: string[], script: string): string[] {
  return [...(target.nodeOptions ? target.nodeOptions.split(" ").filter(Boolean) : []), ...extra, "-e", script];
}

function processEnv(target: LoadTarget): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, ...target.env, NODE_PATH: target.nodePath.join(":") };
}

/** Milliseconds to require the bundle in a fresh process (what Lambda's init spends loading the handler's module). */
export async function timeLoad(target: LoadTarget): Promise<number> {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(target.entry)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const { stdout } = await run(process.execPath, nodeArguments(target, [], script), { cwd: target.cwd, env: processEnv(target) });
  return Number(stdout);
}

/**
 * Flags that make V8 repeatable under valgrind: its predictable mode (no background compiler or GC
 * threads, whose share of the work varies run to run, and no time-based GC heuristics), Node's
 * platform threads off, fixed hash and random seeds.
 */
const DETERMINISTIC_V8 = ["--predictable", "--v8-pool-size=0", "--hash-seed=1", "--random-seed=1"];

/** Instructions a fresh process running `script` executes, all threads (callgrind). */
export async function callgrindInstructions(target: LoadTarget, script: string): Promise<number> {
  const { stderr } = await run(
    "valgrind",
    ["--tool=callgrind", "--callgrind-out-file=/dev/null", process.execPath, ...nodeArguments(target, DETERMINISTIC_V8, script)],
    {
      cwd: target.cwd,
      env: processEnv(target),
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const collected = /Collected : (\d+)/.exec(stderr);
  if (!collected) throw new Error(`callgrind printed no instruction count:\n${stderr.slice(-2000)}`);
  return Number(collected[1]);
}

/**
 * Instructions executed to require the bundle (callgrind; the same process with an empty script
 * subtracted): repeatable to a few thousandths however busy the machine is, unlike wall time.
 */
export async function countLoadInstructions(target: LoadTarget): Promise<number> {
  const [loaded, empty] = [await callgrindInstructions(target, `require(${JSON.stringify(target.entry)})`), await callgrindInstructions(target, "0")];
  return loaded - empty;
}

export const valgrindAvailable = async (): Promise<boolean> =>
  run("valgrind", ["--version"]).then(
    () => true,
    () => false,
  );

/**
 * Preloaded into the profiled process: every file Node compiles runs inside a function whose
 * script is named after the file's package ("load zod", "load sharp"; the bundle is "load (bundle)"),
 * so the profile can tell which package a sample was loading, compile time included.
 */
const LOAD_MARKER = `
const Module = require("node:module");
const vm = require("node:vm");
const compile = Module.prototype._compile;
const markers = new Map();
function packageOf(filename) {
  const at = filename.lastIndexOf("node_modules/");
  if (at < 0) return "(bundle)";
  const parts = filename.slice(at + 13).split("/");
  return parts[0].startsWith("@") ? parts[0] + "/" + parts[1] : parts[0];
}
Module.prototype._compile = function (content, filename) {
  const name = "load " + packageOf(filename);
  let marker = markers.get(name);
  if (!marker) {
    marker = vm.runInThisContext("(compile) => function load(module, args) { return compile.apply(module, args); }", { filename: name })(compile);
    markers.set(name, marker);
  }
  return marker(this, arguments);
};
`;

/** A package name for a path in node_modules, else the path relative to the project. */
function moduleName(path: string): string {
  const at = path.lastIndexOf("node_modules/");
  if (at < 0) return relative(process.cwd(), path);
  const parts = path.slice(at + "node_modules/".length).split("/");
  return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
  positionTicks?: { line: number; ticks: number }[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Milliseconds of a bundle's load spent in each module, from CPU profiles (100 µs samples) of
 * `runs` fresh loads, summed and divided by `runs`. The minified bundle is one long line, and
 * esbuild hoists most modules' top-level code into one function, so a copy is printed one
 * statement per line (esbuild, its source map composed with the bundle's) and each sample is
 * named by its line: the package (node_modules) or project file the statement came from. Samples
 * outside the bundle are named by the package whose file they run or which is being compiled, or by
 * the built-in module (node:crypto) being loaded.
 * Time inside esbuild's module wrappers themselves (V8 compiling a module's body on its first
 * call) cannot be told apart by module and is shown as one line.
 * Absolute figures include the profiler's overhead; the ranking is what this is for.
 */
export async function profileModules(target: LoadTarget, runs: number): Promise<Map<string, number>> {
  const work = await mkdtemp(join(tmpdir(), "photo-analysis-profile-"));
  try {
    // Beside the bundle, so that files it reads relative to itself are found. esbuild reads the bundle's map and composes it.
    const entry = join(dirname(target.entry), "profiled-index.js");
    const printed = await build({ entryPoints: [target.entry], outfile: entry, sourcemap: "external", write: false, logLevel: "silent" });
    const code = printed.outputFiles.find((file) => file.path === entry)!.text;
    const map = printed.outputFiles.find((file) => file.path === `${entry}.map`)!.text;
    await writeFile(entry, code);
    const marker = join(work, "load-marker.cjs");
    await writeFile(marker, LOAD_MARKER);
    const sourceMap = new SourceMap(JSON.parse(map));
    const lines = code.split("\n");
    const totals = new Map<string, number>();
    for (let i = 0; i < runs; i++) {
      const profiles = join(work, `run-${i}`);
      await run(
        process.execPath,
        nodeArguments(target, ["--cpu-prof", "--cpu-prof-dir", profiles, "--cpu-prof-interval", "100", "-r", marker], `require(${JSON.stringify(entry)})`),
        {
          cwd: target.cwd,
          env: processEnv(target),
        },
      );
      const [file] = await readdir(profiles);
      const profile = JSON.parse(await readFile(join(profiles, file!), "utf8")) as CpuProfile;
      attribute(profile, { bundleUrl: pathToFileURL(entry).href, sourceMap, lines, markerUrl: pathToFileURL(marker).href, sourceRoot: dirname(entry) }, totals);
    }
    await rm(entry, { force: true });
    for (const [name, us] of totals) totals.set(name, us / 1000 / runs);
    return totals;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

interface Attribution {
  bundleUrl: string;
  sourceMap: SourceMap;
  lines: string[];
  markerUrl: string;
  sourceRoot: string;
}

/** Adds each sample taken while the bundle loads (and the garbage collection between them) to the module it was running. */
function attribute(profile: CpuProfile, where: Attribution, totals: Map<string, number>): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const add = (name: string, us: number) => totals.set(name, (totals.get(name) ?? 0) + us);
  const sourceAt = (line: number, column: number): string => {
    const entry = where.sourceMap.findEntry(line, column) as { originalSource?: string };
    const source = entry?.originalSource;
    if (!source) return "(bundled modules' first-call compile)";
    return moduleName(source.startsWith("file://") ? fileURLToPath(source) : resolve(where.sourceRoot, source));
  };
  const statementAt = (line: number) => sourceAt(line, Math.max(0, where.lines[line]?.search(/\S/) ?? 0));

  /** The innermost frame that names a module, and whether the sample was taken while the bundle loaded. */
  const classify = (id: number): { loading: boolean; names: [string, number][] } => {
    const names: [string, number][] = [];
    let loading = false;
    for (let node = byId.get(id); node; node = byId.get(parentOf.get(node.id)!)) {
      const { url, lineNumber, columnNumber } = node.callFrame;
      if (url === "load (bundle)") loading = true;
      if (names.length || url === where.markerUrl) continue;
      if (url === where.bundleUrl) {
        if (node.id === id && node.positionTicks?.length) for (const tick of node.positionTicks) names.push([statementAt(tick.line - 1), tick.ticks]);
        else names.push([sourceAt(lineNumber, columnNumber), 1]);
      } else if (url.startsWith("load ")) names.push([url === "load (bundle)" ? "(parsing and compiling the bundle)" : url.slice("load ".length), 1]);
      else if (url.startsWith("file://")) names.push([moduleName(fileURLToPath(url)), 1]);
      // A public built-in module (node:crypto...) being loaded (its top-level code): named after it, not after its first requirer.
      else if (/^node:(?!internal\/)/.test(url) && node.callFrame.functionName === "") names.push([url, 1]);
    }
    return { loading, names };
  };

  let started = false;
  let collecting = 0;
  profile.samples.forEach((id, index) => {
    const us = profile.timeDeltas[index + 1] ?? 0;
    const { loading, names } = classify(id);
    if (loading) {
      started = true;
      if (collecting) add("(garbage collection)", collecting);
      collecting = 0;
      const ticks = names.reduce((sum, [, count]) => sum + count, 0);
      for (const [name, count] of names) add(name, (us * count) / ticks);
    } else if (started && byId.get(id)?.callFrame.functionName === "(garbage collector)") collecting += us;
    else collecting = 0;
  });
}
