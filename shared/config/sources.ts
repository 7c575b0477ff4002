import { readFile } from "node:fs/promises";
import { Refreshing } from "./refreshing.js";
import { parseSettings, type Settings } from "./settings.js";

/** A place settings come from: returns raw string values keyed by setting name. */
export interface ConfigSource {
  readonly description: string;
  load(): Promise<Record<string, string | undefined>>;
}

/** Environment variables (`PHOTO_ANALYSIS_*`). */
export class EnvConfigSource implements ConfigSource {
  readonly description = "environment";
  constructor(private readonly env: NodeJS.ProcessEnv) {}
  async load() {
    return { ...this.env };
  }
}

/** A JSON file of `{ "PHOTO_ANALYSIS_X": value }`; a missing file is an empty source. */
export class JsonFileConfigSource implements ConfigSource {
  constructor(private readonly path: string) {}
  get description() {
    return `file ${this.path}`;
  }
  async load() {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw error;
    }
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new Error(`${this.path}: expected a JSON object of settings`);
    }
    return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, String(value)]));
  }
}

/** Later sources override earlier ones. */
export class LayeredConfigSource implements ConfigSource {
  constructor(private readonly layers: ConfigSource[]) {}
  get description() {
    return this.layers.map((layer) => layer.description).join(" < ");
  }
  async load() {
    const merged: Record<string, string | undefined> = {};
    for (const layer of this.layers) {
      for (const [key, value] of Object.entries(await layer.load())) {
        if (value !== undefined && value !== "") merged[key] = value;
      }
    }
    return merged;
  }
}

/**
 * Settings read through a source and cached for `ttlMs`, so a change in SSM takes effect
 * within a minute without a deploy. Concurrent callers share one refresh; if a refresh fails
 * after a good load, the last good settings keep serving (and the error is reported once).
 */
export class LiveSettings {
  private readonly cache: Refreshing<Settings>;

  constructor(
    source: ConfigSource,
    ttlMs = 60_000,
    now: () => number = Date.now,
    onRefreshError: (error: unknown) => void = (error) => console.error("config refresh failed", error),
  ) {
    this.cache = new Refreshing(async () => parseSettings(await source.load()), { ttlMs, now, onRefreshError });
  }

  get(): Promise<Settings> {
    return this.cache.get();
  }
}
