import { type CfnElement, Validations, type Stack } from "aws-cdk-lib";
import { legacySettingParameter, secretsPath, settingsPath } from "../shared/config/ssm-layout.js";
import type { PhotoAnalysisStack } from "./photo-analysis-stack.js";

/**
 * Every cdk-nag AwsSolutions finding we accept, with the reason (cdk-nag v3 acknowledges through
 * CDK's own Validations API). Anything not listed here is reported as an error at synthesis.
 * Resources in findings are written as cdk-nag renders the template: every ARN the stack writes
 * uses pseudo parameters (`<AWS::Region>`), never the region it is synthesized for, so the same
 * acknowledgements hold in every region and account (and with none).
 */
export const ACKNOWLEDGED_FINDINGS: { id: string; reason: string }[] = [
  {
    id: "AwsSolutions-IAM5[Resource::*]",
    reason:
      "Take no resource: X-Ray's PutTraceSegments and PutTelemetryRecords (the tracing statement CDK adds for active tracing), Rekognition's DetectModerationLabels (the analysing functions' content moderation) and SSM's DescribeParameters (health learns which API keys exist: names, never values).",
  },
  {
    id: "AwsSolutions-IAM5[Resource::<Images2D38C313.Arn>/photo_analysis/*]",
    reason: "Image objects are keyed by analysis id under one prefix; access is limited to that prefix and to the object actions each function uses.",
  },
  {
    id: "AwsSolutions-IAM5[Resource::<Images2D38C313.Arn>/uploads/*]",
    reason: "Staged uploads are keyed by upload id under one prefix; only the signer may put and only the upload function may read and delete there.",
  },
  {
    id: "AwsSolutions-L1",
    reason: "Functions pin Node.js 22 deliberately: the runtime the project's dependencies are built and tested for.",
  },
  {
    id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
    reason: "AWSLambdaBasicExecutionRole is the minimal managed policy for writing a function's own CloudWatch logs.",
  },
  {
    id: "AwsSolutions-S1",
    reason:
      "Images are short-lived (7 days) and reached only through the API, which logs every request in the functions; CloudTrail S3 data events can be enabled per account.",
  },
  {
    id: "AwsSolutions-SMG4",
    reason:
      "The log pseudonym key rotates daily by derivation (each day's key is HMAC(key, date)), so values of different days cannot be linked; rotating the root key as well would only change pseudonyms in the middle of a day.",
  },
  {
    id: "AwsSolutions-APIG4",
    reason: "The public API is anonymous by design (rate-limited anonymous uploads); signed-in users' JWTs are verified in the functions.",
  },
];

/** The findings that name this stack's own resources (its stage, its WebSocket API's logical id). */
export function stackFindings(stack: PhotoAnalysisStack): { id: string; reason: string }[] {
  const pseudo = "arn:<AWS::Partition>:{service}:<AWS::Region>:<AWS::AccountId>:";
  const eventsApi = stack.getLogicalId(stack.events.node.defaultChild as CfnElement);
  return [
    {
      id: `AwsSolutions-IAM5[Resource::${pseudo.replace("{service}", "ssm")}parameter${secretsPath(stack.ssmPrefix)}/*]`,
      reason: "The analysing functions (upload, worker) read provider API keys (SecureStrings under the stack's key) of their own stage by their SDK names.",
    },
    {
      id: `AwsSolutions-IAM5[Resource::${pseudo.replace("{service}", "ssm")}parameter${settingsPath(stack.ssmPrefix)}/*]`,
      reason:
        "The settings seeder (a custom resource run at deploy) creates and reads the stage's settings, one parameter per setting name under the stage's settings path.",
    },
    {
      id: `AwsSolutions-IAM5[Resource::${pseudo.replace("{service}", "ssm")}parameter${legacySettingParameter(stack.ssmPrefix, "PHOTO_ANALYSIS_*")}]`,
      reason:
        "The settings seeder reads the settings' old places (directly under the stage's prefix, named PHOTO_ANALYSIS_*) to move operators' values; never the secrets path.",
    },
    {
      id: `AwsSolutions-IAM5[Resource::${pseudo.replace("{service}", "execute-api")}<${eventsApi}>/${stack.stage}/POST/@connections/*]`,
      reason: "Progress is posted to WebSocket connections by their runtime ids, on this stage's own API only, POST (PostToConnection) only.",
    },
    {
      id: `AwsSolutions-IAM5[Resource::${pseudo.replace("{service}", "execute-api")}<${eventsApi}>/${stack.stage}/DELETE/@connections/*]`,
      reason: "The message route ends a WebSocket connection past its message rate (DeleteConnection), by its runtime id, on this stage's own API only.",
    },
  ];
}

/** With the optional edge (-c edge=true): CloudFront in front of the API, behind the edge stack's WAF. */
export const EDGE_FINDINGS: { id: string; reason: string }[] = [
  {
    id: "AwsSolutions-SMG4",
    reason:
      'The edge origin secret only tells the API that a request came through CloudFront (and its WAF); it protects no data. Operators rotate it by hand (docs/operations.md, "Edge origin secret").',
  },
  { id: "AwsSolutions-CFR1", reason: "The API serves a worldwide audience: no geographic restriction." },
  {
    id: "AwsSolutions-CFR3",
    reason:
      "Requests are logged by the API's access logs (request id, route, status, latency) and by WAF's metrics and sampled requests; CloudFront standard logs would need a bucket with ACLs enabled.",
  },
  {
    id: "AwsSolutions-CFR4",
    reason:
      "The distribution answers on CloudFront's default certificate (*.cloudfront.net), whose minimum viewer protocol CloudFront sets; a custom domain and certificate are the operator's to add.",
  },
];

export function acknowledgeFindings(stack: PhotoAnalysisStack, extra: { id: string; reason: string }[] = []) {
  acknowledge(stack, [...ACKNOWLEDGED_FINDINGS, ...stackFindings(stack), ...(stack.edgeUrl ? EDGE_FINDINGS : []), ...extra]);
}

export function acknowledge(stack: Stack, findings: { id: string; reason: string }[]) {
  for (const finding of findings) Validations.of(stack).acknowledge(finding);
}
