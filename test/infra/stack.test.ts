import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { Architecture } from "aws-cdk-lib/aws-lambda";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { deployedRoutes, WEBSOCKET_ROUTES, WORKER_FUNCTION, apiGatewayPath } from "../../functions/routes.js";
import { defaultSettingStrings, SETTING_NAMES } from "../../shared/config/settings.js";
import { INDEXES } from "../../shared/stores/table-schema.js";
import { acknowledgeFindings } from "../../lib/nag-suppressions.js";
import { type Guardrails, guardrailDefaults, lifecycleDays, PhotoAnalysisStack } from "../../lib/photo-analysis-stack.js";
import { dependencyClosure, RUNTIME_PACKAGES, shipsFile } from "../../lib/runtime-layer.js";
import { EdgeStack } from "../../lib/edge.js";
import { EDGE_ORIGIN_HEADER, EDGE_VIEWER_HEADER } from "../../functions/http.js";

function synth(stage: "dev" | "prod" = "dev", architecture = Architecture.X86_64, guardrails: Partial<Guardrails> = {}) {
  // Bundling is skipped here (it is exercised by lambda-bundle.test.ts); the template is the same.
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  const stack = new PhotoAnalysisStack(app, `Test-${stage}`, { stage, architecture, guardrails });
  return { app, stack, template: Template.fromStack(stack) };
}

/** What the default stack deploys: every route but the try page (-c tryPage=true). */
const HTTP_ROUTES = deployedRoutes();

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;
let template: Template;
let resources: Resources;

beforeAll(() => {
  template = synth().template;
  resources = template.toJSON().Resources as Resources;
});

function functionIdFor(routeId: string): string {
  const id = Object.keys(resources).find((key) => key.startsWith(`${routeId}Function`) && resources[key]!.Type === "AWS::Lambda::Function");
  if (!id) throw new Error(`no function for ${routeId}`);
  return id;
}

function policyStatementsOf(functionId: string): any[] {
  const roleRef = resources[functionId]!.Properties.Role["Fn::GetAtt"][0];
  return Object.values(resources)
    .filter((r) => r.Type === "AWS::IAM::Policy" && r.Properties.Roles.some((role: any) => role.Ref === roleRef))
    .flatMap((r) => r.Properties.PolicyDocument.Statement);
}

function actionsOf(functionId: string): string[] {
  return policyStatementsOf(functionId).flatMap((s) => [s.Action].flat());
}

describe("API and functions", () => {
  it("routes each seed endpoint (without trailing slash, as API Gateway needs) to its own function", () => {
    for (const route of HTTP_ROUTES) {
      const routeResource = Object.values(resources).find(
        (r) => r.Type === "AWS::ApiGatewayV2::Route" && r.Properties.RouteKey === `${route.method} ${apiGatewayPath(route.path)}`,
      );
      expect(routeResource, route.path).toBeDefined();
      const integrationId = routeResource!.Properties.Target["Fn::Join"][1][1].Ref as string;
      const integrationUri = resources[integrationId]!.Properties.IntegrationUri["Fn::GetAtt"][0];
      expect(integrationUri).toBe(functionIdFor(route.id));
    }
    // Plus the cleanup, the queue's worker, the settings seeder and one per WebSocket route.
    template.resourceCountIs("AWS::Lambda::Function", HTTP_ROUTES.length + 3 + WEBSOCKET_ROUTES.length);
  });

  it("runs Node.js 22 with the configured architecture, memory, timeout and live-config environment", () => {
    for (const route of HTTP_ROUTES) {
      const props = resources[functionIdFor(route.id)]!.Properties;
      expect(props.Runtime).toBe("nodejs22.x");
      expect(props.Architectures).toEqual(["x86_64"]);
      expect(props.MemorySize).toBe(route.memoryMb);
      expect(props.Timeout).toBe(route.timeoutSeconds);
      expect(props.Environment.Variables.PHOTO_ANALYSIS_SSM_PREFIX).toBe("/photo-analysis/dev");
      expect(props.Environment.Variables.PHOTO_ANALYSIS_TABLE).toEqual({ Ref: expect.stringMatching(/^Table/) });
      expect(props.Environment.Variables.OPENAI_API_KEY).toBeUndefined();
    }
    expect(synth("dev", Architecture.ARM_64).template.toJSON().Resources[functionIdFor("Upload")].Properties.Architectures).toEqual(["arm64"]);
  });

  it("links from the deployment's own URL (or a custom domain), and hands every function the log pseudonym key by reference only", () => {
    const secrets = Object.entries(resources).filter(([, r]) => r.Type === "AWS::SecretsManager::Secret");
    expect(secrets).toHaveLength(1);
    const [secretId, secret] = secrets[0]!;
    expect(secret.Properties.GenerateSecretString).toMatchObject({ PasswordLength: 64 });
    const apiId = Object.keys(resources).find((id) => resources[id]!.Type === "AWS::ApiGatewayV2::Api" && resources[id]!.Properties.ProtocolType === "HTTP")!;
    const functions = Object.values(resources).filter((r) => r.Type === "AWS::Lambda::Function" && r.Properties.Environment);
    // Every route, the worker, the cleanup, the settings seeder and the WebSocket routes.
    expect(functions.length).toBe(HTTP_ROUTES.length + 3 + WEBSOCKET_ROUTES.length);
    for (const fn of functions) {
      const variables = fn.Properties.Environment.Variables;
      // A CloudFormation dynamic reference to the generated secret: the key itself is in neither code nor template.
      expect(JSON.stringify(variables.PHOTO_ANALYSIS_LOG_PSEUDONYM_KEY)).toMatch(new RegExp(`\\{\\{resolve:secretsmanager:.*${secretId}.*SecretString`));
      expect(JSON.stringify(variables.PHOTO_ANALYSIS_PUBLIC_BASE_URL)).toContain(apiId);
    }
    const custom = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    const domain = new PhotoAnalysisStack(custom, "Custom", { stage: "prod", architecture: Architecture.X86_64, publicBaseUrl: "https://api.example.com" });
    const upload = Object.entries(Template.fromStack(domain).toJSON().Resources as Resources).find(
      ([id, r]) => id.startsWith("UploadFunction") && r.Type === "AWS::Lambda::Function",
    )![1];
    expect(upload.Properties.Environment.Variables.PHOTO_ANALYSIS_PUBLIC_BASE_URL).toBe("https://api.example.com");
  });

  it("gives only the upload function the vision runtime layer", () => {
    expect(resources[functionIdFor("Upload")]!.Properties.Layers).toHaveLength(1);
    for (const id of ["Image", "GetAnalysis", "Recent", "Cleanup", "UploadUrl"]) expect(resources[functionIdFor(id)]!.Properties.Layers).toBeUndefined();
  });

  it("serves the try page at / only with -c tryPage=true, as static files with no data access, naming the WebSocket API for its CSP", () => {
    expect(Object.keys(resources).some((key) => key.startsWith("TryPageFunction"))).toBe(false);
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    const withPage = Template.fromStack(new PhotoAnalysisStack(app, "Test-try", { stage: "dev", architecture: Architecture.X86_64, tryPage: true })).toJSON()
      .Resources as Resources;
    const routeKeys = Object.values(withPage)
      .filter((r) => r.Type === "AWS::ApiGatewayV2::Route")
      .map((r) => r.Properties.RouteKey);
    expect(routeKeys).toEqual(expect.arrayContaining(["GET /", "GET /try/assets/{file}", "GET /docs", "GET /docs/assets/{file}"]));
    const [pageId, page] = Object.entries(withPage).find(([key, r]) => key.startsWith("TryPageFunction") && r.Type === "AWS::Lambda::Function")!;
    expect(page.Properties.Environment.Variables.PHOTO_ANALYSIS_EVENTS_URL).toBeDefined();
    const roleRef = withPage[pageId]!.Properties.Role["Fn::GetAtt"][0];
    const actions = Object.values(withPage)
      .filter((r) => r.Type === "AWS::IAM::Policy" && r.Properties.Roles.some((role: any) => role.Ref === roleRef))
      .flatMap((r) => r.Properties.PolicyDocument.Statement.flatMap((statement: any) => [statement.Action].flat()));
    expect(actions.filter((action: string) => !action.startsWith("xray:"))).toEqual([]);
  });

  it("keeps function and access logs for a month", () => {
    const groups = Object.values(resources).filter((r) => r.Type === "AWS::Logs::LogGroup");
    // One per function (routes, cleanup, worker, settings seeder, WebSocket routes) and one for both APIs' access logs.
    expect(groups).toHaveLength(HTTP_ROUTES.length + 3 + WEBSOCKET_ROUTES.length + 1);
    expect(groups.every((group) => group.Properties.RetentionInDays === 30)).toBe(true);
    for (const route of HTTP_ROUTES) expect(resources[functionIdFor(route.id)]!.Properties.LoggingConfig.LogGroup).toBeDefined();
  });
});

