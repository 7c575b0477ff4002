import { GetCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { BlockedPhotos, ModerationVerdict } from "../moderation/moderation.js";
import { PARTITION_KEY, SORT_KEY } from "./table-schema.js";

/** Photos moderation refused, by MD5 (pk `BLOCKED#<md5>`): the same bytes are refused again without a model. Kept (no TTL). */
export class DynamoBlockedPhotos implements BlockedPhotos {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private key(fileHash: string) {
    return { [PARTITION_KEY]: `BLOCKED#${fileHash}`, [SORT_KEY]: "BLOCKED" };
  }

  async isBlocked(fileHash: string): Promise<boolean> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: this.key(fileHash), ConsistentRead: true }));
    return Boolean(Item);
  }

  async remember(fileHash: string, verdict: ModerationVerdict, at: Date): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...this.key(fileHash), provider: verdict.provider, labels: verdict.labels, createdAt: at.toISOString() },
      }),
    );
  }
}
