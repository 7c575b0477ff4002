import { execFile } from "node:child_process";
import { DescribeParametersCommand, GetParameterCommand, GetParametersByPathCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import type { CloudFormationCustomResourceEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSettingsSeederHandler } from "../../functions/settings-seeder/handler.js";
import { FakeCloudFormationResponses } from "../helpers/fake-aws-async.js";
import { defaultSettingStrings, SETTING_NAMES } from "../../shared/config/settings.js";
import { LiveSettings } from "../../shared/config/sources.js";
import { legacySettingParameter, secretParameter, secretsKeyAlias, settingParameter } from "../../shared/config/ssm-layout.js";
import { applyLayoutMove, planLayoutMove, seedSettings } from "../../shared/config/ssm-migration.js";
import { createConfigSource } from "../../shared/runtime/config-source.js";
import { createSecretPresence, createSecretReader } from "../../shared/runtime/secrets.js";
import { type Moto, motoAvailable, startMoto } from "../helpers/moto.js";

/**
 * The SSM parameter layout against moto_server (real SSM semantics: paths, paging at ten, SecureString
 * decryption, DescribeParameters filters, KeyId): the settings source and secret readers the functions
 * use, the settings seeder the stack runs at deploy, and `npm run ssm-layout` moving an old deployment.
 */
const available = motoAvailable("the SSM layout tests against moto_server");
let moto: Moto;
let ssm: SSMClient;
let prefixCount = 0;
/** A fresh stage prefix per test: one moto server, no state shared between tests. */
const freshPrefix = () => `/photo-analysis/t${++prefixCount}`;

beforeAll(async () => {
  if (!available) return;
  moto = await startMoto();
  // The functions' SSM clients take the SDK's standard variables: the endpoint, region and credentials.
  Object.assign(process.env, moto.env, { AWS_ENDPOINT_URL_SSM: moto.url });
  ssm = new SSMClient({});
}, 60_000);

afterAll(async () => {
  ssm?.destroy();
  await moto?.close();
});

const put = (name: string, value: string, options: { secure?: boolean; keyId?: string } = {}) =>
  ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: options.secure ? "SecureString" : "String", KeyId: options.keyId, Overwrite: true }));

