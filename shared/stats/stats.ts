/**
 * Usage counters for the admin dashboard, maintained on write (never computed by scanning records).
 * Each upload that gets past validation records exactly one outcome event; each counts as an upload.
 */

export type StatsEvent =
  | { kind: "exact_hit" }
  | { kind: "similar_hit" }
  | { kind: "rate_limited" }
  | { kind: "moderated" }
  | { kind: "failed" }
  | { kind: "analysis"; provider: string; model: string; tokens: number; costUsd: number | null; names: string[] };

export interface DailyStats {
  day: string;
  uploads: number;
  analyses: number;
  exactHits: number;
  similarHits: number;
  rateLimited: number;
  /** Photos refused by content moderation (explicit content). */
  moderated: number;
  failures: number;
  tokens: number;
  costUsd: number;
}

export interface ModelStats {
  provider: string;
  model: string;
  analyses: number;
  tokens: number;
  costUsd: number;
}

export interface StatsStore {
  record(day: string, event: StatsEvent): Promise<void>;
  /** One entry per day from `fromDay` to `toDay` inclusive (days without traffic are zeros). */
  daily(fromDay: string, toDay: string): Promise<DailyStats[]>;
  models(fromDay: string, toDay: string): Promise<ModelStats[]>;
  topNames(fromDay: string, toDay: string, limit: number): Promise<{ name: string; count: number }[]>;
}

export function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Every day from..to inclusive, as YYYY-MM-DD. */
export function daysBetween(fromDay: string, toDay: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${fromDay}T00:00:00Z`); t <= Date.parse(`${toDay}T00:00:00Z`); t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}
