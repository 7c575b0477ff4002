import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { extendedExpiry, isExpired, type Analysis, type StoredImageRef } from "../domain/types.js";
import { hammingDistance } from "../image/hash.js";
import { MAX_INDEXED_DISTANCE, phashSegments } from "../image/phash-index.js";
import { isConditionFailed } from "./aws-errors.js";
import type { AnalysisStore } from "./ports.js";
import {
  ANALYSIS_SORT_KEY,
  analysisFromItem,
  analysisKey,
  analysisToItem,
  batchWrite,
  deleteRequests,
  putRequests,
  segmentItems,
  ttlOf,
  type Item,
} from "./record-items.js";
import { expiredPage, queryIndex } from "./record-queries.js";
import { INDEXES, PARTITION_KEY, SORT_KEY } from "./table-schema.js";

const isAnalysisItem = (item: Item) => item[SORT_KEY] === ANALYSIS_SORT_KEY;

/** The shared analyses in the main table (layout: record-items.ts). */
export class DynamoAnalysisStore implements AnalysisStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * The commit point is the analysis's PutItem. Its pHash index entries go first: until the analysis
   * exists they point at nothing and every lookup skips them (findSimilar reads the analyses). The
   * put accepts the request's own earlier attempt (same id and creation time), so an SDK retry
   * after a lost response succeeds instead of failing its own condition.
   */
  async create(analysis: Analysis): Promise<void> {
    await batchWrite(this.client, this.tableName, putRequests(segmentItems(analysis)));
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: analysisToItem(analysis),
        ConditionExpression: "attribute_not_exists(#pk) OR createdAt = :createdAt",
        ExpressionAttributeNames: { "#pk": PARTITION_KEY },
        ExpressionAttributeValues: { ":createdAt": analysis.createdAt },
      }),
    );
  }

  async abandon(analysis: Analysis): Promise<void> {
    await batchWrite(this.client, this.tableName, deleteRequests(segmentItems(analysis)));
  }

  async get(id: string): Promise<Analysis | null> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: analysisKey(id), ConsistentRead: true }));
    return Item ? analysisFromItem(Item) : null;
  }

  async findByFileHash(fileHash: string, now: Date, accept: (analysis: Analysis) => boolean = () => true): Promise<Analysis | null> {
    // Newest first; expired ones are skipped here rather than trusted to TTL having run.
    const items = await queryIndex(this.client, this.tableName, INDEXES.byFileHash, fileHash, 10);
    return (
      items
        .filter(isAnalysisItem)
        .map(analysisFromItem)
        .find((analysis) => !isExpired(analysis, now) && accept(analysis)) ?? null
    );
  }

  async findSimilar(imagePhash: string, maxDistance: number, now: Date): Promise<{ analysis: Analysis; distance: number } | null> {
    if (maxDistance > MAX_INDEXED_DISTANCE) throw new Error(`the pHash index finds distances up to ${MAX_INDEXED_DISTANCE}`);
    const candidates = new Map<string, string>();
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
            candidates.set(item[SORT_KEY] as string, item.imagePhash as string);
          }
          startKey = page.LastEvaluatedKey;
        } while (startKey);
      }),
    );
    // Expiry is read from the analyses themselves (an entry's own can lag behind an extension).
    const ranked = [...candidates.entries()]
      .map(([id, hash]) => ({ id, distance: hammingDistance(imagePhash, hash) }))
      .filter((candidate) => candidate.distance <= maxDistance)
      .sort((a, b) => a.distance - b.distance);
    for (const candidate of ranked) {
      const analysis = await this.get(candidate.id);
      if (analysis && !isExpired(analysis, now)) return { analysis, distance: candidate.distance };
    }
    return null;
  }

  /**
   * Moves the expiry forward, conditionally (an analysis already kept longer is left as it is), then
   * its index entries' (their TTL must not remove them first). The image pointer is set either way.
   */
  async extend(analysis: Analysis, expiresAt: string | null, now: Date, image?: StoredImageRef): Promise<boolean> {
    const sets = ["updatedAt = :now", ...(image ? ["image = :image"] : [])];
    const values: Record<string, unknown> = { ":now": now.toISOString(), ...(image ? { ":image": image } : {}) };
    if (extendedExpiry(analysis.expiresAt, expiresAt) !== analysis.expiresAt) {
      try {
        await this.update(
          analysis.id,
          [...sets, "expiresAt = :expires", "#ttl = :ttl"],
          { ...values, ":expires": expiresAt, ":ttl": ttlOf(expiresAt).ttl },
          "AND expiresAt < :expires",
        );
        await batchWrite(this.client, this.tableName, putRequests(segmentItems({ ...analysis, expiresAt })));
        return true;
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
        // Gone, or already kept at least as long by another upload: the plain update below tells which.
      }
    }
    try {
      await this.update(analysis.id, sets, values, "");
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  private async update(id: string, sets: string[], values: Record<string, unknown>, extraCondition: string) {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: analysisKey(id),
        UpdateExpression: `SET ${sets.join(", ")}`,
        ConditionExpression: `attribute_exists(#pk) ${extraCondition}`.trim(),
        ExpressionAttributeNames: { "#pk": PARTITION_KEY, ...(sets.some((set) => set.startsWith("#ttl")) ? { "#ttl": "ttl" } : {}) },
        ExpressionAttributeValues: values,
      }),
    );
  }

  async listExpired(now: Date, limit: number, cursor?: string): Promise<{ analyses: Analysis[]; cursor?: string }> {
    const page = await expiredPage(this.client, this.tableName, ANALYSIS_SORT_KEY, now, limit, cursor);
    return { analyses: page.items.map(analysisFromItem), cursor: page.cursor };
  }

  async findAllByFileHash(fileHash: string): Promise<Analysis[]> {
    return (await queryIndex(this.client, this.tableName, INDEXES.byFileHash, fileHash, 50)).filter(isAnalysisItem).map(analysisFromItem);
  }

  async findAllByPhash(imagePhash: string): Promise<Analysis[]> {
    // A keys-only index: fetch the analyses themselves.
    const ids = (await queryIndex(this.client, this.tableName, INDEXES.byPhash, imagePhash, 50))
      .filter(isAnalysisItem)
      .map((item) => (item[PARTITION_KEY] as string).replace(/^ANALYSIS#/, ""));
    return (await Promise.all(ids.map((id) => this.get(id)))).filter((analysis): analysis is Analysis => analysis !== null);
  }

  async delete(analysis: Analysis): Promise<void> {
    // Index entries and links first: if this stops halfway the analysis still exists and the next cleanup retries.
    const partition: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :links)",
          ExpressionAttributeNames: { "#pk": PARTITION_KEY, "#sk": SORT_KEY },
          ExpressionAttributeValues: { ":pk": analysisKey(analysis.id)[PARTITION_KEY], ":links": "PHOTO#" },
          ProjectionExpression: "#pk, #sk",
          ExclusiveStartKey: startKey,
        }),
      );
      partition.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    await batchWrite(this.client, this.tableName, deleteRequests([...segmentItems(analysis), ...partition]));
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: analysisKey(analysis.id) }));
  }
}
