import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { accessTableMarkdown, functionGrants, type FunctionGrants } from "../../lib/access-table.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { cliSynth, DEFAULT_SYNTH, runCli, type SynthConfig, type SynthResult } from "../helpers/synth.js";
import { HTTP_ROUTES } from "../../functions/routes.js";

/**
 * `npx cdk synth` exactly as docs/deploy.md documents it (the real CLI, cdk-nag on, every function
 * bundled): with no AWS variables, and with AWS_REGION=eu-west-1 for prod. The CLI always sets a
 * region, so these are the runs that once failed on region-literal ARNs. Every synthesized template
 * then goes through cfn-lint (where installed) and the access table below.
 */
const CONFIGS: SynthConfig[] = [
  DEFAULT_SYNTH,
  { name: "eu-west-1-prod", region: "eu-west-1", context: { stage: "prod" } },
  // The optional edge: its WAF stack goes to us-east-1 whatever the API's region. Both templates are
  // written and cdk-nag checks both; the main stack's functions were bundled above, so not again here.
  { name: "eu-west-1-dev-edge", region: "eu-west-1", context: { edge: "true" }, exclusively: ["PhotoAnalysis-dev-edge"] },
];

const results: Record<string, SynthResult> = {};

beforeAll(async () => {
  // Two at a time: each bundles every function with esbuild, and the machine has two cores.
  const pending = [...CONFIGS];
  const lane = async () => {
    for (let config = pending.shift(); config; config = pending.shift()) results[config.name] = await cliSynth(config);
  };
  await Promise.all([lane(), lane()]);
}, 900_000);

function cfnLintPath(): Promise<string | undefined> {
  return new Promise((resolve) => execFile("cfn-lint", ["--version"], (error) => resolve(error ? undefined : "cfn-lint")));
}

