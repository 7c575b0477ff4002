import { Validations, type Stack } from "aws-cdk-lib";

/**
 * Every cdk-nag AwsSolutions finding we accept, with the reason (cdk-nag v3 acknowledges through
 * CDK's own Validations API). Anything not listed here is reported as an error at synthesis.
 */
export const ACKNOWLEDGED_FINDINGS: { id: string; reason: string }[] = [
  {
    id: "AwsSolutions-IAM5[Resource::*]",
    reason:
      "X-Ray's PutTraceSegments and PutTelemetryRecords (the tracing statement CDK adds for active tracing) and Rekognition's DetectModerationLabels (the analysing functions' content moderation) take no resource.",
  },
  {
    id: "AwsSolutions-IAM5[Resource::<TableCD117FA1.Arn>/index/*]",
    reason: "Queries use the table's own global secondary indexes (file hash, pHash, fingerprint, user, expiry).",
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
    id: "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/photo-analysis/dev/secrets/*]",
    reason: "The upload function reads provider API keys (SecureStrings) of its own stage by their SDK names.",
  },
  {
    id: "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/photo-analysis/prod/secrets/*]",
    reason: "The upload function reads provider API keys (SecureStrings) of its own stage by their SDK names.",
  },
  {
    id: "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]",
    reason: "kms:Decrypt is conditioned on kms:ViaService=ssm: it only decrypts SecureString parameters read through SSM.",
  },
  {
    id: "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<EventsD32975C2>/dev/*/@connections/*]",
    reason: "Progress is posted to WebSocket connections by their runtime ids, on this stage's own API only (grantManagementApiAccess).",
  },
  {
    id: "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<EventsD32975C2>/prod/*/@connections/*]",
    reason: "Progress is posted to WebSocket connections by their runtime ids, on this stage's own API only (grantManagementApiAccess).",
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
    reason: "Images are short-lived (7 days) and reached only through the API, which logs every request in the functions; CloudTrail S3 data events can be enabled per account.",
  },
  {
    id: "AwsSolutions-SMG4",
    reason:
      "The log pseudonym key rotates daily by derivation (each day's key is HMAC(key, date)), so values of different days cannot be linked; rotating the root key as well would only change pseudonyms in the middle of a day.",
  },
  {
    id: "AwsSolutions-APIG4",
    reason: "The public API is anonymous by design (the seed's rate-limited anonymous uploads); signed-in users' JWTs are verified in the functions.",
  },
];

export function acknowledgeFindings(stack: Stack, extra: { id: string; reason: string }[] = []) {
  for (const finding of [...ACKNOWLEDGED_FINDINGS, ...extra]) Validations.of(stack).acknowledge(finding);
}
