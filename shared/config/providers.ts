/** A live setting's name (shared/config/settings.ts; a test checks that each one named here exists). */
type SettingName = `PHOTO_ANALYSIS_${string}`;

/**
 * What the service knows about each vision provider, apart from building it (shared/vision/select.ts's
 * PROVIDER_FACTORIES, which imports the providers' modules and SDKs: this table stays light, so the
 * settings, pricing and health of every function can read it). Settings validation, selection,
 * readiness (health), the price table and the README's providers table are all derived from it.
 * Adding a provider: its module, a row here, a factory in shared/vision/select.ts (the compiler asks for it), its
 * model setting in settings.ts, and the docs row a test asks for.
 */
export interface ProviderFacts {
  /** Says what it is, in the providers table of the docs. */
  summary: string;
  /** What is missing, in "<label> not configured: set <name>" (a 503). */
  label: string;
  /** Its API key's standard SDK names, tried in order; it cannot work without one. */
  secrets?: readonly string[];
  /** A key it sends when present (servers that may want one). */
  optionalSecret?: string;
  /** Its SDK's standard base-URL variables, tried in order (proxies, gateways, tests). */
  baseUrlVariables?: readonly string[];
  /** A live setting it cannot work without. */
  requiredSetting?: SettingName;
  /** The live setting that picks its model (or model files). */
  modelSetting?: SettingName;
  /** USD per million [input, output] tokens by model-name prefix: the providers' published list prices. */
  prices: Readonly<Record<string, readonly [number, number]>>;
  /** Calls that fail retryably are retried (network providers); the local models are not. */
  retried: boolean;
}

/** In the order `PHOTO_ANALYSIS_VISION_PROVIDER` lists them. */
export const PROVIDERS = {
  openai: {
    summary: "GPT-4o family, strict structured output (`json_schema`)",
    label: "OpenAI API",
    secrets: ["OPENAI_API_KEY"],
    baseUrlVariables: ["OPENAI_BASE_URL"],
    modelSetting: "PHOTO_ANALYSIS_OPENAI_MODEL",
    prices: { "gpt-4o": [2.5, 10], "gpt-4o-mini": [0.15, 0.6], "gpt-4.1": [2, 8], "gpt-4.1-mini": [0.4, 1.6] },
    retried: true,
  },
  anthropic: {
    summary: "Claude vision, answer forced through a tool whose input schema is the suggestions schema",
    label: "Anthropic API",
    secrets: ["ANTHROPIC_API_KEY"],
    baseUrlVariables: ["ANTHROPIC_BASE_URL"],
    modelSetting: "PHOTO_ANALYSIS_ANTHROPIC_MODEL",
    prices: { "claude-haiku-4-5": [1, 5], "claude-sonnet-4-5": [3, 15] },
    retried: true,
  },
  gemini: {
    summary: "Gemini with a JSON response schema",
    label: "Gemini API",
    secrets: ["GEMINI_API_KEY", "GOOGLE_API_KEY"],
    baseUrlVariables: ["GEMINI_BASE_URL", "GOOGLE_GEMINI_BASE_URL"],
    modelSetting: "PHOTO_ANALYSIS_GEMINI_MODEL",
    prices: { "gemini-2.5-flash": [0.3, 2.5], "gemini-2.5-flash-lite": [0.1, 0.4] },
    retried: true,
  },
  compatible: {
    summary: "any OpenAI-compatible server: Ollama, vLLM, LM Studio, llama.cpp (JSON mode)",
    label: "OpenAI-compatible server",
    optionalSecret: "OPENAI_COMPATIBLE_API_KEY",
    requiredSetting: "PHOTO_ANALYSIS_COMPATIBLE_BASE_URL",
    modelSetting: "PHOTO_ANALYSIS_COMPATIBLE_MODEL",
    prices: {},
    retried: true,
  },
  local: {
    summary: "no key, no network (below)",
    label: "Local models",
    modelSetting: "PHOTO_ANALYSIS_LOCAL_MODEL_DIR",
    prices: { "local:": [0, 0] },
    retried: false,
  },
} as const satisfies Record<string, ProviderFacts>;

export type ProviderId = keyof typeof PROVIDERS;
export const PROVIDER_IDS = Object.keys(PROVIDERS) as ProviderId[];

/** The facts of one provider, widened to the interface (optional fields readable on every row). */
export function providerFacts(id: ProviderId): ProviderFacts {
  return PROVIDERS[id];
}

/** `auto` is this provider when its key is present, else the local models. */
export const AUTO_PROVIDER: ProviderId = "openai";

/** Each provider's base URL from its SDK's standard variables (unset: the SDK's own default). */
export function providerBaseUrlsFrom(env: NodeJS.ProcessEnv): Partial<Record<ProviderId, string>> {
  const urls: Partial<Record<ProviderId, string>> = {};
  for (const id of PROVIDER_IDS) {
    const url = providerFacts(id)
      .baseUrlVariables?.map((name) => env[name])
      .find(Boolean);
    if (url) urls[id] = url;
  }
  return urls;
}