describe("DynamoDB table", () => {
  it("is on-demand with PITR, TTL and every index the code queries", () => {
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      BillingMode: "PAY_PER_REQUEST",
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: "ttl", Enabled: true },
      SSESpecification: { SSEEnabled: true },
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
    });
    const table = Object.values(resources).find((r) => r.Type === "AWS::DynamoDB::Table")!;
    const indexes = table.Properties.GlobalSecondaryIndexes.map((index: any) => index.IndexName).sort();
    expect(indexes).toEqual(
      Object.values(INDEXES)
        .map((index) => index.name)
        .sort(),
    );
    expect(indexes).toEqual(expect.arrayContaining(["byFileHash", "byPhash", "byFingerprint", "byExpiry"]));
  });

  it("is retained and protected in prod, disposable in dev", () => {
    const prod = synth("prod").template;
    prod.hasResource("AWS::DynamoDB::Table", { DeletionPolicy: "Retain", Properties: Match.objectLike({ DeletionProtectionEnabled: true }) });
    template.hasResource("AWS::DynamoDB::Table", { DeletionPolicy: "Delete" });
  });
});

describe("guardrails", () => {
  it("throttles the stage, reserves upload concurrency and writes access logs, each configurable", () => {
    const defaults = guardrailDefaults("dev");
    template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      DefaultRouteSettings: { ThrottlingRateLimit: defaults.throttleRate, ThrottlingBurstLimit: defaults.throttleBurst },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp("requestId") },
    });
    expect(resources[functionIdFor("Upload")]!.Properties.ReservedConcurrentExecutions).toBe(defaults.uploadConcurrency);
    expect(resources[functionIdFor("Recent")]!.Properties.ReservedConcurrentExecutions).toBeUndefined();
    const tuned = synth("prod", Architecture.X86_64, { throttleRate: 7, throttleBurst: 9, uploadConcurrency: 3 });
    tuned.template.hasResourceProperties("AWS::ApiGatewayV2::Stage", { DefaultRouteSettings: { ThrottlingRateLimit: 7, ThrottlingBurstLimit: 9 } });
    const tunedResources = tuned.template.toJSON().Resources as Resources;
    const upload = Object.entries(tunedResources).find(([key, r]) => key.startsWith("UploadFunction") && r.Type === "AWS::Lambda::Function")![1];
    expect(upload.Properties.ReservedConcurrentExecutions).toBe(3);
  });

  it("alarms on 5xx rate, provider failures, throttles, every function's errors and upload duration, to an SNS topic that can email", () => {
    const alarms = Object.values(resources).filter((r) => r.Type === "AWS::CloudWatch::Alarm");
    const descriptions = alarms.map((a) => a.Properties.AlarmDescription as string);
    expect(descriptions.some((d) => /5xx/.test(d))).toBe(true);
    expect(descriptions.some((d) => /provider/i.test(d))).toBe(true);
    expect(descriptions.some((d) => /throttled/.test(d))).toBe(true);
    expect(descriptions.some((d) => /timeout/.test(d))).toBe(true);
    for (const route of HTTP_ROUTES)
      expect(
        descriptions.some((d) => d.startsWith(`${route.id} function errors`)),
        route.id,
      ).toBe(true);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toHaveLength(1);
    template.resourceCountIs("AWS::SNS::Subscription", 0);
    synth("dev", Architecture.X86_64, { alarmEmail: "ops@example.com" }).template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "ops@example.com",
    });
  });

  it("allows CORS from the configured origins only (dev default any; prod none unless given)", () => {
    template.hasResourceProperties("AWS::ApiGatewayV2::Api", {
      CorsConfiguration: Match.objectLike({ AllowOrigins: ["*"], AllowMethods: Match.arrayWith(["DELETE"]) }),
    });
    const prod = synth("prod").template.toJSON().Resources as Resources;
    const prodApi = Object.values(prod).find((r) => r.Type === "AWS::ApiGatewayV2::Api")!;
    expect(prodApi.Properties.CorsConfiguration).toBeUndefined();
    const app = synth("prod", Architecture.X86_64, { corsOrigins: ["https://app.example.com"] }).template;
    app.hasResourceProperties("AWS::ApiGatewayV2::Api", {
      CorsConfiguration: Match.objectLike({ AllowOrigins: ["https://app.example.com"], ExposeHeaders: Match.arrayWith(["x-request-id"]) }),
    });
    app.hasResourceProperties("AWS::S3::Bucket", { CorsConfiguration: { CorsRules: [Match.objectLike({ AllowedOrigins: ["https://app.example.com"] })] } });
  });
});

