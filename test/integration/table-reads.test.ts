import { type BatchGetCommand, type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDocumentClient } from "../../shared/runtime/aws-clients.js";
import { withTableGrant } from "../../shared/runtime/table-access.js";
import { TableReads, tableReads } from "../../shared/stores/table-reads.js";
import { startTestStack, type TestStack } from "../helpers/stack.js";

/**
 * The batched consistent reads every store shares (shared/stores/table-reads.ts), against dynalite:
 * what is read together goes out as one BatchGetItem, and each caller gets its own item back.
 */

let stack: TestStack;
let client: DynamoDBDocumentClient;
let tableName: string;
const sent: { command: string; keys: number }[] = [];

beforeAll(async () => {
  stack = await startTestStack();
  const deps = await stack.deps();
  tableName = deps.runtime.tableName;
  client = createDocumentClient(deps.runtime);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const requests = Object.values((args.input as { RequestItems?: Record<string, { Keys?: unknown[] }> }).RequestItems ?? {});
      sent.push({ command: String(context.commandName), keys: requests.reduce((sum, request) => sum + (request.Keys?.length ?? 0), 0) });
      return next(args);
    },
    { step: "initialize", name: "countReads" },
  );
  for (let i = 0; i < 150; i++) await client.send(new PutCommand({ TableName: tableName, Item: { pk: `RATE#k${i}`, sk: "WINDOW#0", count: i } }));
});
afterAll(async () => {
  client.destroy();
  await stack.close();
});

const key = (i: number) => ({ pk: `RATE#k${i}`, sk: "WINDOW#0" });

describe("batched table reads", () => {
  it("sends the reads started together as one BatchGetItem, answers each with its own item (or none), and a key asked twice once", async () => {
    sent.length = 0;
    const reads = tableReads(client, tableName);
    expect(tableReads(client, tableName)).toBe(reads);
    const [a, b, missing, again] = await Promise.all([reads.get(key(1)), reads.get(key(2)), reads.get({ pk: "RATE#none", sk: "WINDOW#0" }), reads.get(key(1))]);
    expect([a?.count, b?.count, missing, again?.count]).toEqual([1, 2, undefined, 1]);
    expect(sent).toEqual([{ command: "BatchGetItemCommand", keys: 3 }]);
    // A read started after those answered is the next request.
    expect((await reads.get(key(3)))?.count).toBe(3);
    expect(sent).toHaveLength(2);
  });

  it("splits more than 100 keys into requests of at most 100, sent at once", async () => {
    sent.length = 0;
    const reads = tableReads(client, tableName);
    const items = await Promise.all(Array.from({ length: 150 }, (_, i) => reads.get(key(i))));
    expect(items.map((item) => item?.count)).toEqual(Array.from({ length: 150 }, (_, i) => i));
    expect(sent.map((request) => request.keys).sort((x, y) => x - y)).toEqual([50, 100]);
  });

  it("never batches reads made under different function grants together (each is checked against its own)", async () => {
    sent.length = 0;
    const reads = tableReads(client, tableName);
    const grant = { items: { counter: ["BatchGetItem"] } };
    const [mine, theirs] = await Promise.all([
      withTableGrant("Upload", grant, () => reads.get(key(4))),
      withTableGrant("Connect", grant, () => reads.get(key(5))),
    ]);
    expect([mine?.count, theirs?.count]).toEqual([4, 5]);
    expect(sent).toEqual([
      { command: "BatchGetItemCommand", keys: 1 },
      { command: "BatchGetItemCommand", keys: 1 },
    ]);
  });

  it("reads again the keys DynamoDB leaves unprocessed, and fails every read of a batch that cannot be read", async () => {
    // dynalite never leaves keys unprocessed: a client that answers the way DynamoDB does under load.
    let calls = 0;
    const loaded = {
      send: async (command: BatchGetCommand) => {
        calls++;
        const keys = command.input.RequestItems![tableName]!.Keys!;
        const [first, ...rest] = keys;
        return { Responses: { [tableName]: [{ ...first, count: calls }] }, UnprocessedKeys: rest.length ? { [tableName]: { Keys: rest } } : {} };
      },
    } as unknown as DynamoDBDocumentClient;
    const reads = new TableReads(loaded, tableName);
    expect((await Promise.all([reads.get(key(1)), reads.get(key(2)), reads.get(key(3))])).map((item) => item?.pk)).toEqual(["RATE#k1", "RATE#k2", "RATE#k3"]);
    expect(calls).toBe(3);

    const failing = new TableReads({ send: async () => Promise.reject(new Error("throttled")) } as unknown as DynamoDBDocumentClient, tableName);
    const results = await Promise.allSettled([failing.get(key(1)), failing.get(key(2))]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected"]);
  });
});
