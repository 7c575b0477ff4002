import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { UploadIntent, UploadIntents } from "./ports.js";
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE, ttlSeconds } from "./table-schema.js";

/** Upload intents as items of the main table: pk `UPLOAD#<id>`, removed by TTL a day after expiry. */
export class DynamoUploadIntents implements UploadIntents {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private key(id: string) {
    return { [PARTITION_KEY]: `UPLOAD#${id}`, [SORT_KEY]: "UPLOAD" };
  }

  async create(intent: UploadIntent): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...this.key(intent.id), ...intent, [TTL_ATTRIBUTE]: ttlSeconds(intent.expiresAt, 86_400) },
        ConditionExpression: "attribute_not_exists(#pk)",
        ExpressionAttributeNames: { "#pk": PARTITION_KEY },
      }),
    );
  }

  async get(id: string): Promise<UploadIntent | null> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: this.key(id), ConsistentRead: true }));
    if (!Item) return null;
    return { id: Item.id, owner: Item.owner, key: Item.key, maxBytes: Number(Item.maxBytes), expiresAt: Item.expiresAt };
  }

  async delete(id: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: this.key(id) }));
  }
}