describe.skipIf(!available)("settings and secrets in SSM (moto_server)", () => {
  it("reads every setting under settings/ across pages, decrypts SecureString settings, and never reads secrets or the old place", async () => {
    const prefix = freshPrefix();
    // Twelve settings (two pages of ten), one of them a SecureString.
    const values: Record<string, string> = {
      PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "9",
      PHOTO_ANALYSIS_RATE_LIMIT_AUTHENTICATED: "30",
      PHOTO_ANALYSIS_RATE_LIMIT_IP_MULTIPLIER: "3",
      PHOTO_ANALYSIS_MAX_FILE_SIZE_MB: "8",
      PHOTO_ANALYSIS_DIRECT_UPLOAD_MAX_MB: "3",
      PHOTO_ANALYSIS_UPLOAD_URL_EXPIRES_SECONDS: "300",
      PHOTO_ANALYSIS_STORED_MAX_EDGE: "1024",
      PHOTO_ANALYSIS_SIMILARITY_THRESHOLD: "2",
      PHOTO_ANALYSIS_IMAGE_TTL_HOURS: "24",
      PHOTO_ANALYSIS_VISION_TIMEOUT_SECONDS: "20",
      PHOTO_ANALYSIS_VISION_MAX_RETRIES: "1",
    };
    for (const [name, value] of Object.entries(values)) await put(settingParameter(prefix, name), value);
    await put(settingParameter(prefix, "PHOTO_ANALYSIS_OPENAI_MODEL"), "gpt-4o-mini", { secure: true });
    // The old place and the secrets are siblings, not children: never read as settings.
    await put(legacySettingParameter(prefix, "PHOTO_ANALYSIS_MAX_PIXELS"), "1000");
    await put(secretParameter(prefix, "OPENAI_API_KEY"), "sk-secret", { secure: true });
    const settings = await new LiveSettings(createConfigSource({ ssmPrefix: prefix, region: "eu-west-1" }, {})).get();
    for (const [name, value] of Object.entries(values)) expect(String(settings[name as keyof typeof settings]), name).toBe(value);
    expect(settings.PHOTO_ANALYSIS_OPENAI_MODEL).toBe("gpt-4o-mini");
    expect(settings.PHOTO_ANALYSIS_MAX_PIXELS).toBe(100_000_000);
    // moto pages GetParametersByPath at ten, as SSM does: the source followed NextToken.
    const firstPage = await ssm.send(new GetParametersByPathCommand({ Path: `${prefix}/settings` }));
    expect(firstPage.Parameters).toHaveLength(10);
    expect(firstPage.NextToken).toBeDefined();
  });

  it("reads an API key decrypted from secrets/, tells presence from names alone, and lets the environment win", async () => {
    const prefix = freshPrefix();
    await put(secretParameter(prefix, "OPENAI_API_KEY"), "sk-from-ssm", { secure: true, keyId: secretsKeyAlias(prefix) });
    const runtime = { ssmPrefix: prefix, region: "eu-west-1" };
    const secrets = createSecretReader(runtime, {});
    expect(await secrets("OPENAI_API_KEY")).toBe("sk-from-ssm");
    expect(await secrets("ANTHROPIC_API_KEY")).toBeUndefined();
    expect(await createSecretReader(runtime, { OPENAI_API_KEY: "sk-env" })("OPENAI_API_KEY")).toBe("sk-env");
    const present = createSecretPresence(runtime, {});
    expect(await present("OPENAI_API_KEY")).toBe(true);
    expect(await present("GEMINI_API_KEY")).toBe(false);
    // The value is stored encrypted: without decryption SSM answers ciphertext, which presence never asks for.
    const stored = await ssm.send(new GetParameterCommand({ Name: secretParameter(prefix, "OPENAI_API_KEY"), WithDecryption: false }));
    expect(stored.Parameter?.Value).not.toBe("sk-from-ssm");
  });
});

/** The defaults the stack hands the seeder: optional settings without one are left out. */
const defaults = Object.fromEntries(Object.entries(defaultSettingStrings()).filter(([, value]) => value !== "undefined" && value !== ""));

