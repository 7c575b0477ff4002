import type { Settings } from "../config/settings.js";
import type { LocalModeration } from "./local-moderator.js";
import type { Moderator } from "./moderation.js";

export interface ModerationEnvironment {
  secrets(name: string): Promise<string | undefined>;
  openaiBaseUrl?: string;
  /** Running in AWS (the stack's functions): `auto` means Rekognition there. */
  inAws: boolean;
  region: string;
  /** The local models' inference threads, shared with the local vision provider (none: on the calling thread). */
  localPool?: LocalModeration;
}

export type ModeratorSelector = ((settings: Settings) => Promise<Moderator>) & {
  /** Who screens generated names: OpenAI's moderation whenever an OpenAI key is configured (whatever moderates photos). */
  texts(settings: Settings): Promise<Moderator | undefined>;
  dispose(): Promise<void>;
};

/**
 * Picks the moderator the settings ask for. `auto`: Rekognition in AWS; OpenAI's moderation when
 * OpenAI analyses the photos (its key is there and the vision provider is OpenAI or auto); the local
 * model otherwise (no key, no network). Each is built once, its SDK imported only when chosen.
 */
export function createModeratorSelector(environment: ModerationEnvironment): ModeratorSelector {
  const cache = new Map<string, Promise<Moderator>>();
  const cached = (key: string, make: () => Promise<Moderator>) => {
    let moderator = cache.get(key);
    if (!moderator) {
      moderator = make();
      moderator.catch(() => cache.delete(key));
      cache.set(key, moderator);
    }
    return moderator;
  };
  const openaiKey = () => environment.secrets("OPENAI_API_KEY");
  const openai = async (settings: Settings): Promise<Moderator | undefined> => {
    const apiKey = await openaiKey();
    if (!apiKey) return undefined;
    const timeoutMs = settings.PHOTO_ANALYSIS_VISION_TIMEOUT_SECONDS * 1000;
    return cached(
      `openai:${environment.openaiBaseUrl ?? ""}:${timeoutMs}`,
      async () => new (await import("./openai-moderator.js")).OpenAIModerator({ apiKey, baseURL: environment.openaiBaseUrl, timeoutMs }),
    );
  };
  const select = async (settings: Settings): Promise<Moderator> => {
    let name = settings.PHOTO_ANALYSIS_MODERATION_PROVIDER;
    if (name === "auto") {
      const openaiAnalyzes = ["openai", "auto"].includes(settings.PHOTO_ANALYSIS_VISION_PROVIDER) && Boolean(await openaiKey());
      name = environment.inAws ? "rekognition" : openaiAnalyzes ? "openai" : "local";
    }
    switch (name) {
      case "rekognition":
        return cached("rekognition", async () => {
          // The module (bundled) requires the SDK (from the Lambda runtime, through NODE_PATH) when first loaded.
          return (await import("./rekognition-moderator.js")).rekognitionModerator(environment.region);
        });
      case "openai": {
        const moderator = await openai(settings);
        if (!moderator) throw new Error("PHOTO_ANALYSIS_MODERATION_PROVIDER=openai needs OPENAI_API_KEY");
        return moderator;
      }
      default:
        return cached("local", async () => new (await import("./local-moderator.js")).LocalModerator({ pool: environment.localPool }));
    }
  };
  const dispose = async () => {
    const built = await Promise.all([...cache.values()].map((moderator) => moderator.catch(() => undefined)));
    cache.clear();
    await Promise.all(built.map((moderator) => moderator?.close?.()));
  };
  return Object.assign(select, { dispose, texts: openai });
}
