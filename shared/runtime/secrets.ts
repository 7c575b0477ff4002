import { DescribeParametersCommand, GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { Refreshing } from "../config/refreshing.js";
import { secretParameter, secretsKeyAlias } from "../config/ssm-layout.js";
import { awsTimeouts } from "./aws-clients.js";
import type { RuntimeEnvironment } from "./environment.js";

/** Secrets: SSM SecureStrings under `<prefix>/secrets/` in AWS (cached 5 minutes), else the environment. */
export type SecretReader = (name: string) => Promise<string | undefined>;

export function createSecretReader(runtime: Pick<RuntimeEnvironment, "ssmPrefix" | "region" | "awsTimeoutMs">, env: NodeJS.ProcessEnv): SecretReader {
  if (!runtime.ssmPrefix) return async (name) => env[name] || undefined;
  const prefix = runtime.ssmPrefix;
  const ssm = new SSMClient({ ...awsTimeouts(runtime), region: runtime.region });
  const load = async (name: string) => {
    try {
      const { Parameter } = await ssm.send(new GetParameterCommand({ Name: secretParameter(prefix, name), WithDecryption: true }));
      return Parameter?.Value || undefined;
    } catch (error) {
      if ((error as { name?: string }).name === "ParameterNotFound") return undefined;
      // Only the stack's key may protect a secret: one put without --key-id (under aws/ssm) cannot be read here.
      if (/kms/i.test(`${(error as Error).name} ${(error as Error).message}`)) {
        throw new Error(
          `${secretParameter(prefix, name)} cannot be decrypted by this function: put it again with --key-id ${secretsKeyAlias(prefix)} (docs/operations.md, "Secrets")`,
          { cause: error },
        );
      }
      throw error;
    }
  };
  return cachedPerName((name) => env[name] || undefined, load, 300_000, "secret");
}

/**
 * Whether a secret exists, never reading its value: the environment, or SSM's DescribeParameters
 * (names and metadata only, so the caller needs neither GetParameter on secrets nor the key).
 */
export function createSecretPresence(
  runtime: Pick<RuntimeEnvironment, "ssmPrefix" | "region" | "awsTimeoutMs">,
  env: NodeJS.ProcessEnv,
): (name: string) => Promise<boolean> {
  if (!runtime.ssmPrefix) return async (name) => Boolean(env[name]);
  const prefix = runtime.ssmPrefix;
  const ssm = new SSMClient({ ...awsTimeouts(runtime), region: runtime.region });
  const load = async (name: string) => {
    const { Parameters = [] } = await ssm.send(
      new DescribeParametersCommand({ ParameterFilters: [{ Key: "Name", Option: "Equals", Values: [secretParameter(prefix, name)] }] }),
    );
    return Parameters.length > 0;
  };
  // DescribeParameters is throttled at a few calls a second per account: health asks at most once a minute per name.
  return cachedPerName((name) => (env[name] ? true : undefined), load, 60_000, "secret presence");
}

/** A value per name from the environment, else loaded and kept `ttlMs` (a failed refresh keeps the last good value). */
function cachedPerName<T>(
  fromEnv: (name: string) => T | undefined,
  load: (name: string) => Promise<T>,
  ttlMs: number,
  what: string,
): (name: string) => Promise<T> {
  const values = new Map<string, Refreshing<T>>();
  return async (name) => {
    const given = fromEnv(name);
    if (given !== undefined) return given;
    let value = values.get(name);
    if (!value) {
      value = new Refreshing(() => load(name), { ttlMs, onRefreshError: (error) => console.error(`${what} ${name} refresh failed`, error) });
      values.set(name, value);
    }
    return value.get();
  };
}