describe("npx cdk synth, as documented", () => {
  it.each(CONFIGS.map((config) => [config.name, config] as const))("%s: exits 0 with cdk-nag on and no finding left", (name) => {
    const result = results[name]!;
    expect(result.code, result.output.slice(-3000)).toBe(0);
    expect(result.output).not.toMatch(/Synthesis finished with errors|AwsSolutions-/);
    expect(Object.keys(result.templates).length).toBeGreaterThan(0);
  });

  it("ran cdk-nag: the acknowledgements are recorded on the synthesized stack", async () => {
    for (const config of CONFIGS) {
      const result = results[config.name]!;
      // The main stack's (the edge stack has nothing to acknowledge).
      for (const stack of Object.keys(result.templates).filter((name) => !name.endsWith("-edge"))) {
        const metadata = await readFile(join(result.outdir, `${stack}.metadata.json`), "utf8");
        expect(metadata, stack).toContain("aws:cdk:acknowledged-rules");
        expect(metadata, stack).toContain("AwsSolutions-IAM5");
      }
    }
  });

  it("writes no region into any IAM policy or key policy: the grants are the same in every region", () => {
    const template = JSON.stringify(
      Object.values(results["eu-west-1-prod"]!.templates).flatMap((t) =>
        Object.values((t as { Resources: Record<string, { Type: string }> }).Resources).filter((r) =>
          ["AWS::IAM::Policy", "AWS::IAM::Role", "AWS::KMS::Key"].includes(r.Type),
        ),
      ),
    );
    expect(template).toContain("AWS::Region");
    expect(template).not.toContain("eu-west-1");
  });

  it("with -c edge=true, puts the WAF's stack in us-east-1 and the distribution beside the API, joined by a cross-region reference", async () => {
    const result = results["eu-west-1-dev-edge"]!;
    expect(Object.keys(result.templates).sort()).toEqual(["PhotoAnalysis-dev", "PhotoAnalysis-dev-edge"]);
    const manifest = JSON.parse(await readFile(join(result.outdir, "manifest.json"), "utf8")) as { artifacts: Record<string, { environment?: string }> };
    expect(manifest.artifacts["PhotoAnalysis-dev-edge"]!.environment).toMatch(/\/us-east-1$/);
    expect(manifest.artifacts["PhotoAnalysis-dev"]!.environment).toMatch(/\/eu-west-1$/);
    const types = (stack: string) => Object.values((result.templates[stack] as { Resources: Record<string, { Type: string }> }).Resources).map((r) => r.Type);
    expect(types("PhotoAnalysis-dev-edge")).toEqual(expect.arrayContaining(["AWS::WAFv2::WebACL", "Custom::CrossRegionExportWriter"]));
    expect(types("PhotoAnalysis-dev")).toEqual(
      expect.arrayContaining(["AWS::CloudFront::Distribution", "Custom::CrossRegionExportReader", "AWS::SecretsManager::Secret"]),
    );
  });

  it("refuses a JWT issuer without an audience or a Cognito app client id, before synthesizing anything", async () => {
    const outdir = await mkdtemp(join(tmpdir(), "photo-analysis-refused-"));
    try {
      const refused = await runCli({ name: "jwt-without-audience", context: { jwtIssuer: "https://issuer.example" } }, outdir);
      expect(refused.code).not.toBe(0);
      expect(refused.output).toContain(
        "-c jwtIssuer=https://issuer.example needs -c jwtAudience=<the tokens' aud> or -c jwtClientId=<a Cognito app client id>",
      );
      expect(refused.output).not.toContain("Bundling asset");
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  }, 120_000);

  it("passes cfn-lint with no error on every synthesized template (warnings allowed)", async () => {
    const cfnLint = await cfnLintPath();
    if (!cfnLint) {
      console.log("note: cfn-lint is not installed (pip install cfn-lint): skipping the template lint");
      return;
    }
    const templates = CONFIGS.flatMap((config) =>
      Object.keys(results[config.name]!.templates).map((stack) => join(results[config.name]!.outdir, `${stack}.template.json`)),
    );
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) =>
      execFile(cfnLint, ["--format", "parseable", ...templates], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
      ),
    );
    // cfn-lint's exit code is a bit mask: 2 errors, 4 warnings, 8 informational.
    const errors = output.split("\n").filter((line) => /:E\d{4}:/.test(line));
    expect(errors).toEqual([]);
    expect(code & 2, output.slice(0, 3000)).toBe(0);
  }, 300_000);
});

/**
 * Every function's rights, read back from the synthesized template: DynamoDB actions per partition-
 * key prefix (each under dynamodb:LeadingKeys), the indexes it may Query, S3 actions per key prefix,
 * SSM, whether the secrets key lets it decrypt, and the rest. Anything wider fails here. Every function
 * also writes its own logs and traces (AWSLambdaBasicExecutionRole, X-Ray), not listed per row.
 */
const ANALYSING = [
  "items ANALYSIS#: BatchWriteItem, GetItem, PutItem, UpdateItem",
  "items BLOCKED#: BatchGetItem, PutItem",
  "items CLAIM#: DeleteItem, GetItem, PutItem, UpdateItem",
  "items OWNER#: BatchGetItem, BatchWriteItem, GetItem, PutItem",
  "items PHOTO#: GetItem, PutItem, UpdateItem",
  "items PHSEG#: BatchWriteItem, Query",
  "items RATE#: BatchGetItem, GetItem, UpdateItem",
  "items STATS#: UpdateItem",
  "index byFileHash",
  "objects photo_analysis/: DeleteObject, GetObject, ListBucket, PutObject",
  "ssm GetParameter secrets/*",
  "ssm GetParametersByPath settings",
  "decrypt secrets key",
  "other rekognition:DetectModerationLabels on *",
];
const POST_TO_CONNECTIONS =
  "other execute-api:ManageConnections on arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<EventsD32975C2>/dev/POST/@connections/*";
