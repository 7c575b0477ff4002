import { BatchGetCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { activeTableGrant } from "./table-grant.js";
import type { Item } from "./record-items.js";
import { PARTITION_KEY, SORT_KEY } from "./table-schema.js";

/** BatchGetItem's ceiling on keys per request. */
const KEYS_PER_BATCH = 100;
/** Rounds of retrying keys DynamoDB leaves unprocessed (under load) before giving up. */
const UNPROCESSED_ROUNDS = 5;

interface Waiting {
  key: Item;
  resolve(item: Item | undefined): void;
  reject(error: unknown): void;
}

/**
 * Consistent reads of single items, batched: every `get` started in the same turn (before any
 * promise of it settles, as the reads of a `Promise.all` are) goes out in one BatchGetItem. The
 * upload's first look (the refused-photo item, the owner's repeat entry, the rate-limit counters)
 * is one round trip this way, though three stores ask for it. Reads made under different table
 * grants (`npm start` runs every function in one process) are never batched together. Reads of
 * different requests started in the same turn are: the worker runs a queue batch's jobs side by side,
 * so their first looks share one BatchGetItem (each gets its own items; a failed request fails them
 * all, and the queue delivers each job again).
 */
export class TableReads {
  private readonly waiting = new Map<object | undefined, Waiting[]>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The item with this key, read consistently; undefined when there is none. */
  get(key: Item): Promise<Item | undefined> {
    const scope = activeTableGrant.getStore();
    let batch = this.waiting.get(scope);
    if (!batch) {
      const started: Waiting[] = [];
      batch = started;
      this.waiting.set(scope, started);
      queueMicrotask(() => {
        this.waiting.delete(scope);
        void this.send(started);
      });
    }
    const waiting = batch;
    return new Promise((resolve, reject) => waiting.push({ key, resolve, reject }));
  }

  private async send(batch: Waiting[]): Promise<void> {
    // BatchGetItem refuses a key asked twice and answers in no particular order.
    const unique = new Map(batch.map((waiting) => [idOf(waiting.key), { [PARTITION_KEY]: waiting.key[PARTITION_KEY], [SORT_KEY]: waiting.key[SORT_KEY] }]));
    try {
      const found = new Map<string, Item>();
      const keys = [...unique.values()];
      await Promise.all(
        Array.from({ length: Math.ceil(keys.length / KEYS_PER_BATCH) }, (_, index) =>
          this.read(keys.slice(index * KEYS_PER_BATCH, (index + 1) * KEYS_PER_BATCH), found),
        ),
      );
      for (const waiting of batch) waiting.resolve(found.get(idOf(waiting.key)));
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    }
  }

  private async read(keys: Item[], found: Map<string, Item>): Promise<void> {
    for (let round = 0; keys.length; round++) {
      if (round === UNPROCESSED_ROUNDS) throw new Error(`DynamoDB left ${keys.length} keys unprocessed ${UNPROCESSED_ROUNDS} times`);
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** round));
      const answer = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }));
      for (const item of answer.Responses?.[this.tableName] ?? []) found.set(idOf(item), item);
      keys = (answer.UnprocessedKeys?.[this.tableName]?.Keys as Item[] | undefined) ?? [];
    }
  }
}

const idOf = (item: Item) => `${String(item[PARTITION_KEY])}\n${String(item[SORT_KEY])}`;

const readers = new WeakMap<DynamoDBDocumentClient, Map<string, TableReads>>();

/** The batched reads of a table through a client: one per client and table, shared by every store made with them. */
export function tableReads(client: DynamoDBDocumentClient, tableName: string): TableReads {
  let byTable = readers.get(client);
  if (!byTable) {
    byTable = new Map();
    readers.set(client, byTable);
  }
  let reads = byTable.get(tableName);
  if (!reads) {
    reads = new TableReads(client, tableName);
    byTable.set(tableName, reads);
  }
  return reads;
}
