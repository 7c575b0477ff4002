import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HttpResult } from "../../functions/http.js";
import { createUploadHandler } from "../../functions/upload/handler.js";
import { DEFAULT_VARIANT, variantKey } from "../../shared/domain/prompt.js";
import { md5Hex } from "../../shared/image/hash.js";
import { createAppDeps } from "../../shared/runtime/app-deps.js";
import { createDocumentClient } from "../../shared/runtime/aws-clients.js";
import { repeatKey } from "../../shared/stores/record-items.js";
import type { AppDeps } from "../../shared/usecases/deps.js";
import { parseJson, uploadEvent } from "../helpers/events.js";
import { FakeOpenAI } from "../helpers/fake-providers.js";
import { distinctImages } from "../helpers/photos.js";
import { startTestStack, type TestStack } from "../helpers/stack.js";

/**
 * What a cache hit costs in DynamoDB (local round trips; in AWS, paid requests): every command the
 * upload function's client sends for one request, counted by an SDK middleware on the same client
 * the function uses, against dynalite. Waves are round trips one after the other (commands sent
 * together, before any of them answered, are one wave).
 *
 * The caller's repeat of their own photo was 9 commands in 5 round trips before the meter's rework,
 * then 6 in 4 (the refused-photo GetItem, the exact-match index Query and the counters' BatchGetItem;
 * the owner index's GetItem; the use's UpdateItem; the dashboard's UpdateItem). With the owner's
 * repeat entry it is one read and one conditional write, the dashboard's counter sent beside it.
 * Another caller's hit on the same bytes was 15 commands in 13 round trips; it now reads the repeat
 * entry (none for them) first and the exact-match index after it: 14 in 14.
 */

let stack: TestStack;
let fake: FakeOpenAI;

beforeAll(async () => {
  stack = await startTestStack();
  fake = await new FakeOpenAI().start();
});
afterAll(async () => {
  await fake.close();
  await stack.close();
});

interface SentCommand {
  name: string;
  /** The partition keys' prefixes a BatchGetItem asked for (what was read together). */
  batchedKinds: string[];
  startedAt: number;
  endedAt: number;
}

/** The commands a DynamoDB client sends, with when each began and ended. */
function countingClients() {
  const sent: SentCommand[] = [];
  let clock = 0; // an order, not a time: starts and ends interleave exactly as they happened
  const awsClient = <T>(client: T): T => {
    if (client instanceof DynamoDBClient) {
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const requests = Object.values((args.input as { RequestItems?: Record<string, { Keys?: { pk?: string | { S?: string } }[] }> }).RequestItems ?? {});
          const command: SentCommand = {
            name: String(context.commandName).replace(/Command$/, ""),
            batchedKinds: requests
              .flatMap((request) => (request.Keys ?? []).map((key) => String(typeof key.pk === "object" ? key.pk.S : key.pk).split("#")[0]!))
              .sort(),
            startedAt: clock++,
            endedAt: Number.POSITIVE_INFINITY,
          };
          sent.push(command);
          try {
            return await next(args);
          } finally {
            command.endedAt = clock++;
          }
        },
        { step: "initialize", name: "countCommands" },
      );
    }
    return client;
  };
  /** Round trips one after another: a command starting after one of the current wave has answered begins the next. */
  const waves = () => {
    let count = 0;
    let wave: SentCommand[] = [];
    for (const command of sent) {
      if (!wave.length || wave.some((earlier) => earlier.endedAt < command.startedAt)) {
        count++;
        wave = [];
      }
      wave.push(command);
    }
    return count;
  };
  const names = () => sent.map((command) => command.name).sort();
  return { sent, awsClient, waves, names };
}

const env = () => ({ OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: fake.baseUrl });

/**
 * A table with `photo` analysed once for `fingerprint`, and the upload function's own deps on it with
 * their DynamoDB client counted, warmed up by a repeat of another photo (settings are read once per process).
 */
