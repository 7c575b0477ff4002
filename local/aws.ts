import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { createRequire } from "node:module";
import dynalite from "dynalite";
import S3rver from "s3rver";
import { LOCAL_KEY_PAIR } from "../shared/runtime/aws-clients.js";
import { INDEXES, PARTITION_KEY, SORT_KEY, keyAttributes } from "../shared/stores/table-schema.js";
import { guardS3 } from "./s3-post-guard.js";

/**
 * DynamoDB-API (dynalite) and S3-API (s3rver) servers in this process, on loopback: what
 * `npm start` and the integration tests run against instead of AWS. With a data directory the
 * data survives restarts; without one DynamoDB is in memory and S3 uses a temporary folder. The S3
 * server checks presigned POSTs as S3 does and refuses unsigned writes (s3-post-guard.ts).
 */
export interface LocalAws {
  dynamodbEndpoint: string;
  s3Endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts the embedded servers, or uses external ones: with `dynamodbEndpoint`/`s3Endpoint` given
 * (PHOTO_ANALYSIS_DYNAMODB_ENDPOINT, PHOTO_ANALYSIS_S3_ENDPOINT) that server is not started here.
 */
export async function startLocalAws(options: {
  dataDir: string;
  dynamodbPort?: number;
  s3Port?: number;
  bucket: string;
  persistDynamo?: boolean;
  dynamodbEndpoint?: string;
  s3Endpoint?: string;
}): Promise<LocalAws> {
  const [dynamo, s3] = await Promise.all([
    options.dynamodbEndpoint ? { endpoint: options.dynamodbEndpoint, close: async () => {} } : startDynalite(options),
    options.s3Endpoint ? { endpoint: options.s3Endpoint, close: async () => {} } : startS3rver(options),
  ]);
  return {
    dynamodbEndpoint: dynamo.endpoint,
    s3Endpoint: s3.endpoint,
    close: async () => {
      await s3.close();
      await dynamo.close();
    },
  };
}

/**
 * dynalite 4 wraps LevelDB iterators (abstract-level 3) in streams whose destroy() calls
 * `iterator.return()`, a method abstract-level 3 iterators do not have, so the iterator of every
 * Query and Scan stayed open. An open iterator pins its snapshot: LevelDB could never delete the
 * table files it had compacted away, and `npm start` grew by hundreds of MB per few thousand cached
 * uploads (measured: 5 → 64 .ldb files, 259 → 694 MB RSS over 18,000 update+query pairs). Giving the
 * iterators the `return()` dynalite expects, as an alias of close(), lets every finished or
 * abandoned query release its iterator. Idempotent; affects only this process's local server.
 */
export function closeAbandonedLevelIterators(): void {
  // The abstract-level dynalite itself loads (through level → classic-level).
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve("dynalite"));
  const { AbstractIterator } = fromDynalite("abstract-level") as typeof import("abstract-level");
  const common = Object.getPrototypeOf(AbstractIterator.prototype) as { return?: () => Promise<unknown>; close(): Promise<void> };
  if (common.return) return;
  common.return = async function (this: { close(): Promise<void> }) {
    await this.close();
    return { done: true, value: undefined };
  };
}

async function startDynalite(options: { dataDir: string; dynamodbPort?: number; persistDynamo?: boolean }) {
  closeAbandonedLevelIterators();
  const dynamoDir = join(options.dataDir, "dynamodb");
  if (options.persistDynamo !== false) await mkdir(dynamoDir, { recursive: true });

  const dynamo: Server = dynalite({
    path: options.persistDynamo === false ? undefined : dynamoDir,
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    dynamo.once("error", reject);
    dynamo.listen(options.dynamodbPort ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (dynamo.address() as AddressInfo).port;
  return { endpoint: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => dynamo.close(() => resolve())) };
}

async function startS3rver(options: { dataDir: string; s3Port?: number; bucket: string }) {
  const s3Dir = join(options.dataDir, "s3");
  await mkdir(s3Dir, { recursive: true });
  const s3 = new S3rver({
    address: "127.0.0.1",
    port: options.s3Port ?? 0,
    directory: s3Dir,
    silent: true,
    configureBuckets: [{ name: options.bucket }],
  });
  const s3Address = await s3.run();
  storeObjectsBeforeAnswering(s3);
  // s3rver checks no POST policy and takes unsigned writes: every request passes the guard first.
  const server = (s3 as unknown as { httpServer: Server }).httpServer;
  const [serve] = server.listeners("request") as Parameters<typeof guardS3>[0][];
  server.removeAllListeners("request");
  server.on(
    "request",
    guardS3(serve!, { secretOf: (accessKeyId) => (accessKeyId === LOCAL_KEY_PAIR.accessKeyId ? LOCAL_KEY_PAIR.secretAccessKey : undefined) }),
  );
  return { endpoint: `http://127.0.0.1:${s3Address.port}`, close: () => s3.close() };
}

/** The part of s3rver's filesystem store that writes objects. */
interface S3rverStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: unknown, md5: string): Promise<void>;
  putObject(object: { bucket: string; key: string; metadata: unknown; content: Buffer | AsyncIterable<Buffer> }): Promise<{ size: number; md5: string }>;
}

