import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

/** The module decides at load whether it runs in Lambda, so each case is a fresh process with Lambda's variable set. */
async function inLambda(script: string): Promise<string> {
  const { stdout, stderr } = await run(join("node_modules", ".bin", "tsx"), ["--eval", script], { env: { ...process.env, AWS_LAMBDA_FUNCTION_NAME: "photo-analysis-test" } });
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
    const documents = stdout.trim().split("\n").map((line) => JSON.parse(line));
    const metricNames = documents.flatMap((doc) => doc._aws.CloudWatchMetrics.flatMap((group: { Metrics: { Name: string }[] }) => group.Metrics.map((metric) => metric.Name)));
    expect(metricNames).toEqual(expect.arrayContaining(["Uploads", "Analyses", "Tokens", "EstimatedCostUsd", "ProviderLatency", "ProviderFailures"]));
    expect(documents.every((doc) => doc._aws.CloudWatchMetrics[0].Namespace === "PhotoAnalysis")).toBe(true);
  });

  it("logs one JSON line per request with the client's address only as a hash", async () => {
    const stdout = await inLambda(
      `import("./functions/observability.ts").then((o) => { o.requestLog.request({ route: "POST /api/photo-analysis/upload", status: 201, ms: 12.5, requestId: "req-1", client: o.pseudonym("203.0.113.10"), cached: false, provider: "local" }); })`,
    );
    const line = JSON.parse(stdout.trim());
    expect(line).toMatchObject({ message: "request", route: "POST /api/photo-analysis/upload", status: 201, requestId: "req-1", cached: false, provider: "local", level: "INFO" });
    expect(line.client).toMatch(/^[0-9a-f]{12}$/);
    expect(stdout).not.toContain("203.0.113.10");
  });
});
