import { decodeCursor, encodeCursor, isRecordLike } from "../domain/cursor.js";
import { InvalidInputError } from "../domain/errors.js";
import { isUuid } from "../domain/ids.js";
import type { Upload } from "../domain/types.js";
import { dayOf } from "../stats/stats.js";
import { type AdminFilter, matchesAdminFilter } from "../stores/ports.js";
import type { AppDeps } from "./deps.js";

/** Read-only views for operators. Every one is served by keys and indexes: no table scans. */

export interface AdminListQuery {
  limit: number;
  cursor?: string;
  filter: AdminFilter;
  /** YYYY-MM-DD, inclusive. */
  from?: string;
  to?: string;
  /** An upload id, an MD5 (32 hex) or a pHash (16 hex) of an analysis, a fingerprint or a user id. */
  q?: string;
}

const MONTHS_BACK = 12;
const MAX_ROUNDS = 200;
const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

interface MonthPosition {
  month: string;
  key?: string;
}

function isMonthPosition(value: unknown): value is MonthPosition {
  return (
    isRecordLike(value) &&
    typeof value.month === "string" &&
    /^\d{4}-(0[1-9]|1[0-2])$/.test(value.month) &&
    (value.key === undefined || typeof value.key === "string")
  );
}

function previousMonth(month: string): string {
  const [year, number] = month.split("-").map(Number) as [number, number];
  return number === 1 ? `${year - 1}-12` : `${year}-${String(number - 1).padStart(2, "0")}`;
}

async function lookup(deps: AppDeps, q: string): Promise<Upload[]> {
  const term = q.trim();
  if (isUuid(term)) {
    const upload = await deps.uploads.get(term.toLowerCase());
    return upload ? [upload] : [];
  }
  // A hash names analyses (of those bytes, or of a similar photo's): the uploads they answer.
  const analyses = /^[0-9a-f]{32}$/i.test(term)
    ? await deps.analyses.findAllByFileHash(term.toLowerCase())
    : /^[0-9a-f]{16}$/i.test(term)
      ? await deps.analyses.findAllByPhash(term.toLowerCase())
      : undefined;
  if (analyses) return (await Promise.all(analyses.map((analysis) => deps.uploads.listByAnalysis(analysis.id, 50)))).flat();
  const [byFingerprint, byUser] = await Promise.all([deps.uploads.listRecent({ fingerprint: term }, 50), deps.uploads.listRecent({ userId: term }, 50)]);
  return [...byFingerprint, ...byUser];
}

/**
 * Newest first, a page at a time. Months are read backwards through the month index; the cursor
 * carries the month and DynamoDB's position in it. A search term is answered from the matching index.
 */
export async function listUploadsForAdmin(deps: AppDeps, query: AdminListQuery): Promise<{ uploads: Upload[]; cursor?: string }> {
  const now = deps.now();
  for (const [field, value] of [
    ["from", query.from],
    ["to", query.to],
  ] as const) {
    if (value !== undefined && !DAY.test(value)) throw new InvalidInputError(field === "from" ? "from date" : "to date", "Use the date format YYYY-MM-DD.");
  }
  if (query.q) {
    const found = (await lookup(deps, query.q))
      .filter((upload) => matchesAdminFilter(upload, query.filter, now))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const unique = [...new Map(found.map((upload) => [upload.id, upload])).values()];
    return { uploads: unique.slice(0, query.limit) };
  }
  const toDay = query.to ?? dayOf(now);
  const fromDay = query.from;
  let position: MonthPosition = query.cursor ? decodeCursor(query.cursor, isMonthPosition) : { month: toDay.slice(0, 7) };
  const lastMonth = fromDay
    ? fromDay.slice(0, 7)
    : (() => {
        let month = toDay.slice(0, 7);
        for (let i = 0; i < MONTHS_BACK; i++) month = previousMonth(month);
        return month;
      })();
  const uploads: Upload[] = [];
  // Bounded: at most one page request per month of the range, plus one per page of results.
  for (let round = 0; uploads.length < query.limit && position.month >= lastMonth && round < MAX_ROUNDS; round++) {
    const page = await deps.uploads.pageByMonth(position.month, {
      limit: query.limit - uploads.length,
      startKey: position.key,
      fromIso: fromDay ? `${fromDay}T00:00:00.000Z` : undefined,
      toIso: `${toDay}T23:59:59.999Z`,
      filter: query.filter,
      now,
    });
    uploads.push(...page.uploads);
    position = page.nextKey ? { month: position.month, key: page.nextKey } : { month: previousMonth(position.month) };
  }
  const more = position.month >= lastMonth;
  return { uploads, cursor: more ? encodeCursor(position) : undefined };
}

/** The dashboard: per-day counters, provider/model mix and the most frequent suggestion names. */
export async function dashboardStats(deps: AppDeps, days: number) {
  if (!Number.isInteger(days) || days < 1 || days > 366) throw new InvalidInputError("days", "Choose between 1 and 366 days.");
  const to = dayOf(deps.now());
  const from = dayOf(new Date(deps.now().getTime() - (days - 1) * 86_400_000));
  const [daily, models, topNames] = await Promise.all([deps.stats.daily(from, to), deps.stats.models(from, to), deps.stats.topNames(from, to, 15)]);
  return { from, to, daily, models, top_names: topNames };
}