describe.skipIf(!available)("settings seeder (the stack's custom resource) against moto_server", () => {
  const names = SETTING_NAMES;

  it("creates every setting with its default on a new stage, and creates nothing twice", async () => {
    const prefix = freshPrefix();
    const first = await seedSettings(ssm, { prefix, names, defaults });
    expect(first.created.map((entry) => entry.name).sort()).toEqual(Object.keys(defaults).sort());
    expect(first.created.every((entry) => entry.from === "default")).toBe(true);
    const settings = await new LiveSettings(createConfigSource({ ssmPrefix: prefix, region: "eu-west-1" }, {})).get();
    expect(settings.PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS).toBe(5);
    expect(await seedSettings(ssm, { prefix, names, defaults })).toEqual({ created: [], updated: [] });
  });

  it("moves an old deployment's values from <prefix>/<NAME> (settings an operator set, and ones without a default), keeps operators' values on update, follows changed defaults", async () => {
    const prefix = freshPrefix();
    await put(legacySettingParameter(prefix, "PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS"), "12");
    await put(legacySettingParameter(prefix, "PHOTO_ANALYSIS_FALLBACK_PROVIDERS"), "anthropic");
    const seeded = await seedSettings(ssm, { prefix, names, defaults });
    expect(seeded.created).toEqual(
      expect.arrayContaining([
        { name: "PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS", from: "legacy" },
        { name: "PHOTO_ANALYSIS_FALLBACK_PROVIDERS", from: "legacy" },
      ]),
    );
    const settings = await new LiveSettings(createConfigSource({ ssmPrefix: prefix, region: "eu-west-1" }, {})).get();
    expect(settings.PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS).toBe(12);
    expect(settings.PHOTO_ANALYSIS_FALLBACK_PROVIDERS).toEqual(["anthropic"]);
    // A later release changes two defaults: the one still at the old default follows, the operator's stays.
    const next = { ...defaults, PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "6", PHOTO_ANALYSIS_STORED_MAX_EDGE: "1600" };
    const updated = await seedSettings(ssm, { prefix, names, defaults: next, previousDefaults: defaults });
    expect(updated).toEqual({ created: [], updated: ["PHOTO_ANALYSIS_STORED_MAX_EDGE"] });
    const after = await new LiveSettings(createConfigSource({ ssmPrefix: prefix, region: "eu-west-1" }, {})).get();
    expect(after.PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS).toBe(12);
    expect(after.PHOTO_ANALYSIS_STORED_MAX_EDGE).toBe(1600);
  });

  it("answers CloudFormation at the response URL: success with a physical id on create, settings removed on a dev stack's delete, a failure reported (never a hang)", async () => {
    const cloudFormation = await new FakeCloudFormationResponses().start();
    const responses = cloudFormation.responses;
    try {
      const url = cloudFormation.responseUrl;
      const prefix = freshPrefix();
      const base = {
        ServiceToken: "arn:aws:lambda:eu-west-1:000000000000:function:seeder",
        ResponseURL: url,
        StackId: "stack",
        RequestId: "r1",
        LogicalResourceId: "Settings",
        ResourceType: "Custom::PhotoAnalysisSettings",
      };
      const properties = { ServiceToken: base.ServiceToken, Prefix: prefix, Names: names, Defaults: defaults, RemoveOnDelete: "true" };
      const seeder = createSettingsSeederHandler(() => ssm);
      await seeder({ ...base, RequestType: "Create", ResourceProperties: properties } as CloudFormationCustomResourceEvent);
      expect(responses.at(-1)).toMatchObject({ Status: "SUCCESS", PhysicalResourceId: `${prefix}/settings`, RequestId: "r1", LogicalResourceId: "Settings" });
      expect((await ssm.send(new GetParameterCommand({ Name: settingParameter(prefix, "PHOTO_ANALYSIS_MODERATION") }))).Parameter?.Value).toBe("block");
      await seeder({
        ...base,
        RequestType: "Delete",
        PhysicalResourceId: `${prefix}/settings`,
        ResourceProperties: properties,
      } as CloudFormationCustomResourceEvent);
      expect(responses.at(-1)).toMatchObject({ Status: "SUCCESS" });
      expect((await ssm.send(new GetParametersByPathCommand({ Path: `${prefix}/settings` }))).Parameters).toEqual([]);
      // SSM refusing (here: a client that always fails) is a FAILED answer with the reason.
      const broken = createSettingsSeederHandler(() => ({
        send: async () => Promise.reject(Object.assign(new Error("denied"), { name: "AccessDeniedException" })),
      }));
      await broken({ ...base, RequestType: "Create", ResourceProperties: properties } as CloudFormationCustomResourceEvent);
      expect(responses.at(-1)).toMatchObject({ Status: "FAILED", Reason: "AccessDeniedException: denied" });
    } finally {
      await cloudFormation.close();
    }
  });
});

