import { QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { decodeCursor, encodeCursor, isRecordLike, isTableKey } from "../domain/cursor.js";
import type { Item } from "./record-items.js";
import { EXPIRY_SHARDS, INDEXES, SORT_KEY, type IndexSpec } from "./table-schema.js";

/** Items of one index partition, newest first (callers keep the kind they want). */
export async function queryIndex(client: DynamoDBDocumentClient, tableName: string, index: IndexSpec, value: string, limit: number): Promise<Item[]> {
  const { Items = [] } = await client.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: index.name,
      KeyConditionExpression: "#key = :value",
      ExpressionAttributeNames: { "#key": index.partitionKey },
      ExpressionAttributeValues: { ":value": value },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return Items;
}

function isExpiryPosition(value: unknown): value is { shard: number; key?: Item } {
  return isRecordLike(value) && Number.isInteger(value.shard) && (value.shard as number) >= 0 && (value.key === undefined || isTableKey(value.key));
}

/**
 * One page of the sparse, sharded expiry index: items of one kind (analyses or uploads, by sort key)
 * whose expiry is at or before `now`. The cursor is the shard being read and DynamoDB's position in it.
 */
export async function expiredPage(
  client: DynamoDBDocumentClient,
  tableName: string,
  kind: string,
  now: Date,
  limit: number,
  cursor?: string,
): Promise<{ items: Item[]; cursor?: string }> {
  let position: { shard: number; key?: Item } = cursor ? decodeCursor(cursor, isExpiryPosition) : { shard: 0 };
  const items: Item[] = [];
  while (position.shard < EXPIRY_SHARDS && items.length < limit) {
    const { Items = [], LastEvaluatedKey } = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: INDEXES.byExpiry.name,
        KeyConditionExpression: "#shard = :shard AND #expires <= :now",
        FilterExpression: "#sk = :kind",
        ExpressionAttributeNames: { "#shard": INDEXES.byExpiry.partitionKey, "#expires": INDEXES.byExpiry.sortKey, "#sk": SORT_KEY },
        ExpressionAttributeValues: { ":shard": `EXPIRY#${position.shard}`, ":now": now.toISOString(), ":kind": kind },
        ExclusiveStartKey: position.key,
        Limit: limit - items.length,
      }),
    );
    items.push(...Items);
    position = LastEvaluatedKey ? { shard: position.shard, key: LastEvaluatedKey } : { shard: position.shard + 1 };
  }
  return { items, cursor: position.shard < EXPIRY_SHARDS ? encodeCursor(position) : undefined };
}
