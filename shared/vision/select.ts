import { isEnglish } from "../domain/prompt.js";
import type { Settings } from "../config/settings.js";
import { AnalysisFailedError, VisionNotConfiguredError } from "../domain/errors.js";
import type { LocalInference } from "./local/inference.js";
import type { VisionInput, VisionProvider, VisionResult } from "./provider.js";
import { type ProviderId, providerFacts } from "../config/providers.js";
import { missingRequirement, primaryProviderName } from "./readiness.js";
import { withRetries } from "./retry.js";

/** Reads a secret (API key) by its SDK's standard name, e.g. OPENAI_API_KEY. */
type SecretReader = (name: string) => Promise<string | undefined>;

export interface ProviderEnvironment {
  secrets: SecretReader;
  /** Base URLs from the SDKs' standard variables (providerBaseUrlsFrom), for proxies, gateways and tests. */
  baseUrls?: Partial<Record<ProviderId, string>>;
  /** NODE_PATH entries: a runtime layer there may carry the local provider's classifier. */
  modulePaths?: readonly string[];
  /** The local models' inference threads (none: on the calling thread). */
  localPool?: LocalInference;
}

/** What a factory gets: the settings, the provider's key (when it has one), its base URL, the call timeout. */
interface FactoryInput {
  settings: Settings;
  apiKey?: string;
  baseUrl?: string;
  timeoutMs: number;
  environment: ProviderEnvironment;
}

/**
 * How each provider of the registry (shared/config/providers.ts) is built: `options` (plain data: providers are
 * cached by it) and `create`, which imports the provider's module (and its SDK) on first use, so a
 * cold start pays only for the provider in use. Requirements (keys, settings) are checked before.
 */
type ProviderFactory = (input: FactoryInput) => { options: object; create: () => Promise<VisionProvider> };

const PROVIDER_FACTORIES: Record<ProviderId, ProviderFactory> = {
  openai: ({ settings, apiKey, baseUrl, timeoutMs }) => {
    const options = {
      apiKey,
      model: settings.PHOTO_ANALYSIS_OPENAI_MODEL,
      baseURL: baseUrl,
      timeoutMs,
      imageDetail: settings.PHOTO_ANALYSIS_OPENAI_IMAGE_DETAIL,
    };
    return { options, create: async () => new (await import("./openai-provider.js")).OpenAIVisionProvider(options) };
  },
  anthropic: ({ settings, apiKey = "", baseUrl, timeoutMs }) => {
    const options = { apiKey, model: settings.PHOTO_ANALYSIS_ANTHROPIC_MODEL, baseURL: baseUrl, timeoutMs };
    return { options, create: async () => new (await import("./anthropic-provider.js")).AnthropicVisionProvider(options) };
  },
  gemini: ({ settings, apiKey = "", baseUrl, timeoutMs }) => {
    const options = { apiKey, model: settings.PHOTO_ANALYSIS_GEMINI_MODEL, baseUrl, timeoutMs };
    return { options, create: async () => new (await import("./gemini-provider.js")).GeminiVisionProvider(options) };
  },
  compatible: ({ settings, apiKey, timeoutMs }) => {
    const options = {
      name: "compatible",
      apiKey,
      model: settings.PHOTO_ANALYSIS_COMPATIBLE_MODEL,
      baseURL: settings.PHOTO_ANALYSIS_COMPATIBLE_BASE_URL,
      timeoutMs,
      imageDetail: settings.PHOTO_ANALYSIS_OPENAI_IMAGE_DETAIL,
      // JSON mode is what compatible servers broadly support; the reply is validated either way.
      responseFormat: "json_object" as const,
    };
    return { options, create: async () => new (await import("./openai-provider.js")).OpenAIVisionProvider(options) };
  },
  local: ({ settings, environment }) => {
    const modelDir = settings.PHOTO_ANALYSIS_LOCAL_MODEL_DIR;
    return {
      options: { modelDir },
      create: async () =>
        new (await import("./local/provider.js")).LocalVisionProvider({ modelDir, modulePaths: environment.modulePaths, pool: environment.localPool }),
    };
  },
};

/** Retries the provider's retryable failures with jittered backoff (the one retry policy for every cloud provider). */
class RetryingProvider implements VisionProvider {
  constructor(
    private readonly inner: VisionProvider,
    private readonly maxRetries: number,
  ) {}
  get name() {
    return this.inner.name;
  }
  analyze(input: VisionInput): Promise<VisionResult> {
    return withRetries(() => this.inner.analyze(input), { maxRetries: this.maxRetries });
  }
  warmUp() {
    return this.inner.warmUp?.() ?? Promise.resolve();
  }
}

