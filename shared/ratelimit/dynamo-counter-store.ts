import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionFailed } from "../stores/aws-errors.js";
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
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(key, windowStart), ConsistentRead: true }),
    );
    return Number(Item?.count ?? 0);
  }

  async incrementIfBelow(key: string, windowStart: number, max: number, expiresAtEpochSeconds: number): Promise<number | null> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(key, windowStart),
          UpdateExpression: "ADD #count :one SET #ttl = :ttl",
          ConditionExpression: "attribute_not_exists(#count) OR #count < :max",
          ExpressionAttributeNames: { "#count": "count", "#ttl": TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ":one": 1, ":max": max, ":ttl": expiresAtEpochSeconds },
          ReturnValues: "UPDATED_NEW",
        }),
      );
      return Number(Attributes?.count);
    } catch (error) {
      if (isConditionFailed(error)) return null;
      throw error;
    }
  }

  async decrement(key: string, windowStart: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(key, windowStart),
          UpdateExpression: "ADD #count :minusOne",
          ConditionExpression: "#count > :zero",
          ExpressionAttributeNames: { "#count": "count" },
          ExpressionAttributeValues: { ":minusOne": -1, ":zero": 0 },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }
}
