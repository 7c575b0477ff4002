import { join } from "node:path";
import { Duration, type RemovalPolicy, type Stack } from "aws-cdk-lib";
import { Effect, type IRole, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { type Architecture, type ILayerVersion, LoggingFormat, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { FunctionAccess, StaticAssets } from "../../functions/routes.js";
import { TRY_PAGE_ENTRY, TRY_PAGE_SCRIPT, tryPageBuildFlags } from "../../functions/try-page/build-options.js";
import { type AccessTargets, accessStatements } from "../access.js";
import { RUNTIME_PACKAGES } from "../runtime-layer.js";

const PROJECT_ROOT = process.cwd();

/** One function of the route table (or of the worker, cleanup, seeder and WebSocket entries). */
export interface FunctionSpec {
  id: string;
  entry: string;
  memoryMb: number;
  timeoutSeconds: number;
  access: FunctionAccess;
  staticAssets?: StaticAssets;
}

export interface FunctionFactoryProps {
  architecture: Architecture;
  /** Every function's environment (the deployment facts of shared/runtime/environment.ts). */
  environment: Record<string, string>;
  /** The heavy packages (vision, image decoding), for the functions whose access says `vision`. */
  visionLayer: ILayerVersion;
  access: AccessTargets;
  removalPolicy: RemovalPolicy;
  sourceMaps: boolean;
  /** Reserved concurrency of the upload function; 0: none. */
  uploadConcurrency: number;
}

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
        ? [
            `"${inputDir}/node_modules/.bin/esbuild" "${inputDir}/${TRY_PAGE_ENTRY}" ${tryPageBuildFlags().join(" ")} --log-level=warning --outfile="${outputDir}/static/${TRY_PAGE_SCRIPT}"`,
          ]
        : []),
    ],
  };
}

/**
 * Makes the functions: bundled with esbuild, Node.js 22, traced, JSON logs kept a month, and the
 * IAM statements of their access declaration (functions/routes.ts) and nothing more. Remembers who
 * reads API keys and who reads settings, for the secrets key's policy and the settings' dependency.
 */
export class FunctionFactory {
  /** The roles that decrypt API keys (FunctionAccess.secrets "read"): the secrets key's policy names them. */
  readonly secretReaders: IRole[] = [];
  /** The functions that read settings: updated only once the settings under settings/ exist (an upgrade moves them first). */
  readonly settingsReaders: NodejsFunction[] = [];

  constructor(
    private readonly stack: Stack,
    private readonly props: FunctionFactoryProps,
  ) {}

  make(spec: FunctionSpec): NodejsFunction {
    const { props } = this;
    const needsVision = spec.access.vision === true;
    const fn = new NodejsFunction(this.stack, `${spec.id}Function`, {
      entry: join(PROJECT_ROOT, spec.entry),
      handler: "handler",
      runtime: Runtime.NODEJS_22_X,
      architecture: props.architecture,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      environment: props.environment,
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      logGroup: new LogGroup(this.stack, `${spec.id}Logs`, { retention: RetentionDays.ONE_MONTH, removalPolicy: props.removalPolicy }),
      layers: needsVision ? [props.visionLayer] : [],
      reservedConcurrentExecutions: spec.id === "Upload" && props.uploadConcurrency > 0 ? props.uploadConcurrency : undefined,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, "package-lock.json"),
      bundling: {
        // CommonJS: require() of the layer's packages resolves through NODE_PATH (ESM imports would not).
        format: OutputFormat.CJS,
        target: "node22",
        minify: true,
        sourceMap: props.sourceMaps,
        banner: "const __importMetaUrl = require('url').pathToFileURL(__filename).href;",
        define: { "import.meta.url": "__importMetaUrl" },
        // The AWS SDK v3 clients ship with the Node.js 22 runtime (helpers such as s3-presigned-post
        // do not, so they are bundled); the heavy packages come from the layer.
        externalModules: ["@aws-sdk/client-*", "@aws-sdk/lib-*", ...(needsVision ? RUNTIME_PACKAGES : [])],
        // A web page's HTML, CSS, JS and the npm packages' files it uses travel inside its bundle (no CDN).
        commandHooks: spec.staticAssets ? staticAssetCommands(spec.staticAssets) : undefined,
      },
    });
    for (const statement of accessStatements(spec.access, props.access)) fn.addToRolePolicy(statement);
    // A function made without a given role always has its own.
    if (spec.access.secrets === "read" && fn.role) this.secretReaders.push(fn.role);
    if (spec.access.settings === true) this.settingsReaders.push(fn);
    if (needsVision) {
      // Content moderation (PHOTO_ANALYSIS_MODERATION_PROVIDER auto/rekognition): DetectModerationLabels has no resource to scope to.
      fn.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ["rekognition:DetectModerationLabels"], resources: ["*"] }));
    }
    return fn;
  }
}