async function countedUpload(photo: Buffer, fingerprint: string, warmUp: Buffer) {
  const deps = await stack.deps(env());
  const analyze = createUploadHandler(() => deps);
  const [first, warmed] = [
    (await analyze(uploadEvent(photo, { fingerprint }), {} as never)) as HttpResult,
    (await analyze(uploadEvent(warmUp, { fingerprint: "fp-warm-up" }), {} as never)) as HttpResult,
  ];
  expect([first.statusCode, warmed.statusCode]).toEqual([201, 201]);
  const counting = countingClients();
  const counted: AppDeps = createAppDeps({ runtime: deps.runtime, env: env(), instrumentation: { awsClient: counting.awsClient } });
  const handler = createUploadHandler(() => counted);
  const send = async (bytes: Buffer, as: string) => (await handler(uploadEvent(bytes, { fingerprint: as }), {} as never)) as HttpResult;
  expect((await send(warmUp, "fp-warm-up")).statusCode).toBe(200);
  counting.sent.length = 0;
  return { deps, counting, send, first: parseJson(first) };
}

describe("the cached path", () => {
  it("answers the caller's repeat of a photo (an exact hit, 200) with one read and one conditional write: 3 DynamoDB commands in 2 round trips", async () => {
    const [photo, warmUp] = await distinctImages(2, 2801);
    const { counting, send, first } = await countedUpload(photo!, "fp-cached", warmUp!);

    const repeat = await send(photo!, "fp-cached");
    expect(repeat.statusCode).toBe(200);
    expect(parseJson(repeat)).toMatchObject({ cached: true, match: "exact", analysis: { id: first.analysis.id, times_used: 1 } });
    expect(parseJson(repeat).analysis.suggestions).toEqual(first.analysis.suggestions);
    expect(repeat.headers?.["ratelimit-remaining"]).toBe("4");
    // One BatchGetItem: the refused-photo item, the caller's repeat entry and their four counter
    // windows; then the use of their upload (conditional) and the dashboard's counter, together.
    expect(counting.names()).toEqual(["BatchGetItem", "UpdateItem", "UpdateItem"]);
    expect(counting.sent[0]).toMatchObject({ name: "BatchGetItem", batchedKinds: ["BLOCKED", "OWNER", "RATE", "RATE", "RATE", "RATE"] });
    expect(counting.waves()).toBe(2);
  });

  it("answers another caller's hit on the same bytes (201, their own upload) with 14 commands in 14 round trips", async () => {
    const [photo, warmUp] = await distinctImages(2, 2901);
    const { counting, send, first } = await countedUpload(photo!, "fp-owner", warmUp!);

    const theirs = await send(photo!, "fp-stranger");
    expect(theirs.statusCode).toBe(201);
    expect(parseJson(theirs)).toMatchObject({ cached: false, analysis: { times_used: 0, suggestions: first.analysis.suggestions } });
    expect(parseJson(theirs).analysis.id).not.toBe(first.analysis.id);
    expect(counting.sent[0]).toMatchObject({ name: "BatchGetItem", batchedKinds: ["BLOCKED", "OWNER", "RATE", "RATE", "RATE", "RATE"] });
    expect(counting.sent.length).toBe(14);
    expect(counting.waves()).toBe(14);
  });

  it("answers an own upload without a repeat entry (a table written before the entries) the long way, writes the entry, then takes the short way", async () => {
    const [photo, warmUp] = await distinctImages(2, 3001);
    const { deps, counting, send, first } = await countedUpload(photo!, "fp-legacy", warmUp!);
    const documents = createDocumentClient(deps.runtime);
    await documents.send(new DeleteCommand({ TableName: deps.runtime.tableName, Key: repeatKey("fp:fp-legacy", md5Hex(photo!), variantKey(DEFAULT_VARIANT)) }));
    documents.destroy();

    const found = await send(photo!, "fp-legacy");
    expect(found.statusCode).toBe(200);
    expect(parseJson(found)).toMatchObject({ cached: true, match: "exact", analysis: { id: first.analysis.id, times_used: 1 } });
    // The first look; the exact-match index; the owner index; the use; the entry written beside the dashboard's counter, then the upload read again (still theirs: the entry stays).
    expect(counting.names()).toEqual(["BatchGetItem", "GetItem", "GetItem", "PutItem", "Query", "UpdateItem", "UpdateItem"]);
    expect(counting.waves()).toBe(6);

    counting.sent.length = 0;
    const again = await send(photo!, "fp-legacy");
    expect(parseJson(again)).toMatchObject({ cached: true, analysis: { id: first.analysis.id, times_used: 2 } });
    expect(counting.names()).toEqual(["BatchGetItem", "UpdateItem", "UpdateItem"]);
    expect(counting.waves()).toBe(2);
  });
});
