import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { slugify } from "../domain/suggestions.js";
import { PARTITION_KEY, SORT_KEY } from "../stores/table-schema.js";
import { daysBetween, type DailyStats, type ModelStats, type StatsEvent, type StatsStore } from "./stats.js";

const DAY_PARTITION = "STATS#DAY";
const COUNTERS: Record<Exclude<StatsEvent["kind"], "analysis">, keyof DailyStats> = {
  upload: "uploads",
  exact_hit: "exactHits",
  similar_hit: "similarHits",
  rate_limited: "rateLimited",
  failed: "failures",
};

type Item = Record<string, unknown>;

/**
 * Counters as items of the main table, updated with atomic ADDs:
 * `STATS#DAY / <day>` (totals), `STATS#MODEL#<day> / <provider>|<model>`, `STATS#NAMES#<day> / <name key>`.
 * Cost is kept in micro-dollars so that ADD stays exact. Reads are Queries over day ranges.
 */
export class DynamoStatsStore implements StatsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private add(pk: string, sk: string, counts: Record<string, number>, set: Record<string, string> = {}) {
    const names: Record<string, string> = {};
    const values: Record<string, number | string> = {};
    const adds = Object.entries(counts).map(([field, value], i) => {
      names[`#c${i}`] = field;
      values[`:c${i}`] = value;
      return `#c${i} :c${i}`;
    });
    const sets = Object.entries(set).map(([field, value], i) => {
      names[`#s${i}`] = field;
      values[`:s${i}`] = value;
      return `#s${i} = :s${i}`;
    });
    return this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [PARTITION_KEY]: pk, [SORT_KEY]: sk },
        UpdateExpression: `ADD ${adds.join(", ")}${sets.length ? ` SET ${sets.join(", ")}` : ""}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  async record(day: string, event: StatsEvent): Promise<void> {
    if (event.kind !== "analysis") {
      await this.add(DAY_PARTITION, day, { [COUNTERS[event.kind]]: 1 });
      return;
    }
    const costMicros = Math.round((event.costUsd ?? 0) * 1e6);
    await Promise.all([
      this.add(DAY_PARTITION, day, { analyses: 1, tokens: event.tokens, costMicros }),
      this.add(`STATS#MODEL#${day}`, `${event.provider}|${event.model}`, { analyses: 1, tokens: event.tokens, costMicros }, { provider: event.provider, model: event.model }),
      ...event.names.map((name) => this.add(`STATS#NAMES#${day}`, slugify(name), { count: 1 }, { name })),
    ]);
  }

  private async partition(pk: string, range?: { from: string; to: string }): Promise<Item[]> {
    const items: Item[] = [];
    let ExclusiveStartKey: Item | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: range ? "#pk = :pk AND #sk BETWEEN :from AND :to" : "#pk = :pk",
          ExpressionAttributeNames: range ? { "#pk": PARTITION_KEY, "#sk": SORT_KEY } : { "#pk": PARTITION_KEY },
          ExpressionAttributeValues: range ? { ":pk": pk, ":from": range.from, ":to": range.to } : { ":pk": pk },
          ExclusiveStartKey,
        }),
      );
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }

  async daily(fromDay: string, toDay: string): Promise<DailyStats[]> {
    const byDay = new Map((await this.partition(DAY_PARTITION, { from: fromDay, to: toDay })).map((item) => [item[SORT_KEY] as string, item]));
    return daysBetween(fromDay, toDay).map((day) => {
      const item = byDay.get(day) ?? {};
      const n = (field: string) => Number(item[field] ?? 0);
      return {
        day,
        uploads: n("uploads"),
        analyses: n("analyses"),
        exactHits: n("exactHits"),
        similarHits: n("similarHits"),
        rateLimited: n("rateLimited"),
        failures: n("failures"),
        tokens: n("tokens"),
        costUsd: n("costMicros") / 1e6,
      };
    });
  }

  async models(fromDay: string, toDay: string): Promise<ModelStats[]> {
    const totals = new Map<string, ModelStats>();
    for (const day of daysBetween(fromDay, toDay)) {
      for (const item of await this.partition(`STATS#MODEL#${day}`)) {
        const key = item[SORT_KEY] as string;
        const entry = totals.get(key) ?? { provider: item.provider as string, model: item.model as string, analyses: 0, tokens: 0, costUsd: 0 };
        entry.analyses += Number(item.analyses ?? 0);
        entry.tokens += Number(item.tokens ?? 0);
        entry.costUsd += Number(item.costMicros ?? 0) / 1e6;
        totals.set(key, entry);
      }
    }
    return [...totals.values()].sort((a, b) => b.analyses - a.analyses);
  }

  async topNames(fromDay: string, toDay: string, limit: number): Promise<{ name: string; count: number }[]> {
    const counts = new Map<string, { name: string; count: number }>();
    for (const day of daysBetween(fromDay, toDay)) {
      for (const item of await this.partition(`STATS#NAMES#${day}`)) {
        const key = item[SORT_KEY] as string;
        const entry = counts.get(key) ?? { name: item.name as string, count: 0 };
        entry.count += Number(item.count ?? 0);
        counts.set(key, entry);
      }
    }
    return [...counts.values()].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)).slice(0, limit);
  }
}
