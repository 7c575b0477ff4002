import { PutCommand, ScanCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { decodeCursor, encodeCursor, isTableKey } from "../domain/cursor.js";
import { DEFAULT_LANGUAGE, variantKey } from "../domain/prompt.js";
import { ownerKey, type Analysis, type Caller, type Upload } from "../domain/types.js";
import { isConditionFailed } from "./aws-errors.js";
import { ownRepeatOf } from "./ports.js";
import { ANALYSIS_SORT_KEY, analysisToItem, batchWrite, putRequests, uploadIndexItems, uploadToItem, type Item } from "./record-items.js";
import { PARTITION_KEY, SORT_KEY } from "./table-schema.js";

/**
 * `npm run migrate`: converts what the previous release wrote, one `ANALYSIS#<id>` record mixing
 * the shared analysis with the personal upload, into the two:
 *   - the upload `PHOTO#<id>`, with the record's own id (clients' links keep working; jobs' and
 *     claims' pointers stay right), its owner-index and repeat entries and its analysis link;
 *   - the analysis, written over the record at the same key `ANALYSIS#<id>` (so its pHash index
 *     entries, which point at that id, need no change), without the personal fields.
 * Per record the upload goes first and the analysis last: the analysis replacing the record is the
 * commit point, and a record that still has no variantKey is legacy. A run that stops anywhere is
 * resumed by running again (or from the cursor it printed); a second run finds nothing to do.
 */

const str = (item: Item, key: string) => (typeof item[key] === "string" && item[key] !== "" ? (item[key] as string) : null);

/** Whether an item is a record of the previous release (an analysis item without a variantKey). */
export function isLegacyRecord(item: Item): boolean {
  return item[SORT_KEY] === ANALYSIS_SORT_KEY && item.variantKey === undefined;
}

/** The analysis and the upload a previous-release record becomes. */
export function splitLegacyRecord(item: Item): { analysis: Analysis; upload: Upload } {
  const id = item.id as string;
  const createdAt = item.createdAt as string;
  const expiresAt = str(item, "expiresAt");
  const variant = { style: str(item, "style"), context: str(item, "context"), language: str(item, "language") ?? DEFAULT_LANGUAGE };
  const caller: Caller = {
    userId: str(item, "userId"),
    username: str(item, "username"),
    fingerprint: str(item, "fingerprint"),
    ipAddress: str(item, "ipAddress"),
  };
  const fileSize = Number(item.fileSize);
  const storedSize = Number(item.storedSize ?? item.fileSize);
  const moderation = item.moderation as Analysis["moderation"] | undefined;
  const analysis: Analysis = {
    id,
    fileHash: item.fileHash as string,
    imagePhash: item.imagePhash as string,
    variantKey: variantKey(variant),
    style: variant.style,
    language: variant.language,
    suggestions: item.suggestions as Analysis["suggestions"],
    labels: (item.labels as Analysis["labels"] | undefined) ?? [],
    rawResponse: typeof item.rawResponse === "string" ? JSON.parse(item.rawResponse) : null,
    aiVisionModel: item.aiVisionModel as string,
    provider: (item.provider as string | undefined) ?? "openai",
    tokenUsage: item.tokenUsage as Analysis["tokenUsage"],
    estimatedCostUsd: typeof item.estimatedCostUsd === "number" ? item.estimatedCostUsd : null,
    ...(moderation ? { moderation } : {}),
    image: {
      path: item.imagePath as string,
      storageType: item.storageType as Upload["storageType"],
      contentType: item.contentType as string,
      size: storedSize,
    },
    expiresAt,
    createdAt,
    updatedAt: (item.updatedAt as string | undefined) ?? createdAt,
  };
  const upload: Upload = {
    id,
    analysisId: id,
    owner: ownerKey(caller),
    userId: caller.userId,
    username: caller.username,
    // That release kept a signed-in caller's browser fingerprint too: it listed their uploads under it.
    fingerprint: caller.userId ? null : caller.fingerprint,
    ipAddress: caller.ipAddress,
    context: variant.context,
    style: variant.style,
    language: variant.language,
    fileHash: analysis.fileHash,
    imagePhash: analysis.imagePhash,
    fileSize,
    storedSize,
    imagePath: item.imagePath as string,
    storageType: item.storageType as Upload["storageType"],
    contentType: item.contentType as string,
    // That release counted every cache hit, whoever sent it; they are all this upload's now.
    timesUsed: Number(item.timesUsed ?? 0),
    provider: analysis.provider,
    aiVisionModel: analysis.aiVisionModel,
    suggestionCount: analysis.suggestions.length,
    tokenUsage: analysis.tokenUsage,
    estimatedCostUsd: analysis.estimatedCostUsd,
    flagged: moderation?.decision === "flag",
    expiresAt,
    erasedAt: null,
    createdAt,
    updatedAt: analysis.updatedAt,
  };
  return { analysis, upload };
}

export interface MigrationProgress {
  dryRun: boolean;
  /** Items read by the scan. */
  scanned: number;
  /** Previous-release records found. */
  found: number;
  migrated: number;
  failures: { id: string; error: string }[];
  /** Where the scan stands: pass it back (--cursor) to resume a stopped run from there. */
  cursor?: string;
}

export interface MigrationOptions {
  dryRun: boolean;
  /** Items per scan page. */
  batchSize: number;
  cursor?: string;
  onPage?: (progress: MigrationProgress) => void;
}

export async function migrateLegacyRecords(client: DynamoDBDocumentClient, tableName: string, options: MigrationOptions): Promise<MigrationProgress> {
  const progress: MigrationProgress = { dryRun: options.dryRun, scanned: 0, found: 0, migrated: 0, failures: [] };
  let startKey: Item | undefined = options.cursor ? decodeCursor(options.cursor, isTableKey) : undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        // Consistent: a record converted a moment ago by another run is seen as converted.
        ConsistentRead: true,
        FilterExpression: "#sk = :analysis AND attribute_not_exists(variantKey)",
        ExpressionAttributeNames: { "#sk": SORT_KEY },
        ExpressionAttributeValues: { ":analysis": ANALYSIS_SORT_KEY },
        ExclusiveStartKey: startKey,
        Limit: options.batchSize,
      }),
    );
    progress.scanned += page.ScannedCount ?? 0;
    for (const item of (page.Items ?? []).filter(isLegacyRecord)) {
      progress.found++;
      if (options.dryRun) continue;
      try {
        await migrateOne(client, tableName, item);
        progress.migrated++;
      } catch (error) {
        progress.failures.push({ id: String(item.id), error: error instanceof Error ? error.message : String(error) });
      }
    }
    startKey = page.LastEvaluatedKey;
    progress.cursor = startKey ? encodeCursor(startKey) : undefined;
    options.onPage?.(progress);
  } while (startKey);
  return progress;
}

async function migrateOne(client: DynamoDBDocumentClient, tableName: string, item: Item): Promise<void> {
  const { analysis, upload } = splitLegacyRecord(item);
  await batchWrite(client, tableName, putRequests(uploadIndexItems(upload, ownRepeatOf(upload, analysis))));
  try {
    // An earlier run's upload (perhaps used since) is kept as it is.
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: uploadToItem(upload),
        ConditionExpression: "attribute_not_exists(#pk)",
        ExpressionAttributeNames: { "#pk": PARTITION_KEY },
      }),
    );
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
  }
  try {
    // Replaces the record only while it is still the previous release's.
    await client.send(new PutCommand({ TableName: tableName, Item: analysisToItem(analysis), ConditionExpression: "attribute_not_exists(variantKey)" }));
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
  }
}
