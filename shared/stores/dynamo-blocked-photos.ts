import { PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { BlockedPhotos, ModerationVerdict } from "../moderation/moderation.js";
import { tableReads } from "./table-reads.js";
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

  /** Read with whatever else the request reads at the same time (table-reads.ts): the upload's first look is one round trip. */
  async isBlocked(fileHash: string): Promise<boolean> {
    return Boolean(await tableReads(this.client, this.tableName).get(this.key(fileHash)));
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
