import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, HeadObjectCommand, ListObjectsCommand } from "@aws-sdk/client-s3";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { ensureTable, startLocalAws, type LocalAws } from "../../local/aws.js";
import { createDynamoClient, createS3Client } from "../../shared/runtime/aws-clients.js";
import { runtimeEnvironmentFrom, type RuntimeEnvironment } from "../../shared/runtime/environment.js";
import { FakeOpenAI } from "./fake-providers.js";
import { FaultProxy, type FaultKind, type Operation } from "./fault-proxy.js";
import { distinctImages } from "./photos.js";

/**
 * What the fault matrices (sync uploads, async batches) share: local DynamoDB and S3 behind fault
 * proxies, a fake OpenAI, the fault kinds, and per cell a fresh table and bucket with direct
 * (unfaulted) clients to audit them.
 */

/** One fault per cell: each kind, once or on every call. */
export const FAULTS: { label: string; kind: FaultKind; times: number }[] = [
  { label: "error once", kind: "fail", times: 1 },
  { label: "error always", kind: "fail", times: Infinity },
  { label: "connection reset", kind: "reset", times: 1 },
  { label: "lost response", kind: "lost-response", times: 1 },
  { label: "stall past timeout", kind: "stall", times: 1 },
];

/** The services' AWS client timeout in the matrices (a stall lasts twice as long). */
export const AWS_TIMEOUT_MS = 700;

export interface FaultLab {
  fake: FakeOpenAI;
  dynamoProxy: FaultProxy;
  s3Proxy: FaultProxy;
  /** One distinct photo per cell. */
  photos: Buffer[];
  /** A fresh table and bucket (reached through the proxies), and direct clients to audit them. */
  cellStorage(prefix: string): Promise<CellStorage>;
  /** Faults `operation` on the proxy that carries it (S3's when `onS3`), after clearing both. */
  inject(operation: Operation, fault: { kind: FaultKind; times: number }, onS3: boolean): FaultProxy;
  clear(): void;
  close(): Promise<void>;
}

export interface CellStorage {
  runtime: RuntimeEnvironment;
  /** Every item of the table, read consistently. */
  items(): Promise<Record<string, unknown>[]>;
  /** Deletes an item directly (what a table written by an earlier release lacks). */
  removeItem(key: { pk: string; sk: string }): Promise<void>;
  imageExists(key: string): Promise<boolean>;
  listKeys(prefix: string): Promise<string[]>;
  destroy(): void;
}

export async function startFaultLab(photoCount: number, seed: number): Promise<FaultLab> {
  const dataDir = await mkdtemp(join(tmpdir(), "photo-analysis-faults-"));
  const aws: LocalAws = await startLocalAws({ dataDir, bucket: "unused", persistDynamo: false });
  const dynamoProxy = new FaultProxy(aws.dynamodbEndpoint, "dynamodb", AWS_TIMEOUT_MS * 2);
  const s3Proxy = new FaultProxy(aws.s3Endpoint, "s3", AWS_TIMEOUT_MS * 2);
  const proxied = { dynamodb: await dynamoProxy.start(), s3: await s3Proxy.start() };
  const fake = await new FakeOpenAI().start();
  const photos = await distinctImages(photoCount, seed);
  const clear = () => {
    dynamoProxy.clear();
    s3Proxy.clear();
  };
  return {
    fake,
    dynamoProxy,
    s3Proxy,
    photos,
    clear,
    inject(operation, fault, onS3) {
      clear();
      const proxy = onS3 ? s3Proxy : dynamoProxy;
      proxy.inject({ kind: fault.kind, operation, times: fault.times });
      return proxy;
    },
    async cellStorage(prefix) {
      const runtime = runtimeEnvironmentFrom(
        {},
        {
          tableName: `${prefix}-${randomUUID()}`,
          bucketName: `${prefix}-${randomUUID().slice(0, 8)}`,
          dynamodbEndpoint: proxied.dynamodb,
          s3Endpoint: proxied.s3,
          localKeyPair: true,
          region: "us-east-1",
          awsTimeoutMs: AWS_TIMEOUT_MS,
          providerBaseUrls: { openai: fake.baseUrl },
        },
      );
      const direct = { ...runtime, dynamodbEndpoint: aws.dynamodbEndpoint, s3Endpoint: aws.s3Endpoint };
      const dynamo = createDynamoClient(direct);
      const s3 = createS3Client(direct);
      await ensureTable(dynamo, runtime.tableName);
      await s3.send(new CreateBucketCommand({ Bucket: runtime.bucketName }));
      return {
        runtime,
        items: async () =>
          ((await dynamo.send(new ScanCommand({ TableName: runtime.tableName, ConsistentRead: true }))).Items ?? []).map((item) => unmarshall(item)),
        removeItem: async (key) => {
          await dynamo.send(new DeleteItemCommand({ TableName: runtime.tableName, Key: marshall(key) }));
        },
        imageExists: (key) =>
          s3.send(new HeadObjectCommand({ Bucket: runtime.bucketName, Key: key })).then(
            () => true,
            () => false,
          ),
        listKeys: async (prefix) =>
          ((await s3.send(new ListObjectsCommand({ Bucket: runtime.bucketName, Prefix: prefix }))).Contents ?? []).map((object) => object.Key!),
        destroy: () => {
          dynamo.destroy();
          s3.destroy();
        },
      };
    },
    async close() {
      await fake.close();
      await dynamoProxy.close();
      await s3Proxy.close();
      await aws.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Units the rate limiter charged the fingerprints, summed over the table's counters. */
export function unitsCharged(items: Record<string, unknown>[]): number {
  return items.filter((item) => String(item.pk).startsWith("RATE#fp:")).reduce((sum, item) => sum + Number(item.count ?? 0), 0);
}
