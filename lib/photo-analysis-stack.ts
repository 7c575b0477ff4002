import { join } from "node:path";
import { IMAGE_KEY_PREFIX, STAGING_KEY_PREFIX } from "../shared/domain/image-keys.js";
import { Aws, CfnOutput, CustomResource, Duration, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import { type CfnStage, HttpApi, CorsHttpMethod, HttpMethod, WebSocketApi, WebSocketStage } from "aws-cdk-lib/aws-apigatewayv2";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Alarm, ComparisonOperator, type IMetric, MathExpression, Metric, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { Alias, type CfnKey } from "aws-cdk-lib/aws-kms";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import { HttpLambdaIntegration, WebSocketLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { Effect, type IRole, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { type Architecture, LoggingFormat, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { BlockPublicAccess, Bucket, BucketEncryption, HttpMethods, ObjectOwnership } from "aws-cdk-lib/aws-s3";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";
import { apiGatewayPath, CLEANUP_FUNCTION, deployedRoutes, type FunctionAccess, SETTINGS_SEEDER_FUNCTION, type StaticAssets, WEBSOCKET_ROUTES, WORKER_FUNCTION } from "../functions/routes.js";
import type { SeederProperties } from "../functions/settings-seeder/handler.js";
import { DEFAULT_MAX_RECEIVES } from "../shared/queue/delivery.js";
import { defaultSettingStrings, SETTING_NAMES } from "../shared/config/settings.js";
import { INDEXES, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from "../shared/stores/table-schema.js";
import { secretsKeyAlias, secretsPath, settingsPath } from "../shared/config/ssm-layout.js";
import { requireAudience, type TokenAudience } from "../shared/auth/tokens.js";
import { accessStatements } from "./access.js";
import { edgeDistribution } from "./edge.js";
import { RUNTIME_PACKAGES, runtimeLayer } from "./runtime-layer.js";
import { secretsKey } from "./secrets-key.js";
import { TRY_PAGE_ENTRY, TRY_PAGE_SCRIPT, tryPageBuildFlags } from "../functions/try-page/build-options.js";

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
 * Days the bucket keeps an image: the longest TTL operators may set plus a margin, a safety net
 * behind the cleanup job. Derived from the ceiling, not from the current TTL, so raising the TTL in
 * SSM never deletes an image before its upload expires (the functions refuse TTLs over the ceiling).
 */
export function lifecycleDays(maxImageTtlHours: number): number {
  return Math.ceil(maxImageTtlHours / 24) + 2;
}

const PROJECT_ROOT = process.cwd();

/** Bundling hooks that fill a page function's `static` folder: its own files, npm packages' files, the try page's built script. */
function staticAssetCommands(assets: StaticAssets) {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir: string, outputDir: string) => [
      `mkdir -p "${outputDir}/static"`,
      `cp "${inputDir}/${assets.folder}/"* "${outputDir}/static/"`,
      ...(assets.packageFiles ?? []).map((file) => `cp "${inputDir}/node_modules/${file}" "${outputDir}/static/"`),
      ...(assets.buildTryPage
        ? [`"${inputDir}/node_modules/.bin/esbuild" "${inputDir}/${TRY_PAGE_ENTRY}" ${tryPageBuildFlags().join(" ")} --log-level=warning --outfile="${outputDir}/static/${TRY_PAGE_SCRIPT}"`]
        : []),
    ],
  };
}

/**
 * The whole service: an HTTP API with one Lambda per route (from the same route table the local
 * server uses), the DynamoDB table (from the same schema the local server creates), the image
 * bucket, SSM parameters for every live setting, and the scheduled cleanup.
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
    const { stage, architecture } = props;
    if (props.jwt) requireAudience(props.jwt.issuer, props.jwt);
    const guardrails: Guardrails = { ...guardrailDefaults(stage), ...props.guardrails };
    const retain = stage === "prod" ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const ssmPrefix = `/photo-analysis/${stage}`;
    this.stage = stage;
    this.ssmPrefix = ssmPrefix;

    this.table = new Table(this, "Table", {
      partitionKey: { name: PARTITION_KEY, type: AttributeType.STRING },
      sortKey: { name: SORT_KEY, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: stage === "prod",
      removalPolicy: retain,
    });
    for (const index of Object.values(INDEXES)) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: index.projection === "ALL" ? ProjectionType.ALL : ProjectionType.KEYS_ONLY,
      });
    }

    this.bucket = new Bucket(this, "Images", {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      removalPolicy: retain,
      autoDeleteObjects: false,
      // Browsers POST large photos straight to the bucket with a presigned form.
      cors: guardrails.corsOrigins.length ? [{ allowedMethods: [HttpMethods.POST], allowedOrigins: guardrails.corsOrigins, allowedHeaders: ["*"], maxAge: 3600 }] : undefined,
      lifecycleRules: [
        { id: "expire-images", prefix: IMAGE_KEY_PREFIX, expiration: Duration.days(lifecycleDays(guardrails.maxImageTtlHours)) },
        // Staged uploads are deleted once analysed; ones never analysed go after a day.
        { id: "expire-staged-uploads", prefix: STAGING_KEY_PREFIX, expiration: Duration.days(1) },
        { id: "abort-incomplete-uploads", abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    // The key of the logs' client pseudonym: generated here, never in code or in the template (the
    // functions get it through a CloudFormation dynamic reference, resolved at deployment).
    const pseudonymKey = new Secret(this, "LogPseudonymKey", {
      description: `Photo Analysis (${stage}): key of the daily-rotating client pseudonym in request logs`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: retain,
    });

    const environment: Record<string, string> = {
      PHOTO_ANALYSIS_TABLE: this.table.tableName,
      PHOTO_ANALYSIS_LOG_PSEUDONYM_KEY: pseudonymKey.secretValue.unsafeUnwrap(),
      PHOTO_ANALYSIS_BUCKET: this.bucket.bucketName,
      PHOTO_ANALYSIS_SSM_PREFIX: ssmPrefix,
      PHOTO_ANALYSIS_MAX_IMAGE_TTL_HOURS: String(guardrails.maxImageTtlHours),
      ...(props.sourceMaps ? { NODE_OPTIONS: "--enable-source-maps" } : {}),
      ...(props.jwt ? { PHOTO_ANALYSIS_JWT_ISSUER: props.jwt.issuer } : {}),
      ...(props.jwt?.audience ? { PHOTO_ANALYSIS_JWT_AUDIENCE: props.jwt.audience } : {}),
      ...(props.jwt?.clientId ? { PHOTO_ANALYSIS_JWT_CLIENT_ID: props.jwt.clientId } : {}),
      ...(props.jwt?.tokenUse ? { PHOTO_ANALYSIS_JWT_TOKEN_USE: props.jwt.tokenUse } : {}),
    };
    const layer = runtimeLayer(this, "VisionRuntime", architecture);
    // Pseudo parameters keep the template, and so its cdk-nag acknowledgements, the same in every region and account.
    const parameterArn = `arn:${Aws.PARTITION}:ssm:${Aws.REGION}:${Aws.ACCOUNT_ID}:parameter`;
    /** The roles that decrypt API keys (FunctionAccess.secrets "read"): the secrets key's policy names them. */
    const secretReaders: IRole[] = [];
    /** The functions that read settings: updated only once the settings under settings/ exist (an upgrade moves them first). */
    const settingsReaders: NodejsFunction[] = [];

    const makeFunction = (spec: { id: string; entry: string; memoryMb: number; timeoutSeconds: number; access: FunctionAccess; staticAssets?: StaticAssets }) => {
      const needsVision = spec.access.vision === true;
      const fn = new NodejsFunction(this, `${spec.id}Function`, {
        entry: join(PROJECT_ROOT, spec.entry),
        handler: "handler",
        runtime: Runtime.NODEJS_22_X,
        architecture,
        memorySize: spec.memoryMb,
        timeout: Duration.seconds(spec.timeoutSeconds),
        environment,
        tracing: Tracing.ACTIVE,
        loggingFormat: LoggingFormat.JSON,
        logGroup: new LogGroup(this, `${spec.id}Logs`, { retention: RetentionDays.ONE_MONTH, removalPolicy: retain }),
        layers: needsVision ? [layer] : [],
        reservedConcurrentExecutions: spec.id === "Upload" && guardrails.uploadConcurrency > 0 ? guardrails.uploadConcurrency : undefined,
        projectRoot: PROJECT_ROOT,
        depsLockFilePath: join(PROJECT_ROOT, "package-lock.json"),
        bundling: {
          // CommonJS: require() of the layer's packages resolves through NODE_PATH (ESM imports would not).
          format: OutputFormat.CJS,
          target: "node22",
          minify: true,
          sourceMap: props.sourceMaps === true,
          banner: "const __importMetaUrl = require('url').pathToFileURL(__filename).href;",
          define: { "import.meta.url": "__importMetaUrl" },
          // The AWS SDK v3 clients ship with the Node.js 22 runtime (helpers such as s3-presigned-post
          // do not, so they are bundled); the heavy packages come from the layer.
          externalModules: ["@aws-sdk/client-*", "@aws-sdk/lib-*", ...(needsVision ? RUNTIME_PACKAGES : [])],
          // A web page's HTML, CSS, JS and the npm packages' files it uses travel inside its bundle (no CDN).
          commandHooks: spec.staticAssets ? staticAssetCommands(spec.staticAssets) : undefined,
        },
      });
      for (const statement of accessStatements(spec.access, { table: this.table, bucket: this.bucket, parameterArn, ssmPrefix })) fn.addToRolePolicy(statement);
      if (spec.access.secrets === "read") secretReaders.push(fn.role!);
      if (spec.access.settings === true) settingsReaders.push(fn);
      if (needsVision) {
        // Content moderation (PHOTO_ANALYSIS_MODERATION_PROVIDER auto/rekognition): DetectModerationLabels has no resource to scope to.
        fn.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ["rekognition:DetectModerationLabels"], resources: ["*"] }));
      }
      return fn;
    };

    this.api = new HttpApi(this, "Api", {
      apiName: `photo-analysis-${stage}`,
      description: "Photo Analysis: chat-room name suggestions for uploaded photos",
      corsPreflight: guardrails.corsOrigins.length
        ? {
            allowOrigins: guardrails.corsOrigins,
            allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.DELETE, CorsHttpMethod.OPTIONS],
            allowHeaders: ["content-type", "authorization", "prefer"],
            exposeHeaders: ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after", "x-request-id"],
            maxAge: Duration.hours(1),
          }
        : undefined,
    });
    // The optional edge: CloudFront behind WAF; the HTTP functions then refuse requests that bypassed it
    // and build public URLs on the distribution's address.
    const edge = props.edge ? edgeDistribution(this, { api: this.api, webAclArn: props.edge.webAclArn, stage, removalPolicy: retain, originSecretVersion: props.edge.originSecretVersion }) : undefined;
    if (edge) this.edgeUrl = `https://${edge.distribution.distributionDomainName}`;
    // Links in answers (image_url, status_url, Location) come from this, never from request headers:
    // a custom domain, else the edge, else the HTTP API's own URL.
    environment.PHOTO_ANALYSIS_PUBLIC_BASE_URL = props.publicBaseUrl ?? this.edgeUrl ?? this.api.apiEndpoint;
    // Stage throttling and access logs (one JSON line per request, with API Gateway's request id:
    // the X-Request-Id clients see).
    const accessLogs = new LogGroup(this, "ApiAccessLogs", { retention: RetentionDays.ONE_MONTH, removalPolicy: retain });
    const stageResource = this.api.defaultStage!.node.defaultChild as CfnStage;
    stageResource.defaultRouteSettings = { throttlingRateLimit: guardrails.throttleRate, throttlingBurstLimit: guardrails.throttleBurst };
    stageResource.accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: "$context.requestId",
        routeKey: "$context.routeKey",
        status: "$context.status",
        latencyMs: "$context.responseLatency",
        integrationError: "$context.integrationErrorMessage",
        responseLength: "$context.responseLength",
        time: "$context.requestTime",
      }),
    };

    const alarms = new Topic(this, "Alarms", { displayName: `Photo Analysis ${stage} alarms`, enforceSSL: true, masterKey: Alias.fromAliasName(this, "SnsKey", "alias/aws/sns") });
    if (guardrails.alarmEmail) alarms.addSubscription(new EmailSubscription(guardrails.alarmEmail));
    const alarm = (id: string, description: string, metric: IMetric, threshold: number, periods = 1) => {
      const created = new Alarm(this, id, {
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: periods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(new SnsAction(alarms));
      return created;
    };
    const fiveMinutes = Duration.minutes(5);
    alarm("Api5xxRate", "More than 5 % of API requests answered 5xx over 5 minutes", new MathExpression({
      expression: "100 * errors / MAX([requests, 1])",
      usingMetrics: { errors: this.api.metricServerError({ period: fiveMinutes, statistic: "Sum" }), requests: this.api.metricCount({ period: fiveMinutes, statistic: "Sum" }) },
      period: fiveMinutes,
    }), 5);
    alarm("ProviderFailures", "Vision provider calls failing (5 or more in 5 minutes)", new Metric({
      namespace: "PhotoAnalysis",
      metricName: "ProviderFailures",
      dimensionsMap: { service: "photo-analysis" },
      period: fiveMinutes,
      statistic: "Sum",
    }), 5);
    // Async analysis: a queue with a dead-letter queue for the worker, and the progress WebSocket API.
    const deadLetters = new Queue(this, "JobsDeadLetters", { retentionPeriod: Duration.days(14), enforceSSL: true, encryption: QueueEncryption.SQS_MANAGED });
    const jobs = new Queue(this, "Jobs", {
      // Above the worker's timeout (AWS advises six times it), so a running job is never handed out twice.
      visibilityTimeout: Duration.seconds(WORKER_FUNCTION.timeoutSeconds * 6),
      retentionPeriod: Duration.days(1),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: DEFAULT_MAX_RECEIVES },
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
    });
    alarm("JobsDeadLettered", "Async analysis jobs reached the dead-letter queue", deadLetters.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: "Maximum" }), 1);
    const events = new WebSocketApi(this, "Events", {
      apiName: `photo-analysis-events-${stage}`,
      description: "Photo Analysis progress: subscribe to jobs and batches",
      routeSelectionExpression: "$request.body.action",
    });
    this.events = events;
    const eventsStage = new WebSocketStage(this, "EventsStage", {
      webSocketApi: events,
      stageName: stage,
      autoDeploy: true,
      throttle: { rateLimit: guardrails.throttleRate, burstLimit: guardrails.throttleBurst },
    });
    (eventsStage.node.defaultChild as CfnStage).accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: "$context.requestId",
        routeKey: "$context.routeKey",
        eventType: "$context.eventType",
        connectionId: "$context.connectionId",
        status: "$context.status",
        integrationError: "$context.integrationErrorMessage",
        time: "$context.requestTime",
      }),
    };
    /** Queue and WebSocket rights and settings, for the functions whose access asks for them. */
    const wireAsync = (fn: NodejsFunction, access: FunctionAccess) => {
      if (access.queue) {
        // SendMessage(Batch) only (grantSendMessages would add GetQueueAttributes and GetQueueUrl, which nothing calls).
        fn.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ["sqs:SendMessage"], resources: [jobs.queueArn] }));
        fn.addEnvironment("PHOTO_ANALYSIS_QUEUE_URL", jobs.queueUrl);
        fn.addEnvironment("PHOTO_ANALYSIS_EVENTS_URL", eventsStage.url);
      }
      if (access.events) {
        // PostToConnection (and DeleteConnection where the function ends connections) on this stage's
        // connections only. Written with pseudo parameters (not the stack's region) so that the template,
        // and the cdk-nag acknowledgement, are the same in every region.
        const connectionsArn = (method: "POST" | "DELETE") => `arn:${Aws.PARTITION}:execute-api:${Aws.REGION}:${Aws.ACCOUNT_ID}:${events.apiId}/${eventsStage.stageName}/${method}/@connections/*`;
        fn.addToRolePolicy(
          new PolicyStatement({
            effect: Effect.ALLOW,
            actions: ["execute-api:ManageConnections"],
            resources: [connectionsArn("POST"), ...(access.closeConnections ? [connectionsArn("DELETE")] : [])],
          }),
        );
        fn.addEnvironment("PHOTO_ANALYSIS_EVENTS_CALLBACK_URL", eventsStage.callbackUrl);
      }
    };

    for (const route of deployedRoutes({ tryPage: props.tryPage })) {
      const fn = makeFunction(route);
      wireAsync(fn, route.access);
      // The try page follows progress on the WebSocket API's own origin: its CSP names it.
      if (route.optional === "tryPage") fn.addEnvironment("PHOTO_ANALYSIS_EVENTS_URL", eventsStage.url);
      alarm(`${route.id}Errors`, `${route.id} function errors (uncaught) in 5 minutes`, fn.metricErrors({ period: fiveMinutes, statistic: "Sum" }), 1);
      if (route.id === "Upload") {
        alarm("UploadThrottles", "Upload function throttled (reserved concurrency reached)", fn.metricThrottles({ period: fiveMinutes, statistic: "Sum" }), 1);
        alarm("UploadDurationNearTimeout", "Upload p99 duration above 80 % of its timeout", fn.metricDuration({ period: fiveMinutes, statistic: "p99" }), route.timeoutSeconds * 1000 * 0.8, 2);
      }
      if (route.id.startsWith("Admin")) fn.addEnvironment("PHOTO_ANALYSIS_ADMIN_GROUP", props.adminGroup ?? "admin");
      if (edge) {
        fn.addEnvironment("PHOTO_ANALYSIS_ORIGIN_SECRET", edge.originValue);
      }
      this.api.addRoutes({
        path: apiGatewayPath(route.path),
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.id}Integration`, fn),
      });
    }

    const worker = makeFunction(WORKER_FUNCTION);
    wireAsync(worker, WORKER_FUNCTION.access);
    worker.addEnvironment("PHOTO_ANALYSIS_QUEUE_MAX_RECEIVES", String(DEFAULT_MAX_RECEIVES));
    // Partial batch responses: only the failed messages come back (Powertools' batch processing in the handler).
    worker.addEventSource(new SqsEventSource(jobs, { batchSize: 5, reportBatchItemFailures: true, maxConcurrency: Math.max(2, guardrails.uploadConcurrency) }));
    alarm("WorkerErrors", "Worker function errors (uncaught) in 5 minutes", worker.metricErrors({ period: fiveMinutes, statistic: "Sum" }), 1);

    for (const route of WEBSOCKET_ROUTES) {
      const fn = makeFunction({ ...route, memoryMb: 256, timeoutSeconds: 10 });
      wireAsync(fn, route.access);
      const integration = new WebSocketLambdaIntegration(`${route.id}Integration`, fn);
      for (const routeKey of route.routeKeys) events.addRoute(routeKey, { integration });
    }

    // Live settings: one parameter per seed setting under <prefix>/settings/, created by the settings
    // seeder at deploy (missing ones from their old place or the seed default; an operator's value is
    // never replaced). Operators change them in SSM; functions re-read them within a minute. API keys
    // are SecureStrings the operator creates under <prefix>/secrets/ with the stack's key.
    const seeder = makeFunction(SETTINGS_SEEDER_FUNCTION);
    const defaults = defaultSettingStrings();
    const settings = new CustomResource(this, "Settings", {
      serviceToken: seeder.functionArn,
      resourceType: "Custom::PhotoAnalysisSettings",
      properties: {
        Prefix: ssmPrefix,
        Names: SETTING_NAMES,
        // Optional settings without a default are not created (SSM refuses empty values).
        Defaults: Object.fromEntries(SETTING_NAMES.filter((name) => defaults[name] !== "undefined" && defaults[name] !== "").map((name) => [name, defaults[name]])),
        RemoveOnDelete: String(stage !== "prod"),
      } satisfies SeederProperties,
    });
    for (const reader of settingsReaders) reader.node.addDependency(settings);

    const cleanup = makeFunction(CLEANUP_FUNCTION);
    new Rule(this, "CleanupSchedule", {
      description: "Deletes expired photo analyses and their images",
      schedule: props.cleanupSchedule ?? Schedule.rate(Duration.hours(1)),
      targets: [new LambdaFunction(cleanup, { retryAttempts: 2 })],
    });

    this.secretsKey = secretsKey(this, { ssmPrefix, parameterArn, decrypters: secretReaders, removalPolicy: retain });

    new CfnOutput(this, "ApiUrl", { value: this.api.apiEndpoint });
    if (this.edgeUrl) new CfnOutput(this, "EdgeUrl", { value: this.edgeUrl });
    new CfnOutput(this, "EventsUrl", { value: eventsStage.url });
    new CfnOutput(this, "JobsQueueUrl", { value: jobs.queueUrl });
    new CfnOutput(this, "TableName", { value: this.table.tableName });
    new CfnOutput(this, "BucketName", { value: this.bucket.bucketName });
    new CfnOutput(this, "SettingsPath", { value: settingsPath(ssmPrefix) });
    new CfnOutput(this, "SecretsPath", { value: secretsPath(ssmPrefix) });
    new CfnOutput(this, "SecretsKeyAliasName", { value: secretsKeyAlias(ssmPrefix) });
    new CfnOutput(this, "AlarmTopic", { value: alarms.topicArn });
  }
}