/**
 * s3rver answers a write once the bytes have passed through its hashing stream, before its file is
 * flushed: a read right after (a presigned POST, then the upload that analyses it) could get part of
 * the object and refuse it as a truncated image. S3 reads what it has acknowledged, so objects are
 * written here in full before s3rver answers. Objects are at most a few MB (the upload limit).
 */
export function storeObjectsBeforeAnswering(s3: S3rver): void {
  const store = (s3 as unknown as { store?: Partial<S3rverStore> }).store;
  if (typeof store?.putObject !== "function" || typeof store.getResourcePath !== "function" || typeof store.putMetadata !== "function") {
    throw new Error("s3rver's filesystem store has changed: storeObjectsBeforeAnswering (local/aws.ts) needs updating");
  }
  const getResourcePath = store.getResourcePath.bind(store);
  const putMetadata = store.putMetadata.bind(store);
  store.putObject = async ({ bucket, key, metadata, content }) => {
    const chunks: Buffer[] = [];
    if (Buffer.isBuffer(content)) chunks.push(content);
    else for await (const chunk of content) chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    const objectPath = getResourcePath(bucket, key, "object");
    await mkdir(dirname(objectPath), { recursive: true });
    await writeFile(objectPath, bytes);
    const md5 = createHash("md5").update(bytes).digest("hex");
    await putMetadata(bucket, key, metadata, md5);
    return { size: bytes.length, md5 };
  };
}

/** Creates the bucket if missing (external S3 APIs such as LocalStack start empty). */
export async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404) throw error;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}

/** Creates the table exactly as the CDK stack declares it (same keys and indexes), if missing. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    // Data written by an older version may lack an index added since: say so rather than serve half-empty pages.
    const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
    const missing = Object.values(INDEXES)
      .filter((index) => !present.has(index.name))
      .map((index) => index.name);
    if (missing.length) {
      throw new Error(
        `The local table ${tableName} was created by an older version (missing index ${missing.join(", ")}). ` +
          "Delete the local data folder (.data by default, or PHOTO_ANALYSIS_DATA_DIR) to start afresh.",
      );
    }
    return Table?.TableStatus === "CREATING" ? activeTable(client, tableName) : undefined;
  } catch (error) {
    if ((error as { name?: string }).name !== "ResourceNotFoundException") throw error;
  }
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: keyAttributes().map((name) => ({ AttributeName: name, AttributeType: "S" })),
        KeySchema: [
          { AttributeName: PARTITION_KEY, KeyType: "HASH" },
          { AttributeName: SORT_KEY, KeyType: "RANGE" },
        ],
        GlobalSecondaryIndexes: Object.values(INDEXES).map((index) => ({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: "HASH" },
            { AttributeName: index.sortKey, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: index.projection },
        })),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await activeTable(client, tableName);
}

/**
 * Waits until a new table answers reads: a table is CREATING for a moment after CreateTable (the local
 * server marks it ACTIVE asynchronously, later under load), and reads meanwhile fail as not found.
 */
async function activeTable(client: DynamoDBClient, tableName: string, timeoutMs = 30_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === "ACTIVE") return;
    if (Date.now() > giveUpAt) throw new Error(`The table ${tableName} is still ${Table?.TableStatus} after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
