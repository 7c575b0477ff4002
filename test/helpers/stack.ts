import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll } from "vitest";
import { FakeOpenAI } from "./fake-providers.js";
import { ensureTable, startLocalAws, type LocalAws } from "../../local/aws.js";
import { createAnalysis } from "../../shared/runtime/analysis.js";
import { createAppDeps } from "../../shared/runtime/app-deps.js";
import { createDynamoClient } from "../../shared/runtime/aws-clients.js";
import { runtimeEnvironmentFrom, type RuntimeEnvironment } from "../../shared/runtime/environment.js";
import type { AppDeps } from "../../shared/usecases/deps.js";

export interface TestStack {
  aws: LocalAws;
  dataDir: string;
  /** A fresh table (and the shared bucket) wired into AppDeps; `env` supplies settings and keys. */
  deps(env?: NodeJS.ProcessEnv, overrides?: Partial<AppDeps>): Promise<AppDeps & { runtime: RuntimeEnvironment }>;
  close(): Promise<void>;
}

export const TEST_BUCKET = "photo-analysis-test";

/** Local DynamoDB (in memory) and S3 (temporary folder) servers on random loopback ports. */
export async function startTestStack(): Promise<TestStack> {
  const dataDir = await mkdtemp(join(tmpdir(), "photo-analysis-test-"));
  const aws = await startLocalAws({ dataDir, bucket: TEST_BUCKET, persistDynamo: false });
  return {
    aws,
    dataDir,
    async deps(env = {}, overrides = {}) {
      // Only what `env` says: the test process's own variables (a developer's AWS_REGION, an SSM prefix) never leak in.
      const runtime = runtimeEnvironmentFrom(env, {
        tableName: `t-${randomUUID()}`,
        bucketName: TEST_BUCKET,
        localImageDir: join(dataDir, "images"),
        dynamodbEndpoint: aws.dynamodbEndpoint,
        s3Endpoint: aws.s3Endpoint,
        localKeyPair: true,
        region: "us-east-1",
      });
      const dynamo = createDynamoClient(runtime);
      await ensureTable(dynamo, runtime.tableName);
      dynamo.destroy();
      return { ...createAppDeps({ runtime, env, ...createAnalysis(runtime, env) }), ...overrides, runtime };
    },
    async close() {
      await aws.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A clock tests can move. */
export function manualClock(start = new Date("2026-01-15T10:00:00.000Z")) {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance(ms: number) {
      current += ms;
    },
    set(date: Date) {
      current = date.getTime();
    },
  };
}

/**
 * Registers the usual suite hooks: local AWS servers and a loopback OpenAI server, started once for
 * the file and stopped after it. Use the returned object's `stack` and `fake` inside tests.
 */
export function useLocalStack(): { stack: TestStack; fake: FakeOpenAI } {
  const suite = {} as { stack: TestStack; fake: FakeOpenAI };
  beforeAll(async () => {
    suite.stack = await startTestStack();
    suite.fake = await new FakeOpenAI().start();
  });
  afterAll(async () => {
    await suite.fake?.close();
    await suite.stack?.close();
  });
  return suite;
}
