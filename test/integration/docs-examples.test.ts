import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalService } from "../../local/service.js";
import { startScratchService } from "../helpers/local-service.js";

/**
 * The README and docs/ stay true: their links, the npm scripts and settings they name, and every curl
 * example against the local server, run in order against a fresh `npm start` service per document.
 */
const root = process.cwd();
const DOCUMENTS = [
  "README.md",
  ...readdirSync("docs")
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];
const run = promisify(execFile);

const text = (file: string) => readFileSync(file, "utf8");

/** Fenced blocks removed: links and names in code are checked separately. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, "");
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const slugs = prose(markdown)
    .split("\n")
    .filter((line) => /^#{1,6} /.test(line))
    .map((line) =>
      line
        .replace(/^#+ /, "")
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, "")
        .replace(/ /g, "-"),
    );
  return new Set(slugs);
}

interface CurlExample {
  document: string;
  line: number;
  command: string;
  /** The status its comment states (`# 204`, `# → 201 …`, `# 422 …`), else any 2xx. */
  expected?: number;
}

/** The curl commands of a document's bash blocks that talk to the local server, continuation lines joined. */
function curlExamples(document: string): CurlExample[] {
  const lines = text(document).split("\n");
  const examples: CurlExample[] = [];
  let inBash = false;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.startsWith("```")) {
      inBash = !inBash && line.trim() === "```bash";
      continue;
    }
    if (!inBash || !line.startsWith("curl ")) continue;
    let command = line;
    let last = index;
    while (command.trimEnd().endsWith("\\")) command = `${command.trimEnd().slice(0, -1)} ${lines[++last]!.trim()}`;
    if (!command.includes("http://127.0.0.1:3000")) continue;
    const comment = command.match(/#\s*(?:→\s*)?(\d{3})\b/)?.[1] ?? lines[last + 1]?.match(/^#\s*→\s*(\d{3})\b/)?.[1];
    examples.push({ document, line: index + 1, command: command.replace(/\s+#.*$/, ""), expected: comment ? Number(comment) : undefined });
    index = last;
  }
  return examples;
}

describe("the README and docs/", () => {
  it("link only to files and headings that exist", () => {
    const broken: string[] = [];
    for (const document of DOCUMENTS) {
      for (const [, target] of prose(text(document)).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:)/.test(target!)) continue;
        const [path, anchor] = target!.split("#");
        const file = path ? resolve(dirname(document), path) : resolve(document);
        if (!existsSync(file)) broken.push(`${document}: ${target} (no such file)`);
        else if (anchor && file.endsWith(".md") && !anchors(text(file)).has(anchor)) broken.push(`${document}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
    expect(DOCUMENTS.length).toBeGreaterThan(10);
  });

  it("name only npm scripts that exist and settings the code reads", () => {
    const scripts = Object.keys(JSON.parse(text("package.json")).scripts as Record<string, string>);
    const source = ["shared", "functions", "local", "bin", "lib", "client", "test"]
      .flatMap((folder) => readdirSync(folder, { recursive: true, encoding: "utf8" }).map((file) => join(folder, file)))
      .filter((file) => /\.(ts|mts)$/.test(file))
      .map(text)
      .join("\n");
    const unknown: string[] = [];
    for (const document of DOCUMENTS) {
      const markdown = text(document);
      for (const [, script] of markdown.matchAll(/npm run ([a-z][\w-]*)/g)) if (!scripts.includes(script!)) unknown.push(`${document}: npm run ${script}`);
      for (const [name] of markdown.matchAll(/\bPHOTO_ANALYSIS_[A-Z0-9_]*[A-Z0-9]\b/g)) if (!source.includes(name)) unknown.push(`${document}: ${name}`);
    }
    expect([...new Set(unknown)]).toEqual([]);
  });

  it("finds the curl examples it runs below (the parser is not silently empty)", () => {
    const all = DOCUMENTS.flatMap(curlExamples);
    expect(all.length).toBeGreaterThanOrEqual(12);
    expect(all.filter((example) => example.expected === 204)).toHaveLength(1);
  });
});

describe.each(DOCUMENTS.filter((document) => curlExamples(document).length > 0))("the curl examples of %s", (document) => {
  let service: LocalService;
  let scratch: string;
  beforeAll(async () => {
    // The examples of one page are more than the anonymous hourly allowance: the switch the README gives.
    service = await startScratchService({ env: { ...process.env, PHOTO_ANALYSIS_ENABLE_RATE_LIMITING: "false" } });
    scratch = await mkdtemp(join(tmpdir(), "photo-analysis-docs-"));
  }, 60_000);
  afterAll(async () => {
    await service?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it("answer as documented, in order", async () => {
    // What earlier answers named, for the placeholders of later examples.
    const named: Record<string, string> = {};
    for (const example of curlExamples(document)) {
      const command = example.command
        .replaceAll("http://127.0.0.1:3000", service.url)
        .replaceAll("@fixtures/", `@${root}/fixtures/`)
        .replaceAll("<id>", named.id ?? "<id>")
        .replaceAll("<batch_id>", named.batch_id ?? "<batch_id>")
        .replace(/"upload_id":"…"/, `"upload_id":"${named.upload_id}"`);
      const where = `${example.document}:${example.line}: ${example.command}`;
      expect(command, where).not.toMatch(/<\w+>|…/);
      const { stdout } = await run("bash", ["-c", `${command} -s -w '\\n%{http_code}'`], { cwd: scratch, maxBuffer: 16 * 1024 * 1024 });
      const status = Number(stdout.slice(stdout.lastIndexOf("\n") + 1));
      const body = stdout.slice(0, stdout.lastIndexOf("\n"));
      if (example.expected) expect(status, `${where}\n${body.slice(0, 400)}`).toBe(example.expected);
      else expect(status >= 200 && status < 300, `${where} answered ${status}\n${body.slice(0, 400)}`).toBe(true);
      const answer = body.startsWith("{") ? (JSON.parse(body) as Record<string, unknown>) : {};
      const analysis = answer.analysis as { id?: string } | undefined;
      if (analysis?.id) named.id = analysis.id;
      if (typeof answer.batch_id === "string") named.batch_id = answer.batch_id;
      if (typeof answer.upload_id === "string") {
        // Step 2 of the presigned flow, which the page describes in words: the file to the ticket's URL.
        named.upload_id = answer.upload_id;
        const form = new FormData();
        for (const [name, value] of Object.entries(answer.fields as Record<string, string>)) form.append(name, value);
        const contentType = (answer.fields as Record<string, string>)["Content-Type"] ?? "image/jpeg";
        const photo = contentType === "image/heic" ? "cat-portrait.heic" : "coffee-mug.jpg";
        form.append("file", new Blob([readFileSync(`fixtures/photos/${photo}`)], { type: contentType }));
        expect((await fetch(answer.url as string, { method: "POST", body: form })).status, where).toBeLessThan(300);
      }
    }
  }, 180_000);
});
