import { SSMClient } from "@aws-sdk/client-ssm";
import { type ConfigSource, EnvConfigSource, JsonFileConfigSource, LayeredConfigSource } from "../config/sources.js";
import { settingsPath } from "../config/ssm-layout.js";
import { SsmConfigSource } from "../config/ssm-source.js";
import { awsTimeouts } from "./aws-clients.js";
import type { RuntimeEnvironment } from "./environment.js";

/** Live settings: SSM under `<prefix>/settings/` in AWS, else an optional JSON file under the environment. */
export function createConfigSource(
  runtime: Pick<RuntimeEnvironment, "ssmPrefix" | "configFile" | "region" | "awsTimeoutMs">,
  env: NodeJS.ProcessEnv,
): ConfigSource {
  if (runtime.ssmPrefix) return new SsmConfigSource(new SSMClient({ ...awsTimeouts(runtime), region: runtime.region }), settingsPath(runtime.ssmPrefix));
  const layers: ConfigSource[] = [];
  if (runtime.configFile) layers.push(new JsonFileConfigSource(runtime.configFile));
  layers.push(new EnvConfigSource(env));
  return new LayeredConfigSource(layers);
}
