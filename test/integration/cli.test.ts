import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startScratchService } from "../helpers/local-service.js";
import { startLocalService, type LocalService } from "../../local/service.js";
import { FakeOpenAI } from "../helpers/fake-providers.js";

const run = promisify(execFile);
const tsx = join("node_modules", ".bin", "tsx");

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await run(tsx, args, { env: { ...process.env, NO_COLOR: "1", ...env }, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("npm run upload-test", () => {
  let service: LocalService;
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await new FakeOpenAI().start();
    service = await startScratchService({ env: { OPENAI_API_KEY: "sk-cli", OPENAI_BASE_URL: fake.baseUrl } });
  });
  afterAll(async () => {
    await service.close();
    await fake.close();
  });

  it("lists the fixtures", async () => {
    const { code, stdout } = await cli(["bin/upload-test.ts", "--list"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/coffee-mug\.jpg\s+\d/);
    expect(stdout).not.toMatch(/SOURCES\.md/);
  });

  it("prints the seed's report sections, plain text when not on a terminal, and shows the cache on a second run", async () => {
    const first = await cli(["bin/upload-test.ts", "chelsea-cat.jpg", "--fingerprint", "cli-fp", "--url", service.url]);
    expect(first.code).toBe(0);
    for (const section of [
      "PHOTO ANALYSIS END-TO-END TEST",
      "RESPONSE",
      "KEY INFORMATION",
      "Status Code: 201",
      "Cached: False",
      "Analysis ID:",
      "Model: gpt-4o-2024-08-06",
      "Image pHash:",
      "File MD5:",
      "Storage: s3",
      "Token Usage:",
      "Total: 533",
      "Suggestions Count: 10",
      "Chat Name Suggestions:",
      "1. Coffee Lovers (key: coffee-lovers)",
      "Rate Limit:",
      "Used: 1 / 5",
      "Remaining: 4",
      "✓ Upload successful!",
    ]) {
      expect(first.stdout, section).toContain(section);
    }
    expect(first.stdout).not.toContain("\u001b[");
    const second = await cli(["bin/upload-test.ts", "chelsea-cat.jpg", "--fingerprint", "cli-fp", "--url", service.url]);
    expect(second.stdout).toContain("Status Code: 200");
    expect(second.stdout).toContain("Cached: True (exact match, distance 0)");
    expect(second.stdout).toContain("Times Used: 1");
  });

  it("--batch --watch queues photos as one batch and prints each photo's progress and names live, failing a non-photo on its own", async () => {
    const { code, stdout } = await cli([
      "bin/upload-test.ts",
      "--batch",
      "coffee-mug.jpg",
      "labrador.webp",
      "package.json",
      "--watch",
      "--fingerprint",
      "cli-batch",
      "--url",
      service.url,
    ]);
    expect(stdout).toContain("PHOTO ANALYSIS BATCH TEST");
    expect(stdout).toMatch(/Batch [0-9a-f-]{36}: 3 photo\(s\) queued/);
    expect(stdout).toMatch(/\[1\/3\] coffee-mug\.jpg: (decoding|matching|analysing)…/);
    expect(stdout).toMatch(/✓ \[1\/3\] coffee-mug\.jpg: Coffee Lovers, Brew Crew, Morning Mug Club…/);
    expect(stdout).toMatch(/✓ \[2\/3\] labrador\.webp/);
    expect(stdout).toMatch(/✗ \[3\/3\] package\.json: HTTP 400 \{"image":\["Unsupported image format/);
    expect(stdout).toContain("✗ 2 of 3 analysed, 1 failed");
    expect(code).toBe(1);
    const tooMany = await cli(["bin/upload-test.ts", "--batch", ...Array.from({ length: 11 }, () => "coffee-mug.jpg")]);
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toContain("A batch holds at most 10 photos (got 11).");
  });

  it("explains an unreachable API and a missing image", async () => {
    const down = await cli(["bin/upload-test.ts", "coffee-mug.jpg", "--url", "http://127.0.0.1:9"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/Could not reach .*Is the API running/s);
    const missing = await cli(["bin/upload-test.ts", "nope.jpg"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/No such image/);
  });
});

describe("npm run analyze", () => {
  it("prints JSON lines per image with labels, suggestions and timing; reports bad files and exits non-zero", async () => {
    const { code, stdout } = await cli(["bin/analyze.ts", "fixtures/photos/labrador.webp", "package.json", "--json"]);
    expect(code).toBe(1);
    const [good, bad] = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(good.file).toBe("fixtures/photos/labrador.webp");
    expect(good.labels[0].label).toBe("Labrador retriever");
    expect(good.suggestions).toHaveLength(10);
    expect(typeof good.ms).toBe("number");
    expect(bad).toEqual({ file: "package.json", error: expect.stringMatching(/Unsupported image format/) });
  });
});

describe("npm run cleanup", () => {
  it("runs a dry run against the local data folder and prints the summary", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "photo-analysis-cleanup-cli-"));
    try {
      const { code, stdout } = await cli(["bin/cleanup.ts", "--dry-run", "--batch-size", "50"], { PHOTO_ANALYSIS_DATA_DIR: dataDir, PHOTO_ANALYSIS_TABLE: "" });
      expect(code).toBe(0);
      expect(stdout).toContain(`Local data: ${dataDir}`);
      expect(stdout).toContain("DRY RUN: nothing will be deleted");
      expect(stdout).toMatch(/Expired items found:\s+0/);
      const bad = await cli(["bin/cleanup.ts", "--batch-size", "0"], { PHOTO_ANALYSIS_DATA_DIR: dataDir });
      expect(bad.code).toBe(2);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("says where it looked and makes no folder when there is no local data yet", async () => {
    const parent = await mkdtemp(join(tmpdir(), "photo-analysis-cleanup-none-"));
    const nowhere = join(parent, "never-started");
    try {
      const empty = await cli(["bin/cleanup.ts"], { PHOTO_ANALYSIS_DATA_DIR: nowhere, PHOTO_ANALYSIS_TABLE: "" });
      expect(empty.code, empty.stderr).toBe(0);
      expect(empty.stdout).toContain(`No local data in ${nowhere}`);
      expect(existsSync(nowhere)).toBe(false);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});

describe("npm start's banner", () => {
  it("states the active rate limits and the switch, the try page and the docs, and prints no AWS SDK notice about Node versions", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "photo-analysis-banner-"));
    // The SDK's variable is left to the command itself to set (the suite sets it for its own processes).
    const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _, ...env } = process.env;
    const child = spawn(process.execPath, ["--import", "tsx", "bin/server.ts"], {
      env: {
        ...env,
        PORT: "0",
        PHOTO_ANALYSIS_DATA_DIR: dataDir,
        PHOTO_ANALYSIS_VISION_PROVIDER: "local",
        PHOTO_ANALYSIS_MODERATION: "off",
        PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "7",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    try {
      await vi.waitFor(() => expect(stdout).toContain("admin:"), { timeout: 30_000, interval: 50 });
      const url = /listening on (http:\/\/\S+)/.exec(stdout)![1]!;
      expect(stdout).toContain(
        "rate limits: 7 new analyses an hour per anonymous fingerprint (28 per address), 20 per signed-in user; cached answers are free. To switch them off: PHOTO_ANALYSIS_ENABLE_RATE_LIMITING=false npm start",
      );
      expect(stdout).toContain(`try it in a browser: ${url}/ (API docs: ${url}/docs/)`);
      expect(stdout.includes("node: Node v"), stdout).toBe(Number(process.versions.node.split(".")[0]) < 22);
      expect(stderr).not.toContain("NodeVersionSupportWarning");
    } finally {
      child.kill("SIGINT");
      await new Promise((resolve) => child.once("exit", resolve));
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe("npm run migrate", () => {
  it("runs a dry run and a migration against the local data folder and prints the summary", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "photo-analysis-migrate-cli-"));
    try {
      const dry = await cli(["bin/migrate.ts", "--dry-run"], { PHOTO_ANALYSIS_DATA_DIR: dataDir, PHOTO_ANALYSIS_TABLE: "" });
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain("DRY RUN: nothing will be written");
      expect(dry.stdout).toMatch(/Records to migrate:\s+0/);
      const real = await cli(["bin/migrate.ts", "--batch-size", "50"], { PHOTO_ANALYSIS_DATA_DIR: dataDir, PHOTO_ANALYSIS_TABLE: "" });
      expect(real.code, real.stderr).toBe(0);
      expect(real.stdout).toMatch(/Records migrated:\s+0/);
      expect((await cli(["bin/migrate.ts", "--batch-size", "0"], { PHOTO_ANALYSIS_DATA_DIR: dataDir })).code).toBe(2);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe("operator commands as a person uses them", () => {
  it("answer unknown flags and missing files with one line and the usage, never a stack trace", async () => {
    for (const args of [
      ["bin/cleanup.ts", "--frobnicate"],
      ["bin/migrate.ts", "--frobnicate"],
      ["bin/analyze.ts", "--nope", "x.jpg"],
      ["bin/upload-test.ts", "--bogus"],
      ["bin/analyze.ts", "no-such-photo.jpg"],
    ]) {
      const { code, stderr } = await cli(args);
      expect(code, args.join(" ")).toBe(2);
      expect(stderr, args.join(" ")).toMatch(/^error: /m);
      expect(stderr, args.join(" ")).not.toMatch(/\n\s+at /);
    }
  });

  it("cleanup works while npm start runs on the same data (it uses the running servers) and a dry run lists what it would delete", async () => {
    const fake = await new FakeOpenAI().start();
    const dataDir = await mkdtemp(join(tmpdir(), "photo-analysis-shared-data-"));
    const service = await startLocalService({
      dataDir,
      env: { OPENAI_API_KEY: "sk-cli", OPENAI_BASE_URL: fake.baseUrl, PHOTO_ANALYSIS_IMAGE_TTL_HOURS: "0.0001" },
    });
    try {
      const form = new FormData();
      form.append("image", new Blob([await readFile("fixtures/photos/coffee-mug.jpg")]), "mug.jpg");
      const created = (await (await fetch(`${service.url}/api/photo-analysis/upload/`, { method: "POST", body: form })).json()) as { analysis: { id: string } };
      await new Promise((resolve) => setTimeout(resolve, 500)); // the 0.36 s TTL runs out
      const dry = await cli(["bin/cleanup.ts", "--dry-run"], { PHOTO_ANALYSIS_DATA_DIR: dataDir, PHOTO_ANALYSIS_TABLE: "" });
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain("Using the running npm start's data servers");
      // The upload (its image and personal fields) and the analysis it alone relied on.
      expect(dry.stdout).toMatch(/Expired items found:\s+2/);
      expect(dry.stdout).toContain(`upload ${created.analysis.id}: image and personal fields`);
      const real = await cli(["bin/cleanup.ts"], { PHOTO_ANALYSIS_DATA_DIR: dataDir, PHOTO_ANALYSIS_TABLE: "" });
      expect(real.code, real.stderr).toBe(0);
      expect(real.stdout).toMatch(/Uploads erased:\s+1/);
      expect(real.stdout).toMatch(/Analyses deleted:\s+1/);
      // The server is unharmed and sees the erasure: the id answers "expired" (a tombstone), its image is gone.
      const tombstone = await fetch(`${service.url}/api/photo-analysis/${created.analysis.id}/`);
      expect(tombstone.status).toBe(200);
      expect(await tombstone.json()).toMatchObject({ id: created.analysis.id, is_expired: true, suggestions: [] });
      expect((await fetch(`${service.url}/api/photo-analysis/${created.analysis.id}/image/`)).status).toBe(410);
    } finally {
      await service.close();
      await fake.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("upload-test sends large photos through the presigned flow and signs in with --token", async () => {
    const fake = await new FakeOpenAI().start();
    const dataDir = await mkdtemp(join(tmpdir(), "photo-analysis-presigned-cli-"));
    const service = await startLocalService({ dataDir, persist: false, env: { OPENAI_API_KEY: "sk-cli", OPENAI_BASE_URL: fake.baseUrl } });
    try {
      const { code, stdout } = await cli(["bin/upload-test.ts", "coffee-mug.jpg", "--presigned", "--url", service.url]);
      expect(code, stdout).toBe(0);
      // A small photo goes this way because it was asked to, not because it is "over the direct limit".
      expect(stdout).toContain("--presigned: asking");
      expect(stdout).not.toContain("over the direct limit");
      expect(stdout).toMatch(/Uploading to storage \(upload_id [0-9a-f-]{36}\)/);
      expect(stdout).toContain("Upload successful");
      const signed = await cli(["bin/upload-test.ts", "coffee-mug.jpg", "--token", "not-a-jwt", "--url", service.url]);
      expect(signed.code).toBe(1);
      expect(signed.stdout).toMatch(/Status Code: 401/);
    } finally {
      await service.close();
      await fake.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
