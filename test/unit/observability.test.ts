import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { keyedPseudonym, pseudonym } from "../../functions/observability.js";

const run = promisify(execFile);

/** The module decides at load whether it runs in Lambda, so each case is a fresh process with Lambda's variable set. */
async function inLambda(script: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout, stderr } = await run(join("node_modules", ".bin", "tsx"), ["--eval", script], {
    env: { ...process.env, AWS_LAMBDA_FUNCTION_NAME: "photo-analysis-test", ...env },
  });
  // Powertools warns on stderr when asked to publish no metrics: that must not happen either.
  expect(stderr).not.toContain("No application metrics");
  return stdout;
}

describe("metrics and request lines in Lambda", () => {
  it("emits CloudWatch EMF for the dashboard's events and provider calls, and nothing (no warning) for a request without any", async () => {
    const quiet = await inLambda(`import("./functions/observability.ts").then((o) => { o.flushMetrics(); })`);
    expect(quiet.trim()).toBe("");
    const stdout = await inLambda(
      `import("./functions/observability.ts").then((o) => { o.cloudWatchTelemetry.record({ kind: "analysis", provider: "openai", model: "gpt-4o", tokens: 500, costUsd: 0.003, names: [] }); o.cloudWatchTelemetry.record({ kind: "provider_call", provider: "openai", ms: 1234, ok: false }); o.flushMetrics(); })`,
    );
    const documents = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const metricNames = documents.flatMap((doc) =>
      doc._aws.CloudWatchMetrics.flatMap((group: { Metrics: { Name: string }[] }) => group.Metrics.map((metric) => metric.Name)),
    );
    expect(metricNames).toEqual(expect.arrayContaining(["Uploads", "Analyses", "Tokens", "EstimatedCostUsd", "ProviderLatency", "ProviderFailures"]));
    expect(documents.every((doc) => doc._aws.CloudWatchMetrics[0].Namespace === "PhotoAnalysis")).toBe(true);
  });

  it("logs one JSON line per request with the client's address only as a keyed pseudonym", async () => {
    const stdout = await inLambda(
      `import("./functions/observability.ts").then((o) => { o.requestLog.request({ route: "POST /api/photo-analysis/upload", status: 201, ms: 12.5, requestId: "req-1", client: o.pseudonym("203.0.113.10"), cached: false, provider: "local" }); })`,
    );
    const line = JSON.parse(stdout.trim());
    expect(line).toMatchObject({
      message: "request",
      route: "POST /api/photo-analysis/upload",
      status: 201,
      requestId: "req-1",
      cached: false,
      provider: "local",
      level: "INFO",
    });
    expect(line.client).toMatch(/^[0-9a-f]{16}$/);
    expect(stdout).not.toContain("203.0.113.10");
  });
});

describe("the log's client pseudonym", () => {
  it("is an HMAC under the day's key derived from the key: stable within a UTC day, unlinkable across days and keys", () => {
    const key = "k".repeat(64);
    const at = (iso: string) => keyedPseudonym(key, "203.0.113.10", new Date(iso));
    const dayKey = createHmac("sha256", key).update("2026-05-12").digest();
    expect(at("2026-05-12T08:00:00Z")).toBe(createHmac("sha256", dayKey).update("203.0.113.10").digest("hex").slice(0, 16));
    expect(at("2026-05-12T23:59:59Z")).toBe(at("2026-05-12T00:00:00Z"));
    expect(at("2026-05-13T00:00:01Z")).not.toBe(at("2026-05-12T08:00:00Z"));
    expect(keyedPseudonym(key, "203.0.113.11", new Date("2026-05-12T08:00:00Z"))).not.toBe(at("2026-05-12T08:00:00Z"));
    expect(keyedPseudonym("another deployment", "203.0.113.10", new Date("2026-05-12T08:00:00Z"))).not.toBe(at("2026-05-12T08:00:00Z"));
    expect(pseudonym(undefined)).toBeUndefined();
  });

  it("uses the deployment's key in Lambda (PHOTO_ANALYSIS_LOG_PSEUDONYM_KEY), and a random key per process without one", async () => {
    const script = `import("./functions/observability.ts").then((o) => console.log(o.pseudonym("203.0.113.10", new Date("2026-05-12T08:00:00Z"))))`;
    const keyed = (await inLambda(script, { PHOTO_ANALYSIS_LOG_PSEUDONYM_KEY: "the deployment's key" })).trim();
    expect(keyed).toBe(keyedPseudonym("the deployment's key", "203.0.113.10", new Date("2026-05-12T08:00:00Z")));
    // This test process has no key: its own random one differs from another process's.
    const unkeyed = (await inLambda(script, { PHOTO_ANALYSIS_LOG_PSEUDONYM_KEY: "" })).trim();
    expect(unkeyed).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set([keyed, unkeyed, pseudonym("203.0.113.10", new Date("2026-05-12T08:00:00Z"))]).size).toBe(3);
  });
});
