import {
  DeleteParametersCommand,
  DescribeParametersCommand,
  type DescribeParametersCommandOutput,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  PutParameterCommand,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import { legacySettingParameter, secretParameter, secretsKeyAlias, secretsPath, settingParameter } from "./ssm-layout.js";

/*
 * Moving a deployment to the current parameter layout (ssm-layout.ts), in two places:
 * - at deploy, the stack's settings seeder (functions/settings-seeder) calls seedSettings: every
 *   setting missing under settings/ is created from where it lived before (the operator's value) or
 *   from its default, before CloudFormation removes the old parameters;
 * - by hand, `npm run ssm-layout` (bin/ssm-layout.ts) calls planLayoutMove and applyLayoutMove:
 *   settings left at the old place are moved, and API keys are put again under the stack's key.
 */

type Ssm = Pick<SSMClient, "send">;

/** Values of the named parameters that exist (GetParameters takes ten names at a time). */
async function valuesOf(ssm: Ssm, names: string[], decrypt = false): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (let start = 0; start < names.length; start += 10) {
    const { Parameters = [] } = await ssm.send(new GetParametersCommand({ Names: names.slice(start, start + 10), WithDecryption: decrypt }));
    for (const parameter of Parameters) if (parameter.Name && parameter.Value !== undefined) values.set(parameter.Name, parameter.Value);
  }
  return values;
}

export interface SeedResult {
  created: { name: string; from: "legacy" | "default" }[];
  updated: string[];
}

/**
 * The settings under `<prefix>/settings/`: each missing one is created, with its value from the old
 * place when there is one, else its default; one still at the previous release's default
 * (`previousDefaults`) takes the new default. A value an operator set is never replaced.
 */
export async function seedSettings(
  ssm: Ssm,
  options: { prefix: string; names: readonly string[]; defaults: Record<string, string>; previousDefaults?: Record<string, string> },
): Promise<SeedResult> {
  const { prefix, names } = options;
  const current = await valuesOf(
    ssm,
    names.map((name) => settingParameter(prefix, name)),
  );
  const legacy = await valuesOf(
    ssm,
    names.map((name) => legacySettingParameter(prefix, name)),
  );
  const result: SeedResult = { created: [], updated: [] };
  for (const name of names) {
    const wanted = options.defaults[name];
    const now = current.get(settingParameter(prefix, name));
    const before = legacy.get(legacySettingParameter(prefix, name));
    if (now === undefined) {
      const value = before ?? wanted;
      if (value === undefined || value === "") continue; // no default, never set: nothing to create (SSM refuses empty values)
      await putSetting(ssm, settingParameter(prefix, name), value, false);
      result.created.push({ name, from: before !== undefined ? "legacy" : "default" });
    } else if (wanted && options.previousDefaults?.[name] !== undefined && now === options.previousDefaults[name] && wanted !== now) {
      await putSetting(ssm, settingParameter(prefix, name), wanted, true);
      result.updated.push(name);
    }
  }
  return result;
}

async function putSetting(ssm: Ssm, name: string, value: string, overwrite: boolean) {
  try {
    await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: "String", Overwrite: overwrite, Description: "Photo Analysis setting" }));
  } catch (error) {
    // Created meanwhile (an operator, or a retried deploy): theirs stands.
    if ((error as { name?: string }).name !== "ParameterAlreadyExists") throw error;
  }
}

/** Removes the settings the seeder manages (a stack deleted with its data: dev). */
export async function removeSettings(ssm: Ssm, options: { prefix: string; names: readonly string[] }): Promise<void> {
  const names = options.names.map((name) => settingParameter(options.prefix, name));
  for (let start = 0; start < names.length; start += 10) await ssm.send(new DeleteParametersCommand({ Names: names.slice(start, start + 10) }));
}

export interface LayoutMove {
  /** Old-place settings whose value goes to settings/ (the new one is missing or still its default). */
  copy: { name: string; value: string }[];
  /** Old-place settings whose new one was set differently since: the new value stands. */
  conflicts: { name: string; old: string; current: string }[];
  /** Old-place parameters to delete once copied. */
  removeLegacy: string[];
  /** API keys not (known to be) under the stack's key: put again with it. */
  reencrypt: { name: string; keyId: string }[];
}

/** What moving to the current layout would do; nothing is changed. */
export async function planLayoutMove(ssm: Ssm, options: { prefix: string; names: readonly string[]; defaults: Record<string, string> }): Promise<LayoutMove> {
  const { prefix } = options;
  const root = prefix.replace(/\/+$/, "");
  const legacy = new Map<string, string>();
  let nextToken: string | undefined;
  do {
    // Directly under the root, not recursive: the old place of settings (settings/ and secrets/ are below it).
    const page = await ssm.send(new GetParametersByPathCommand({ Path: root, Recursive: false, NextToken: nextToken }));
    for (const parameter of page.Parameters ?? []) {
      const name = parameter.Name?.slice(root.length + 1);
      if (name && options.names.includes(name) && parameter.Value !== undefined) legacy.set(name, parameter.Value);
    }
    nextToken = page.NextToken;
  } while (nextToken);
  const current = await valuesOf(
    ssm,
    [...legacy.keys()].map((name) => settingParameter(prefix, name)),
  );
  const move: LayoutMove = { copy: [], conflicts: [], removeLegacy: [], reencrypt: [] };
  for (const [name, value] of legacy) {
    const now = current.get(settingParameter(prefix, name));
    if (now === undefined || (now === options.defaults[name] && value !== now)) move.copy.push({ name, value });
    else if (now !== value) move.conflicts.push({ name, old: value, current: now });
    move.removeLegacy.push(legacySettingParameter(prefix, name));
  }
  const alias = secretsKeyAlias(prefix);
  nextToken = undefined;
  do {
    const page: DescribeParametersCommandOutput = await ssm.send(
      new DescribeParametersCommand({ ParameterFilters: [{ Key: "Path", Option: "OneLevel", Values: [secretsPath(prefix)] }], NextToken: nextToken }),
    );
    for (const parameter of page.Parameters ?? []) {
      if (parameter.Type !== "SecureString" || !parameter.Name) continue;
      if (parameter.KeyId !== alias)
        move.reencrypt.push({ name: parameter.Name.slice(secretsPath(prefix).length + 1), keyId: parameter.KeyId ?? "alias/aws/ssm" });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return move;
}

/** Carries a plan out: settings copied, API keys put again under the stack's key, then the old settings deleted. */
export async function applyLayoutMove(ssm: Ssm, prefix: string, move: LayoutMove): Promise<void> {
  for (const { name, value } of move.copy) await putSetting(ssm, settingParameter(prefix, name), value, true);
  for (const { name } of move.reencrypt) {
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: secretParameter(prefix, name), WithDecryption: true }));
    if (Parameter?.Value === undefined) continue;
    await ssm.send(
      new PutParameterCommand({
        Name: secretParameter(prefix, name),
        Value: Parameter.Value,
        Type: "SecureString",
        KeyId: secretsKeyAlias(prefix),
        Overwrite: true,
      }),
    );
  }
  for (let start = 0; start < move.removeLegacy.length; start += 10) {
    await ssm.send(new DeleteParametersCommand({ Names: move.removeLegacy.slice(start, start + 10) }));
  }
}
