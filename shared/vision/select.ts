import type { Settings } from "../config/settings.js";
import { VisionNotConfiguredError } from "../domain/errors.js";
import { LocalVisionProvider } from "./local/provider.js";
import { OpenAIVisionProvider } from "./openai-provider.js";
import type { VisionProvider } from "./provider.js";

/** Reads a secret (API key) by its SDK's standard name, e.g. OPENAI_API_KEY. */
type SecretReader = (name: string) => Promise<string | undefined>;

export interface ProviderEnvironment {
  secrets: SecretReader;
  /** OpenAI-compatible base URL (OPENAI_BASE_URL), for proxies and local servers. */
  openaiBaseUrl?: string;
}

/**
 * Picks the vision provider the settings ask for. `auto` means OpenAI when a key is present and
 * the local models otherwise (no key, no network); an explicitly chosen cloud provider without
 * its key is a configuration error (503), never a silent fallback.
 * Providers are cached by their options, so a client is built once per process unless
 * the live settings change.
 */
export function createProviderSelector(environment: ProviderEnvironment) {
  const cache = new Map<string, VisionProvider>();
  return async function visionProvider(settings: Settings): Promise<VisionProvider> {
    const choice = settings.PHOTO_ANALYSIS_VISION_PROVIDER;
    const apiKey = choice === "local" ? undefined : await environment.secrets("OPENAI_API_KEY");
    if (choice === "local" || (choice === "auto" && !apiKey)) {
      const modelDir = settings.PHOTO_ANALYSIS_LOCAL_MODEL_DIR;
      const cacheKey = `local:${modelDir ?? ""}`;
      let local = cache.get(cacheKey);
      if (!local) {
        local = new LocalVisionProvider({ modelDir });
        cache.set(cacheKey, local);
      }
      return local;
    }
    if (!apiKey) {
      throw new VisionNotConfiguredError("OpenAI API not configured: set OPENAI_API_KEY");
    }
    const options = {
      apiKey,
      model: settings.PHOTO_ANALYSIS_OPENAI_MODEL,
      baseURL: environment.openaiBaseUrl,
      timeoutMs: settings.PHOTO_ANALYSIS_VISION_TIMEOUT_SECONDS * 1000,
      maxRetries: settings.PHOTO_ANALYSIS_VISION_MAX_RETRIES,
      imageDetail: settings.PHOTO_ANALYSIS_OPENAI_IMAGE_DETAIL,
    };
    const cacheKey = JSON.stringify(options);
    let provider = cache.get(cacheKey);
    if (!provider) {
      provider = new OpenAIVisionProvider(options);
      cache.set(cacheKey, provider);
    }
    return provider;
  };
}
