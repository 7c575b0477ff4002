import { IMAGE_KEY_PREFIX, uploadIdOfImageKey } from "../domain/image-keys.js";
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
  /** Expired items found: uploads (to erase) and analyses (to delete). */
  found: number;
  imagesDeleted: number;
  /** Uploads whose image was deleted and personal fields erased (a tombstone stays until the table's TTL). */
  uploadsErased: number;
  /** Expired analyses deleted with their index entries. */
  analysesDeleted: number;
  failures: { id: string; error: string }[];
  /** Bytes of images deleted (or, in a dry run, that would be). */
  bytesFreed: number;
  /** Images no upload points at (left by a write that failed between image and upload), older than ORPHAN_GRACE_MS. */
  orphansFound: number;
  orphansDeleted: number;
  /** Dry runs: what would be done (expired uploads, expired analyses, orphan image keys). */
  wouldDelete?: { uploads: { id: string; expiresAt: string | null }[]; analyses: { id: string; expiresAt: string | null }[]; orphanImages: string[] };
}

/** An image younger than this may belong to an upload still being written: the sweep leaves it. */
export const ORPHAN_GRACE_MS = 3_600_000;

/**
 * The cleanup of expired photos, with what is personal apart from what is shared. Expired
 * uploads and analyses come a batch at a time from a sparse expiry index (no table scan):
 *  - an expired upload loses its image, then its personal fields (user, username, fingerprint, IP,
 *    context, owner): a tombstone stays, so its id answers "expired" until the table's TTL removes it;
 *  - an expired analysis (all its uploads have expired: its expiry is theirs) is deleted with its
 *    index entries.
 * Each step comes before the write that takes the item out of the index, so a crash in between
 * leaves an item the next run finds again. Failures are counted and skipped. A second run finds nothing.
 */
export async function cleanupExpired(deps: AppDeps, options: CleanupOptions): Promise<CleanupSummary> {
  const summary: CleanupSummary = {
    dryRun: options.dryRun,
    batches: 0,
    found: 0,
    imagesDeleted: 0,
    uploadsErased: 0,
    analysesDeleted: 0,
    failures: [],
    bytesFreed: 0,
    orphansFound: 0,
    orphansDeleted: 0,
    ...(options.dryRun ? { wouldDelete: { uploads: [], analyses: [], orphanImages: [] } } : {}),
  };
  const now = deps.now();
  await inPages(
    summary,
    options,
    (cursor) => deps.uploads.listExpired(now, options.batchSize, cursor).then((page) => ({ items: page.uploads, cursor: page.cursor })),
    async (upload) => {
      if (options.dryRun) {
        summary.bytesFreed += upload.storedSize;
        summary.wouldDelete?.uploads.push({ id: upload.id, expiresAt: upload.expiresAt });
        return;
      }
      const store = deps.imageStores[upload.storageType];
      if (!store) throw new Error(`no ${upload.storageType} image store is configured`);
      await store.delete(upload.imagePath);
      summary.imagesDeleted++;
      summary.bytesFreed += upload.storedSize;
      await deps.uploads.erase(upload, now);
      summary.uploadsErased++;
    },
  );
  await inPages(
    summary,
    options,
    (cursor) => deps.analyses.listExpired(now, options.batchSize, cursor).then((page) => ({ items: page.analyses, cursor: page.cursor })),
    async (analysis) => {
      if (options.dryRun) {
        summary.wouldDelete?.analyses.push({ id: analysis.id, expiresAt: analysis.expiresAt });
        return;
      }
      await deps.analyses.delete(analysis);
      summary.analysesDeleted++;
    },
  );
  await sweepOrphans(deps, options, summary);
  return summary;
}

/** Runs `each` over every page, several items at a time (bounded, to stay polite to S3 and DynamoDB); a failure is counted and skipped. */
async function inPages<T extends { id: string }>(
  summary: CleanupSummary,
  options: CleanupOptions,
  page: (cursor?: string) => Promise<{ items: T[]; cursor?: string }>,
  each: (item: T) => Promise<void>,
): Promise<void> {
  let cursor: string | undefined;
  do {
    const current = await page(cursor);
    cursor = current.cursor;
    if (current.items.length === 0) continue;
    summary.batches++;
    summary.found += current.items.length;
    let next = 0;
    const worker = async () => {
      while (next < current.items.length) {
        const item = current.items[next++]!;
        await each(item).catch((error: unknown) => summary.failures.push({ id: item.id, error: error instanceof Error ? error.message : String(error) }));
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, current.items.length) }, worker));
    options.onBatch?.(summary);
  } while (cursor);
}

/**
 * Images whose upload never committed (see persist.ts: after an ambiguous failure nothing is
 * deleted on the request path). Listed by prefix, checked against the upload by id, deleted when
 * no upload exists and the image is older than the grace period.
 */
async function sweepOrphans(deps: AppDeps, options: CleanupOptions, summary: CleanupSummary): Promise<void> {
  const cutoff = deps.now().getTime() - ORPHAN_GRACE_MS;
  for (const store of Object.values(deps.imageStores)) {
    let cursor: string | undefined;
    do {
      const page = await store.list(IMAGE_KEY_PREFIX, { limit: options.batchSize, cursor });
      cursor = page.cursor;
      for (const object of page.objects) {
        const id = uploadIdOfImageKey(object.key);
        if (!id || object.lastModified.getTime() > cutoff) continue;
        try {
          const upload = await deps.uploads.get(id);
          // An erased upload's image was deleted on purpose: one found again (a late write) goes too.
          if (upload && !upload.erasedAt) continue;
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
