import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { RuntimeEnvironment } from "./environment.js";
import { enforceTableGrants } from "./table-access.js";

/**
 * Every AWS call has a time limit: a stalled connection fails after this long (and the SDK retries)
 * instead of holding the request until the function times out. PHOTO_ANALYSIS_AWS_TIMEOUT_MS.
 */
export const DEFAULT_AWS_TIMEOUT_MS = 5_000;

/** The time limits of one AWS call, as SDK client options. */
export function awsTimeouts(runtime: Pick<RuntimeEnvironment, "awsTimeoutMs">) {
  const ms = runtime.awsTimeoutMs ?? DEFAULT_AWS_TIMEOUT_MS;
  return { requestHandler: { requestTimeout: ms, connectionTimeout: Math.min(ms, 3_000) } };
}

/**
 * Credentials for a custom endpoint. The embedded servers of `npm start` and the tests take
 * s3rver's fixed key pair (dynalite accepts any). An external endpoint (DynamoDB Local,
 * LocalStack, a real account) uses the SDK's standard chain when AWS_ACCESS_KEY_ID or AWS_PROFILE
 * is set, and the fixed pair otherwise (local emulators accept it). No endpoint: AWS, default chain.
 */
function endpointCredentials(endpoint: string | undefined, runtime: Pick<RuntimeEnvironment, "localKeyPair">) {
  if (!endpoint) return {};
  const standard = Boolean(process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE);
  return runtime.localKeyPair || !standard ? { credentials: LOCAL_KEY_PAIR } : {};
}

/** The embedded S3 server's one key pair (s3rver's; public, so it proves nothing about who signed). */
export const LOCAL_KEY_PAIR = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

/** A DynamoDB client; inside a function's grant (table-access.ts: npm start, tests) it refuses what the function's IAM policy would. */
export function createDynamoClient(runtime: Pick<RuntimeEnvironment, "region" | "dynamodbEndpoint" | "awsTimeoutMs" | "localKeyPair">): DynamoDBClient {
  return enforceTableGrants(
    new DynamoDBClient({
      ...awsTimeouts(runtime),
      region: runtime.region,
      endpoint: runtime.dynamodbEndpoint,
      ...endpointCredentials(runtime.dynamodbEndpoint, runtime),
    }),
  );
}

export function createDocumentClient(
  runtime: Pick<RuntimeEnvironment, "region" | "dynamodbEndpoint" | "awsTimeoutMs" | "localKeyPair">,
): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(createDynamoClient(runtime), DOCUMENT_OPTIONS);
}

export const DOCUMENT_OPTIONS = { marshallOptions: { removeUndefinedValues: true } };

export function createS3Client(runtime: Pick<RuntimeEnvironment, "region" | "s3Endpoint" | "awsTimeoutMs" | "localKeyPair">): S3Client {
  return new S3Client({
    ...awsTimeouts(runtime),
    region: runtime.region,
    endpoint: runtime.s3Endpoint,
    forcePathStyle: Boolean(runtime.s3Endpoint),
    ...endpointCredentials(runtime.s3Endpoint, runtime),
  });
}
