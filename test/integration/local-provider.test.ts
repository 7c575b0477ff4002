import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSettings } from "../../shared/config/settings.js";
import { AnalysisFailedError } from "../../shared/domain/errors.js";
import { openImage, resizedJpeg } from "../../shared/image/decode.js";
import { LocalModelError, localModels } from "../../shared/vision/local/models.js";
import { LocalVisionProvider } from "../../shared/vision/local/provider.js";
import { THEMES } from "../../shared/vision/local/themes.js";
import { createProviderSelector } from "../../shared/vision/select.js";
import { evaluateLocal, MODEL_DIR } from "../eval/local-eval.js";
import { startLocalService, type LocalService } from "../../functions/local/service.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const coffeeTheme = THEMES.find((theme) => theme.id === "coffee")!;

async function input(path: string) {
  const image = await openImage(await readFile(path), { maxPixels: 1e8 });
  return { jpeg: await resizedJpeg(image, 512), image, prompt: "unused by the local provider" };
}

describe("model loading", () => {
  it("the classifier fixture is where the tests expect it", () => {
    expect(existsSync(join(MODEL_DIR, "model.json"))).toBe(true);
  });

  it("loads once per directory; concurrent first callers share the load", async () => {
    const [a, b] = await Promise.all([localModels(MODEL_DIR), localModels(MODEL_DIR)]);
    expect(a).toBe(b);
    expect(a.classifier).toBeDefined();
  });

  it("names the setting and the directory when the model is missing", async () => {
    await expect(localModels("/nonexistent/model/dir")).rejects.toThrow(LocalModelError);
    await expect(localModels("/nonexistent/model/dir")).rejects.toThrow(/PHOTO_ANALYSIS_LOCAL_MODEL_DIR=\/nonexistent\/model\/dir: no model.json/);
    const provider = new LocalVisionProvider({ modelDir: "fixtures" });
    const error = await provider.analyze(await input("fixtures/photos/coffee-mug.jpg")).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AnalysisFailedError);
    expect((error as AnalysisFailedError).detail).toMatch(/Local vision model unavailable/);
  });
});

describe("LocalVisionProvider on real photos", () => {
  const provider = new LocalVisionProvider({ modelDir: MODEL_DIR });

  it("names a coffee photo with coffee rooms and reports what it saw", async () => {
    const result = await provider.analyze(await input("fixtures/photos/coffee-mug.jpg"));
    expect(result.model).toBe("local:mobilenet_v1+centernet");
    expect(result.tokenUsage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
    expect(result.labels[0]!.label).toBe("espresso");
    expect(result.labels.length).toBeLessThanOrEqual(5);
    expect(result.suggestions).toHaveLength(10);
    const themed = result.suggestions.filter((s) => coffeeTheme.names.includes(s.name));
    expect(themed.length).toBeGreaterThanOrEqual(3);
    expect(result.suggestions.every((s) => /espresso|coffee|cup|brew|latte|bean|cafe|roast|mug|crema/i.test(`${s.name} ${s.description}`))).toBe(true);
  });

  it("works with the detector alone (no classifier directory) and is deterministic", async () => {
    const detectorOnly = new LocalVisionProvider({});
    const photo = await input("fixtures/photos/coffee-mug.jpg");
    const first = await detectorOnly.analyze(photo);
    expect(first.model).toBe("local:centernet");
    expect(first.labels[0]!.label).toBe("coffee cup");
    expect(first.suggestions.filter((s) => coffeeTheme.names.includes(s.name)).length).toBeGreaterThanOrEqual(3);
    expect((await detectorOnly.analyze(photo)).suggestions).toEqual(first.suggestions);
  });

  it("sees the person in a portrait", async () => {
    const result = await provider.analyze(await input("fixtures/photos/astronaut.jpg"));
    expect(result.labels[0]!.label).toBe("person");
    expect(result.suggestions.map((s) => s.name).join(" ")).not.toMatch(/Person/);
  });
});

describe("provider selection", () => {
  it("uses the local models when nothing is configured, OpenAI when a key is present, and what is asked for explicitly", async () => {
    const noKey = createProviderSelector({ secrets: async () => undefined });
    const withKey = createProviderSelector({ secrets: async (name) => (name === "OPENAI_API_KEY" ? "sk-x" : undefined) });
    expect((await noKey(parseSettings({}))).name).toBe("local");
    expect((await withKey(parseSettings({}))).name).toBe("openai");
    expect((await withKey(parseSettings({ PHOTO_ANALYSIS_VISION_PROVIDER: "local" }))).name).toBe("local");
    await expect(noKey(parseSettings({ PHOTO_ANALYSIS_VISION_PROVIDER: "openai" }))).rejects.toThrow(/OpenAI API not configured/);
  });
});

describe("npm start with nothing configured", () => {
  let service: LocalService;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "photo-analysis-zero-config-"));
    service = await startLocalService({ dataDir, persist: false, env: {} });
  });
  afterAll(async () => {
    await service.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("answers an upload with 201 and local suggestions", async () => {
    const form = new FormData();
    form.append("image", new Blob([await readFile("fixtures/photos/coffee-mug.jpg")]), "mug.jpg");
    const response = await fetch(`${service.url}/api/photo-analysis/upload/`, { method: "POST", body: form });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { analysis: { ai_vision_model: string; suggestions: unknown[]; labels: { label: string }[]; token_usage: { total_tokens: number } } };
    expect(body.analysis.ai_vision_model).toBe("local:centernet");
    expect(body.analysis.suggestions).toHaveLength(10);
    expect(body.analysis.labels[0]!.label).toBe("coffee cup");
    expect(body.analysis.token_usage.total_tokens).toBe(0);
  });
});

describe("evaluation on a subset of the dev photos (quality regression guard; `npm run eval` runs all 250)", () => {
  it("keeps label accuracy and suggestion relevance up", async () => {
    const result = await evaluateLocal({ limit: 25 });
    expect(result.photos).toBe(25);
    expect(result.top5Accuracy).toBeGreaterThanOrEqual(0.88);
    expect(result.meanRelevance).toBeGreaterThanOrEqual(0.6);
  });
});
