import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  BatchWriteCommand,
  TransactWriteCommand,
} from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { HTTP_ROUTES, WORKER_FUNCTION } from "../../functions/routes.js";
import { createDynamoClient } from "../../shared/runtime/aws-clients.js";
import { deniedBy, TableAccessDenied, withTableGrant } from "../../shared/runtime/table-access.js";
import { ITEM_KINDS, itemKindOf } from "../../shared/stores/table-schema.js";

/** The local twin of the stack's dynamodb:LeadingKeys grants (npm start enforces it; the tests through it too). */
describe("item kinds", () => {
  it("no prefix begins another kind's (a grant of one would cover the other)", () => {
    const prefixes = Object.values(ITEM_KINDS).map((kind) => kind.prefix);
    for (const a of prefixes) for (const b of prefixes) if (a !== b) expect(b.startsWith(a), `${b} starts with ${a}`).toBe(false);
    expect(itemKindOf("ANALYSIS#6f1c")).toBe("analysis");
    expect(itemKindOf("STATS#NAMES#2026-01-01")).toBe("stats");
    expect(itemKindOf("NOPE#1")).toBeUndefined();
  });
});

describe("a function's table grant", () => {
  const image = HTTP_ROUTES.find((route) => route.id === "Image")!.access;

  it("allows exactly the actions on the kinds and indexes it names, whatever the key's marshalling", () => {
    expect(deniedBy(image, "GetItemCommand", { Key: { pk: { S: "PHOTO#x" }, sk: { S: "PHOTO" } } })).toBeNull();
    expect(deniedBy(image, "GetItemCommand", { Key: { pk: "PHOTO#x", sk: "PHOTO" } })).toBeNull();
    expect(deniedBy(image, "PutItemCommand", { Item: { pk: "PHOTO#x" } })).toBe("dynamodb:PutItem on PHOTO#* items");
    expect(deniedBy(image, "GetItemCommand", { Key: { pk: "ANALYSIS#x", sk: "ANALYSIS" } })).toBe("dynamodb:GetItem on ANALYSIS#* items");
    expect(deniedBy(image, "GetItemCommand", { Key: { pk: "RATE#ip:1" } })).toBe("dynamodb:GetItem on RATE#* items");
    expect(deniedBy(image, "GetItemCommand", { Key: { pk: "SOMETHING#1" } })).toMatch(/no item kind has its prefix/);
    expect(deniedBy(image, "ScanCommand", {})).toBe("dynamodb:Scan on the whole table");
    const recent = HTTP_ROUTES.find((route) => route.id === "Recent")!.access;
    expect(deniedBy(recent, "QueryCommand", { IndexName: "byFingerprint", KeyConditionExpression: "#key = :value" })).toBeNull();
    expect(deniedBy(recent, "QueryCommand", { IndexName: "byMonth", KeyConditionExpression: "#key = :value" })).toBe("dynamodb:Query on index byMonth");
  });

  it("checks every key of a batch and every part of a transaction, and a Query by the partition key it names", () => {
    const worker = WORKER_FUNCTION.access;
    const segment = (pk: string) => ({ PutRequest: { Item: { pk, sk: "x" } } });
    expect(deniedBy(worker, "BatchWriteItemCommand", { RequestItems: { t: [segment("PHSEG#1"), segment("PHSEG#2")] } })).toBeNull();
    expect(deniedBy(worker, "BatchWriteItemCommand", { RequestItems: { t: [segment("PHSEG#1"), segment("RATE#2")] } })).toBe(
      "dynamodb:BatchWriteItem on RATE#* items",
    );
    expect(deniedBy(worker, "TransactWriteItemsCommand", { TransactItems: [{ Put: { Item: { pk: "JOB#1" } } }] })).toBe("dynamodb:PutItem on JOB#* items");
    expect(deniedBy(worker, "TransactWriteItemsCommand", { TransactItems: [{ Update: { Key: { pk: "JOB#1" } } }] })).toBeNull();
    const query = (pk: string) => ({
      KeyConditionExpression: "#pk = :pk",
      ExpressionAttributeNames: { "#pk": "pk" },
      ExpressionAttributeValues: { ":pk": pk },
    });
    expect(deniedBy(worker, "QueryCommand", query("SUB#job-1"))).toBeNull();
    expect(deniedBy(worker, "QueryCommand", query("CONN#c-1"))).toBe("dynamodb:Query on CONN#* items");
  });

  it("refuses before any request leaves the client, inside a grant only", async () => {
    // A closed port: an allowed call gets as far as the network; a refused one never does.
    const documents = DynamoDBDocumentClient.from(createDynamoClient({ region: "us-east-1", dynamodbEndpoint: "http://127.0.0.1:9", awsTimeoutMs: 1000 }));
    documents.config.maxAttempts = () => Promise.resolve(1);
    const grant = { items: { connection: ["PutItem", "DeleteItem"] as const } };
    const inGrant = <T>(work: () => Promise<T>) => withTableGrant("EventsConnect", grant, work);
    await expect(inGrant(() => documents.send(new ScanCommand({ TableName: "t" })))).rejects.toBeInstanceOf(TableAccessDenied);
    await expect(inGrant(() => documents.send(new GetCommand({ TableName: "t", Key: { pk: "CONN#1", sk: "CONN" } })))).rejects.toMatchObject({
      name: "AccessDeniedException",
      message: expect.stringContaining("EventsConnect is not allowed dynamodb:GetItem on CONN#* items"),
    });
    await expect(
      inGrant(() =>
        documents.send(
          new QueryCommand({ TableName: "t", IndexName: "byUser", KeyConditionExpression: "userId = :u", ExpressionAttributeValues: { ":u": "x" } }),
        ),
      ),
    ).rejects.toBeInstanceOf(TableAccessDenied);
    await expect(
      inGrant(() => documents.send(new BatchWriteCommand({ RequestItems: { t: [{ DeleteRequest: { Key: { pk: "SUB#1", sk: "c" } } }] } }))),
    ).rejects.toBeInstanceOf(TableAccessDenied);
    await expect(
      inGrant(() =>
        documents.send(
          new TransactWriteCommand({
            TransactItems: [{ Delete: { TableName: "t", Key: { pk: "CONN#1", sk: "CONN" } } }, { Put: { TableName: "t", Item: { pk: "SUB#1", sk: "c" } } }],
          }),
        ),
      ),
    ).rejects.toBeInstanceOf(TableAccessDenied);
    const allowed = await inGrant(() => documents.send(new PutCommand({ TableName: "t", Item: { pk: "CONN#1", sk: "CONN" } }))).catch((error: Error) => error);
    expect(allowed).not.toBeInstanceOf(TableAccessDenied);
    // Outside any grant (start-up, operator commands) nothing is checked.
    const outside = await documents.send(new DeleteCommand({ TableName: "t", Key: { pk: "ANALYSIS#1", sk: "ANALYSIS" } })).catch((error: Error) => error);
    expect(outside).not.toBeInstanceOf(TableAccessDenied);
    documents.destroy();
  });
});