const POST_AND_DELETE_CONNECTIONS = `${POST_TO_CONNECTIONS},arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<EventsD32975C2>/dev/DELETE/@connections/*`;

const EXPECTED: Record<string, string[]> = {
  Upload: [
    ...ANALYSING,
    "items JOB#: DeleteItem, PutItem",
    "items UPLOAD#: DeleteItem, GetItem",
    "objects uploads/: DeleteObject, GetObject, ListBucket, PutObject",
    "other sqs:SendMessage on <JobsDF1CC2D4.Arn>",
  ],
  Worker: [
    ...ANALYSING,
    "items CONN#: DeleteItem",
    "items JOB#: GetItem, UpdateItem",
    "items SUB#: DeleteItem, Query",
    "objects uploads/: DeleteObject, GetObject, ListBucket",
    POST_TO_CONNECTIONS,
    "other sqs:ReceiveMessage,sqs:ChangeMessageVisibility,sqs:GetQueueUrl,sqs:DeleteMessage,sqs:GetQueueAttributes on <JobsDF1CC2D4.Arn>",
  ],
  Batch: [
    "items BATCH#: DeleteItem, PutItem",
    "items JOB#: DeleteItem, PutItem",
    "items RATE#: BatchGetItem, GetItem, UpdateItem",
    "items STATS#: UpdateItem",
    "items UPLOAD#: DeleteItem, GetItem",
    "index byFileHash",
    "objects uploads/: DeleteObject, PutObject",
    "ssm GetParametersByPath settings",
    "other sqs:SendMessage on <JobsDF1CC2D4.Arn>",
  ],
  BatchStatus: ["items ANALYSIS#: GetItem", "items BATCH#: GetItem", "items JOB#: BatchGetItem", "items PHOTO#: GetItem"],
  Job: ["items ANALYSIS#: GetItem", "items JOB#: GetItem", "items PHOTO#: GetItem"],
  UploadUrl: ["items RATE#: BatchGetItem, GetItem, UpdateItem", "items UPLOAD#: PutItem", "objects uploads/: PutObject", "ssm GetParametersByPath settings"],
  Health: ["items PHOTO#: GetItem", "objects photo_analysis/: GetObject, ListBucket", "ssm DescribeParameters", "ssm GetParametersByPath settings"],
  OpenApi: [],
  Recent: ["index byFingerprint", "index byUser"],
  GetAnalysis: ["items ANALYSIS#: GetItem", "items PHOTO#: GetItem"],
  Delete: ["items OWNER#: DeleteItem", "items PHOTO#: DeleteItem, GetItem", "objects photo_analysis/: DeleteObject"],
  Image: ["items PHOTO#: GetItem", "objects photo_analysis/: GetObject, ListBucket"],
  AdminList: [
    "items ANALYSIS#: GetItem, Query",
    "items PHOTO#: BatchGetItem, GetItem",
    "index byFileHash",
    "index byFingerprint",
    "index byMonth",
    "index byPhash",
    "index byUser",
  ],
  AdminDetail: ["items ANALYSIS#: GetItem", "items PHOTO#: GetItem"],
  AdminStats: ["items STATS#: Query"],
  AdminPage: [],
  AdminAssets: [],
  DocsPage: [],
  DocsAssets: [],
  TryPage: [],
  TryAssets: [],
  EventsConnect: ["items CONN#: PutItem", "items RATE#: BatchGetItem, GetItem, UpdateItem"],
  EventsDisconnect: ["items CONN#: DeleteItem", "items RATE#: UpdateItem"],
  EventsMessage: [
    "items ANALYSIS#: GetItem",
    "items BATCH#: GetItem",
    "items CONN#: GetItem",
    "items JOB#: BatchGetItem, GetItem",
    "items PHOTO#: GetItem",
    "items RATE#: BatchGetItem, GetItem, UpdateItem",
    "items SUB#: PutItem",
    POST_AND_DELETE_CONNECTIONS,
  ],
  Cleanup: [
    "items ANALYSIS#: BatchWriteItem, DeleteItem, Query",
    "items OWNER#: DeleteItem",
    "items PHOTO#: GetItem, UpdateItem",
    "items PHSEG#: BatchWriteItem",
    "index byExpiry",
    "objects photo_analysis/: DeleteObject, ListBucket",
  ],
  SettingsSeeder: ["ssm DeleteParameters settings/*", "ssm GetParameters PHOTO_ANALYSIS_*", "ssm GetParameters settings/*", "ssm PutParameter settings/*"],
};

