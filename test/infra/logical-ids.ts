import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { Architecture } from "aws-cdk-lib/aws-lambda";
import { PhotoAnalysisStack, type PhotoAnalysisStackProps } from "../../lib/photo-analysis-stack.js";

/**
 * Stack configurations whose CloudFormation logical ids are pinned by logical-ids.json: a changed
 * logical id makes CloudFormation replace the resource on the next deploy (a new table, a new bucket).
 * Together they switch on every optional piece of the stack.
 */
export const LOGICAL_ID_CONFIGS: Record<string, PhotoAnalysisStackProps> = {
  "dev-default": { stage: "dev", architecture: Architecture.X86_64 },
  "prod-everything": {
    stage: "prod",
    architecture: Architecture.ARM_64,
    tryPage: true,
    sourceMaps: true,
    adminGroup: "operators",
    publicBaseUrl: "https://api.example.com",
    jwt: { issuer: "https://issuer.example.com", audience: "photo-analysis" },
    guardrails: { alarmEmail: "ops@example.com", uploadConcurrency: 0, corsOrigins: ["https://app.example.com"] },
  },
  "dev-edge": {
    stage: "dev",
    architecture: Architecture.X86_64,
    edge: { webAclArn: "arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1", originSecretVersion: "v-2" },
  },
};

/** Logical id → resource type of the stack synthesized (without bundling) in each configuration. */
export function logicalIdsByConfig(): Record<string, Record<string, string>> {
  return Object.fromEntries(
    Object.entries(LOGICAL_ID_CONFIGS).map(([name, props]) => {
      const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
      const resources = Template.fromStack(new PhotoAnalysisStack(app, "PhotoAnalysis", props)).toJSON().Resources as Record<string, { Type: string }>;
      return [
        name,
        Object.fromEntries(
          Object.entries(resources)
            .map(([id, resource]) => [id, resource.Type])
            .sort(([a = ""], [b = ""]) => a.localeCompare(b)),
        ),
      ];
    }),
  );
}
