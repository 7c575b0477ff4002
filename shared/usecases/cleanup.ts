import { IMAGE_KEY_PREFIX, recordIdOfImageKey } from "../domain/image-keys.js";
import type { AppDeps } from "./deps.js";

const CONCURRENCY = 8;

export interface CleanupOptions {
  dryRun: boolean;
  batchSize: number;
  /** Called after each batch, for progress output. */
  onBatch?: (summary: CleanupSummary) => void;
}

export interface CleanupSummary {
  dryRun: boolean;
  batches: number;
  found: number;
  imagesDeleted: number;
  recordsDeleted: number;
  failures: { id: string; error: string }[];
  /** Bytes of images deleted (or, in a dry run, that would be). */
  bytesFreed: number;
  /** Images no record points at (left by a write that failed between image and record), older than ORPHAN_GRACE_MS. */
  orphansFound: number;
  orphansDeleted: number;
  /** Dry runs: what would be deleted (expired analyses, then orphan image keys). */
  wouldDelete?: { analyses: { id: string; expiresAt: string | null }[]; orphanImages: string[] };
}

/** An image younger than this may belong to an upload still writing its record: the sweep leaves it. */
export const ORPHAN_GRACE_MS = 3_600_000;

/**
 * The seed's cleanup_expired_photos: expired records come a batch at a time from a sparse expiry
 * index (no table scan). For each, the image goes first and then the record, so a crash in
 * between leaves a record that the next run finds again, never an image nobody points at.
 * Failures are counted and skipped. Running it again after success finds nothing.
 */
export async function cleanupExpired(deps: AppDeps, options: CleanupOptions): Promise<CleanupSummary> {
  const summary: CleanupSummary = {
    dryRun: options.dryRun,
    batches: 0,
    found: 0,
    imagesDeleted: 0,
    recordsDeleted: 0,
    failures: [],
    bytesFreed: 0,
    orphansFound: 0,
    orphansDeleted: 0,
    ...(options.dryRun ? { wouldDelete: { analyses: [], orphanImages: [] } } : {}),
  };
  const now = deps.now();
  let cursor: string | undefined;
  do {
    const page = await deps.records.listExpired(now, options.batchSize, cursor);
    cursor = page.cursor;
    if (page.records.length === 0) continue;
    summary.batches++;
    summary.found += page.records.length;
    if (options.dryRun) {
      for (const record of page.records) {
        summary.bytesFreed += record.fileSize;
        summary.wouldDelete?.analyses.push({ id: record.id, expiresAt: record.expiresAt });
      }
      options.onBatch?.(summary);
      continue;
    }
    const deleteOne = async (record: (typeof page.records)[number]) => {
      try {
        const store = deps.imageStores[record.storageType];
        if (!store) throw new Error(`no ${record.storageType} image store is configured`);
        await store.delete(record.imagePath);
        summary.imagesDeleted++;
        summary.bytesFreed += record.fileSize;
        await deps.records.delete(record);
        summary.recordsDeleted++;
      } catch (error) {
        summary.failures.push({ id: record.id, error: error instanceof Error ? error.message : String(error) });
      }
    };
    // Records are independent: delete a batch several at a time (bounded, to stay polite to S3 and DynamoDB).
    let next = 0;
    const worker = async () => {
      while (next < page.records.length) await deleteOne(page.records[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, page.records.length) }, worker));
    options.onBatch?.(summary);
  } while (cursor);
  await sweepOrphans(deps, options, summary);
  return summary;
}

/**
 * Images whose record never committed (see persistAnalysis: after an ambiguous failure nothing is
 * deleted on the request path). Listed by prefix, checked against the record by id, deleted when
 * no record exists and the image is older than the grace period.
 */
async function sweepOrphans(deps: AppDeps, options: CleanupOptions, summary: CleanupSummary): Promise<void> {
  const cutoff = deps.now().getTime() - ORPHAN_GRACE_MS;
  for (const store of Object.values(deps.imageStores)) {
    let cursor: string | undefined;
    do {
      const page = await store.list(IMAGE_KEY_PREFIX, { limit: options.batchSize, cursor });
      cursor = page.cursor;
      for (const object of page.objects) {
        const id = recordIdOfImageKey(object.key);
        if (!id || object.lastModified.getTime() > cutoff) continue;
        try {
          if (await deps.records.get(id)) continue;
          summary.orphansFound++;
          if (options.dryRun) {
            summary.wouldDelete?.orphanImages.push(object.key);
            continue;
          }
          await store.delete(object.key);
          summary.orphansDeleted++;
        } catch (error) {
          summary.failures.push({ id, error: error instanceof Error ? error.message : String(error) });
        }
      }
    } while (cursor);
  }
}
