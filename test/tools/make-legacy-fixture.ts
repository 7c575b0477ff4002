/**
 * Writes test/fixtures' table of the previous release: the items that release's own DynamoRecordStore
 * wrote for a handful of representative uploads, dumped raw (DynamoDB JSON), so the migration test
 * (test/integration/migrate.test.ts) starts from exactly what a deployed table holds.
 *
 *   npx tsx test/tools/make-legacy-fixture.ts [--rev <commit>] [--out fixtures/legacy/previous-release-table.json]
 *
 * The previous release's `shared/` is taken from git (`git archive <rev>`, default the commit before
 * the data-model split) into a temporary folder and run there, against an in-process DynamoDB server:
 * nothing of this release's code writes the items.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    rev: { type: "string", default: "301226b739e039fa1a3971d6e90b89871dab886f" },
    out: { type: "string", default: "fixtures/legacy/previous-release-table.json" },
  },
});
const root = process.cwd();
const rev = values.rev!;
const legacy = await mkdtemp(join(tmpdir(), "photo-analysis-legacy-"));
// biome-ignore lint/suspicious/noExplicitAny: modules of another release, loaded by path
type Module = any;

try {
  const archive = execFileSync("git", ["archive", "--format=tar", rev, "shared", "package.json"], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  execFileSync("tar", ["-x", "-C", legacy], { input: archive });
  await symlink(join(root, "node_modules"), join(legacy, "node_modules"));
  const load = (path: string): Promise<Module> => import(pathToFileURL(join(legacy, path)).href);
  const { startLocalAws, ensureTable } = await load("shared/local/local-aws.ts");
  const { createDocumentClient, createDynamoClient } = await load("shared/runtime/context.ts");
  const { DynamoRecordStore } = await load("shared/stores/dynamo-record-store.ts");
  const { DynamoJobStore } = await load("shared/stores/dynamo-job-store.ts");
  const { openImage, perceptualHash } = await load("shared/image/decode.ts");
  const { md5Hex } = await load("shared/image/hash.ts");
  const { ScanCommand } = await import("@aws-sdk/client-dynamodb");

  const aws = await startLocalAws({ dataDir: legacy, bucket: "legacy", persistDynamo: false });
  const runtime = { tableName: "legacy", dynamodbEndpoint: aws.dynamodbEndpoint, localKeyPair: true, region: "us-east-1" };
  const dynamo = createDynamoClient(runtime);
  await ensureTable(dynamo, runtime.tableName);
  const store = new DynamoRecordStore(createDocumentClient(runtime), runtime.tableName);

  const photo = async (name: string) => {
    const bytes = await readFile(join(root, "fixtures/photos", name));
    return { fileHash: md5Hex(bytes), imagePhash: await perceptualHash(await openImage(bytes, { maxPixels: 100_000_000 })), fileSize: bytes.length };
  };
  type Picture = Awaited<ReturnType<typeof photo>>;
  const [cat, mug, labrador, motorcycle, astronaut] = (await Promise.all(
    ["chelsea-cat.jpg", "coffee-mug.jpg", "labrador.webp", "motorcycle.png", "astronaut.jpg"].map(photo),
  )) as [Picture, Picture, Picture, Picture, Picture];
  const suggestions = (theme: string) =>
    Array.from({ length: 10 }, (_, i) => ({
      name: `${theme} Room ${i + 1}`,
      key: `${theme.toLowerCase()}-room-${i + 1}`,
      description: `A room about ${theme.toLowerCase()} number ${i + 1}`,
    }));
  const base = (id: string, picture: Picture, createdAt: string, theme: string) => ({
    id,
    ...picture,
    storedSize: Math.round(picture.fileSize / 3),
    imagePath: `photo_analysis/${id}.jpg`,
    storageType: "s3",
    contentType: "image/jpeg",
    expiresAt: new Date(Date.parse(createdAt) + 168 * 3_600_000).toISOString(),
    suggestions: suggestions(theme),
    labels: [{ label: theme.toLowerCase(), score: 0.9 }],
    rawResponse: { id: `chatcmpl-${id.slice(0, 8)}`, object: "chat.completion", choices: [{ message: { content: "…" } }] },
    aiVisionModel: "gpt-4o-2024-08-06",
    provider: "openai",
    tokenUsage: { prompt_tokens: 312, completion_tokens: 221, total_tokens: 533 },
    estimatedCostUsd: 0.00299,
    style: null,
    context: null,
    language: "en",
    userId: null,
    username: null,
    fingerprint: null,
    ipAddress: "198.51.100.20",
    timesUsed: 0,
    createdAt,
    updatedAt: createdAt,
  });
  const records = [
    // Signed in (the browser sent its fingerprint too, which that release stored); used twice since.
    {
      ...base("0b8e1c2d-0000-4000-8000-000000000001", cat, "2026-05-10T09:00:00.000Z", "Cat"),
      userId: "user-ada",
      username: "ada@example.com",
      fingerprint: "fp-ada-browser",
      ipAddress: "198.51.100.21",
      uses: 2,
    },
    // Anonymous with a fingerprint.
    { ...base("0b8e1c2d-0000-4000-8000-000000000002", mug, "2026-05-10T10:00:00.000Z", "Coffee"), fingerprint: "fp-anon", ipAddress: "198.51.100.22", uses: 0 },
    // Anonymous without a fingerprint (owned by its address), stored on local disk.
    { ...base("0b8e1c2d-0000-4000-8000-000000000003", labrador, "2026-05-10T11:00:00.000Z", "Dog"), ipAddress: "198.51.100.23", storageType: "local", uses: 1 },
    // Expired (made eight days before the others' clock).
    {
      ...base("0b8e1c2d-0000-4000-8000-000000000004", motorcycle, "2026-05-03T08:00:00.000Z", "Motorcycle"),
      fingerprint: "fp-anon",
      ipAddress: "198.51.100.22",
      uses: 0,
    },
    // Flagged by moderation (suggestive but allowed).
    {
      ...base("0b8e1c2d-0000-4000-8000-000000000005", astronaut, "2026-05-10T12:00:00.000Z", "Space"),
      fingerprint: "fp-flagged",
      moderation: { decision: "flag", labels: [{ label: "suggestive", score: 0.61 }], provider: "local" },
      uses: 0,
    },
    // A style, a context and a language, of the same bytes as the signed-in user's photo.
    {
      ...base("0b8e1c2d-0000-4000-8000-000000000006", cat, "2026-05-10T13:00:00.000Z", "Gato"),
      style: "playful",
      context: "names for my hiking club",
      language: "es",
      userId: "user-bob",
      username: "bob",
      ipAddress: "198.51.100.24",
      uses: 0,
    },
  ];
  for (const { uses, ...record } of records) {
    await store.create(record);
    for (let i = 0; i < uses; i++) await store.recordUse(record.id, new Date(Date.parse(record.createdAt) + (i + 1) * 60_000));
  }
  // An async job of that release, done and answered by the anonymous record (it stored the client's origin).
  const jobs = new DynamoJobStore(createDocumentClient(runtime), runtime.tableName);
  const job = {
    id: "0b8e1c2d-0000-4000-8000-0000000000a1",
    owner: "fp:fp-anon",
    caller: { userId: null, username: null, fingerprint: "fp-anon", ipAddress: "198.51.100.22" },
    stagingKey: "uploads/job-0b8e1c2d-0000-4000-8000-0000000000a1",
    style: null,
    stage: "queued",
    baseUrl: "https://client-sent-host.example",
    createdAt: "2026-05-12T11:00:00.000Z",
    updatedAt: "2026-05-12T11:00:00.000Z",
    expiresAt: "2026-05-13T11:00:00.000Z",
  };
  await jobs.create([job]);
  await jobs.advance(job.id, "done", { cached: false, recordId: records[1]!.id }, new Date("2026-05-12T11:00:05.000Z"));
  const items = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo.send(new ScanCommand({ TableName: runtime.tableName, ExclusiveStartKey: startKey as never }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  items.sort((a, b) => `${a.pk?.S}|${a.sk?.S}`.localeCompare(`${b.pk?.S}|${b.sk?.S}`));
  const fixture = {
    about: [
      "Raw DynamoDB items (DynamoDB JSON) of a table written by the previous release (one ANALYSIS# record per upload, mixing the shared analysis and the personal upload, with its PHSEG# index items).",
      `Produced by \`npx tsx test/tools/make-legacy-fixture.ts --rev ${rev}\`: that commit's own shared/stores/dynamo-record-store.ts (create, then recordUse for the uses), taken with git archive and run against dynalite; hashes are those of the named fixtures/photos files.`,
      "Records: signed in (with a fingerprint, used twice), anonymous with a fingerprint, anonymous by address on local disk (used once), expired, flagged, and a styled one with context and language (same bytes as the first); and a done async job (JOB#, with that release's recordId and stored baseUrl) answered by the anonymous one. Their clock: 2026-05-12T12:00:00Z.",
    ],
    revision: rev,
    items,
  };
  const out = resolve(root, values.out!);
  await writeFile(out, `${JSON.stringify(fixture, null, 1)}\n`);
  console.log(`${items.length} items written to ${out}`);
  dynamo.destroy();
  await aws.close();
} finally {
  await rm(legacy, { recursive: true, force: true });
}
