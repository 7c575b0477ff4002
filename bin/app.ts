#!/usr/bin/env -S npx tsx
/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy`.
 * Context: -c stage=dev|prod (default dev), -c architecture=x86_64|arm64 (default x86_64),
 * -c jwtIssuer=https://... -c jwtAudience=... (signed-in users), -c adminGroup=admin (admin access),
 * -c nag=false to skip cdk-nag.
 */
import { App, Validations } from "aws-cdk-lib";
import { Architecture } from "aws-cdk-lib/aws-lambda";
import { AwsSolutionsChecks } from "cdk-nag";
import { PhotoAnalysisStack, type Stage } from "../lib/photo-analysis-stack.js";
import { acknowledgeFindings } from "../lib/nag-suppressions.js";

const app = new App();
const stage = (app.node.tryGetContext("stage") ?? "dev") as Stage;
if (stage !== "dev" && stage !== "prod") throw new Error(`stage must be dev or prod, got ${stage}`);
const architectureName = app.node.tryGetContext("architecture") ?? "x86_64";
if (architectureName !== "x86_64" && architectureName !== "arm64") throw new Error(`architecture must be x86_64 or arm64, got ${architectureName}`);
const jwtIssuer = app.node.tryGetContext("jwtIssuer") as string | undefined;

const stack = new PhotoAnalysisStack(app, `PhotoAnalysis-${stage}`, {
  stage,
  architecture: architectureName === "arm64" ? Architecture.ARM_64 : Architecture.X86_64,
  jwt: jwtIssuer ? { issuer: jwtIssuer, audience: app.node.tryGetContext("jwtAudience") } : undefined,
  adminGroup: app.node.tryGetContext("adminGroup"),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: `Photo Analysis (${stage}): chat-room names for uploaded photos`,
});
if (String(app.node.tryGetContext("nag")) !== "false") {
  acknowledgeFindings(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}
