import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { startLocalAws, ensureBucket, ensureTable, type LocalAws } from "./aws.js";
import { createAnalysis } from "../shared/runtime/analysis.js";
import { createAppDeps } from "../shared/runtime/app-deps.js";
import { createDynamoClient, createS3Client } from "../shared/runtime/aws-clients.js";
import { jwtSettingsFrom, runtimeEnvironmentFrom, type RuntimeEnvironment } from "../shared/runtime/environment.js";
import type { AppDeps } from "../shared/usecases/deps.js";
import { LocalJobQueue, type LocalQueueOptions } from "./queue.js";
import { maxReceivesFrom, visibilityTimeoutMsFrom } from "../shared/queue/delivery.js";
import type { HttpHandler } from "../functions/pipeline.js";
import { WEBSOCKET_ROUTES, WORKER_FUNCTION } from "../functions/routes.js";
import { withTableGrant } from "../shared/runtime/table-access.js";
import type { WebSocketHandler } from "../functions/websocket.js";
import { createWorkerHandler } from "../functions/worker/handler.js";
import { attachEventsServer } from "./events-server.js";
import { createLocalApiServer } from "./http-adapter.js";

export const LOCAL_TABLE = "photo-analysis-local";
/** How to lift the rate limit on your own machine: in npm start's banner and in its 429s. */
export const RATE_LIMIT_SWITCH = "PHOTO_ANALYSIS_ENABLE_RATE_LIMITING=false";
export const LOCAL_RATE_LIMIT_NOTE = `Running it yourself? Start it with ${RATE_LIMIT_SWITCH} to switch the limit off.`;
export const LOCAL_BUCKET = "photo-analysis-local";

export interface LocalServiceOptions {
  port?: number;
  host?: string;
  /** Where DynamoDB, S3 and local images keep their data (default .data). */
  dataDir?: string;
  /** Keep DynamoDB data on disk across restarts (default true). */
  persist?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Replace parts of the wiring (tests use this to inject a provider or a clock). */
  override?: (deps: AppDeps) => AppDeps;
  /** The in-process job queue's timings (tests shorten the visibility timeout). */
  queue?: LocalQueueOptions;
}

export interface LocalService {
  url: string;
  deps: AppDeps;
  runtime: RuntimeEnvironment;
  /** The in-process job queue the worker consumes. */
  queue: LocalJobQueue;
  close(): Promise<void>;
}

/**
 * What only a deployment has, whatever the environment says: npm start reads its settings from the
 * environment and a file (never SSM), runs its own queue and WebSocket server, and has no bucket
 * lifecycle to stay under.
 */
const DEPLOYMENT_ONLY = {
  ssmPrefix: undefined,
  queueUrl: undefined,
  eventsUrl: undefined,
  eventsCallbackUrl: undefined,
  maxImageTtlHours: undefined,
} satisfies Partial<RuntimeEnvironment>;

/**
 * The local DynamoDB and S3 servers with the table and bucket ready, and the runtime that points at
 * them: what `npm start` and the `cleanup` command both use, over the same data folder.
 */
