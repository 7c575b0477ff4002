#!/usr/bin/env -S npx tsx
/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy`.
 * Context: -c stage=dev|prod (default dev), -c architecture=x86_64|arm64 (default x86_64),
 * -c jwtIssuer=https://... with -c jwtAudience=... or -c jwtClientId=<Cognito app client> [-c jwtTokenUse=id|access]
 * (signed-in users; an issuer alone is refused), -c adminGroup=admin (admin access),
 * -c nag=false to skip cdk-nag. Guardrails (defaults in lib/photo-analysis-stack.ts, guardrailDefaults):
 * -c throttleRate=50 -c throttleBurst=100 (API stage), -c uploadConcurrency=50 (reserved; 0 = none),
 * -c alarmEmail=ops@example.com, -c corsOrigins=https://app.example.com,https://admin.example.com,
 * -c maxImageTtlHours=720 (the longest TTL the SSM setting may take; the bucket lifecycle follows it),
 * -c sourceMaps=true (ship source maps and enable them: readable stack traces, slower cold starts),
 * -c edge=true (CloudFront + AWS WAF in front of the HTTP API; the WAF's stack goes to us-east-1),
 * -c edgeRateLimit=300 (requests per client address per 5 minutes at the edge), -c edgeOriginVersion=<id>
 * (after rotating the edge's origin secret: the Secrets Manager version to use),
 * -c publicBaseUrl=https://api.example.com (a custom domain: the origin of links in answers),
 * -c tryPage=true (serve the try page at /: anyone with the URL can upload photos from a browser).
 */
import { App, Validations } from "aws-cdk-lib";
import { Architecture } from "aws-cdk-lib/aws-lambda";
import { AwsSolutionsChecks } from "cdk-nag";
import { type Guardrails, PhotoAnalysisStack, type Stage } from "../lib/photo-analysis-stack.js";
import { acknowledgeFindings } from "../lib/nag-suppressions.js";
import { DEFAULT_EDGE_RATE_LIMIT, EdgeStack } from "../lib/edge.js";

const app = new App();
const stage = (app.node.tryGetContext("stage") ?? "dev") as Stage;
if (stage !== "dev" && stage !== "prod") throw new Error(`stage must be dev or prod, got ${stage}`);
const architectureName = app.node.tryGetContext("architecture") ?? "x86_64";
if (architectureName !== "x86_64" && architectureName !== "arm64") throw new Error(`architecture must be x86_64 or arm64, got ${architectureName}`);
const jwtIssuer = app.node.tryGetContext("jwtIssuer") as string | undefined;
if (jwtIssuer && !app.node.tryGetContext("jwtAudience") && !app.node.tryGetContext("jwtClientId")) {
  throw new Error(
    `-c jwtIssuer=${jwtIssuer} needs -c jwtAudience=<the tokens' aud> or -c jwtClientId=<a Cognito app client id> (optionally -c jwtTokenUse=id|access): without one, any token of that issuer would sign in, another app's included.`,
  );
}
const publicBaseUrl = app.node.tryGetContext("publicBaseUrl") as string | undefined;
if (publicBaseUrl !== undefined && !/^https?:\/\/[^/?#\s@]+(\/[^?#\s]*)?$/.test(publicBaseUrl))
  throw new Error(`-c publicBaseUrl must be an origin such as https://api.example.com, got ${publicBaseUrl}`);

/** Context values come as strings from the command line; each is checked, with a clear error. */
function guardrailsFromContext(): Partial<Guardrails> {
  const guardrails: Partial<Guardrails> = {};
  for (const name of ["throttleRate", "throttleBurst", "uploadConcurrency", "maxImageTtlHours"] as const) {
    const raw = app.node.tryGetContext(name);
    if (raw === undefined) continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`-c ${name} must be a non-negative number, got ${raw}`);
    guardrails[name] = value;
  }
  const origins = app.node.tryGetContext("corsOrigins");
  if (origins !== undefined)
    guardrails.corsOrigins = String(origins)
      .split(",")
      .map((origin) => origin.trim())
      .filter(Boolean);
  const email = app.node.tryGetContext("alarmEmail");
  if (email !== undefined) guardrails.alarmEmail = String(email);
  return guardrails;
}

const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
// WAF for CloudFront exists only in us-east-1: its own stack there, referred to from the API's region.
const edgeOn = String(app.node.tryGetContext("edge")) === "true";
const edgeRateLimit = Number(app.node.tryGetContext("edgeRateLimit") ?? DEFAULT_EDGE_RATE_LIMIT);
if (!Number.isInteger(edgeRateLimit) || edgeRateLimit < 10 || edgeRateLimit > 2_000_000_000)
  throw new Error(`-c edgeRateLimit must be a whole number of requests per 5 minutes from 10 to 2000000000, got ${app.node.tryGetContext("edgeRateLimit")}`);
const edge = edgeOn
  ? new EdgeStack(app, `PhotoAnalysis-${stage}-edge`, {
      stage,
      rateLimit: edgeRateLimit,
      env: { account: env.account, region: "us-east-1" },
      crossRegionReferences: true,
      description: `Photo Analysis (${stage}): AWS WAF for the CloudFront edge (us-east-1)`,
    })
  : undefined;

const stack = new PhotoAnalysisStack(app, `PhotoAnalysis-${stage}`, {
  stage,
  architecture: architectureName === "arm64" ? Architecture.ARM_64 : Architecture.X86_64,
  jwt: jwtIssuer
    ? {
        issuer: jwtIssuer,
        audience: app.node.tryGetContext("jwtAudience"),
        clientId: app.node.tryGetContext("jwtClientId"),
        tokenUse: app.node.tryGetContext("jwtTokenUse"),
      }
    : undefined,
  adminGroup: app.node.tryGetContext("adminGroup"),
  publicBaseUrl,
  guardrails: guardrailsFromContext(),
  sourceMaps: String(app.node.tryGetContext("sourceMaps")) === "true",
  edge: edge ? { webAclArn: edge.webAclArn, originSecretVersion: app.node.tryGetContext("edgeOriginVersion") } : undefined,
  crossRegionReferences: edgeOn,
  env,
  tryPage: String(app.node.tryGetContext("tryPage")) === "true",
  description: `Photo Analysis (${stage}): chat-room names for uploaded photos`,
});
if (String(app.node.tryGetContext("nag")) !== "false") {
  acknowledgeFindings(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}