const EVERY_FUNCTION = ["other managed service-role/AWSLambdaBasicExecutionRole", "other xray:PutTraceSegments,xray:PutTelemetryRecords on *"];

function grantLines(row: FunctionGrants): string[] {
  return [
    ...Object.entries(row.items).map(([prefix, actions]) => `items ${prefix}: ${actions.join(", ")}`),
    ...row.indexes.map((index) => `index ${index}`),
    ...Object.entries(row.objects).map(([prefix, actions]) => `objects ${prefix}: ${actions.join(", ")}`),
    ...row.ssm.map((entry) => `ssm ${entry}`),
    ...(row.decrypt ? ["decrypt secrets key"] : []),
    ...row.other.map((entry) => `other ${entry}`),
  ].sort();
}

describe("what each function may do (from the synthesized templates)", () => {
  it.each(CONFIGS.map((config) => [config.name, config] as const))("%s: every function holds exactly its row of the access table", (name, config) => {
    const stack = `PhotoAnalysis-${config.context?.stage ?? "dev"}`;
    // The prod stack's WebSocket stage is "prod": the same grant on its own stage.
    const template = JSON.parse(JSON.stringify(results[name]!.templates[stack]).replace(/\/prod\/(POST|DELETE)\/@connections/g, "/dev/$1/@connections"));
    const grants = functionGrants(template);
    // The try page's functions exist only with -c tryPage=true.
    const optional = HTTP_ROUTES.filter((route) => route.optional && config.context?.[route.optional] !== "true").map((route) => route.id);
    expect(Object.keys(grants).sort()).toEqual(
      Object.keys(EXPECTED)
        .filter((id) => !optional.includes(id))
        .sort(),
    );
    for (const [functionName, row] of Object.entries(grants)) {
      expect(grantLines(row), functionName).toEqual([...EXPECTED[functionName]!, ...EVERY_FUNCTION].sort());
    }
  });

  it("no function may Scan, and only the analysing functions may read or decrypt API keys", () => {
    const grants = functionGrants(results[DEFAULT_SYNTH.name]!.templates["PhotoAnalysis-dev"]);
    for (const [name, row] of Object.entries(grants)) {
      expect(Object.values(row.items).flat(), name).not.toContain("Scan");
      expect(row.other.join(" "), name).not.toMatch(/dynamodb:|ssm:|kms:|s3:/);
    }
    expect(Object.keys(grants).filter((name) => grants[name]!.decrypt || grants[name]!.ssm.some((entry) => entry.includes("secrets")))).toEqual([
      "Upload",
      "Worker",
    ]);
    expect(grants.Health!.ssm).toEqual(["DescribeParameters", "GetParametersByPath settings"]);
  });

  it("is the least-privilege table of docs/deploy.md", async () => {
    const readme = await readFile("docs/deploy.md", "utf8");
    const table = accessTableMarkdown(functionGrants(results[DEFAULT_SYNTH.name]!.templates["PhotoAnalysis-dev"]));
    const start = readme.indexOf("<!-- access-table:start -->");
    const end = readme.indexOf("<!-- access-table:end -->");
    expect(start, "docs/deploy.md markers <!-- access-table:start --> / <!-- access-table:end -->").toBeGreaterThan(0);
    expect(readme.slice(start, end).replace("<!-- access-table:start -->", "").trim(), "regenerate with: npm run access-table").toBe(table);
  });
});
