import { mkdir } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import S3rver from "s3rver";
import { INDEXES, PARTITION_KEY, SORT_KEY, keyAttributes } from "../stores/table-schema.js";

/**
 * DynamoDB-API (dynalite) and S3-API (s3rver) servers in this process, on loopback: what
 * `npm start` and the integration tests run against instead of AWS. With a data directory the
 * data survives restarts; without one DynamoDB is in memory and S3 uses a temporary folder.
 */
export interface LocalAws {
  dynamodbEndpoint: string;
  s3Endpoint: string;
  close(): Promise<void>;
}

export async function startLocalAws(options: { dataDir: string; dynamodbPort?: number; s3Port?: number; bucket: string; persistDynamo?: boolean }): Promise<LocalAws> {
  const dynamoDir = join(options.dataDir, "dynamodb");
  const s3Dir = join(options.dataDir, "s3");
  await mkdir(s3Dir, { recursive: true });
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
  const dynamoPort = (dynamo.address() as AddressInfo).port;

  const s3 = new S3rver({
    address: "127.0.0.1",
    port: options.s3Port ?? 0,
    directory: s3Dir,
    silent: true,
    configureBuckets: [{ name: options.bucket }],
  });
  const s3Address = await s3.run();

  return {
    dynamodbEndpoint: `http://127.0.0.1:${dynamoPort}`,
    s3Endpoint: `http://127.0.0.1:${s3Address.port}`,
    close: async () => {
      await s3.close();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    },
  };
}

/** Creates the table exactly as the CDK stack declares it (same keys and indexes), if missing. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    // Data written by an older version may lack an index added since: say so rather than serve half-empty pages.
    const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
    const missing = Object.values(INDEXES).filter((index) => !present.has(index.name)).map((index) => index.name);
    if (missing.length) {
      throw new Error(
        `The local table ${tableName} was created by an older version (missing index ${missing.join(", ")}). ` +
          "Delete the local data folder (.data by default, or PHOTO_ANALYSIS_DATA_DIR) to start afresh.",
      );
    }
    return;
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
}
