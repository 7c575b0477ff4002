import { DEFAULT_LANGUAGE } from "../domain/prompt.js";
import { createHash } from "node:crypto";
import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from "@aws-sdk/lib-dynamodb";
import { isExpired, type PhotoAnalysisRecord } from "../domain/types.js";
import { hammingDistance, isInformativeHash } from "../image/hash.js";
import { MAX_INDEXED_DISTANCE, phashSegments } from "../image/phash-index.js";
import { isConditionFailed } from "./aws-errors.js";
import { decodeCursor, encodeCursor, isRecordLike, isTableKey } from "../domain/cursor.js";
import type { MonthPageOptions, RecordStore } from "./ports.js";
import { EXPIRY_SHARDS, INDEXES, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE, ttlSeconds, type IndexSpec } from "./table-schema.js";

/** DynamoDB deletes an item by TTL only this long after the image expired, so the cleanup job (which also deletes the image) runs first. */
const TTL_GRACE_SECONDS = 3 * 24 * 3600;
const RECORD_SORT_KEY = "ANALYSIS";

type Item = Record<string, unknown>;

export function analysisPartitionKey(id: string): string {
  return `ANALYSIS#${id}`;
}

function expiryShard(id: string): string {
  const bucket = createHash("md5").update(id).digest()[0]! % EXPIRY_SHARDS;
  return `EXPIRY#${bucket}`;
}

function toItem(record: PhotoAnalysisRecord): Item {
  const item: Item = {
    [PARTITION_KEY]: analysisPartitionKey(record.id),
    [SORT_KEY]: RECORD_SORT_KEY,
    ...record,
    // Provider replies can hold empty strings and odd nesting; a string round-trips exactly.
    rawResponse: JSON.stringify(record.rawResponse ?? null),
    createdMonth: record.createdAt.slice(0, 7),
  };
  // Index keys must be absent, not null, for sparse indexes.
  for (const key of ["userId", "username", "fingerprint", "ipAddress", "expiresAt", "estimatedCostUsd", "style", "context"] as const) {
    if (record[key] === null) delete item[key];
  }
  if (record.expiresAt) {
    item.expiryShard = expiryShard(record.id);
    item[TTL_ATTRIBUTE] = ttlSeconds(record.expiresAt, TTL_GRACE_SECONDS);
  }
  return item;
}

function fromItem(item: Item): PhotoAnalysisRecord {
  const str = (key: string) => (typeof item[key] === "string" ? (item[key] as string) : null);
  return {
    id: item.id as string,
    imagePhash: item.imagePhash as string,
    fileHash: item.fileHash as string,
    fileSize: Number(item.fileSize),
    storedSize: Number(item.storedSize ?? item.fileSize),
    imagePath: item.imagePath as string,
    storageType: item.storageType as PhotoAnalysisRecord["storageType"],
    contentType: item.contentType as string,
    expiresAt: str("expiresAt"),
    suggestions: item.suggestions as PhotoAnalysisRecord["suggestions"],
    labels: (item.labels as PhotoAnalysisRecord["labels"] | undefined) ?? [],
    rawResponse: typeof item.rawResponse === "string" ? JSON.parse(item.rawResponse) : null,
    aiVisionModel: item.aiVisionModel as string,
    provider: (item.provider as string | undefined) ?? "openai",
    estimatedCostUsd: typeof item.estimatedCostUsd === "number" ? item.estimatedCostUsd : null,
    style: str("style"),
    context: str("context"),
    ...(item.moderation ? { moderation: item.moderation as PhotoAnalysisRecord["moderation"] } : {}),
    language: str("language") ?? DEFAULT_LANGUAGE,
    tokenUsage: item.tokenUsage as PhotoAnalysisRecord["tokenUsage"],
    userId: str("userId"),
    username: str("username"),
    fingerprint: str("fingerprint"),
    ipAddress: str("ipAddress"),
    timesUsed: Number(item.timesUsed ?? 0),
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
  };
}

/** One small item per pHash segment: pk `PHSEG#<segment>`, sk the record id. */
/** Featureless images (see isInformativeHash) get no index entries: they match by exact bytes only. */
function segmentItems(record: PhotoAnalysisRecord): Item[] {
  if (!isInformativeHash(record.imagePhash)) return [];
  return phashSegments(record.imagePhash).map((segment) => ({
    [PARTITION_KEY]: `PHSEG#${segment}`,
    [SORT_KEY]: record.id,
    imagePhash: record.imagePhash,
    expiresAt: record.expiresAt ?? undefined,
    ...(record.expiresAt ? { [TTL_ATTRIBUTE]: ttlSeconds(record.expiresAt, TTL_GRACE_SECONDS) } : {}),
  }));
}

function isExpiryPosition(value: unknown): value is { shard: number; key?: Item } {
  return isRecordLike(value) && Number.isInteger(value.shard) && (value.shard as number) >= 0 && (value.key === undefined || isTableKey(value.key));
}

function isRecordItem(item: Item): boolean {
  return item[SORT_KEY] === RECORD_SORT_KEY;
}

