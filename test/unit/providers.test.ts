import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defaultSettingStrings, parseSettings, SETTING_NAMES, VISION_PROVIDERS } from "../../shared/config/settings.js";
import { DEFAULT_MODEL_PRICES } from "../../shared/vision/pricing.js";
import { PROVIDER_IDS, PROVIDERS, providerBaseUrlsFrom, providerFacts } from "../../shared/config/providers.js";
import { visionReadiness } from "../../shared/vision/readiness.js";

/** The providers table of the docs, as the registry says it should read. */
function providersTable(): string {
  const defaults: Record<string, string> = defaultSettingStrings();
  const code = (text: string) => `\`${text}\``;
  const withDefault = (name: string) => (defaults[name] && defaults[name] !== "undefined" ? `${code(name)} (${code(defaults[name])})` : code(name));
  const setting = (name?: string) => (name ? [withDefault(name)] : []);
  const rows = PROVIDER_IDS.map((id) => {
    const facts = providerFacts(id);
    const baseUrl = facts.baseUrlVariables?.[0];
    const key = facts.secrets
      ? `${code(facts.secrets[0] ?? "")}${baseUrl ? ` (${code(baseUrl)})` : ""}`
      : facts.optionalSecret
        ? `optional ${code(facts.optionalSecret)}`
        : "";
    const cells = [code(id), facts.summary, key, [...setting(facts.requiredSetting), ...setting(facts.modelSetting)].join(", ")];
    return `|${cells.map((cell) => (cell ? ` ${cell} ` : " ")).join("|")}|`;
  });
  return [
    "| `PHOTO_ANALYSIS_VISION_PROVIDER` | what | key (standard SDK variable) | model setting (default) |",
    "| --- | --- | --- | --- |",
    "| `auto` (default) | OpenAI when `OPENAI_API_KEY` is set, else `local` | | |",
    ...rows,
  ].join("\n");
}

describe("the provider registry (shared/config/providers.ts)", () => {
  it("names only settings that exist", () => {
    for (const id of PROVIDER_IDS) {
      const facts = providerFacts(id);
      for (const name of [facts.requiredSetting, facts.modelSetting].filter(Boolean)) expect(SETTING_NAMES, `${id}: ${name}`).toContain(name);
    }
  });

  it("is what the settings accept, as the choice and as fallbacks", () => {
    expect(VISION_PROVIDERS).toEqual(["auto", ...Object.keys(PROVIDERS)]);
    for (const id of PROVIDER_IDS)
      expect(parseSettings({ PHOTO_ANALYSIS_VISION_PROVIDER: id, PHOTO_ANALYSIS_FALLBACK_PROVIDERS: id }).PHOTO_ANALYSIS_FALLBACK_PROVIDERS).toEqual([id]);
    expect(() => parseSettings({ PHOTO_ANALYSIS_FALLBACK_PROVIDERS: "openai,nope" })).toThrow(`unknown provider "nope" (use ${PROVIDER_IDS.join(", ")})`);
  });

  it("prices every provider's models, and only theirs", () => {
    expect(DEFAULT_MODEL_PRICES).toEqual(Object.assign({}, ...PROVIDER_IDS.map((id) => providerFacts(id).prices)));
    expect(Object.keys(DEFAULT_MODEL_PRICES)).toEqual(expect.arrayContaining(["gpt-4o", "claude-haiku-4-5", "gemini-2.5-flash", "local:"]));
  });

  it("reads base URLs from the SDKs' standard variables, the first set one winning", () => {
    expect(providerBaseUrlsFrom({ OPENAI_BASE_URL: "http://o", GOOGLE_GEMINI_BASE_URL: "http://g2", ANTHROPIC_BASE_URL: "" })).toEqual({
      openai: "http://o",
      gemini: "http://g2",
    });
    expect(providerBaseUrlsFrom({ GEMINI_BASE_URL: "http://g1", GOOGLE_GEMINI_BASE_URL: "http://g2" })).toEqual({ gemini: "http://g1" });
  });

  it("tells health what each provider lacks: its key, or its required setting", async () => {
    const none = async () => false;
    for (const id of PROVIDER_IDS) {
      const facts = providerFacts(id);
      const readiness = await visionReadiness(parseSettings({ PHOTO_ANALYSIS_VISION_PROVIDER: id }), none);
      const missing = facts.secrets?.[0] ?? facts.requiredSetting;
      expect(readiness, id).toEqual(missing ? { ready: false, description: `${id}: not configured (set ${missing})` } : { ready: true, description: id });
    }
    expect(await visionReadiness(parseSettings({ PHOTO_ANALYSIS_VISION_PROVIDER: "gemini" }), async (name) => name === "GOOGLE_API_KEY")).toEqual({
      ready: true,
      description: "gemini",
    });
    expect(await visionReadiness(parseSettings({}), async (name) => name === "OPENAI_API_KEY")).toEqual({ ready: true, description: "openai" });
    expect(await visionReadiness(parseSettings({}), none)).toEqual({ ready: true, description: "local" });
  });

  it("is the providers table of the docs", () => {
    const docs = [
      "README.md",
      ...readdirSync("docs")
        .filter((name) => name.endsWith(".md"))
        .map((name) => `docs/${name}`),
    ]
      .map((file) => readFileSync(file, "utf8"))
      .join("\n");
    expect(docs).toContain(providersTable());
  });
});
