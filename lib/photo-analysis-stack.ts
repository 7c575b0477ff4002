import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import type { HttpApi, WebSocketApi } from "aws-cdk-lib/aws-apigatewayv2";
import type { Table } from "aws-cdk-lib/aws-dynamodb";
import { Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import type { CfnKey } from "aws-cdk-lib/aws-kms";
import type { Architecture } from "aws-cdk-lib/aws-lambda";
import type { Bucket } from "aws-cdk-lib/aws-s3";
import type { Construct } from "constructs";
import { CLEANUP_FUNCTION, deployedRoutes, SETTINGS_SEEDER_FUNCTION, WEBSOCKET_ROUTES, WORKER_FUNCTION } from "../functions/routes.js";
import { requireAudience, type TokenAudience } from "../shared/auth/tokens.js";
import { secretsKeyAlias, secretsPath, settingsPath } from "../shared/config/ssm-layout.js";
import { edgeDistribution } from "./edge.js";
import { Alarms } from "./parts/alarms.js";
import { JobPipeline } from "./parts/async-pipeline.js";
import { DataStores } from "./parts/data.js";
import { FunctionFactory } from "./parts/functions.js";
import { PublicHttpApi } from "./parts/http-api.js";
import { liveSettings } from "./parts/live-settings.js";
import { ProgressEvents } from "./parts/websocket-api.js";
import { runtimeLayer } from "./runtime-layer.js";
import { secretsKey } from "./secrets-key.js";

export { lifecycleDays } from "./parts/data.js";

export type Stage = "dev" | "prod";

export interface PhotoAnalysisStackProps extends StackProps {
  stage: Stage;
  architecture: Architecture;
  /** EventBridge schedule of the cleanup (default: hourly). */
  cleanupSchedule?: Schedule;
  /** Signed-in users: tokens from this issuer, for this API (an audience or a Cognito app client id is required), verified by the functions. */
  jwt?: { issuer: string } & TokenAudience;
  /** JWT group whose members may use the admin (default "admin"). */
  adminGroup?: string;
  /** The API's public origin when a custom domain fronts it (links in answers); default the HTTP API's own URL. */
  publicBaseUrl?: string;
  /** Limits and alarms; every field has a default (see GUARDRAIL_DEFAULTS). */
  guardrails?: Partial<Guardrails>;
  /**
   * CloudFront with AWS WAF in front of the HTTP API (-c edge=true): the web ACL of the EdgeStack
   * (us-east-1), referred to across regions.
   */
  edge?: { webAclArn: string; originSecretVersion?: string };
  /**
   * Ship source maps and turn on --enable-source-maps (readable stack traces). Off by default: Node
   * then reads each function's map at start, ~12 MB for the upload function (-c sourceMaps=true).
   */
  sourceMaps?: boolean;
  /** Serve the try page at / (-c tryPage=true): anyone with the URL can then upload photos from a browser. */
  tryPage?: boolean;
}

export interface Guardrails {
  /** API stage throttling: steady requests per second and burst. */
  throttleRate: number;
  throttleBurst: number;
  /** Reserved concurrency of the upload function (1,769 MB, 60 s: the expensive one). 0: none reserved. */
  uploadConcurrency: number;
  /** Where alarms are emailed (an SNS subscription); alarms go to the topic either way. */
  alarmEmail?: string;
  /** Origins allowed by CORS (API and presigned bucket POSTs). Empty: no CORS. */
  corsOrigins: string[];
  /** The longest image TTL operators may set in SSM: the bucket's lifecycle is derived from it. */
  maxImageTtlHours: number;
}

export function guardrailDefaults(stage: Stage): Guardrails {
  return {
    throttleRate: stage === "prod" ? 50 : 10,
    throttleBurst: stage === "prod" ? 100 : 20,
    uploadConcurrency: stage === "prod" ? 50 : 5,
    corsOrigins: stage === "prod" ? [] : ["*"],
    maxImageTtlHours: 720,
  };
}

/**
 * The whole service: an HTTP API with one Lambda per route (from the same route table the local
 * server uses), the DynamoDB table and image bucket, SSM parameters for every live setting, the
 * async pipeline with its progress WebSocket API, alarms, and the scheduled cleanup. Each piece is
 * in lib/parts/; they create their resources in this stack's own scope (not in child constructs),
 * so that every CloudFormation logical id stays what it has always been (a child construct would
 * put its id into each logical id, and CloudFormation would replace the resources).
 */
export class PhotoAnalysisStack extends Stack {
  readonly api: HttpApi;
  readonly table: Table;
  readonly bucket: Bucket;
  readonly secretsKey: CfnKey;
  readonly events: WebSocketApi;
  /** The CloudFront edge's address, when the stack has one (-c edge=true). */
  readonly edgeUrl?: string;
  readonly stage: Stage;
  /** Where its parameters live: `/photo-analysis/<stage>` (shared/config/ssm-layout.ts). */
  readonly ssmPrefix: string;

  constructor(scope: Construct, id: string, props: PhotoAnalysisStackProps) {
    super(scope, id, props);
    const { stage } = props;
    if (props.jwt) requireAudience(props.jwt.issuer, props.jwt);
    const guardrails: Guardrails = { ...guardrailDefaults(stage), ...props.guardrails };
    const removalPolicy = stage === "prod" ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.stage = stage;
    this.ssmPrefix = `/photo-analysis/${stage}`;

    const data = new DataStores(this, { stage, removalPolicy, corsOrigins: guardrails.corsOrigins, maxImageTtlHours: guardrails.maxImageTtlHours });
    this.table = data.table;
    this.bucket = data.bucket;
    const http = new PublicHttpApi(this, { stage, removalPolicy, ...guardrails });
    this.api = http.api;
    // The optional edge: CloudFront behind WAF; the HTTP functions then refuse requests that bypassed it
    // and build public URLs on the distribution's address.
    const edge = props.edge
      ? edgeDistribution(this, { api: this.api, webAclArn: props.edge.webAclArn, stage, removalPolicy, originSecretVersion: props.edge.originSecretVersion })
      : undefined;
    if (edge) this.edgeUrl = `https://${edge.distribution.distributionDomainName}`;
    const alarms = new Alarms(this, { stage, email: guardrails.alarmEmail });
    alarms.addServiceAlarms(this.api);
    const pipeline = new JobPipeline(this, { workerTimeoutSeconds: WORKER_FUNCTION.timeoutSeconds, alarms });
    const events = new ProgressEvents(this, {
      stage,
      throttleRate: guardrails.throttleRate,
      throttleBurst: guardrails.throttleBurst,
      accessLogs: http.accessLogs,
    });
    this.events = events.api;

    // Pseudo parameters keep the template, and so its cdk-nag acknowledgements, the same in every region and account.
    const parameterArn = `arn:${Aws.PARTITION}:ssm:${Aws.REGION}:${Aws.ACCOUNT_ID}:parameter`;
    const functions = new FunctionFactory(this, {
      architecture: props.architecture,
      environment: deploymentEnvironment(props, {
        data,
        ssmPrefix: this.ssmPrefix,
        maxImageTtlHours: guardrails.maxImageTtlHours,
        publicBaseUrl: props.publicBaseUrl ?? this.edgeUrl ?? this.api.apiEndpoint,
      }),
      visionLayer: runtimeLayer(this, "VisionRuntime", props.architecture),
      access: { table: data.table, bucket: data.bucket, parameterArn, ssmPrefix: this.ssmPrefix },
      removalPolicy,
      sourceMaps: props.sourceMaps === true,
      uploadConcurrency: guardrails.uploadConcurrency,
    });

    for (const route of deployedRoutes({ tryPage: props.tryPage })) {
      const fn = functions.make(route);
      pipeline.grantSend(fn, route.access, events);
      events.grantConnections(fn, route.access);
      // The try page follows progress on the WebSocket API's own origin: its CSP names it.
      if (route.optional === "tryPage") fn.addEnvironment("PHOTO_ANALYSIS_EVENTS_URL", events.stage.url);
      alarms.addFunctionAlarms(route.id, fn, route.timeoutSeconds);
      if (route.id.startsWith("Admin")) fn.addEnvironment("PHOTO_ANALYSIS_ADMIN_GROUP", props.adminGroup ?? "admin");
      if (edge) fn.addEnvironment("PHOTO_ANALYSIS_ORIGIN_SECRET", edge.originValue);
      http.addRoute(route, fn);
    }

    const worker = functions.make(WORKER_FUNCTION);
    pipeline.grantSend(worker, WORKER_FUNCTION.access, events);
    events.grantConnections(worker, WORKER_FUNCTION.access);
    pipeline.consumeWith(worker, Math.max(2, guardrails.uploadConcurrency));
    alarms.addFunctionAlarms(WORKER_FUNCTION.id, worker, WORKER_FUNCTION.timeoutSeconds);

    for (const route of WEBSOCKET_ROUTES) {
      const fn = functions.make({ ...route, memoryMb: 256, timeoutSeconds: 10 });
      pipeline.grantSend(fn, route.access, events);
      events.grantConnections(fn, route.access);
      events.addRoutes(route.id, route.routeKeys, fn);
    }

    // API keys are SecureStrings the operator creates under <prefix>/secrets/ with the stack's key.
    liveSettings(this, { seeder: functions.make(SETTINGS_SEEDER_FUNCTION), ssmPrefix: this.ssmPrefix, stage, readers: functions.settingsReaders });
    new Rule(this, "CleanupSchedule", {
      description: "Deletes expired photo analyses and their images",
      schedule: props.cleanupSchedule ?? Schedule.rate(Duration.hours(1)),
      targets: [new LambdaFunction(functions.make(CLEANUP_FUNCTION), { retryAttempts: 2 })],
    });
    this.secretsKey = secretsKey(this, { ssmPrefix: this.ssmPrefix, parameterArn, decrypters: functions.secretReaders, removalPolicy });

    new CfnOutput(this, "ApiUrl", { value: this.api.apiEndpoint });
    if (this.edgeUrl) new CfnOutput(this, "EdgeUrl", { value: this.edgeUrl });
    new CfnOutput(this, "EventsUrl", { value: events.stage.url });
    new CfnOutput(this, "JobsQueueUrl", { value: pipeline.jobs.queueUrl });
    new CfnOutput(this, "TableName", { value: this.table.tableName });
    new CfnOutput(this, "BucketName", { value: this.bucket.bucketName });
    new CfnOutput(this, "SettingsPath", { value: settingsPath(this.ssmPrefix) });
    new CfnOutput(this, "SecretsPath", { value: secretsPath(this.ssmPrefix) });
    new CfnOutput(this, "SecretsKeyAliasName", { value: secretsKeyAlias(this.ssmPrefix) });
    new CfnOutput(this, "AlarmTopic", { value: alarms.topic.topicArn });
  }
}

/**
 * Every function's environment: the deployment facts shared/runtime reads (table, bucket, SSM
 * prefix, TTL ceiling, public origin, sign-in), and the log pseudonym key by dynamic reference.
 */
function deploymentEnvironment(
  props: PhotoAnalysisStackProps,
  facts: { data: DataStores; ssmPrefix: string; maxImageTtlHours: number; publicBaseUrl: string },
): Record<string, string> {
  return {
    PHOTO_ANALYSIS_TABLE: facts.data.table.tableName,
    PHOTO_ANALYSIS_LOG_PSEUDONYM_KEY: facts.data.pseudonymKey.secretValue.unsafeUnwrap(),
    PHOTO_ANALYSIS_BUCKET: facts.data.bucket.bucketName,
    PHOTO_ANALYSIS_SSM_PREFIX: facts.ssmPrefix,
    PHOTO_ANALYSIS_MAX_IMAGE_TTL_HOURS: String(facts.maxImageTtlHours),
    ...(props.sourceMaps ? { NODE_OPTIONS: "--enable-source-maps" } : {}),
    ...(props.jwt ? { PHOTO_ANALYSIS_JWT_ISSUER: props.jwt.issuer } : {}),
    ...(props.jwt?.audience ? { PHOTO_ANALYSIS_JWT_AUDIENCE: props.jwt.audience } : {}),
    ...(props.jwt?.clientId ? { PHOTO_ANALYSIS_JWT_CLIENT_ID: props.jwt.clientId } : {}),
    ...(props.jwt?.tokenUse ? { PHOTO_ANALYSIS_JWT_TOKEN_USE: props.jwt.tokenUse } : {}),
    // Links in answers (image_url, status_url, Location) come from this, never from request headers:
    // a custom domain, else the edge, else the HTTP API's own URL.
    PHOTO_ANALYSIS_PUBLIC_BASE_URL: facts.publicBaseUrl,
  };
}