describe("S3 bucket", () => {
  it("is private, encrypted, TLS-only, and expires images as a safety net behind the cleanup", () => {
    template.hasResourceProperties("AWS::S3::Bucket", {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Prefix: "photo_analysis/", ExpirationInDays: lifecycleDays(720), Status: "Enabled" })]),
      },
    });
    // Derived from the TTL ceiling, which the functions enforce: raising the TTL in SSM cannot outlive it.
    expect(lifecycleDays(720)).toBeGreaterThan(720 / 24);
    const fn = resources[functionIdFor("Upload")]!;
    expect(fn.Properties.Environment.Variables.PHOTO_ANALYSIS_MAX_IMAGE_TTL_HOURS).toBe("720");
    const custom = synth("dev", Architecture.X86_64, { maxImageTtlHours: 24 * 90 }).template;
    custom.hasResourceProperties("AWS::S3::Bucket", {
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Prefix: "photo_analysis/", ExpirationInDays: 92 })]) },
    });
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: "Deny", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } })]),
      },
    });
  });
});

describe("live settings and schedule", () => {
  it("seeds every setting under <prefix>/settings/ with the seed default, through the settings seeder (no CloudFormation-owned parameters)", () => {
    const defaults = defaultSettingStrings();
    const seeders = Object.values(resources).filter((r) => r.Type === "Custom::PhotoAnalysisSettings");
    expect(seeders).toHaveLength(1);
    const properties = seeders[0]!.Properties;
    expect(properties.ServiceToken).toEqual({ "Fn::GetAtt": [functionIdFor("SettingsSeeder"), "Arn"] });
    expect(properties.Prefix).toBe("/photo-analysis/dev");
    expect(properties.Names).toEqual(SETTING_NAMES);
    for (const [name, value] of Object.entries(defaults)) {
      // Settings with no default (an empty fallback list, no model directory) are created by operators when needed.
      if (value === "undefined" || value === "") expect(properties.Defaults[name], name).toBeUndefined();
      else expect(properties.Defaults[name], name).toBe(value);
    }
    expect(properties.Defaults.PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS).toBe("5");
    expect(properties.Defaults.PHOTO_ANALYSIS_IMAGE_TTL_HOURS).toBe("168");
    // A dev stack takes its settings with it; prod keeps them, like its table.
    expect(properties.RemoveOnDelete).toBe("true");
    const prod = Object.values(synth("prod").template.toJSON().Resources as Resources).find((r) => r.Type === "Custom::PhotoAnalysisSettings")!;
    expect(prod.Properties).toMatchObject({ Prefix: "/photo-analysis/prod", RemoveOnDelete: "false" });
    template.resourceCountIs("AWS::SSM::Parameter", 0);
    // Functions that read settings are updated after the seeder ran: an upgrade never serves an empty settings/ path.
    const dependsOn = (id: string) => (template.toJSON().Resources[functionIdFor(id)].DependsOn ?? []) as string[];
    for (const id of ["Upload", "Worker", "UploadUrl", "Health"]) expect(dependsOn(id), id).toContain("Settings");
    expect(dependsOn("Recent")).not.toContain("Settings");
    // The seeder may write only under settings/ and read only settings and their old places, never secrets.
    const seederSsm = policyStatementsOf(functionIdFor("SettingsSeeder")).filter((statement) =>
      [statement.Action].flat().some((action: string) => action.startsWith("ssm:")),
    );
    const flat = JSON.stringify(seederSsm);
    expect(flat).not.toContain("secrets");
    expect(
      seederSsm.map((statement) => [
        [statement.Action].flat().sort().join(","),
        JSON.stringify(statement.Resource).match(/parameter\/photo-analysis\/dev\/[^"]+/g),
      ]),
    ).toEqual([
      ["ssm:GetParameters", ["parameter/photo-analysis/dev/settings/*", "parameter/photo-analysis/dev/PHOTO_ANALYSIS_*"]],
      ["ssm:DeleteParameters,ssm:PutParameter", ["parameter/photo-analysis/dev/settings/*"]],
    ]);
  });

  it("runs the cleanup function hourly", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(1 hour)",
      Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [functionIdFor("Cleanup"), "Arn"] } })],
    });
  });
});