describe.skipIf(!available)("npm run ssm-layout: an old deployment moved to the current layout (moto_server)", () => {
  function runCommand(args: string[]): Promise<{ code: number; output: string }> {
    return new Promise((resolve) =>
      execFile(
        "npx",
        ["tsx", "bin/ssm-layout.ts", ...args],
        { env: { ...process.env, ...moto.env, AWS_ENDPOINT_URL_SSM: moto.url } },
        (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
      ),
    );
  }

  async function oldDeployment(prefix: string) {
    // What the previous release left: settings beside secrets/, API keys under the AWS-managed key.
    await put(legacySettingParameter(prefix, "PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS"), "7");
    await put(legacySettingParameter(prefix, "PHOTO_ANALYSIS_VISION_PROVIDER"), "openai");
    await put(legacySettingParameter(prefix, "PHOTO_ANALYSIS_MODERATION"), "flag");
    await put(secretParameter(prefix, "OPENAI_API_KEY"), "sk-old", { secure: true });
    // The seeder ran at deploy: settings/ holds the moved values, and one an operator has set since.
    await seedSettings(ssm, { prefix, names: SETTING_NAMES, defaults });
    await put(settingParameter(prefix, "PHOTO_ANALYSIS_MODERATION"), "off");
  }

  it("--dry-run prints the plan and changes nothing", async () => {
    const prefix = freshPrefix();
    await oldDeployment(prefix);
    const before = await planLayoutMove(ssm, { prefix, names: SETTING_NAMES, defaults: defaultSettingStrings() });
    const { code, output } = await runCommand(["--prefix", prefix, "--dry-run"]);
    expect(code, output).toBe(0);
    expect(output).toContain("DRY RUN");
    expect(output).toContain(`secret OPENAI_API_KEY: encrypted with alias/aws/ssm → put again with ${secretsKeyAlias(prefix)}`);
    expect(output).toContain('setting PHOTO_ANALYSIS_MODERATION: keeps "off" (set under settings/ since); the old "flag" is dropped');
    expect(output).toContain(`delete old ${legacySettingParameter(prefix, "PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS")}`);
    expect(await planLayoutMove(ssm, { prefix, names: SETTING_NAMES, defaults: defaultSettingStrings() })).toEqual(before);
  }, 60_000);

  it("moves settings, re-encrypts API keys under the stack's key and deletes the old parameters; a second run has nothing to do", async () => {
    const prefix = freshPrefix();
    await oldDeployment(prefix);
    const { code, output } = await runCommand(["--prefix", prefix]);
    expect(code, output).toBe(0);
    const settings = await new LiveSettings(createConfigSource({ ssmPrefix: prefix, region: "eu-west-1" }, {})).get();
    expect(settings.PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS).toBe(7);
    expect(settings.PHOTO_ANALYSIS_VISION_PROVIDER).toBe("openai");
    expect(settings.PHOTO_ANALYSIS_MODERATION).toBe("off");
    const { Parameters = [] } = await ssm.send(
      new DescribeParametersCommand({ ParameterFilters: [{ Key: "Name", Option: "Equals", Values: [secretParameter(prefix, "OPENAI_API_KEY")] }] }),
    );
    expect(Parameters[0]?.KeyId).toBe(secretsKeyAlias(prefix));
    expect(await createSecretReader({ ssmPrefix: prefix, region: "eu-west-1" }, {})("OPENAI_API_KEY")).toBe("sk-old");
    const root = await ssm.send(new GetParametersByPathCommand({ Path: prefix, Recursive: false }));
    expect(root.Parameters).toEqual([]);
    const again = await planLayoutMove(ssm, { prefix, names: SETTING_NAMES, defaults: defaultSettingStrings() });
    expect(again).toEqual({ copy: [], conflicts: [], removeLegacy: [], reencrypt: [] });
    const second = await runCommand(["--prefix", prefix]);
    expect(second.output).toContain("nothing to move");
  }, 60_000);

  it("refuses a missing or malformed stage with the usage, not a stack trace", async () => {
    expect(await runCommand([])).toMatchObject({ code: 2, output: expect.stringContaining("usage: npm run ssm-layout") });
    expect(await runCommand(["--stage", "../x"])).toMatchObject({ code: 2, output: expect.stringContaining("--stage must be a stage name") });
  }, 60_000);

  it("applyLayoutMove copies before it deletes: a plan applied twice is harmless", async () => {
    const prefix = freshPrefix();
    await put(legacySettingParameter(prefix, "PHOTO_ANALYSIS_IMAGE_TTL_HOURS"), "48");
    const plan = await planLayoutMove(ssm, { prefix, names: SETTING_NAMES, defaults: defaultSettingStrings() });
    await applyLayoutMove(ssm, prefix, plan);
    await applyLayoutMove(ssm, prefix, plan);
    expect((await ssm.send(new GetParameterCommand({ Name: settingParameter(prefix, "PHOTO_ANALYSIS_IMAGE_TTL_HOURS") }))).Parameter?.Value).toBe("48");
  });
});
