import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { stageRank, type Batch, type Job, type JobFailure, type JobStage } from "../domain/jobs.js";
import { isConditionFailed } from "./aws-errors.js";
import type { JobStore } from "./ports.js";
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE, ttlSeconds } from "./table-schema.js";

/** Jobs and batches outlive their expiry by an hour in the table (a late status read still finds them). */
const JOB_TTL_GRACE_SECONDS = 3_600;

const JOB_FIELDS = [
  "id",
  "batchId",
  "index",
  "owner",
  "caller",
  "stagingKey",
  "style",
  "context",
  "language",
  "stage",
  "cached",
  "uploadId",
  "error",
  "attempt",
  "createdAt",
  "updatedAt",
  "expiresAt",
] as const;

/** Jobs (pk `JOB#<id>`) and batches (pk `BATCH#<id>`) as items of the main table, removed by TTL after expiry. */
export class DynamoJobStore implements JobStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private jobKey(id: string) {
    return { [PARTITION_KEY]: `JOB#${id}`, [SORT_KEY]: "JOB" };
  }

  private batchKey(id: string) {
    return { [PARTITION_KEY]: `BATCH#${id}`, [SORT_KEY]: "BATCH" };
  }

  async create(jobs: Job[], batch?: Batch): Promise<void> {
    await Promise.all(
      jobs.map((job) =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...this.jobKey(job.id), ...job, stageRank: stageRank(job.stage), [TTL_ATTRIBUTE]: ttlSeconds(job.expiresAt, JOB_TTL_GRACE_SECONDS) },
          }),
        ),
      ),
    );
    if (batch)
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...this.batchKey(batch.id), ...batch, [TTL_ATTRIBUTE]: ttlSeconds(batch.expiresAt, JOB_TTL_GRACE_SECONDS) },
        }),
      );
  }

  async get(id: string): Promise<Job | null> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: this.jobKey(id), ConsistentRead: true }));
    return Item ? jobOf(Item) : null;
  }

  async getBatch(id: string): Promise<{ batch: Batch; jobs: Job[] } | null> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: this.batchKey(id), ConsistentRead: true }));
    if (!Item) return null;
    const batch: Batch = { id: Item.id, owner: Item.owner, jobIds: Item.jobIds, createdAt: Item.createdAt, expiresAt: Item.expiresAt };
    const found = new Map<string, Job>();
    let keys: Record<string, unknown>[] = batch.jobIds.map((jobId) => this.jobKey(jobId));
    // BatchGetItem may leave keys unprocessed under load: ask again for those.
    for (let round = 0; keys.length && round < 5; round++) {
      const answer = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }));
      for (const item of answer.Responses?.[this.tableName] ?? []) found.set(item.id as string, jobOf(item));
      keys = (answer.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
    }
    return { batch, jobs: batch.jobIds.map((jobId) => found.get(jobId)).filter((job): job is Job => job !== undefined) };
  }

  async begin(id: string, attempt: string): Promise<Job | null> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.jobKey(id),
          UpdateExpression: "SET attempt = :attempt",
          ConditionExpression: "attribute_exists(#pk) AND stageRank < :final",
          ExpressionAttributeNames: { "#pk": PARTITION_KEY },
          ExpressionAttributeValues: { ":attempt": attempt, ":final": stageRank("done") },
          ReturnValues: "ALL_NEW",
        }),
      );
      return Attributes ? jobOf(Attributes) : null;
    } catch (error) {
      if (isConditionFailed(error)) return null;
      throw error;
    }
  }

  async advance(
    id: string,
    stage: JobStage,
    outcome: { cached?: boolean; uploadId?: string; error?: JobFailure } = {},
    now = new Date(),
    attempt?: string,
  ): Promise<Job | null> {
    const values: Record<string, unknown> = {
      ":stage": stage,
      ":rank": stageRank(stage),
      ":now": now.toISOString(),
      ...(attempt ? { ":attempt": attempt } : {}),
    };
    const sets = ["stage = :stage", "stageRank = :rank", "updatedAt = :now"];
    for (const [name, value] of Object.entries(outcome)) {
      if (value === undefined) continue;
      sets.push(`#${name} = :${name}`);
      values[`:${name}`] = value;
    }
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.jobKey(id),
          UpdateExpression: `SET ${sets.join(", ")}`,
          ConditionExpression: `attribute_exists(#pk) AND stageRank < :rank${attempt ? " AND attempt = :attempt" : ""}`,
          ExpressionAttributeNames: {
            "#pk": PARTITION_KEY,
            ...Object.fromEntries(
              Object.keys(outcome)
                .filter((name) => outcome[name as keyof typeof outcome] !== undefined)
                .map((name) => [`#${name}`, name]),
            ),
          },
          ExpressionAttributeValues: values,
          ReturnValues: "ALL_NEW",
        }),
      );
      return Attributes ? jobOf(Attributes) : null;
    } catch (error) {
      if (isConditionFailed(error)) return null;
      throw error;
    }
  }

  async remove(jobIds: string[], batchId?: string): Promise<void> {
    if (batchId) await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: this.batchKey(batchId) }));
    await Promise.all(jobIds.map((jobId) => this.client.send(new DeleteCommand({ TableName: this.tableName, Key: this.jobKey(jobId) }))));
  }
}

function jobOf(item: Record<string, unknown>): Job {
  const job: Record<string, unknown> = {};
  for (const field of JOB_FIELDS) if (item[field] !== undefined) job[field] = item[field];
  if (job.index !== undefined) job.index = Number(job.index);
  // Jobs written by the previous release named the answer recordId (the same id, now the upload's).
  if (job.uploadId === undefined && typeof item.recordId === "string") job.uploadId = item.recordId;
  return job as unknown as Job;
}
