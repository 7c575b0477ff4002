import { AsyncLocalStorage } from "node:async_hooks";
import type { IndexName, ItemKind } from "./table-schema.js";

/** The table part of a function's IAM policy: actions per kind of partition key, and the indexes it may query. */
export interface TableGrant {
  items?: Partial<Record<ItemKind, readonly string[]>>;
  indexes?: readonly IndexName[];
}

/**
 * The grant a handler call runs under, where grants are enforced (`npm start` and the tests, see
 * runtime/table-access.ts): one object per call, shared by everything it starts. It lives here, below
 * the runtime, because reads batched into one request must share it (table-reads.ts).
 */
export const activeTableGrant = new AsyncLocalStorage<{ name: string; grant: TableGrant }>();
