import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionFailed } from "./aws-errors.js";
import type { ClaimState, UploadClaims } from "./ports.js";
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE, ttlSeconds } from "./table-schema.js";

const CLAIM_SORT_KEY = "CLAIM";

/** Claims as items of the main table: pk `CLAIM#<md5>`. */
export class DynamoUploadClaims implements UploadClaims {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private key(fileHash: string) {
    return { [PARTITION_KEY]: `CLAIM#${fileHash}`, [SORT_KEY]: CLAIM_SORT_KEY };
  }

  async acquire(fileHash: string, owner: string, leaseUntil: number, now: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...this.key(fileHash), owner, leaseUntil, [TTL_ATTRIBUTE]: ttlSeconds(leaseUntil, 86_400) },
          // Our own claim counts as free: when the SDK retries a put whose response was lost, the
          // retry meets the item it wrote and must not mistake itself for another request.
          ConditionExpression: "attribute_not_exists(#pk) OR leaseUntil < :now OR #owner = :owner",
          ExpressionAttributeNames: { "#pk": PARTITION_KEY, "#owner": "owner" },
          ExpressionAttributeValues: { ":now": now, ":owner": owner },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async read(fileHash: string): Promise<ClaimState | null> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: this.key(fileHash), ConsistentRead: true }));
    if (!Item) return null;
    return {
      owner: Item.owner as string,
      leaseUntil: Number(Item.leaseUntil),
      recordId: Item.recordId as string | undefined,
      failure: Item.failure as string | undefined,
    };
  }

  async complete(fileHash: string, owner: string, recordId: string, keepUntil: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(fileHash),
          UpdateExpression: "SET recordId = :record, leaseUntil = :until, #ttl = :ttl",
          ConditionExpression: "#owner = :owner",
          ExpressionAttributeNames: { "#owner": "owner", "#ttl": TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ":record": recordId, ":until": keepUntil, ":owner": owner, ":ttl": Math.ceil(keepUntil / 1000) + 86_400 },
        }),
      );
    } catch (error) {
      // Our lease ran out and someone took over: their result will stand; ours is stored anyway.
      if (!isConditionFailed(error)) throw error;
    }
  }

  async recordFailure(fileHash: string, owner: string, failure: string, until: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(fileHash),
          UpdateExpression: "SET failure = :failure, leaseUntil = :until, #ttl = :ttl REMOVE recordId",
          ConditionExpression: "#owner = :owner",
          ExpressionAttributeNames: { "#owner": "owner", "#ttl": TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ":failure": failure, ":until": until, ":owner": owner, ":ttl": Math.ceil(until / 1000) + 86_400 },
        }),
      );
    } catch (error) {
      // Our lease ran out and someone took over: their attempt decides.
      if (!isConditionFailed(error)) throw error;
    }
  }

  async release(fileHash: string, owner: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: this.key(fileHash),
          ConditionExpression: "#owner = :owner",
          ExpressionAttributeNames: { "#owner": "owner" },
          ExpressionAttributeValues: { ":owner": owner },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }
}
