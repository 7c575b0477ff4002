import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { decodeCursor, encodeCursor, isTableKey } from "../domain/cursor.js";
import { isExpired, type Upload } from "../domain/types.js";
import { isConditionFailed } from "./aws-errors.js";
import { matchesAdminFilter, type MonthPageOptions, type OwnRepeat, PERSONAL_ATTRIBUTES, type UploadStore } from "./ports.js";
import {
  analysisKey,
  batchWrite,
  deleteRequests,
  ownerIndexKey,
  putRequests,
  repeatFromItem,
  repeatKey,
  repeatKeyOf,
  repeatToItem,
  UPLOAD_SORT_KEY,
  uploadFromItem,
  uploadIndexItems,
  uploadKey,
  uploadToItem,
  type Item,
} from "./record-items.js";
import { expiredPage, queryIndex } from "./record-queries.js";
import { tableReads } from "./table-reads.js";
import { INDEXES, PARTITION_KEY, SORT_KEY } from "./table-schema.js";

const isUploadItem = (item: Item) => item[SORT_KEY] === UPLOAD_SORT_KEY;

/** The personal uploads in the main table (layout: record-items.ts). */
export class DynamoUploadStore implements UploadStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * The owner-index and repeat entries and the analysis link go first (they point at nothing until
   * the upload exists: useOwn checks the upload itself), then the upload's PutItem, the commit point,
   * which accepts its own earlier attempt (an SDK retry after a lost response).
   */
  async create(upload: Upload, repeat?: OwnRepeat | null): Promise<void> {
    await batchWrite(this.client, this.tableName, putRequests(uploadIndexItems(upload, repeat)));
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: uploadToItem(upload),
        ConditionExpression: "attribute_not_exists(#pk) OR createdAt = :createdAt",
        ExpressionAttributeNames: { "#pk": PARTITION_KEY },
        ExpressionAttributeValues: { ":createdAt": upload.createdAt },
      }),
    );
  }

  async abandon(upload: Upload): Promise<void> {
    const repeat = repeatKeyOf(upload);
    await batchWrite(this.client, this.tableName, deleteRequests([...uploadIndexItems(upload), ...(repeat ? [repeat] : [])]));
  }

  async get(id: string): Promise<Upload | null> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: uploadKey(id), ConsistentRead: true }));
    return Item ? uploadFromItem(Item) : null;
  }

  async reuseOwn(owner: string, analysisId: string, now: Date, token: string): Promise<Upload | null> {
    const { Item: entry } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: ownerIndexKey(owner, analysisId), ConsistentRead: true }));
    return typeof entry?.uploadId === "string" ? this.useOwn(owner, entry.uploadId, analysisId, now, token) : null;
  }

  /** Read with whatever else the request reads at the same time (table-reads.ts): the upload's first look is one round trip. */
  async findRepeat(owner: string, fileHash: string, variantKey: string, now: Date): Promise<OwnRepeat | null> {
    const item = await tableReads(this.client, this.tableName).get(repeatKey(owner, fileHash, variantKey));
    if (typeof item?.uploadId !== "string") return null;
    const repeat = repeatFromItem(item);
    return isExpired(repeat, now) ? null : repeat;
  }

  /**
   * The entry, then the upload read again: an upload deleted or erased since the caller's request read
   * it would otherwise leave an entry naming its owner behind (for good, if it never expires). Such an
   * entry is taken back at once (a batch delete: the upload function holds no DeleteItem).
   */
  async rememberRepeat(repeat: OwnRepeat): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: repeatToItem(repeat) }));
    const upload = await this.get(repeat.uploadId);
    if (upload && !upload.erasedAt && upload.owner === repeat.owner) return;
    await batchWrite(this.client, this.tableName, deleteRequests([repeatKey(repeat.owner, repeat.fileHash, repeat.variantKey)]));
  }

  /**
   * One conditional UpdateItem that returns the upload. The last use's token stays on the upload
   * (`lastUseToken`): a retry of a use whose response was lost fails its condition on it, and a
   * consistent read then tells that the use was this request's own.
   */
  async useOwn(owner: string, uploadId: string, analysisId: string, now: Date, token: string): Promise<Upload | null> {
    const owned = "attribute_exists(#pk) AND #owner = :owner AND analysisId = :analysis AND (attribute_not_exists(expiresAt) OR expiresAt > :now)";
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: uploadKey(uploadId),
          UpdateExpression: "ADD timesUsed :one SET updatedAt = :now, lastUseToken = :token",
          ConditionExpression: `${owned} AND (attribute_not_exists(lastUseToken) OR lastUseToken <> :token)`,
          ExpressionAttributeNames: { "#pk": PARTITION_KEY, "#owner": "owner" },
          ExpressionAttributeValues: { ":one": 1, ":now": now.toISOString(), ":owner": owner, ":analysis": analysisId, ":token": token },
          ReturnValues: "ALL_NEW",
        }),
      );
      return Attributes ? uploadFromItem(Attributes) : null;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      // Not (or no longer) the owner's, or this request's own use already applied: the token tells which.
      const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: uploadKey(uploadId), ConsistentRead: true }));
      if (!Item || Item.lastUseToken !== token || Item.owner !== owner || Item.analysisId !== analysisId) return null;
      const upload = uploadFromItem(Item);
      return isExpired(upload, now) ? null : upload;
    }
  }

  async listRecent(owner: { userId: string } | { fingerprint: string }, limit: number): Promise<Upload[]> {
    const items =
      "userId" in owner
        ? await queryIndex(this.client, this.tableName, INDEXES.byUser, owner.userId, limit)
        : await queryIndex(this.client, this.tableName, INDEXES.byFingerprint, owner.fingerprint, limit);
    return items.filter(isUploadItem).map(uploadFromItem);
  }

  async listByAnalysis(analysisId: string, limit: number): Promise<Upload[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :links)",
        ExpressionAttributeNames: { "#pk": PARTITION_KEY, "#sk": SORT_KEY },
        ExpressionAttributeValues: { ":pk": analysisKey(analysisId)[PARTITION_KEY], ":links": "PHOTO#" },
        Limit: limit,
      }),
    );
    const reads = tableReads(this.client, this.tableName);
    const found = await Promise.all(Items.map((item) => reads.get(uploadKey(item.uploadId as string))));
    return found
      .filter((item): item is Item => item !== undefined)
      .map(uploadFromItem)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async listExpired(now: Date, limit: number, cursor?: string): Promise<{ uploads: Upload[]; cursor?: string }> {
    const page = await expiredPage(this.client, this.tableName, UPLOAD_SORT_KEY, now, limit, cursor);
    return { uploads: page.items.map(uploadFromItem), cursor: page.cursor };
  }

  async pageByMonth(month: string, options: MonthPageOptions): Promise<{ uploads: Upload[]; nextKey?: string }> {
    const names: Record<string, string> = { "#month": INDEXES.byMonth.partitionKey, "#created": INDEXES.byMonth.sortKey };
    const values: Record<string, unknown> = { ":month": month, ":from": options.fromIso ?? "0000", ":to": options.toIso ?? "9999" };
    const uploads: Upload[] = [];
    let startKey: Item | undefined = options.startKey ? decodeCursor(options.startKey, isTableKey) : undefined;
    // The admin's filter is applied here, after the read, with the one definition the use case and the
    // double use: a FilterExpression would cost the same reads (DynamoDB charges for the items it
    // evaluates) and only spare the transfer. Limit counts evaluated items: keep reading pages until
    // the page is full or the month ends.
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: INDEXES.byMonth.name,
          KeyConditionExpression: "#month = :month AND #created BETWEEN :from AND :to",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: options.limit - uploads.length,
          ExclusiveStartKey: startKey,
        }),
      );
      uploads.push(
        ...(page.Items ?? [])
          .filter(isUploadItem)
          .map(uploadFromItem)
          .filter((upload) => matchesAdminFilter(upload, options.filter, options.now)),
      );
      startKey = page.LastEvaluatedKey;
    } while (startKey && uploads.length < options.limit);
    return { uploads, nextKey: startKey ? encodeCursor(startKey) : undefined };
  }

  /** The owner-index entry first; the upload's update (the commit) last, so a failure leaves it to the next cleanup. */
  async erase(upload: Upload, now: Date): Promise<void> {
    await this.dropOwnerEntry(upload);
    const names = Object.fromEntries(PERSONAL_ATTRIBUTES.map((name, i) => [`#p${i}`, name]));
    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: uploadKey(upload.id),
          UpdateExpression: `SET erasedAt = :now, updatedAt = :now REMOVE ${Object.keys(names).join(", ")}, expiryShard`,
          ConditionExpression: "attribute_exists(#pk)",
          ExpressionAttributeNames: { ...names, "#pk": PARTITION_KEY },
          ExpressionAttributeValues: { ":now": now.toISOString() },
        }),
      )
      .catch((error) => {
        if (!isConditionFailed(error)) throw error;
      });
  }

  async delete(upload: Upload): Promise<void> {
    await this.dropOwnerEntry(upload);
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: uploadKey(upload.id) }));
  }

  /** The owner-index and repeat entries, each if it still points at this upload (a newer own upload may have taken it over). */
  private async dropOwnerEntry(upload: Upload): Promise<void> {
    if (!upload.owner) return;
    const entries = [ownerIndexKey(upload.owner, upload.analysisId), repeatKeyOf(upload)!];
    await Promise.all(
      entries.map((Key) =>
        this.client
          .send(
            new DeleteCommand({
              TableName: this.tableName,
              Key,
              ConditionExpression: "uploadId = :id",
              ExpressionAttributeValues: { ":id": upload.id },
            }),
          )
          .catch((error) => {
            if (!isConditionFailed(error)) throw error;
          }),
      ),
    );
  }
}