describe("least privilege per function", () => {
  it("the image proxy reads images and cannot write anything", () => {
    const actions = actionsOf(functionIdFor("Image"));
    expect(actions).toContain("s3:GetObject");
    expect(actions.filter((a) => /^s3:(Put|Delete)/.test(a))).toEqual([]);
    expect(actions.filter((a) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(a))).toEqual([]);
    expect(actions).not.toContain("ssm:GetParameter");
  });

  it("the read-only routes touch no images; only the analysing functions (upload, worker) can read or decrypt API keys", () => {
    for (const id of ["GetAnalysis", "Recent"]) expect(actionsOf(functionIdFor(id)).filter((a) => a.startsWith("s3:"))).toEqual([]);
    const functions = Object.keys(resources).filter((id) => resources[id]!.Type === "AWS::Lambda::Function" && /Function[0-9A-F]{8}$/.test(id));
    const secretsArn = "parameter/photo-analysis/dev/secrets";
    const readsSecrets = functions.filter((id) =>
      policyStatementsOf(id).some(
        (statement) =>
          JSON.stringify(statement.Resource).includes(secretsArn) ||
          [statement.Action].flat().some((action: string) => /^(ssm:\*|\*)$/.test(action)) ||
          // A path grant covers everything below it: any path but settings/ itself could reach secrets/.
          ([statement.Action].flat().includes("ssm:GetParametersByPath") && !/\/settings"\]\]\}$/.test(JSON.stringify(statement.Resource))),
      ),
    );
    expect(readsSecrets.map((id) => id.replace(/Function.*$/, "")).sort()).toEqual(["Upload", "Worker"]);
    // No IAM policy grants KMS use at all: decryption is the secrets key's policy's to give.
    for (const id of functions)
      expect(
        actionsOf(id).filter((action) => action.startsWith("kms:")),
        id,
      ).toEqual([]);
    expect(actionsOf(functionIdFor("Upload"))).toEqual(expect.arrayContaining(["ssm:GetParameter", "s3:PutObject", "rekognition:DetectModerationLabels"]));
    // Moderation runs where photos are analysed: the upload function and the worker, nowhere else.
    const moderating = functions.filter((id) => actionsOf(id).includes("rekognition:DetectModerationLabels"));
    expect(moderating.map((id) => id.replace(/Function.*$/, "")).sort()).toEqual(["Upload", "Worker"]);
  });

  it("keeps secrets apart from settings: the settings grant is the settings path exactly, never the stage's root", () => {
    const functions = Object.keys(resources).filter((id) => resources[id]!.Type === "AWS::Lambda::Function" && /Function[0-9A-F]{8}$/.test(id));
    const byPath = functions.flatMap((id) =>
      policyStatementsOf(id)
        .filter((statement) => [statement.Action].flat().includes("ssm:GetParametersByPath"))
        .map((statement) => [id.replace(/Function.*$/, ""), JSON.stringify(statement.Resource)] as const),
    );
    expect(byPath.map(([name]) => name).sort()).toEqual(["Batch", "Health", "Upload", "UploadUrl", "Worker"]);
    for (const [, resource] of byPath) expect(resource).toMatch(/:parameter\/photo-analysis\/dev\/settings"\]\]\}$/);
    // Health learns whether a key exists from its name only: no GetParameter, no key.
    const health = policyStatementsOf(functionIdFor("Health"));
    expect(
      health.filter((statement) => [statement.Action].flat().some((action: string) => action.startsWith("ssm:"))).map((statement) => statement.Action),
    ).toEqual(["ssm:GetParametersByPath", "ssm:DescribeParameters"]);
  });

  it("encrypts secrets with the stack's own rotating key, whose policy lets only the upload and worker roles decrypt, through SSM, under secrets/", () => {
    const keys = Object.values(resources).filter((r) => r.Type === "AWS::KMS::Key");
    expect(keys).toHaveLength(1);
    const key = keys[0]!.Properties;
    expect(key.EnableKeyRotation).toBe(true);
    const statements = key.KeyPolicy.Statement as any[];
    const using = statements.filter((statement) =>
      [statement.Action].flat().some((action: string) => /^kms:(\*|Decrypt|ReEncrypt|ReEncrypt\*|ReEncryptFrom)$/.test(action)),
    );
    expect(using).toHaveLength(1);
    const decrypt = using[0]!;
    expect(decrypt.Action).toBe("kms:Decrypt");
    const roleOf = (name: string) => resources[functionIdFor(name)]!.Properties.Role["Fn::GetAtt"][0];
    expect(decrypt.Principal.AWS.map((principal: any) => principal["Fn::GetAtt"][0]).sort()).toEqual([roleOf("Upload"), roleOf("Worker")].sort());
    expect(decrypt.Condition.StringEquals["kms:ViaService"]).toEqual({ "Fn::Join": ["", ["ssm.", { Ref: "AWS::Region" }, ".amazonaws.com"]] });
    expect(JSON.stringify(decrypt.Condition.StringLike["kms:EncryptionContext:PARAMETER_ARN"])).toContain(":parameter/photo-analysis/dev/secrets/*");
    // The account administers the key and may encrypt through SSM (operators put secrets), nothing more.
    for (const statement of statements.filter((s) => s !== decrypt)) {
      expect(JSON.stringify(statement.Principal)).toContain(":root");
      for (const action of [statement.Action].flat() as string[]) expect(action, statement.Sid).not.toMatch(/^kms:(\*|Decrypt|ReEncrypt)/);
    }
    template.hasResourceProperties("AWS::KMS::Alias", { AliasName: "alias/photo-analysis/dev/secrets" });
  });

  it("grants the table by item kind: no Scan anywhere, every item action under dynamodb:LeadingKeys, index queries by index name", () => {
    const functions = Object.keys(resources).filter((id) => resources[id]!.Type === "AWS::Lambda::Function" && /Function[0-9A-F]{8}$/.test(id));
    for (const id of functions) {
      for (const statement of policyStatementsOf(id).filter((s) => [s.Action].flat().some((action: string) => action.startsWith("dynamodb:")))) {
        const actions = [statement.Action].flat() as string[];
        expect(
          actions.filter((action) => /Scan|\*/.test(action)),
          id,
        ).toEqual([]);
        const resource = JSON.stringify(statement.Resource);
        if (resource.includes("/index/")) {
          expect(actions, id).toEqual(["dynamodb:Query"]);
          expect(resource, id).not.toContain("*");
        } else {
          expect(statement.Condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"].length, id).toBeGreaterThan(0);
          expect(statement.Condition.Null, id).toEqual({ "dynamodb:LeadingKeys": "false" });
        }
      }
    }
  });

  it("refuses a JWT issuer without an audience or a Cognito client id, and passes a client id on", () => {
    expect(
      () =>
        new PhotoAnalysisStack(new App({ context: { "aws:cdk:bundling-stacks": [] } }), "NoAudience", {
          stage: "dev",
          architecture: Architecture.X86_64,
          jwt: { issuer: "https://cognito-idp.eu-west-1.amazonaws.com/pool" },
        }),
    ).toThrow(/PHOTO_ANALYSIS_JWT_AUDIENCE.*PHOTO_ANALYSIS_JWT_CLIENT_ID/);
    const stack = new PhotoAnalysisStack(new App({ context: { "aws:cdk:bundling-stacks": [] } }), "ClientId", {
      stage: "dev",
      architecture: Architecture.X86_64,
      jwt: { issuer: "https://issuer.example", clientId: "app-client", tokenUse: "access" },
    });
    const upload = Object.entries(Template.fromStack(stack).toJSON().Resources as Resources).find(
      ([id, r]) => id.startsWith("UploadFunction") && r.Type === "AWS::Lambda::Function",
    )![1];
    expect(upload.Properties.Environment.Variables).toMatchObject({
      PHOTO_ANALYSIS_JWT_ISSUER: "https://issuer.example",
      PHOTO_ANALYSIS_JWT_CLIENT_ID: "app-client",
      PHOTO_ANALYSIS_JWT_TOKEN_USE: "access",
    });
  });

  it("the cleanup can delete images and records but not read or write images", () => {
    const actions = actionsOf(functionIdFor("Cleanup"));
    expect(actions).toContain("s3:DeleteObject");
    expect(actions).not.toContain("s3:PutObject");
    expect(actions).not.toContain("s3:GetObject");
    expect(actions).toContain("dynamodb:DeleteItem");
  });

  it("scopes S3 access to the image and staging prefixes, each function to what it does", () => {
    const s3Access = (id: string) =>
      policyStatementsOf(functionIdFor(id))
        .filter((s) => [s.Action].flat().some((a: string) => a.startsWith("s3:")))
        .map((s) => {
          const prefixes = s.Condition?.StringLike?.["s3:prefix"];
          const listing = prefixes && [prefixes].flat().join(" and ");
          const target = listing
            ? `the bucket, keys ${listing}`
            : JSON.stringify(s.Resource).includes("/uploads/*")
              ? "uploads/*"
              : JSON.stringify(s.Resource).includes("/photo_analysis/*")
                ? "photo_analysis/*"
                : "OTHER";
          return `${[s.Action].flat().sort().join(",")} on ${target}`;
        })
        .sort();
    // It writes images (and removes one whose upload never committed), and reads one only as the source
    // of a server-side copy (another caller's exact hit); listing makes a vanished source a 404.
    expect(s3Access("Upload")).toEqual([
      "s3:DeleteObject,s3:GetObject,s3:PutObject on photo_analysis/*",
      "s3:DeleteObject,s3:GetObject,s3:PutObject on uploads/*",
      "s3:ListBucket on the bucket, keys photo_analysis/* and uploads/*",
    ]);
    expect(s3Access("UploadUrl")).toEqual(["s3:PutObject on uploads/*"]);
    // Listing lets S3 answer 404 (not 403) for a missing key: an expired image is a 410/404, never a 500.
    expect(s3Access("Image")).toEqual(["s3:GetObject on photo_analysis/*", "s3:ListBucket on the bucket, keys photo_analysis/*"]);
    // The orphan sweep lists image keys only.
    expect(s3Access("Cleanup")).toEqual(["s3:DeleteObject on photo_analysis/*", "s3:ListBucket on the bucket, keys photo_analysis/*"]);
    expect(s3Access("Recent")).toEqual([]);
    // The owner's delete removes the upload's image; it cannot read or write images.
    expect(s3Access("Delete")).toEqual(["s3:DeleteObject on photo_analysis/*"]);
    // Async analysis: the batch function only stages photos; the worker consumes them and writes images.
    expect(s3Access("Batch")).toEqual(["s3:DeleteObject,s3:PutObject on uploads/*"]);
    expect(s3Access("Worker")).toEqual([
      "s3:DeleteObject,s3:GetObject on uploads/*",
      "s3:DeleteObject,s3:GetObject,s3:PutObject on photo_analysis/*",
      "s3:ListBucket on the bucket, keys photo_analysis/* and uploads/*",
    ]);
    for (const route of WEBSOCKET_ROUTES) expect(s3Access(route.id)).toEqual([]);
    expect(s3Access("Health")).toEqual(["s3:GetObject on photo_analysis/*", "s3:ListBucket on the bucket, keys photo_analysis/*"]);
  });

  it("lets browsers POST presigned uploads and expires staged files after a day", () => {
    template.hasResourceProperties("AWS::S3::Bucket", {
      CorsConfiguration: { CorsRules: [Match.objectLike({ AllowedMethods: ["POST"] })] },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Prefix: "uploads/", ExpirationInDays: 1 })]) },
    });
  });
});

