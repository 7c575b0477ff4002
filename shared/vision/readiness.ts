import { isSettingName, type Settings } from "../config/settings.js";
import { AUTO_PROVIDER, type ProviderId, providerFacts } from "../config/providers.js";

/** `auto` is AUTO_PROVIDER when its key is present, else the local models: one rule for selection and health. */
export async function primaryProviderName(settings: Settings, secrets: (name: string) => Promise<string | undefined>): Promise<ProviderId> {
  const choice = settings.PHOTO_ANALYSIS_VISION_PROVIDER;
  if (choice !== "auto") return choice;
  const keys = providerFacts(AUTO_PROVIDER).secrets ?? [];
  for (const name of keys) if (await secrets(name)) return AUTO_PROVIDER;
  return "local";
}

/**
 * What a provider lacks to work, from its row in the registry (shared/config/providers.ts): its key or its
 * required setting. `has` answers whether a secret is present, never its value.
 */
export async function missingRequirement(id: ProviderId, settings: Settings, has: (secret: string) => Promise<boolean>): Promise<string | undefined> {
  const facts = providerFacts(id);
  if (facts.secrets?.length) {
    const present = await Promise.all(facts.secrets.map(has));
    if (!present.some(Boolean)) return facts.secrets[0];
  }
  const required = facts.requiredSetting;
  if (required && isSettingName(required) && !settings[required]) return required;
  return undefined;
}

/**
 * Whether the primary provider can work, without loading any provider SDK or model: its name, or
 * what is missing. Never reveals a secret's value.
 */
export async function visionReadiness(settings: Settings, hasSecret: (name: string) => Promise<boolean>): Promise<{ ready: boolean; description: string }> {
  const name = await primaryProviderName(settings, async (secret) => ((await hasSecret(secret)) ? "present" : undefined));
  const missing = await missingRequirement(name, settings, hasSecret);
  return missing ? { ready: false, description: `${name}: not configured (set ${missing})` } : { ready: true, description: name };
}
