import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HttpResult } from "../../functions/http.js";
import { createUploadHandler } from "../../functions/upload/handler.js";
import { createAppDeps } from "../../shared/runtime/app-deps.js";
import { uploadEvent } from "../helpers/events.js";
import { FakeOpenAI } from "../helpers/fake-providers.js";
import { distinctImages } from "../helpers/photos.js";
import { startTestStack, type TestStack } from "../helpers/stack.js";

/**
 * What an exact cache hit costs in DynamoDB (local round trips; in AWS, paid requests): every command
 * the upload function's client sends for the caller's repeat of a photo, counted by an SDK middleware
 * on the same client the function uses, against dynalite. Waves are round trips one after the other
 * (commands sent together, before any of them answered, are one wave). Before the meter and this
 * path were reworked the same request sent 9 commands in 5 round trips (six GetItems: the refused-photo
 * check, the owner entry, four counter windows; the index Query; two UpdateItems).
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
          const command: SentCommand = { name: String(context.commandName).replace(/Command$/, ""), startedAt: clock++, endedAt: Number.POSITIVE_INFINITY };
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
  return { sent, awsClient, waves };
}

describe("the cached path", () => {
  it("answers the caller's repeat of a photo (an exact hit, 200) with 6 DynamoDB commands in 4 round trips", async () => {
    const env = { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: fake.baseUrl };
    const deps = await stack.deps(env);
    const [photo] = await distinctImages(1, 2801);
    const first = (await createUploadHandler(() => deps)(uploadEvent(photo!, { fingerprint: "fp-cached" }), {} as never)) as HttpResult;
    expect(first.statusCode).toBe(201);

    // The upload function's own deps on the same table, its DynamoDB client counted.
    const counting = countingClients();
    const counted = createAppDeps({ runtime: deps.runtime, env, instrumentation: { awsClient: counting.awsClient } });
    const upload = createUploadHandler(() => counted);
    // Settings are read once per process: a first request warms them (and anything else read once).
    expect(((await upload(uploadEvent(photo!, { fingerprint: "fp-cached" }), {} as never)) as HttpResult).statusCode).toBe(200);
    counting.sent.length = 0;

    const repeat = (await upload(uploadEvent(photo!, { fingerprint: "fp-cached" }), {} as never)) as HttpResult;
    expect(repeat.statusCode).toBe(200);
    expect(repeat.headers?.["ratelimit-remaining"]).toBe("4");
    const names = counting.sent.map((command) => command.name).sort();
    // The refused-photo check, the exact-match index and the caller's counters (all at once); the caller's
    // own upload found and used again; the dashboard's counter.
    expect(names).toEqual(["BatchGetItem", "GetItem", "GetItem", "Query", "UpdateItem", "UpdateItem"]);
    expect(counting.waves()).toBe(4);
  });
});
