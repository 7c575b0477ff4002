import type { ConcreteProviderName, Settings } from "../config/settings.js";

/** Which provider the settings pick, and the secret or setting it needs: one rule for selection and health. */
export const PROVIDER_REQUIREMENTS: Record<ConcreteProviderName, { secrets?: string[]; setting?: keyof Settings }> = {
  local: {},
  openai: { secrets: ["OPENAI_API_KEY"] },
  anthropic: { secrets: ["ANTHROPIC_API_KEY"] },
  gemini: { secrets: ["GEMINI_API_KEY", "GOOGLE_API_KEY"] },
  compatible: { setting: "PHOTO_ANALYSIS_COMPATIBLE_BASE_URL" },
};

/** `auto` is OpenAI when its key is present, else the local models. */
export async function primaryProviderName(settings: Settings, secrets: (name: string) => Promise<string | undefined>): Promise<ConcreteProviderName> {
  const choice = settings.PHOTO_ANALYSIS_VISION_PROVIDER;
  if (choice !== "auto") return choice;
  return (await secrets("OPENAI_API_KEY")) ? "openai" : "local";
}

/**
 * Whether the primary provider can work, without loading any provider SDK or model: its name, or
 * what is missing. Never reveals a secret's value.
 */
export async function visionReadiness(settings: Settings, hasSecret: (name: string) => Promise<boolean>): Promise<{ ready: boolean; description: string }> {
  const name = await primaryProviderName(settings, async (secret) => ((await hasSecret(secret)) ? "present" : undefined));
  const needs = PROVIDER_REQUIREMENTS[name];
  if (needs.secrets) {
    const present = await Promise.all(needs.secrets.map(hasSecret));
    if (!present.some(Boolean)) return { ready: false, description: `${name}: not configured (set ${needs.secrets[0]})` };
  }
  if (needs.setting && !settings[needs.setting]) return { ready: false, description: `${name}: not configured (set ${needs.setting})` };
  return { ready: true, description: name };
}