describe("async analysis: queue, worker and progress WebSocket", () => {
  const byType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

  it("queues jobs on SQS with a dead-letter queue, a visibility timeout above the worker's timeout, and an alarm on dead letters", () => {
    const queues = byType("AWS::SQS::Queue");
    expect(queues).toHaveLength(2);
    const [jobsId, jobs] = queues.find(([, r]) => r.Properties.RedrivePolicy)!;
    const [deadLettersId] = queues.find(([id]) => id !== jobsId)!;
    expect(jobs.Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { "Fn::GetAtt": [deadLettersId, "Arn"] }, maxReceiveCount: 3 });
    expect(jobs.Properties.VisibilityTimeout).toBeGreaterThan(WORKER_FUNCTION.timeoutSeconds);
    const alarm = byType("AWS::CloudWatch::Alarm").find(([id]) => id.startsWith("JobsDeadLettered"))![1];
    expect(alarm.Properties).toMatchObject({ MetricName: "ApproximateNumberOfMessagesVisible", Namespace: "AWS/SQS", Threshold: 1 });
    expect(alarm.Properties.Dimensions).toEqual([{ Name: "QueueName", Value: { "Fn::GetAtt": [deadLettersId, "QueueName"] } }]);
  });

  it("has the worker consume the queue with partial batch responses, the vision layer and the upload's rights", () => {
    const [, mapping] = byType("AWS::Lambda::EventSourceMapping")[0]!;
    expect(mapping.Properties.FunctionName).toEqual({ Ref: functionIdFor("Worker") });
    expect(mapping.Properties.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
    const worker = resources[functionIdFor("Worker")]!.Properties;
    expect(worker.Layers).toHaveLength(1);
    expect(worker.Timeout).toBe(WORKER_FUNCTION.timeoutSeconds);
    expect(worker.Environment.Variables.PHOTO_ANALYSIS_QUEUE_MAX_RECEIVES).toBe("3");
    expect(worker.Environment.Variables.PHOTO_ANALYSIS_EVENTS_CALLBACK_URL).toBeDefined();
    const actions = actionsOf(functionIdFor("Worker"));
    expect(actions).toEqual(expect.arrayContaining(["sqs:ReceiveMessage", "sqs:DeleteMessage", "execute-api:ManageConnections", "ssm:GetParameter"]));
    expect(actions).not.toContain("sqs:SendMessage");
  });

  it("lets only the upload and batch functions queue jobs, and only the worker and the message route post to connections", () => {
    for (const route of HTTP_ROUTES) {
      const actions = actionsOf(functionIdFor(route.id));
      const variables = resources[functionIdFor(route.id)]!.Properties.Environment.Variables;
      const queues = ["Upload", "Batch"].includes(route.id);
      expect(actions.includes("sqs:SendMessage"), route.id).toBe(queues);
      expect(variables.PHOTO_ANALYSIS_QUEUE_URL !== undefined, route.id).toBe(queues);
      expect(variables.PHOTO_ANALYSIS_EVENTS_URL !== undefined, route.id).toBe(queues);
      expect(actions, route.id).not.toContain("execute-api:ManageConnections");
    }
    for (const route of WEBSOCKET_ROUTES)
      expect(actionsOf(functionIdFor(route.id)).includes("execute-api:ManageConnections"), route.id).toBe(route.id === "EventsMessage");
  });

  it("serves a WebSocket API whose $connect, $disconnect, subscribe and $default routes reach their functions, throttled and logged", () => {
    const [apiId, api] = byType("AWS::ApiGatewayV2::Api").find(([, r]) => r.Properties.ProtocolType === "WEBSOCKET")!;
    expect(api.Properties.RouteSelectionExpression).toBe("$request.body.action");
    for (const route of WEBSOCKET_ROUTES) {
      for (const routeKey of route.routeKeys) {
        const [, resource] = byType("AWS::ApiGatewayV2::Route").find(([, r]) => r.Properties.RouteKey === routeKey && r.Properties.ApiId.Ref === apiId)!;
        const integrationId = resource.Properties.Target["Fn::Join"][1][1].Ref as string;
        expect(JSON.stringify(resources[integrationId]!.Properties.IntegrationUri), routeKey).toContain(functionIdFor(route.id));
      }
    }
    const [, stage] = byType("AWS::ApiGatewayV2::Stage").find(([, r]) => r.Properties.ApiId.Ref === apiId)!;
    expect(stage.Properties.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: guardrailDefaults("dev").throttleRate });
    expect(stage.Properties.AccessLogSettings.Format).toContain("connectionId");
    expect(Object.keys(template.toJSON().Outputs)).toEqual(expect.arrayContaining(["EventsUrl", "JobsQueueUrl"]));
  });
});