export class DynamoRecordStore implements RecordStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * The commit point is the record's PutItem. Its pHash index entries go first: until the record
   * exists they point at nothing and every lookup skips them (findSimilar reads the records). The
   * put accepts the request's own earlier attempt (same id and creation time), so an SDK retry
   * after a lost response succeeds instead of failing its own condition.
   */
  async create(record: PhotoAnalysisRecord): Promise<void> {
    await this.batchWrite(segmentItems(record).map((Item) => ({ PutRequest: { Item } })));
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: toItem(record),
        ConditionExpression: "attribute_not_exists(#pk) OR createdAt = :createdAt",
        ExpressionAttributeNames: { "#pk": PARTITION_KEY },
        ExpressionAttributeValues: { ":createdAt": record.createdAt },
      }),
    );
  }

  /** Removes index entries written for a record that was never committed. */
  async abandon(record: PhotoAnalysisRecord): Promise<void> {
    await this.batchWrite(segmentItems(record).map((item) => ({ DeleteRequest: { Key: { [PARTITION_KEY]: item[PARTITION_KEY], [SORT_KEY]: item[SORT_KEY] } } })));
  }

  private async batchWrite(requests: NonNullable<ConstructorParameters<typeof BatchWriteCommand>[0]["RequestItems"]>[string]) {
    let pending = requests;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
      if (attempt > 8) throw new Error("DynamoDB kept returning unprocessed index writes");
      const { UnprocessedItems } = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }));
      pending = UnprocessedItems?.[this.tableName] ?? [];
    }
  }

  async findSimilar(imagePhash: string, maxDistance: number, now: Date): Promise<{ record: PhotoAnalysisRecord; distance: number } | null> {
    if (maxDistance > MAX_INDEXED_DISTANCE) throw new Error(`the pHash index finds distances up to ${MAX_INDEXED_DISTANCE}`);
    const candidates = new Map<string, { hash: string; expiresAt?: string }>();
    await Promise.all(
      phashSegments(imagePhash).map(async (segment) => {
        let startKey: Item | undefined;
        do {
          const page = await this.client.send(
            new QueryCommand({
              TableName: this.tableName,
              KeyConditionExpression: "#pk = :pk",
              ExpressionAttributeNames: { "#pk": PARTITION_KEY },
              ExpressionAttributeValues: { ":pk": `PHSEG#${segment}` },
              ExclusiveStartKey: startKey,
            }),
          );
          for (const item of page.Items ?? []) {
            candidates.set(item[SORT_KEY] as string, { hash: item.imagePhash as string, expiresAt: item.expiresAt as string | undefined });
          }
          startKey = page.LastEvaluatedKey;
        } while (startKey);
      }),
    );
    const ranked = [...candidates.entries()]
      .filter(([, candidate]) => !isExpired({ expiresAt: candidate.expiresAt ?? null }, now))
      .map(([id, candidate]) => ({ id, distance: hammingDistance(imagePhash, candidate.hash) }))
      .filter((candidate) => candidate.distance <= maxDistance)
      .sort((a, b) => a.distance - b.distance);
    for (const candidate of ranked) {
      const record = await this.get(candidate.id);
      if (record && !isExpired(record, now)) return { record, distance: candidate.distance };
    }
    return null;
  }

  async get(id: string): Promise<PhotoAnalysisRecord | null> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [PARTITION_KEY]: analysisPartitionKey(id), [SORT_KEY]: RECORD_SORT_KEY },
        ConsistentRead: true,
      }),
    );
    return Item ? fromItem(Item) : null;
  }

  /** Items of one index partition, newest first. */
  private async queryIndex(index: IndexSpec, value: string, limit: number): Promise<Item[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: index.name,
        KeyConditionExpression: "#key = :value",
        ExpressionAttributeNames: { "#key": index.partitionKey },
        ExpressionAttributeValues: { ":value": value },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return Items.filter(isRecordItem);
  }

  async findByFileHash(fileHash: string, now: Date, accept: (record: PhotoAnalysisRecord) => boolean = () => true): Promise<PhotoAnalysisRecord | null> {
    // Newest first; expired ones are skipped here rather than trusted to TTL having run.
    const Items = await this.queryIndex(INDEXES.byFileHash, fileHash, 10);
    const match = Items
      .map(fromItem)
      .find((record) => !isExpired(record, now) && accept(record));
    return match ?? null;
  }

  async recordUse(id: string, now: Date): Promise<PhotoAnalysisRecord | null> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: analysisPartitionKey(id), [SORT_KEY]: RECORD_SORT_KEY },
          UpdateExpression: "ADD timesUsed :one SET updatedAt = :now",
          ConditionExpression: "attribute_exists(#pk)",
          ExpressionAttributeNames: { "#pk": PARTITION_KEY },
          ExpressionAttributeValues: { ":one": 1, ":now": now.toISOString() },
          ReturnValues: "ALL_NEW",
        }),
      );
      return Attributes ? fromItem(Attributes) : null;
    } catch (error) {
      if (isConditionFailed(error)) return null;
      throw error;
    }
  }

  async listRecent(owner: { userId: string } | { fingerprint: string }, limit: number): Promise<PhotoAnalysisRecord[]> {
    const items = "userId" in owner ? await this.queryIndex(INDEXES.byUser, owner.userId, limit) : await this.queryIndex(INDEXES.byFingerprint, owner.fingerprint, limit);
    return items.map(fromItem);
  }

  async listExpired(now: Date, limit: number, cursor?: string): Promise<{ records: PhotoAnalysisRecord[]; cursor?: string }> {
    // The cursor is the shard being read and DynamoDB's own position inside it.
    let position: { shard: number; key?: Item } = cursor ? decodeCursor(cursor, isExpiryPosition) : { shard: 0 };
    const records: PhotoAnalysisRecord[] = [];
    while (position.shard < EXPIRY_SHARDS && records.length < limit) {
      const { Items = [], LastEvaluatedKey } = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: INDEXES.byExpiry.name,
          KeyConditionExpression: "#shard = :shard AND #expires <= :now",
          ExpressionAttributeNames: { "#shard": INDEXES.byExpiry.partitionKey, "#expires": INDEXES.byExpiry.sortKey },
          ExpressionAttributeValues: { ":shard": `EXPIRY#${position.shard}`, ":now": now.toISOString() },
          ExclusiveStartKey: position.key,
          Limit: limit - records.length,
        }),
      );
      records.push(...Items.filter(isRecordItem).map(fromItem));
      position = LastEvaluatedKey ? { shard: position.shard, key: LastEvaluatedKey } : { shard: position.shard + 1 };
    }
    const more = position.shard < EXPIRY_SHARDS;
    return { records, cursor: more ? encodeCursor(position) : undefined };
  }

  async pageByMonth(month: string, options: MonthPageOptions): Promise<{ records: PhotoAnalysisRecord[]; nextKey?: string }> {
    const names: Record<string, string> = { "#month": INDEXES.byMonth.partitionKey, "#created": INDEXES.byMonth.sortKey };
    const values: Record<string, unknown> = { ":month": month, ":from": options.fromIso ?? "0000", ":to": options.toIso ?? "9999" };
    const filters: string[] = [];
    const { filter } = options;
    if (filter.model) {
      names["#model"] = "aiVisionModel";
      names["#provider"] = "provider";
      values[":model"] = filter.model;
      filters.push("(#provider = :model OR begins_with(#model, :model))");
    }
    if (filter.storageType) {
      names["#storage"] = "storageType";
      values[":storage"] = filter.storageType;
      filters.push("#storage = :storage");
    }
    if (filter.expired !== undefined) {
      names["#expires"] = "expiresAt";
      values[":now"] = options.now.toISOString();
      filters.push(filter.expired ? "#expires <= :now" : "(attribute_not_exists(#expires) OR #expires > :now)");
    }
    if (filter.signedIn !== undefined) {
      names["#user"] = "userId";
      filters.push(filter.signedIn ? "attribute_exists(#user)" : "attribute_not_exists(#user)");
    }
    if (filter.flagged !== undefined) {
      names["#moderation"] = "moderation";
      filters.push(filter.flagged ? "attribute_exists(#moderation)" : "attribute_not_exists(#moderation)");
    }
    const records: PhotoAnalysisRecord[] = [];
    let startKey: Item | undefined = options.startKey ? decodeCursor(options.startKey, isTableKey) : undefined;
    // DynamoDB applies Limit before the filter: keep reading pages until the page is full or the month ends.
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: INDEXES.byMonth.name,
          KeyConditionExpression: "#month = :month AND #created BETWEEN :from AND :to",
          FilterExpression: filters.length ? filters.join(" AND ") : undefined,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: options.limit - records.length,
          ExclusiveStartKey: startKey,
        }),
      );
      records.push(...(page.Items ?? []).filter(isRecordItem).map(fromItem));
      startKey = page.LastEvaluatedKey;
    } while (startKey && records.length < options.limit);
    return { records, nextKey: startKey ? encodeCursor(startKey) : undefined };
  }

  async findAllByFileHash(fileHash: string): Promise<PhotoAnalysisRecord[]> {
    return (await this.queryIndex(INDEXES.byFileHash, fileHash, 50)).map(fromItem);
  }

  async findAllByPhash(imagePhash: string): Promise<PhotoAnalysisRecord[]> {
    // A keys-only index: fetch the records themselves.
    const ids = (await this.queryIndex(INDEXES.byPhash, imagePhash, 50)).map((item) => (item[PARTITION_KEY] as string).replace(/^ANALYSIS#/, ""));
    return (await Promise.all(ids.map((id) => this.get(id)))).filter((record): record is PhotoAnalysisRecord => record !== null);
  }

  async delete(record: PhotoAnalysisRecord): Promise<void> {
    // Index entries first: if this stops halfway the record still exists and the next cleanup retries.
    await this.batchWrite(
      segmentItems(record).map((item) => ({ DeleteRequest: { Key: { [PARTITION_KEY]: item[PARTITION_KEY], [SORT_KEY]: item[SORT_KEY] } } })),
    );
    await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { [PARTITION_KEY]: analysisPartitionKey(record.id), [SORT_KEY]: RECORD_SORT_KEY },
      }),
    );
  }
}
