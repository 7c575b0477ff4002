import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionFailed } from "../stores/aws-errors.js";
import { tableReads } from "../stores/table-reads.js";
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from "../stores/table-schema.js";
import type { CounterStore } from "./rate-limiter.js";

/** Rate-limit counters as items of the main table: pk `RATE#<key>`, sk `WINDOW#<epoch seconds>`. */
export class DynamoCounterStore implements CounterStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private key(key: string, windowStart: number) {
    return { [PARTITION_KEY]: `RATE#${key}`, [SORT_KEY]: `WINDOW#${windowStart}` };
  }

  async read(key: string, windowStart: number): Promise<number> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: this.key(key, windowStart), ConsistentRead: true }));
    return Number(Item?.count ?? 0);
  }

  /** One round trip, together with any other read started at the same time (table-reads.ts). */
  async readMany(counters: readonly { key: string; windowStart: number }[]): Promise<number[]> {
    const reads = tableReads(this.client, this.tableName);
    const items = await Promise.all(counters.map(({ key, windowStart }) => reads.get(this.key(key, windowStart))));
    return items.map((item) => Number(item?.count ?? 0));
  }

  /**
   * Each unit carries the request's token in a string set on the counter item: an SDK retry of an
   * ADD whose response was lost meets its own token and is recognised, never counted twice; a
   * refund removes exactly the token it added.
   */
  async incrementIfBelow(key: string, windowStart: number, max: number, expiresAtEpochSeconds: number, token: string): Promise<number | null> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(key, windowStart),
          UpdateExpression: "ADD #count :one, #tokens :tokenSet SET #ttl = :ttl",
          ConditionExpression: "(attribute_not_exists(#count) OR #count < :max) AND NOT contains(#tokens, :token)",
          ExpressionAttributeNames: { "#count": "count", "#tokens": "tokens", "#ttl": TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ":one": 1, ":max": max, ":ttl": expiresAtEpochSeconds, ":tokenSet": new Set([token]), ":token": token },
          ReturnValues: "UPDATED_NEW",
        }),
      );
      return Number(Attributes?.count);
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      // Refused, or our own earlier attempt already applied: the token tells which.
      const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: this.key(key, windowStart), ConsistentRead: true }));
      return (Item?.tokens as Set<string> | undefined)?.has(token) ? Number(Item?.count) : null;
    }
  }

  async decrement(key: string, windowStart: number, token: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(key, windowStart),
          UpdateExpression: "ADD #count :minusOne DELETE #tokens :tokenSet",
          ConditionExpression: "contains(#tokens, :token)",
          ExpressionAttributeNames: { "#count": "count", "#tokens": "tokens" },
          ExpressionAttributeValues: { ":minusOne": -1, ":tokenSet": new Set([token]), ":token": token },
        }),
      );
    } catch (error) {
      // Already refunded (a retried refund), or never counted.
      if (!isConditionFailed(error)) throw error;
    }
  }
}