describe("admin", () => {
  it("gets its own read-only functions: no writes to the table, no bucket, no keys", () => {
    for (const id of ["AdminList", "AdminDetail", "AdminStats"]) {
      const actions = actionsOf(functionIdFor(id));
      expect(
        actions.some((action) => action === "dynamodb:Query" || action === "dynamodb:GetItem"),
        id,
      ).toBe(true);
      expect(
        actions.filter((a) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(a)),
        id,
      ).toEqual([]);
      expect(
        actions.filter((a) => a.startsWith("s3:") || a.startsWith("kms:") || a.startsWith("ssm:")),
        id,
      ).toEqual([]);
      expect(resources[functionIdFor(id)]!.Properties.Environment.Variables.PHOTO_ANALYSIS_ADMIN_GROUP).toBe("admin");
    }
    expect(actionsOf(functionIdFor("AdminPage")).filter((a) => a.startsWith("dynamodb:") || a.startsWith("s3:"))).toEqual([]);
  });
});

describe("cdk-nag AwsSolutions", () => {
  it("reports nothing beyond the acknowledged, reasoned findings", () => {
    for (const stage of ["dev", "prod"] as const) {
      const { app, stack } = synth(stage);
      acknowledgeFindings(stack);
      const report = new AwsSolutionsChecks(app).validateScope(stack);
      expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(",")}`)).toEqual([]);
    }
  });
});

describe("runtime layer contents", () => {
  it("includes sharp's native binary for linux-x64 and drops what does not run", () => {
    const closure = [...dependencyClosure(["sharp"]).keys()];
    expect(closure).toEqual(expect.arrayContaining(["node_modules/sharp", "node_modules/@img/sharp-linux-x64"]));
    expect(shipsFile("@vladmandic/human", "models/centernet.bin")).toBe(true);
    expect(shipsFile("@vladmandic/human", "models/facemesh.bin")).toBe(false);
    // Only the detector's weights run (in onnxruntime): not human's own TF.js code.
    expect(shipsFile("@vladmandic/human", "dist/human.node-wasm.js")).toBe(false);
    expect(RUNTIME_PACKAGES.filter((name) => name.startsWith("@tensorflow/"))).toEqual([]);
    expect(shipsFile("sharp", "lib/index.js")).toBe(true);
    expect(shipsFile("nsfwjs", "dist/models/mobilenet_v2/group1-shard1of1.min.js")).toBe(true);
    expect(shipsFile("nsfwjs", "dist/models/inception_v3/group1-shard1of6.min.js")).toBe(false);
    expect(shipsFile("nsfwjs", "dist/browser/nsfwjs.min.js")).toBe(false);
    expect(shipsFile("nsfwjs", "dist/models/package.json")).toBe(true);
  });

  it("carries onnxruntime's binary for the function's CPU only, without the install script's dependencies", () => {
    const closure = [...dependencyClosure(["onnxruntime-node"]).keys()];
    expect(closure.sort()).toEqual(["node_modules/onnxruntime-common", "node_modules/onnxruntime-node"]);
    const binary = (arch: string, file: string) => `bin/napi-v6/linux/${arch}/${file}`;
    expect(shipsFile("onnxruntime-node", binary("x64", "libonnxruntime.so.1"))).toBe(true);
    expect(shipsFile("onnxruntime-node", binary("x64", "onnxruntime_binding.node"))).toBe(true);
    expect(shipsFile("onnxruntime-node", binary("arm64", "libonnxruntime.so.1"))).toBe(false);
    expect(shipsFile("onnxruntime-node", binary("arm64", "libonnxruntime.so.1"), "arm64")).toBe(true);
    expect(shipsFile("onnxruntime-node", binary("x64", "libonnxruntime.so.1"), "arm64")).toBe(false);
    expect(shipsFile("onnxruntime-node", "bin/napi-v6/darwin/arm64/onnxruntime_binding.node", "arm64")).toBe(false);
    expect(shipsFile("onnxruntime-node", "bin/napi-v6/win32/x64/onnxruntime_binding.node")).toBe(false);
    expect(shipsFile("onnxruntime-node", "script/install.js")).toBe(false);
    expect(shipsFile("onnxruntime-node", "dist/binding.js")).toBe(true);
    expect(shipsFile("onnxruntime-common", "dist/cjs/index.js")).toBe(true);
    expect(shipsFile("onnxruntime-common", "dist/esm/index.js")).toBe(false);
  });
});

describe("the optional edge (-c edge=true): CloudFront behind AWS WAF, the WAF in us-east-1", () => {
  function synthEdge() {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    const edge = new EdgeStack(app, "Edge", {
      stage: "prod",
      rateLimit: 300,
      env: { account: "123456789012", region: "us-east-1" },
      crossRegionReferences: true,
    });
    const stack = new PhotoAnalysisStack(app, "Main", {
      stage: "prod",
      architecture: Architecture.X86_64,
      edge: { webAclArn: edge.webAclArn },
      crossRegionReferences: true,
      env: { account: "123456789012", region: "eu-west-1" },
    });
    return { app, edge, stack, edgeTemplate: Template.fromStack(edge), main: Template.fromStack(stack) };
  }
  let built: ReturnType<typeof synthEdge>;
  beforeAll(() => {
    built = synthEdge();
  });

  it("puts a CloudFront-scoped web ACL in us-east-1: a rate-based rule per client address (429), the common rule set with photo bodies allowed, known bad inputs", () => {
    expect(built.edge.region).toBe("us-east-1");
    const acl = Object.values(built.edgeTemplate.toJSON().Resources as Resources).find((r) => r.Type === "AWS::WAFv2::WebACL")!.Properties;
    expect(acl.Scope).toBe("CLOUDFRONT");
    expect(acl.DefaultAction).toEqual({ Allow: {} });
    const rules = Object.fromEntries((acl.Rules as any[]).map((rule) => [rule.Name, rule]));
    expect(rules.RateLimitPerClientAddress.Statement.RateBasedStatement).toEqual({ Limit: 300, AggregateKeyType: "IP", EvaluationWindowSec: 300 });
    expect(rules.RateLimitPerClientAddress.Action.Block.CustomResponse.ResponseCode).toBe(429);
    expect(rules.AWSManagedRulesCommonRuleSet.Statement.ManagedRuleGroupStatement).toMatchObject({
      VendorName: "AWS",
      RuleActionOverrides: [{ Name: "SizeRestrictions_BODY", ActionToUse: { Count: {} } }],
    });
    expect(rules.AWSManagedRulesKnownBadInputsRuleSet.Statement.ManagedRuleGroupStatement.Name).toBe("AWSManagedRulesKnownBadInputsRuleSet");
    for (const rule of acl.Rules as any[]) expect(rule.VisibilityConfig).toMatchObject({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true });
  });

  it("fronts the HTTP API with a distribution that uses that ACL across regions, caches nothing, forwards all but Host, and adds the origin secret and the client's address", () => {
    const resources = built.main.toJSON().Resources as Resources;
    const distribution = Object.values(resources).find((r) => r.Type === "AWS::CloudFront::Distribution")!.Properties.DistributionConfig;
    // The ARN comes from us-east-1 through CDK's cross-region references: the edge stack writes it to an
    // SSM parameter in this region, this stack's export reader resolves it.
    const [reader, exportName] = distribution.WebACLId["Fn::GetAtt"];
    expect(resources[reader]!.Type).toBe("Custom::CrossRegionExportReader");
    expect(resources[reader]!.Properties.ReaderProps.imports[exportName]).toBe(`{{resolve:ssm:${exportName}}}`);
    const writer = Object.values(built.edgeTemplate.toJSON().Resources as Resources).find((r) => r.Type === "Custom::CrossRegionExportWriter")!;
    expect(writer.Properties.WriterProps.region).toBe("eu-west-1");
    expect(Object.keys(writer.Properties.WriterProps.exports)).toEqual([exportName]);
    const origin = distribution.Origins[0];
    expect(JSON.stringify(origin.DomainName)).toContain(".execute-api.");
    expect(origin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: "https-only", OriginSSLProtocols: ["TLSv1.2"] });
    expect(origin.OriginCustomHeaders).toEqual([
      {
        HeaderName: EDGE_ORIGIN_HEADER,
        HeaderValue: { "Fn::Join": ["", ["{{resolve:secretsmanager:", { Ref: expect.stringMatching(/^EdgeOriginSecret/) }, ":SecretString:::}}"]] },
      },
    ]);
    const behavior = distribution.DefaultCacheBehavior;
    expect(behavior.ViewerProtocolPolicy).toBe("https-only");
    expect(behavior.AllowedMethods).toEqual(expect.arrayContaining(["GET", "POST", "OPTIONS"]));
    expect(behavior.CachePolicyId).toBe("4135ea2d-6df8-44a3-9df3-4b5a84be39ad"); // Managed-CachingDisabled
    expect(behavior.OriginRequestPolicyId).toBe("b689b0a8-53d0-40ab-baf2-68738e2966ac"); // Managed-AllViewerExceptHostHeader
    const [association] = behavior.FunctionAssociations;
    expect(association.EventType).toBe("viewer-request");
    const viewerFunction = Object.values(resources).find((r) => r.Type === "AWS::CloudFront::Function")!.Properties;
    expect(viewerFunction.FunctionCode).toContain(`request.headers["${EDGE_VIEWER_HEADER}"] = { value: event.viewer.ip }`);
  });

  it("tells the HTTP functions (not the WebSocket ones) the origin secret and the public address; without the edge nothing of it exists", () => {
    const resources = built.main.toJSON().Resources as Resources;
    const functionOf = (id: string) =>
      Object.entries(resources).find(([key, r]) => key.startsWith(`${id}Function`) && r.Type === "AWS::Lambda::Function")![1].Properties;
    for (const route of HTTP_ROUTES) {
      const variables = functionOf(route.id).Environment.Variables;
      expect(JSON.stringify(variables.PHOTO_ANALYSIS_ORIGIN_SECRET), route.id).toContain("{{resolve:secretsmanager:");
      expect(JSON.stringify(variables.PHOTO_ANALYSIS_PUBLIC_BASE_URL), route.id).toContain("DomainName");
    }
    for (const route of WEBSOCKET_ROUTES) expect(functionOf(route.id).Environment.Variables.PHOTO_ANALYSIS_ORIGIN_SECRET, route.id).toBeUndefined();
    expect(Object.keys(built.main.toJSON().Outputs)).toContain("EdgeUrl");
    for (const type of ["AWS::CloudFront::Distribution", "AWS::CloudFront::Function"]) template.resourceCountIs(type, 0);
    // Only the logs' pseudonym key: no origin secret without the edge.
    template.resourceCountIs("AWS::SecretsManager::Secret", 1);
    expect(JSON.stringify(template.toJSON())).not.toContain("PHOTO_ANALYSIS_ORIGIN_SECRET");
  });

  it("after a rotation, names the secret's version (-c edgeOriginVersion) in both CloudFront's header and the functions, so both change together", () => {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    const stack = new PhotoAnalysisStack(app, "Rotated", {
      stage: "dev",
      architecture: Architecture.X86_64,
      edge: { webAclArn: "arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1", originSecretVersion: "v-2" },
    });
    const rotated = JSON.stringify(Template.fromStack(stack).toJSON());
    expect(rotated.match(/:SecretString:::v-2\}\}/g)?.length).toBe(HTTP_ROUTES.length + 1);
    expect(rotated).not.toMatch(/EdgeOriginSecret\w*"\},":SecretString:::\}\}/);
  });

  it("passes cdk-nag in both stacks with the edge's reasoned acknowledgements", () => {
    acknowledgeFindings(built.stack);
    for (const stack of [built.edge, built.stack]) {
      const report = new AwsSolutionsChecks(built.app).validateScope(stack);
      expect(
        report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(",")}`),
        stack.stackName,
      ).toEqual([]);
    }
  });
});
