/**
 * The DynamoDB table, described once: the CDK stack and the local DynamoDB server are both
 * built from this, so the indexes the code queries always exist in both.
 */

export const PARTITION_KEY = "pk";
export const SORT_KEY = "sk";
/** Epoch seconds; DynamoDB's TTL deletes items some time after it (never relied on: reads filter by expiresAt). */
export const TTL_ATTRIBUTE = "ttl";

/** The TTL attribute's value for an item that expires at `at` (ISO time or epoch ms), kept `graceSeconds` longer. */
export function ttlSeconds(at: string | number, graceSeconds = 0): number {
  return Math.ceil((typeof at === "string" ? Date.parse(at) : at) / 1000) + graceSeconds;
}

export interface IndexSpec {
  name: string;
  partitionKey: string;
  sortKey: string;
  /** Attributes copied into the index; "ALL" when the query needs whole items. */
  projection: "ALL" | "KEYS_ONLY";
}

export const INDEXES = {
  /** Analyses by the MD5 and the pHash of their bytes (uploads keep their own under other names). */
  byFileHash: { name: "byFileHash", partitionKey: "fileHash", sortKey: "createdAt", projection: "ALL" },
  byPhash: { name: "byPhash", partitionKey: "imagePhash", sortKey: "createdAt", projection: "KEYS_ONLY" },
  /** Uploads made anonymously with a fingerprint, and a signed-in user's uploads. */
  byFingerprint: { name: "byFingerprint", partitionKey: "fingerprint", sortKey: "createdAt", projection: "ALL" },
  byUser: { name: "byUser", partitionKey: "userId", sortKey: "createdAt", projection: "ALL" },
  /** Admin listing of uploads, newest first: one partition per month ("2026-11"), so a page is a Query, never a Scan. */
  byMonth: { name: "byMonth", partitionKey: "createdMonth", sortKey: "createdAt", projection: "ALL" },
  /** Sparse: only analyses and unerased uploads with an expiry. Sharded so no single partition takes every write. */
  byExpiry: { name: "byExpiry", partitionKey: "expiryShard", sortKey: "expiresAt", projection: "ALL" },
} as const satisfies Record<string, IndexSpec>;

export const EXPIRY_SHARDS = 4;

/** Every attribute used as a key anywhere is a string. */
export function keyAttributes(): string[] {
  const names = new Set<string>([PARTITION_KEY, SORT_KEY]);
  for (const index of Object.values(INDEXES)) {
    names.add(index.partitionKey);
    names.add(index.sortKey);
  }
  return [...names];
}