export async function startLocalRuntime(options: { dataDir?: string; persist?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  const env = options.env ?? process.env;
  // Refused before any server starts: an issuer without an audience would let any of its tokens sign in.
  jwtSettingsFrom(env);
  const dataDir = resolve(options.dataDir ?? env.PHOTO_ANALYSIS_DATA_DIR ?? ".data");
  // External servers when named (DynamoDB Local, LocalStack, a real account), else embedded ones.
  const external = { dynamodb: env.PHOTO_ANALYSIS_DYNAMODB_ENDPOINT || undefined, s3: env.PHOTO_ANALYSIS_S3_ENDPOINT || undefined };
  if (!external.dynamodb && options.persist !== false) {
    // Two processes cannot open the same database files (the second would crash with "Database is closed").
    const running = await runningServer(dataDir);
    if (running) {
      throw new Error(
        `${dataDir} is in use by another npm start (pid ${running.pid}, ${running.url}). Stop it, use another folder (PHOTO_ANALYSIS_DATA_DIR), or point at its servers: PHOTO_ANALYSIS_DYNAMODB_ENDPOINT=${running.dynamodbEndpoint} PHOTO_ANALYSIS_S3_ENDPOINT=${running.s3Endpoint}`,
      );
    }
  }
  const aws: LocalAws = await startLocalAws({
    dataDir,
    bucket: LOCAL_BUCKET,
    persistDynamo: options.persist !== false,
    dynamodbEndpoint: external.dynamodb,
    s3Endpoint: external.s3,
  });
  const runtime = runtimeEnvironmentFrom(env, {
    tableName: env.PHOTO_ANALYSIS_TABLE || LOCAL_TABLE,
    bucketName: env.PHOTO_ANALYSIS_BUCKET || LOCAL_BUCKET,
    localImageDir: join(dataDir, "images"),
    dynamodbEndpoint: aws.dynamodbEndpoint,
    s3Endpoint: aws.s3Endpoint,
    localKeyPair: !external.s3,
    ...DEPLOYMENT_ONLY,
  });
  try {
    await reachable(`DynamoDB API at ${runtime.dynamodbEndpoint}`, async () => {
      const dynamo = createDynamoClient(runtime);
      try {
        await ensureTable(dynamo, runtime.tableName);
      } finally {
        dynamo.destroy();
      }
    });
    if (external.s3) {
      await reachable(`S3 API at ${runtime.s3Endpoint}`, async () => {
        const s3 = createS3Client(runtime);
        try {
          await ensureBucket(s3, runtime.bucketName!);
        } finally {
          s3.destroy();
        }
      });
    }
  } catch (error) {
    await aws.close();
    throw error;
  }
  return { runtime, dataDir, embedded: !external.dynamodb && !external.s3, close: aws.close };
}

/** Where a running `npm start` says which servers hold its data, so other commands use them rather than open the files twice. */
export function serverFile(dataDir: string): string {
  return join(dataDir, "server.json");
}

export interface RunningServer {
  pid: number;
  url: string;
  dynamodbEndpoint: string;
  s3Endpoint: string;
}

/** The `npm start` currently serving this data folder, if any (a stale file from a crashed one is ignored). */
export async function runningServer(dataDir: string): Promise<RunningServer | undefined> {
  try {
    const server = JSON.parse(await readFile(serverFile(dataDir), "utf8")) as RunningServer;
    process.kill(server.pid, 0); // throws when no such process
    return server;
  } catch {
    return undefined;
  }
}

/** Turns a connection failure into one line that says which server and what to check. */
async function reachable(what: string, check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (error) {
    const reason = (error as { code?: string; name?: string; message?: string }).code ?? (error as Error).name;
    throw new Error(`Cannot use the ${what}: ${reason} (${(error as Error).message}). Is it running, and are AWS_REGION and the credentials right?`, {
      cause: error,
    });
  }
}

/**
 * The whole service on one machine: local DynamoDB and S3 servers, the table and bucket,
 * and the Lambda handlers behind an HTTP server. No AWS account, no Docker.
 */
export async function startLocalService(options: LocalServiceOptions = {}): Promise<LocalService> {
  const env = options.env ?? process.env;
  const local = await startLocalRuntime({ dataDir: options.dataDir, persist: options.persist, env });
  // The local composition root: one set of dependencies for every route, handlers made on first use.
  // Each handler runs inside its function's table grant, as its IAM policy would hold it in AWS.
  const handlers = new Map<string, Promise<HttpHandler>>();
  const server: Server = createLocalApiServer(
    (route) => {
      let handler = handlers.get(route.id);
      if (!handler) {
        handler = route.factory().then((factory) => {
          const handle = factory(() => deps);
          return (event, context) => withTableGrant(route.id, route.access, () => handle(event, context));
        });
        handlers.set(route.id, handler);
      }
      return handler;
    },
    { corsOrigins: env.PHOTO_ANALYSIS_CORS_ORIGINS },
  );
  // Async analysis: the WebSocket API on the same port, and the worker behind an in-process queue.
  const socketHandlers = new Map<string, Promise<WebSocketHandler>>();
  const events = attachEventsServer(server, (routeId) => {
    let handler = socketHandlers.get(routeId);
    if (!handler) {
      const route = WEBSOCKET_ROUTES.find((candidate) => candidate.id === routeId)!;
      handler = route.factory().then((factory) => {
        const handle = factory(() => deps);
        return (event) => withTableGrant(route.id, route.access, () => handle(event));
      });
      socketHandlers.set(routeId, handler);
    }
    return handler;
  });
  // Jobs outlive the process, as SQS keeps them: a persistent data folder keeps the queue too.
  const queue = new LocalJobQueue({
    maxReceives: maxReceivesFrom(env),
    visibilityTimeoutMs: visibilityTimeoutMsFrom(env),
    file: options.persist !== false ? join(local.dataDir, "queue.json") : undefined,
    ...options.queue,
  });
  const host = options.host ?? "127.0.0.1";
  try {
    await new Promise<void>((done, fail) => {
      server.once("error", fail);
      server.listen(options.port ?? 0, host, () => done());
    });
  } catch (error) {
    events.close();
    await queue.close(0);
    await local.close();
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new Error(
        `Port ${options.port} on ${host} is already in use (another npm start?). Stop that server, or serve on another port: PORT=${(options.port ?? 3000) + 1} npm start`,
        { cause: error },
      );
    }
    throw error;
  }
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
  // Built once the address is known (before any request is read): links in answers name the server's
  // own address unless the deployment configured another origin.
  const runtime = { ...local.runtime, publicBaseUrl: local.runtime.publicBaseUrl ?? url };
  const wired = createAppDeps({
    runtime,
    env,
    ...createAnalysis(runtime, env),
    queue,
    gateway: events.gateway,
    rateLimitNote: LOCAL_RATE_LIMIT_NOTE,
  });
  const deps = options.override ? options.override(wired) : wired;
  const worker = createWorkerHandler(() => deps, env);
  queue.attach((event, context) => withTableGrant(WORKER_FUNCTION.id, WORKER_FUNCTION.access, () => worker(event, context)));
  // Announce the embedded servers of a persistent data folder, for `npm run cleanup` (and others) to share.
  const announced = options.persist !== false && local.embedded ? serverFile(local.dataDir) : undefined;
  if (announced) {
    const running: RunningServer = { pid: process.pid, url, dynamodbEndpoint: runtime.dynamodbEndpoint!, s3Endpoint: runtime.s3Endpoint! };
    await writeFile(announced, JSON.stringify(running));
  }
  return {
    url,
    deps,
    runtime,
    queue,
    close: async () => {
      if (announced) await rm(announced, { force: true });
      await events.close();
      await queue.close();
      await deps.dispose?.();
      await new Promise<void>((done) => server.close(() => done()));
      await local.close();
    },
  };
}
