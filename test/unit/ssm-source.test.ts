import type { GetParametersByPathCommand } from "@aws-sdk/client-ssm";
import { describe, expect, it } from "vitest";
import { parseSettings } from "../../shared/config/settings.js";
import { LiveSettings } from "../../shared/config/sources.js";
import { SsmConfigSource } from "../../shared/config/ssm-source.js";

/** SSM cannot run here: a stand-in client answering GetParametersByPath as the API does (paged). */
function fakeSsm(parameters: Record<string, string>, pageSize = 2) {
  const calls: GetParametersByPathCommand["input"][] = [];
  return {
    calls,
    client: {
      send: async (command: GetParametersByPathCommand) => {
        calls.push(command.input);
        const names = Object.keys(parameters).sort();
        const start = Number(command.input.NextToken ?? 0);
        const page = names.slice(start, start + pageSize);
        return {
          Parameters: page.map((name) => ({ Name: name, Value: parameters[name] })),
          NextToken: start + pageSize < names.length ? String(start + pageSize) : undefined,
        };
      },
    },
  };
}

describe("SSM settings source", () => {
  it("reads every parameter under the stage prefix, across pages, decrypted, named after the setting", async () => {
    const ssm = fakeSsm({
      "/photo-analysis/prod/PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS": "9",
      "/photo-analysis/prod/PHOTO_ANALYSIS_OPENAI_MODEL": "gpt-4o-mini",
      "/photo-analysis/prod/PHOTO_ANALYSIS_ENABLE_RATE_LIMITING": "false",
    });
    const source = new SsmConfigSource(ssm.client as never, "/photo-analysis/prod/");
    const settings = parseSettings(await source.load());
    expect(settings.PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS).toBe(9);
    expect(settings.PHOTO_ANALYSIS_OPENAI_MODEL).toBe("gpt-4o-mini");
    expect(settings.PHOTO_ANALYSIS_ENABLE_RATE_LIMITING).toBe(false);
    expect(ssm.calls).toHaveLength(2);
    expect(ssm.calls[0]).toMatchObject({ Path: "/photo-analysis/prod", WithDecryption: true, Recursive: false });
  });

  it("a changed parameter takes effect once the minute-long cache expires, without a restart", async () => {
    const values = { "/p/PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS": "5" };
    const ssm = fakeSsm(values);
    let now = 0;
    const live = new LiveSettings(new SsmConfigSource(ssm.client as never, "/p"), 60_000, () => now);
    expect((await live.get()).PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS).toBe(5);
    values["/p/PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS"] = "50";
    now = 30_000;
    expect((await live.get()).PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS).toBe(5);
    now = 60_001;
    expect((await live.get()).PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS).toBe(50);
  });
});