/** Tries each provider in order; the first success answers. All failing is the first provider's failure. */
export class FallbackVisionProvider implements VisionProvider {
  constructor(private readonly chain: VisionProvider[]) {}
  get name() {
    return this.chain.map((provider) => provider.name).join(">");
  }
  get englishOnly() {
    return this.chain.every((provider) => provider.englishOnly);
  }
  async analyze(input: VisionInput): Promise<VisionResult> {
    const failures: AnalysisFailedError[] = [];
    // A fallback that writes English only cannot answer a request for another language.
    const able = this.chain.filter((provider) => !provider.englishOnly || !input.language || isEnglish(input.language));
    for (const provider of able) {
      try {
        const result = await provider.analyze(input);
        if (failures.length) console.warn(`vision: ${provider.name} answered after ${failures.map((f) => f.detail).join("; ")}`);
        return result;
      } catch (error) {
        if (!(error instanceof AnalysisFailedError)) throw error;
        failures.push(error);
      }
    }
    const first = failures[0]!;
    throw new AnalysisFailedError(
      failures.length > 1
        ? `${first.detail} (fallbacks failed too: ${failures
            .slice(1)
            .map((f) => f.detail)
            .join("; ")})`
        : first.detail,
      // Billed if any provider in the chain answered.
      { cause: first, billed: failures.some((failure) => failure.billed) },
    );
  }
  warmUp() {
    return Promise.all(this.chain.map((provider) => provider.warmUp?.())).then(() => undefined);
  }
}

/**
 * Picks the vision providers the settings ask for. `auto` means OpenAI when a key is present and
 * the local models otherwise (no key, no network); an explicitly chosen provider without its key is
 * a configuration error (503), never a silent switch. Fallbacks without keys are skipped. Providers
 * are cached by their options, so a client is built once per process unless live settings change.
 * Each provider's module (and its SDK) is imported when that provider is first selected, not at
 * start: a cold start pays only for the provider in use.
 */
export function createProviderSelector(environment: ProviderEnvironment) {
  const cache = new Map<string, Promise<VisionProvider>>();
  const cached = (key: string, make: () => Promise<VisionProvider>) => {
    let provider = cache.get(key);
    if (!provider) {
      provider = make();
      // A failed import or construction is not cached: the next request tries again.
      provider.catch(() => cache.delete(key));
      cache.set(key, provider);
    }
    return provider;
  };

  async function build(name: ProviderId, settings: Settings): Promise<VisionProvider> {
    const facts = providerFacts(name);
    const missing = await missingRequirement(name, settings, async (secret) => Boolean(await environment.secrets(secret)));
    if (missing) throw new VisionNotConfiguredError(`${facts.label} not configured: set ${missing}`);
    const keyNames = facts.secrets ?? (facts.optionalSecret ? [facts.optionalSecret] : []);
    let apiKey: string | undefined;
    for (const secret of keyNames) apiKey ||= await environment.secrets(secret);
    const timeoutMs = settings.PHOTO_ANALYSIS_VISION_TIMEOUT_SECONDS * 1000;
    const retries = facts.retried ? settings.PHOTO_ANALYSIS_VISION_MAX_RETRIES : undefined;
    const { options, create } = PROVIDER_FACTORIES[name]({ settings, apiKey, baseUrl: environment.baseUrls?.[name], timeoutMs, environment });
    return cached(JSON.stringify({ name, options, retries }), async () => (retries === undefined ? create() : new RetryingProvider(await create(), retries)));
  }

  /** Closes every provider built so far (a stopping server's worker threads). */
  const dispose = async () => {
    const built = await Promise.all([...cache.values()].map((provider) => provider.catch(() => undefined)));
    cache.clear();
    await Promise.all(built.map((provider) => provider?.close?.()));
  };

  return Object.assign(
    async function visionProvider(settings: Settings): Promise<VisionProvider> {
      const primaryName = await primaryProviderName(settings, environment.secrets);
      const primary = await build(primaryName, settings);
      const fallbacks: VisionProvider[] = [];
      for (const name of settings.PHOTO_ANALYSIS_FALLBACK_PROVIDERS) {
        if (name === primaryName) continue;
        try {
          fallbacks.push(await build(name, settings));
        } catch (error) {
          if (!(error instanceof VisionNotConfiguredError)) throw error;
        }
      }
      // The wrapper holds no state: the (cached) providers inside it do.
      return fallbacks.length === 0 ? primary : new FallbackVisionProvider([primary, ...fallbacks]);
    },
    { dispose },
  );
}
