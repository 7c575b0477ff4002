import { createHash } from "node:crypto";
import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { slugify } from "../domain/suggestions.js";
import { PARTITION_KEY, SORT_KEY } from "../stores/table-schema.js";
import { daysBetween, type DailyStats, type ModelStats, type StatsEvent, type StatsStore } from "./stats.js";

const DAY_PARTITION = "STATS#DAY";
const COUNTERS: Record<Exclude<StatsEvent["kind"], "analysis">, keyof DailyStats> = {
  exact_hit: "exactHits",
  similar_hit: "similarHits",
  rate_limited: "rateLimited",
  moderated: "moderated",
  failed: "failures",
};
/** Names of one analysis go to one of these items of the day, chosen by its first name: items stay small. */
const NAME_SHARDS = 16;
const MODEL_PREFIX = "model|";
const NAME_COUNT_PREFIX = "n|";
const NAME_LABEL_PREFIX = "label|";

type Item = Record<string, unknown>;

/**
 * Counters as items of the main table, each request's in at most two atomic UpdateItems:
 * - `STATS#DAY / <day>`: uploads and its outcome (hits, refusals, failures, analyses, tokens, cost
 *   in micro-dollars so that ADD stays exact), and per provider and model as flat attributes
 *   `model|<provider>|<model>|<field>` (ADD needs top-level attributes; models are few);
 * - `STATS#NAMES#<day> / <shard>`: the analysis's suggestion names (`n|<key>` counts, `label|<key>`).
 * Reads are Queries over day ranges.
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
      await this.add(DAY_PARTITION, day, { uploads: 1, [COUNTERS[event.kind]]: 1 });
      return;
    }
    const costMicros = Math.round((event.costUsd ?? 0) * 1e6);
    const model = `${MODEL_PREFIX}${event.provider}|${event.model}|`;
    const nameCounts: Record<string, number> = {};
    const nameLabels: Record<string, string> = {};
    for (const name of event.names) {
      // Names in scripts without Latin letters slug to nothing: they are counted by a hash of the name.
      const key = slugify(name) || `u-${createHash("sha256").update(name).digest("hex").slice(0, 16)}`;
      nameCounts[`${NAME_COUNT_PREFIX}${key}`] = (nameCounts[`${NAME_COUNT_PREFIX}${key}`] ?? 0) + 1;
      nameLabels[`${NAME_LABEL_PREFIX}${key}`] = name;
    }
    const shard = String(
      createHash("md5")
        .update(event.names[0] ?? "")
        .digest()[0]! % NAME_SHARDS,
    );
    await Promise.all([
      this.add(DAY_PARTITION, day, {
        uploads: 1,
        analyses: 1,
        tokens: event.tokens,
        costMicros,
        [`${model}analyses`]: 1,
        [`${model}tokens`]: event.tokens,
        [`${model}costMicros`]: costMicros,
      }),
      event.names.length ? this.add(`STATS#NAMES#${day}`, shard, nameCounts, nameLabels) : undefined,
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
        moderated: n("moderated"),
        failures: n("failures"),
        tokens: n("tokens"),
        costUsd: n("costMicros") / 1e6,
      };
    });
  }

  async models(fromDay: string, toDay: string): Promise<ModelStats[]> {
    const totals = new Map<string, ModelStats>();
    for (const item of await this.partition(DAY_PARTITION, { from: fromDay, to: toDay })) {
      for (const [attribute, value] of Object.entries(item)) {
        if (!attribute.startsWith(MODEL_PREFIX)) continue;
        const rest = attribute.slice(MODEL_PREFIX.length);
        const provider = rest.slice(0, rest.indexOf("|"));
        const field = rest.slice(rest.lastIndexOf("|") + 1);
        const model = rest.slice(provider.length + 1, rest.lastIndexOf("|"));
        const key = `${provider}|${model}`;
        const entry = totals.get(key) ?? { provider, model, analyses: 0, tokens: 0, costUsd: 0 };
        if (field === "analyses") entry.analyses += Number(value);
        if (field === "tokens") entry.tokens += Number(value);
        if (field === "costMicros") entry.costUsd += Number(value) / 1e6;
        totals.set(key, entry);
      }
    }
    return [...totals.values()].sort((a, b) => b.analyses - a.analyses);
  }

  async topNames(fromDay: string, toDay: string, limit: number): Promise<{ name: string; count: number }[]> {
    const counts = new Map<string, { name: string; count: number }>();
    for (const day of daysBetween(fromDay, toDay)) {
      for (const item of await this.partition(`STATS#NAMES#${day}`)) {
        for (const [attribute, value] of Object.entries(item)) {
          if (!attribute.startsWith(NAME_COUNT_PREFIX)) continue;
          const key = attribute.slice(NAME_COUNT_PREFIX.length);
          const entry = counts.get(key) ?? { name: String(item[`${NAME_LABEL_PREFIX}${key}`] ?? key), count: 0 };
          entry.count += Number(value);
          counts.set(key, entry);
        }
      }
    }
    return [...counts.values()].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)).slice(0, limit);
  }
}
