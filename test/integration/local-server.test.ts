import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalService, type LocalService } from "../../local/service.js";
import { corsPolicy } from "../../local/http-adapter.js";
import { FakeOpenAI } from "../helpers/fake-providers.js";
import { CreateTableCommand, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { ensureTable, startLocalAws } from "../../local/aws.js";
import { createDynamoClient } from "../../shared/runtime/aws-clients.js";
import { expectNormalizedCopy } from "../helpers/images.js";

const coffee = await readFile("fixtures/photos/coffee-mug.jpg");
let fake: FakeOpenAI;
let dataDir: string;

beforeAll(async () => {
  fake = await new FakeOpenAI().start();
  dataDir = await mkdtemp(join(tmpdir(), "photo-analysis-local-"));
});
afterAll(async () => {
  await fake.close();
  await rm(dataDir, { recursive: true, force: true });
});

function form(bytes: Buffer, fingerprint?: string) {
  const body = new FormData();
  body.append("image", new Blob([bytes], { type: "image/jpeg" }), "coffee.jpg");
  if (fingerprint) body.append("fingerprint", fingerprint);
  return body;
}

describe("local data from an older version", () => {
  it("is refused with instructions when the table lacks an index this version queries", async () => {
    const dir = await mkdtemp(join(tmpdir(), "photo-analysis-old-"));
    const aws = await startLocalAws({ dataDir: dir, bucket: "old-bucket", persistDynamo: false });
    const client = createDynamoClient({ region: "us-east-1", dynamodbEndpoint: aws.dynamodbEndpoint });
    try {
      await client.send(
        new CreateTableCommand({
          TableName: "old-table",
          BillingMode: "PAY_PER_REQUEST",
          AttributeDefinitions: [
            { AttributeName: "pk", AttributeType: "S" },
            { AttributeName: "sk", AttributeType: "S" },
          ],
          KeySchema: [
            { AttributeName: "pk", KeyType: "HASH" },
            { AttributeName: "sk", KeyType: "RANGE" },
          ],
        }),
      );
      await expect(ensureTable(client, "old-table")).rejects.toThrow(/created by an older version \(missing index byFileHash.*Delete the local data folder/s);
    } finally {
      client.destroy();
      await aws.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("npm start's local service over real HTTP", () => {
  let service: LocalService;

  beforeAll(async () => {
    service = await startLocalService({ dataDir, env: { OPENAI_API_KEY: "sk-local", OPENAI_BASE_URL: fake.baseUrl } });
  });
  afterAll(() => service.close());

  it("runs the seed's flow end to end: 201, then cached 200, then get, recent and image", async () => {
    const created = await fetch(`${service.url}/api/photo-analysis/upload/`, { method: "POST", body: form(coffee, "fp-http") });
    expect(created.status).toBe(201);
    const first = (await created.json()) as { analysis: { id: string; image_url: string; suggestions: unknown[] } };
    expect(first.analysis.suggestions).toHaveLength(10);
    expect(first.analysis.image_url).toBe(`${service.url}/api/photo-analysis/${first.analysis.id}/image/`);

    // Without the trailing slash too, as API Gateway routes it.
    const cached = await fetch(`${service.url}/api/photo-analysis/upload`, { method: "POST", body: form(coffee, "fp-http") });
    expect(cached.status).toBe(200);
    expect(((await cached.json()) as { cached: boolean }).cached).toBe(true);

    const detail = await fetch(`${service.url}/api/photo-analysis/${first.analysis.id}/`);
    expect(((await detail.json()) as { times_used: number }).times_used).toBe(1);

    const recent = await fetch(`${service.url}/api/photo-analysis/recent/?fingerprint=fp-http`);
    expect(((await recent.json()) as unknown[]).length).toBe(1);

    const image = await fetch(first.analysis.image_url);
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/jpeg");
    await expectNormalizedCopy(Buffer.from(await image.arrayBuffer()), coffee);

    const unknown = await fetch(`${service.url}/api/nothing-here/`);
    expect(unknown.status).toBe(404);
  });

  it("answers CORS preflights for loopback origins (the default) and lets their responses through; other origins get no CORS headers", async () => {
    const preflight = await fetch(`${service.url}/api/photo-analysis/upload/`, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:5173", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(preflight.headers.get("access-control-allow-methods")).toContain("POST");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("content-type");
    const get = await fetch(`${service.url}/api/photo-analysis/recent/?fingerprint=fp-http`, { headers: { origin: "http://127.0.0.1:8080" } });
    expect(get.headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:8080");
    expect(get.headers.get("access-control-expose-headers")).toContain("x-request-id");
    const foreign = await fetch(`${service.url}/api/photo-analysis/upload/`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    expect(corsPolicy("https://app.example.com")("https://app.example.com")).toBe(true);
    expect(corsPolicy("https://app.example.com")("http://localhost:3000")).toBe(false);
    expect(corsPolicy("*")("https://anything.example")).toBe(true);
  });

  it("names every answer with X-Request-Id and puts the same id in error bodies, leaving success bodies as the seed has them", async () => {
    const ok = await fetch(`${service.url}/api/photo-analysis/recent/?fingerprint=fp-http`);
    expect(ok.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(await ok.json())).not.toContain("request_id");
    const bad = await fetch(`${service.url}/api/photo-analysis/recent/?fingerprint=fp-http&limit=zero`);
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { limit: string[]; request_id: string };
    expect(body.limit).toEqual(["A valid integer of at least 1 is required."]);
    expect(body.request_id).toBe(bad.headers.get("x-request-id"));
    const ids = new Set(
      await Promise.all([1, 2, 3].map(async () => (await fetch(`${service.url}/api/photo-analysis/recent/?fingerprint=fp-http`)).headers.get("x-request-id"))),
    );
    expect(ids.size).toBe(3);
  });

  it("answers a wrong method on a known path with 405 and Allow, a literal path included (GET on upload/ or batch/ is not an id)", async () => {
    for (const path of ["/api/photo-analysis/upload/", "/api/photo-analysis/batch", "/api/photo-analysis/upload-url/"]) {
      const response = await fetch(`${service.url}${path}`);
      expect(response.status, path).toBe(405);
      expect(response.headers.get("allow"), path).toBe("POST");
      expect(await response.json(), path).toMatchObject({ detail: 'Method "GET" not allowed.' });
    }
    expect((await fetch(`${service.url}/api/photo-analysis/recent/`, { method: "POST" })).status).toBe(405);
    expect((await fetch(`${service.url}/api/photo-analysis/00000000-0000-4000-8000-000000000000/`)).status).toBe(404);
  });

  it("says which port is taken and how to choose another when the port is in use, and leaves nothing running", async () => {
    const port = Number(new URL(service.url).port);
    const other = await mkdtemp(join(tmpdir(), "photo-analysis-port-"));
    try {
      await expect(startLocalService({ dataDir: other, port, env: { OPENAI_API_KEY: "sk-local", OPENAI_BASE_URL: fake.baseUrl } })).rejects.toThrow(
        `Port ${port} on 127.0.0.1 is already in use (another npm start?). Stop that server, or serve on another port: PORT=${port + 1} npm start`,
      );
      // Its embedded servers were stopped: the folder is free for the next start.
      const retry = await startLocalService({ dataDir: other, env: { OPENAI_API_KEY: "sk-local", OPENAI_BASE_URL: fake.baseUrl } });
      await retry.close();
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it("refuses a second service on the same data folder with instructions instead of crashing on the locked database", async () => {
    await expect(startLocalService({ dataDir, env: { OPENAI_API_KEY: "sk-local", OPENAI_BASE_URL: fake.baseUrl } })).rejects.toThrow(
      /is in use by another npm start \(pid \d+, http:\/\/127\.0\.0\.1:\d+\)\. Stop it, use another folder \(PHOTO_ANALYSIS_DATA_DIR\), or point at its servers: PHOTO_ANALYSIS_DYNAMODB_ENDPOINT=/,
    );
  });

  it("keeps data across a restart", async () => {
    const before = (await (await fetch(`${service.url}/api/photo-analysis/recent/?fingerprint=fp-http`)).json()) as { id: string }[];
    await service.close();
    service = await startLocalService({ dataDir, env: { OPENAI_API_KEY: "sk-local", OPENAI_BASE_URL: fake.baseUrl } });
    const after = (await (await fetch(`${service.url}/api/photo-analysis/recent/?fingerprint=fp-http`)).json()) as { id: string }[];
    expect(after.map((item) => item.id)).toEqual(before.map((item) => item.id));
    const image = await fetch(`${service.url}/api/photo-analysis/${after[0]!.id}/image/`);
    expect(image.status).toBe(200);
  });
});

describe("npm start on external DynamoDB and S3 servers (PHOTO_ANALYSIS_DYNAMODB_ENDPOINT, PHOTO_ANALYSIS_S3_ENDPOINT)", () => {
  it("uses them instead of its own, creating the table and the bucket, and says clearly when one is unreachable", async () => {
    const dir = await mkdtemp(join(tmpdir(), "photo-analysis-external-"));
    // Stand-ins for DynamoDB Local and LocalStack: a separate pair of servers with no table and another bucket.
    const external = await startLocalAws({ dataDir: dir, bucket: "unrelated", persistDynamo: false });
    const env = {
      OPENAI_API_KEY: "sk-local",
      OPENAI_BASE_URL: fake.baseUrl,
      PHOTO_ANALYSIS_DYNAMODB_ENDPOINT: external.dynamodbEndpoint,
      PHOTO_ANALYSIS_S3_ENDPOINT: external.s3Endpoint,
      PHOTO_ANALYSIS_TABLE: "external-table",
      PHOTO_ANALYSIS_BUCKET: "external-bucket",
    };
    try {
      const service = await startLocalService({ dataDir: join(dir, "unused"), env });
      try {
        expect(service.runtime.dynamodbEndpoint).toBe(external.dynamodbEndpoint);
        const created = await fetch(`${service.url}/api/photo-analysis/upload/`, { method: "POST", body: form(coffee, "fp-external") });
        expect(created.status).toBe(201);
        const { analysis } = (await created.json()) as { analysis: { id: string } };
        // The upload and its analysis are in the external table and the image in the external bucket.
        const client = createDynamoClient({ region: "us-east-1", dynamodbEndpoint: external.dynamodbEndpoint });
        const { Item } = await client.send(new GetItemCommand({ TableName: "external-table", Key: { pk: { S: `PHOTO#${analysis.id}` }, sk: { S: "PHOTO" } } }));
        const shared = await client.send(
          new GetItemCommand({ TableName: "external-table", Key: { pk: { S: `ANALYSIS#${Item?.analysisId?.S}` }, sk: { S: "ANALYSIS" } } }),
        );
        client.destroy();
        expect(Item?.id?.S).toBe(analysis.id);
        expect(shared.Item?.suggestions?.L).toHaveLength(10);
        const image = await fetch(`${external.s3Endpoint}/external-bucket/photo_analysis/${analysis.id}.jpg`);
        expect(image.status).toBe(200);
      } finally {
        await service.close();
      }
      await expect(
        startLocalService({ dataDir: join(dir, "unused"), env: { ...env, PHOTO_ANALYSIS_DYNAMODB_ENDPOINT: "http://127.0.0.1:9" } }),
      ).rejects.toThrow(/Cannot use the DynamoDB API at http:\/\/127\.0\.0\.1:9: .*Is it running/);
    } finally {
      await external.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
