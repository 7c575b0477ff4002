import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalService, type LocalService } from "../../functions/local/service.js";
import { FakeOpenAI } from "../helpers/fake-providers.js";
import { CreateTableCommand } from "@aws-sdk/client-dynamodb";
import { ensureTable, startLocalAws } from "../../shared/local/local-aws.js";
import { createDynamoClient } from "../../shared/runtime/context.js";
import { expectNormalisedCopy } from "../helpers/images.js";

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
          AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }, { AttributeName: "sk", AttributeType: "S" }],
          KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }],
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
    await expectNormalisedCopy(Buffer.from(await image.arrayBuffer()), coffee);

    const unknown = await fetch(`${service.url}/api/nothing-here/`);
    expect(unknown.status).toBe(404);
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
