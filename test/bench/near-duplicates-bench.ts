import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BatchWriteCommand } from "@aws-sdk/lib-dynamodb";
import { PHASH_SEGMENTS, phashSegments } from "../../shared/image/phash-index.js";
import { ensureTable, startLocalAws } from "../../local/aws.js";
import { createDocumentClient, createDynamoClient } from "../../shared/runtime/aws-clients.js";
import { DynamoAnalysisStore } from "../../shared/stores/dynamo-analysis-store.js";
import { PARTITION_KEY, SORT_KEY } from "../../shared/stores/table-schema.js";
import { measureNearDuplicates } from "./near-duplicates.js";
import { median, percentile, report } from "./stats.js";

/** A random 64-bit hash with exactly 32 bits set, as every pHash of a non-flat photo has. */
function balancedHash(random: () => number): string {
  const positions = Array.from({ length: 64 }, (_, i) => i);
  for (let i = 63; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [positions[i], positions[j]] = [positions[j]!, positions[i]!];
  }
  let value = 0n;
  for (const position of positions.slice(0, 32)) value |= 1n << BigInt(position);
  return value.toString(16).padStart(16, "0");
}

export async function benchNearDuplicates(options: { records?: number; threshold?: number } = {}) {
  const threshold = options.threshold ?? 4;
  console.log(`\n## near-duplicates: recall and false positives at threshold ${threshold} (250 dev photos)`);
  const quality = await measureNearDuplicates(threshold);
  for (const [name, recall] of Object.entries(quality.recall)) {
    const distances = quality.distances[name]!;
    console.log(
      `${name.padEnd(20)} recall ${(recall * 100).toFixed(1).padStart(5)} %   distance median ${median(distances)}, p95 ${percentile(distances, 95)}, max ${Math.max(...distances)}`,
    );
  }
  console.log(`distinct photo pairs ${quality.pairs}: false positives ${quality.falsePositives}, closest pair ${quality.minDistinctDistance} bits apart`);

  const total = options.records ?? 100_000;
  console.log(`\n## near-duplicates: lookup cost against ${total.toLocaleString()} records in the local DynamoDB server`);
  const dataDir = await mkdtemp(join(tmpdir(), "photo-analysis-neardup-"));
  const aws = await startLocalAws({ dataDir, bucket: "unused", persistDynamo: false });
  try {
    const runtime = { region: "us-east-1", dynamodbEndpoint: aws.dynamodbEndpoint };
    const dynamo = createDynamoClient(runtime);
    await ensureTable(dynamo, "bench");
    const documents = createDocumentClient(runtime);
    let seed = 42;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const hashes: string[] = [];
    // Only the index entries are seeded: a lookup reads those, then fetches at most a few analyses.
    const started = performance.now();
    const items: Record<string, unknown>[] = [];
    for (let i = 0; i < total; i++) {
      const hash = balancedHash(random);
      hashes.push(hash);
      for (const segment of phashSegments(hash)) items.push({ [PARTITION_KEY]: `PHSEG#${segment}`, [SORT_KEY]: `id-${i}`, imagePhash: hash });
    }
    const batches: Record<string, unknown>[][] = [];
    for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < batches.length) {
          const batch = batches[next++]!;
          await documents.send(new BatchWriteCommand({ RequestItems: { bench: batch.map((Item) => ({ PutRequest: { Item } })) } }));
          if (next % 4000 === 0) process.stderr.write(`  seeded ${Math.round((next / batches.length) * 100)} %\n`);
        }
      }),
    );
    console.log(`seeded ${items.length.toLocaleString()} index items in ${((performance.now() - started) / 1000).toFixed(0)} s`);

    let requests = 0;
    documents.middlewareStack.add(
      (next) => async (args) => {
        requests++;
        return next(args);
      },
      { step: "initialize", name: "countRequests" },
    );
    const store = new DynamoAnalysisStore(documents, "bench");
    const times: number[] = [];
    const requestCounts: number[] = [];
    for (let i = 0; i < 60; i++) {
      // Half the queries are near copies of stored hashes (2 bits moved), half are new photos.
      const query = i % 2 === 0 ? flipTwo(hashes[Math.floor(random() * hashes.length)]!, random) : balancedHash(random);
      requests = 0;
      const t0 = performance.now();
      await store.findSimilar(query, threshold, new Date());
      times.push(performance.now() - t0);
      requestCounts.push(requests);
    }
    report(
      `findSimilar over ${total.toLocaleString()} records`,
      times.slice(5),
      `requests per lookup median ${median(requestCounts)} (${PHASH_SEGMENTS} queries + analysis reads)`,
    );
    dynamo.destroy();
  } finally {
    await aws.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Moves one set bit and one clear bit: distance 2, popcount kept. */
function flipTwo(hash: string, random: () => number): string {
  let value = BigInt(`0x${hash}`);
  const ones: number[] = [];
  const zeros: number[] = [];
  for (let bit = 0; bit < 64; bit++) ((value >> BigInt(bit)) & 1n ? ones : zeros).push(bit);
  value ^= 1n << BigInt(ones[Math.floor(random() * ones.length)]!);
  value ^= 1n << BigInt(zeros[Math.floor(random() * zeros.length)]!);
  return value.toString(16).padStart(16, "0");
}
