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
}

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
      for (const record of page.records) summary.bytesFreed += record.fileSize;
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
  return summary;
}
