import { CustomResource, type Stack } from "aws-cdk-lib";
import type { Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import type { SeederProperties } from "../../functions/settings-seeder/handler.js";
import { defaultSettingStrings, SETTING_NAMES } from "../../shared/config/settings.js";

/**
 * Live settings: one parameter per setting under <prefix>/settings/, created by the settings seeder
 * at deploy (missing ones from their old place or the default; an operator's value is never
 * replaced). Operators change them in SSM; functions re-read them within a minute. The functions
 * that read settings are updated only after it.
 */
export function liveSettings(
  stack: Stack,
  props: { seeder: LambdaFunction; ssmPrefix: string; stage: "dev" | "prod"; readers: readonly LambdaFunction[] },
): CustomResource {
  const defaults = defaultSettingStrings();
  const settings = new CustomResource(stack, "Settings", {
    serviceToken: props.seeder.functionArn,
    resourceType: "Custom::PhotoAnalysisSettings",
    properties: {
      Prefix: props.ssmPrefix,
      Names: SETTING_NAMES,
      // Optional settings without a default are not created (SSM refuses empty values).
      Defaults: Object.fromEntries(
        SETTING_NAMES.filter((name) => defaults[name] !== "undefined" && defaults[name] !== "").map((name) => [name, defaults[name]]),
      ),
      RemoveOnDelete: String(props.stage !== "prod"),
    } satisfies SeederProperties,
  });
  for (const reader of props.readers) reader.node.addDependency(settings);
  return settings;
}
