import { describe, expect, it } from "vitest";
import { defaultSettingStrings, InvalidSettingsError, parseSettings } from "../../shared/config/settings.js";
import { EnvConfigSource, LayeredConfigSource, LiveSettings, type ConfigSource } from "../../shared/config/sources.js";
import { runtimeEnvironmentFrom } from "../../shared/runtime/environment.js";

describe("settings", () => {
  it("has the seed's defaults", () => {
    const settings = parseSettings({});
    expect(settings.PHOTO_ANALYSIS_OPENAI_MODEL).toBe("gpt-4o");
    expect(settings.PHOTO_ANALYSIS_RATE_LIMIT_AUTHENTICATED).toBe(20);
    expect(settings.PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS).toBe(5);
    expect(settings.PHOTO_ANALYSIS_ENABLE_RATE_LIMITING).toBe(true);
    expect(settings.PHOTO_ANALYSIS_MAX_FILE_SIZE_MB).toBe(10);
    expect(settings.PHOTO_ANALYSIS_IMAGE_TTL_HOURS).toBe(168);
    expect(settings.PHOTO_ANALYSIS_USE_S3).toBe(true);
    expect(settings.PHOTO_ANALYSIS_PROMPT.length).toBeGreaterThan(50);
    expect(defaultSettingStrings().PHOTO_ANALYSIS_IMAGE_TTL_HOURS).toBe("168");
  });

  it("coerces strings, including Python-style booleans", () => {
    const settings = parseSettings({ PHOTO_ANALYSIS_ENABLE_RATE_LIMITING: "False", PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "7", PHOTO_ANALYSIS_USE_S3: "0" });
    expect(settings.PHOTO_ANALYSIS_ENABLE_RATE_LIMITING).toBe(false);
    expect(settings.PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS).toBe(7);
    expect(settings.PHOTO_ANALYSIS_USE_S3).toBe(false);
  });

  it("names every invalid value", () => {
    expect(() => parseSettings({ PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "lots", PHOTO_ANALYSIS_USE_S3: "maybe" })).toThrow(InvalidSettingsError);
    try {
      parseSettings({ PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "lots", PHOTO_ANALYSIS_USE_S3: "maybe" });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toMatch(/PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS/);
      expect(message).toMatch(/PHOTO_ANALYSIS_USE_S3/);
    }
  });

  it("layers sources, later ones winning", async () => {
    const file: ConfigSource = { description: "file", load: async () => ({ PHOTO_ANALYSIS_OPENAI_MODEL: "from-file", PHOTO_ANALYSIS_IMAGE_TTL_HOURS: "24" }) };
    const env = new EnvConfigSource({ PHOTO_ANALYSIS_OPENAI_MODEL: "from-env" });
    const merged = parseSettings(await new LayeredConfigSource([file, env]).load());
    expect(merged.PHOTO_ANALYSIS_OPENAI_MODEL).toBe("from-env");
    expect(merged.PHOTO_ANALYSIS_IMAGE_TTL_HOURS).toBe(24);
  });
});

describe("LiveSettings", () => {
  it("caches for the TTL, then picks up changes; keeps the last good settings if a refresh fails", async () => {
    let now = 0;
    let value: string | Error = "9";
    let loads = 0;
    const source: ConfigSource = {
      description: "test",
      load: async () => {
        loads++;
        if (value instanceof Error) throw value;
        return { PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: value };
      },
    };
    const errors: unknown[] = [];
    const live = new LiveSettings(
      source,
      60_000,
      () => now,
      (error) => errors.push(error),
    );
    const [a, b] = await Promise.all([live.get(), live.get()]);
    expect(a.PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS).toBe(9);
    expect(b).toBe(a);
    expect(loads).toBe(1);
    value = "3";
    now = 59_000;
    expect((await live.get()).PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS).toBe(9);
    now = 61_000;
    expect((await live.get()).PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS).toBe(3);
    value = new Error("SSM unavailable");
    now = 130_000;
    expect((await live.get()).PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS).toBe(3);
    expect(errors).toHaveLength(1);
  });

  it("fails loudly when the very first load is invalid", async () => {
    const live = new LiveSettings({ description: "bad", load: async () => ({ PHOTO_ANALYSIS_MAX_FILE_SIZE_MB: "-1" }) });
    await expect(live.get()).rejects.toThrow(/PHOTO_ANALYSIS_MAX_FILE_SIZE_MB/);
  });
});

describe("the deployment's thread counts", () => {
  it("reads PHOTO_ANALYSIS_LOCAL_WORKERS and PHOTO_ANALYSIS_DECODE_WORKERS as whole numbers of 0 or more, unset when not given", () => {
    const threads = (env: Record<string, string>) => {
      const { localWorkers, decodeWorkers } = runtimeEnvironmentFrom({ PHOTO_ANALYSIS_TABLE: "t", ...env });
      return [localWorkers, decodeWorkers];
    };
    expect(threads({})).toEqual([undefined, undefined]);
    expect(threads({ PHOTO_ANALYSIS_LOCAL_WORKERS: "", PHOTO_ANALYSIS_DECODE_WORKERS: "" })).toEqual([undefined, undefined]);
    expect(threads({ PHOTO_ANALYSIS_LOCAL_WORKERS: "3", PHOTO_ANALYSIS_DECODE_WORKERS: "0" })).toEqual([3, 0]);
    expect(threads({ PHOTO_ANALYSIS_LOCAL_WORKERS: "2.7", PHOTO_ANALYSIS_DECODE_WORKERS: "-4" })).toEqual([2, 0]);
    expect(threads({ PHOTO_ANALYSIS_LOCAL_WORKERS: "many" })).toEqual([0, undefined]);
  });
});
