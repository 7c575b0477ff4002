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

export type IndexName = keyof typeof INDEXES;

/**
 * Every kind of item in the table, by the prefix of its partition key. The stack grants each function
 * its item kinds through IAM's `dynamodb:LeadingKeys` condition on these prefixes, and `npm start`
 * refuses a call outside them the same way (shared/runtime/table-access.ts); a new kind of item is one
 * row here. No prefix may begin another kind's prefix, or a grant of one would cover the other.
 */
export const ITEM_KINDS = {
  /** An analysis (shared, content-addressed), `ANALYSIS#<id>`; its links to uploads share its partition (sort key `PHOTO#<upload id>`). */
  analysis: { prefix: "ANALYSIS#" },
  /** A caller's upload (personal), `PHOTO#<upload id>`. */
  upload: { prefix: "PHOTO#" },
  /** A caller's own upload of an analysis, `OWNER#<owner key>`, sort key the analysis id. */
  ownerIndex: { prefix: "OWNER#" },
  /** The near-duplicate index: one item per pHash segment, `PHSEG#<segment>`, sort key the record id. */
  phashSegment: { prefix: "PHSEG#" },
  /** Who is analysing a photo (or which record answered it), `CLAIM#<md5 + variant>`. */
  claim: { prefix: "CLAIM#" },
  /** A presigned upload's intent, `UPLOAD#<upload id>`. */
  intent: { prefix: "UPLOAD#" },
  job: { prefix: "JOB#" },
  batch: { prefix: "BATCH#" },
  /** A WebSocket connection, `CONN#<connection id>`. */
  connection: { prefix: "CONN#" },
  /** A connection's subscription to a job or batch, `SUB#<topic>`, sort key the connection id. */
  subscription: { prefix: "SUB#" },
  /** Rate-limit counters, `RATE#<identity>`, sort key the window. */
  counter: { prefix: "RATE#" },
  /** Photos moderation refused, `BLOCKED#<md5>`. */
  blocked: { prefix: "BLOCKED#" },
  /** Dashboard counters, `STATS#DAY` and `STATS#NAMES#<day>`. */
  stats: { prefix: "STATS#" },
} as const satisfies Record<string, { prefix: string }>;

export type ItemKind = keyof typeof ITEM_KINDS;

/** The item kind a partition key belongs to, if any. */
export function itemKindOf(partitionKey: string): ItemKind | undefined {
  return (Object.keys(ITEM_KINDS) as ItemKind[]).find((kind) => partitionKey.startsWith(ITEM_KINDS[kind].prefix));
}

/** Every attribute used as a key anywhere is a string. */
export function keyAttributes(): string[] {
  const names = new Set<string>([PARTITION_KEY, SORT_KEY]);
  for (const index of Object.values(INDEXES)) {
    names.add(index.partitionKey);
    names.add(index.sortKey);
  }
  return [...names];
}
