import { GetParametersByPathCommand, type SSMClient } from "@aws-sdk/client-ssm";
import type { ConfigSource } from "./sources.js";

/**
 * Settings from SSM Parameter Store: every parameter under `prefix`, named after the setting
 * (e.g. `/photo-analysis/prod/PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS`). SecureString values are decrypted.
 */
export class SsmConfigSource implements ConfigSource {
  constructor(
    private readonly client: Pick<SSMClient, "send">,
    private readonly prefix: string,
  ) {}

  get description() {
    return `SSM ${this.prefix}`;
  }

  async load() {
    const values: Record<string, string> = {};
    const path = this.prefix.replace(/\/+$/, "");
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(new GetParametersByPathCommand({ Path: path, Recursive: false, WithDecryption: true, NextToken: nextToken }));
      for (const parameter of page.Parameters ?? []) {
        const name = parameter.Name?.slice(path.length + 1);
        if (name && parameter.Value !== undefined) values[name] = parameter.Value;
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return values;
  }
}
