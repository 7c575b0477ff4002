import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AnalysisFailedError } from "../../shared/domain/errors.js";
import { OpenAIVisionProvider } from "../../shared/vision/openai-provider.js";
import { withRetries } from "../../shared/vision/retry.js";
import { COFFEE_SUGGESTIONS, FakeOpenAI } from "../helpers/fake-providers.js";

const photo = await readFile("fixtures/photos/coffee-mug.jpg");
const jpeg = async () => photo;
let fake: FakeOpenAI;

beforeAll(async () => {
  fake = await new FakeOpenAI().start();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
});

function provider(overrides: Partial<ConstructorParameters<typeof OpenAIVisionProvider>[0]> = {}) {
  return new OpenAIVisionProvider({ apiKey: "sk-test", model: "gpt-4o", baseURL: fake.baseUrl, timeoutMs: 2000, ...overrides });
}

async function failure(promise: Promise<unknown>): Promise<AnalysisFailedError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AnalysisFailedError);
  return error as AnalysisFailedError;
}

describe("OpenAIVisionProvider against a server speaking OpenAI's wire format", () => {
  it("turns a structured reply into 10 normalised suggestions with real token usage", async () => {
    fake.behaviors = [{ kind: "suggestions" }];
    const result = await provider().analyze({ jpeg, prompt: "Name rooms" });
    expect(result.suggestions.map((s) => s.name)).toEqual(COFFEE_SUGGESTIONS.map((s) => s.name));
    expect(result.suggestions.map((s) => s.key)).toContain("espresso-yourself");
    expect(result.tokenUsage).toEqual({ prompt_tokens: 312, completion_tokens: 221, total_tokens: 533 });
    expect(result.model).toBe("gpt-4o-2024-08-06");
    expect((result.raw as { object: string }).object).toBe("chat.completion");
    const sent = fake.requests[0]!.body;
    expect(sent.model).toBe("gpt-4o");
    expect((sent.messages as { content: unknown }[])[0]!.content).toBe("Name rooms");
  });

  it("fails on a reply that is not JSON", async () => {
    fake.behaviors = [{ kind: "content", content: "Sure! Here are some names: Coffee Lovers, ..." }];
    expect((await failure(provider().analyze({ jpeg, prompt: "p" }))).detail).toMatch(/not valid JSON/);
  });

  it("fails on JSON of the wrong shape or with too few usable suggestions", async () => {
    fake.behaviors = [{ kind: "content", content: JSON.stringify({ rooms: ["a"] }) }];
    expect((await failure(provider().analyze({ jpeg, prompt: "p" }))).detail).toMatch(/unexpected format/);
    fake.behaviors = [{ kind: "suggestions", suggestions: COFFEE_SUGGESTIONS.slice(0, 4) }];
    expect((await failure(provider().analyze({ jpeg, prompt: "p" }))).detail).toMatch(/4 usable suggestions/);
  });

  it("maps 429 and 500 to safe messages, and retries them when allowed", async () => {
    fake.behaviors = [{ kind: "status", status: 429, message: "Rate limit reached for gpt-4o in organization org-secret" }];
    const limited = await failure(provider().analyze({ jpeg, prompt: "p" }));
    expect(limited.detail).toBe("OpenAI API error: Rate limit exceeded");
    expect(limited.detail).not.toMatch(/org-secret/);

    fake.behaviors = [{ kind: "status", status: 500 }];
    expect((await failure(provider().analyze({ jpeg, prompt: "p" }))).detail).toBe("OpenAI API error: server error (500)");

    // One 503 then success: our retry (jittered backoff) recovers.
    fake.requests.length = 0;
    fake.behaviors = [{ kind: "status", status: 503 }, { kind: "suggestions" }];
    const result = await withRetries(() => provider().analyze({ jpeg, prompt: "p" }), { maxRetries: 2, baseDelayMs: 1 });
    expect(result.suggestions).toHaveLength(10);
    expect(fake.requests).toHaveLength(2);
  });

  it("gives up after the timeout when the server never answers", async () => {
    fake.behaviors = [{ kind: "hang" }];
    const started = Date.now();
    const error = await failure(provider({ timeoutMs: 300 }).analyze({ jpeg, prompt: "p" }));
    expect(error.detail).toBe("OpenAI API error: request timed out");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("rejects a bad key as an authentication failure", async () => {
    fake.behaviors = [{ kind: "status", status: 401, message: "Incorrect API key provided: sk-test" }];
    expect((await failure(provider().analyze({ jpeg, prompt: "p" }))).detail).toBe("OpenAI API error: authentication failed");
  });
});
