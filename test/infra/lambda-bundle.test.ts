import { execFile } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, readdirSync, statSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HTTP_ROUTES, WEBSOCKET_ROUTES } from "../../functions/routes.js";
import { FakeCloudFormationResponses, FakeConnectionsApi, FakeRekognition, FakeSqs } from "../helpers/fake-aws-async.js";
import { COFFEE_SUGGESTIONS, FakeAnthropic, FakeGemini, FakeOpenAI } from "../helpers/fake-providers.js";
import { ensureTable, startLocalAws, type LocalAws } from "../../local/aws.js";
import { createDynamoClient } from "../../shared/runtime/aws-clients.js";
import { uploadEvent } from "../helpers/events.js";
import { expectNormalizedCopy } from "../helpers/images.js";
import { synthesizeFunctions } from "../helpers/synth.js";
import { oddRequests, type OddRequest } from "../helpers/odd-names.js";
import { type Moto, motoAvailable, startMoto } from "../helpers/moto.js";

const run = promisify(execFile);

/**
 * The deployable artefacts, run as Lambda would run them: the esbuild bundle of each function
 * (CommonJS, from `cdk synth` with real bundling) required from a folder outside the project, with
 * the vision layer as the only other module source (NODE_PATH=/opt/nodejs/node_modules in Lambda),
 * against local DynamoDB and S3. What `sam local invoke` would check, without Docker.
 */
let outdir: string;
let dispose: () => Promise<void>;
let aws: LocalAws;
let assets: Record<string, string>;
/** Per function, the environment variables the stack sets (which async settings it gets). */
let environmentOf: Record<string, Record<string, unknown>>;
/** Per function, the layers the stack gives it (their node_modules folders). */
let layersOf: Record<string, string[]>;
let layerModules: string;
/** Stands in for /var/runtime/node_modules: the AWS SDK v3 that Lambda's Node.js 22 runtime provides. */
let runtimeModules: string;
/** The queue and the WebSocket management API the async functions talk to (their wire formats, on loopback). */
let sqs: FakeSqs;
let connections: FakeConnectionsApi;
const table = "bundle-test";
const bucket = "bundle-test";

beforeAll(async () => {
  const synthesized = await synthesizeFunctions();
  ({ outdir, assets, layersOf, runtimeModules, environmentOf, dispose } = synthesized);
  layerModules = synthesized.layersOf.Upload![0]!;
  aws = await startLocalAws({ dataDir: join(outdir, "data"), bucket, persistDynamo: false });
  const dynamo = createDynamoClient({ region: "us-east-1", dynamodbEndpoint: aws.dynamodbEndpoint });
  await ensureTable(dynamo, table);
  dynamo.destroy();
  sqs = await new FakeSqs().start();
  connections = await new FakeConnectionsApi().start();
}, 600_000);

afterAll(async () => {
  await sqs?.close();
  await connections?.close();
  await aws?.close();
  await dispose?.();
});

/** The variables among `values` that the stack sets on this function. */
function only(functionName: string, values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([name]) => name in environmentOf[functionName]!));
}

/** The environment a function runs with here: Lambda's and the stack's variables, pointed at the local servers. */
function functionEnvironment(functionName: string, extraEnv: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_PATH: [...layersOf[functionName]!, runtimeModules].join(":"),
    AWS_REGION: "us-east-1",
    // Set by Lambda in every function: Powertools then logs JSON and emits metrics, and inference stays on the one vCPU.
    AWS_LAMBDA_FUNCTION_NAME: `photo-analysis-${functionName}`,
    PHOTO_ANALYSIS_TABLE: table,
    PHOTO_ANALYSIS_BUCKET: bucket,
    PHOTO_ANALYSIS_DYNAMODB_ENDPOINT: aws.dynamodbEndpoint,
    PHOTO_ANALYSIS_S3_ENDPOINT: aws.s3Endpoint,
    PHOTO_ANALYSIS_VISION_PROVIDER: "local",
    PHOTO_ANALYSIS_ADMIN_TOKEN: "fixture-admin-token",
    ...extraEnv,
    // The async settings only where the stack sets them, pointed at the loopback queue and management API.
    ...only(functionName, {
      PHOTO_ANALYSIS_QUEUE_URL: sqs.queueUrl,
      PHOTO_ANALYSIS_EVENTS_URL: "wss://events.example.test/dev",
      PHOTO_ANALYSIS_EVENTS_CALLBACK_URL: `${connections.url}/dev`,
      PHOTO_ANALYSIS_QUEUE_MAX_RECEIVES: "3",
    }),
    // SQS and the management API take the standard chain; the embedded S3 server accepts only its own pair.
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
  };
}

/** Runs a function's bundle with exactly the layers the stack gives it, as Lambda would. */
async function invoke(functionName: string, event: unknown, extraEnv: Record<string, string> = {}) {
  const eventFile = join(outdir, `${functionName}-event.json`);
  await writeFile(eventFile, JSON.stringify(event));
  const resultFile = join(outdir, `${functionName}-result.json`);
  // The result goes to a file: a function's own log lines go to stdout, as in Lambda.
  const script = `require(${JSON.stringify(join(assets[functionName]!, "index.js"))}).handler(require(${JSON.stringify(eventFile)}), {}).then((r) => require("fs").writeFileSync(${JSON.stringify(resultFile)}, JSON.stringify(r)), (e) => { console.error(e); process.exit(1); })`;
  await run(process.execPath, ["-e", script], {
    cwd: outdir, // outside the project: no node_modules to fall back on
    maxBuffer: 64 * 1024 * 1024,
    env: functionEnvironment(functionName, extraEnv),
  });
  return JSON.parse(await readFile(resultFile, "utf8")) as {
    statusCode: number;
    body: string;
    headers: Record<string, string>;
    isBase64Encoded?: boolean;
    batchItemFailures?: unknown[];
  };
}

/**
 * Runs a function's bundle once (with its layers) and hands it each event in turn, as warm invocations
 * of one container; an invocation error (what Lambda counts as a function error) is recorded as such.
 */
async function invokeAll(functionName: string, events: unknown[], extraEnv: Record<string, string> = {}) {
  const eventsFile = join(outdir, `${functionName}-events.json`);
  await writeFile(eventsFile, JSON.stringify(events));
  const resultFile = join(outdir, `${functionName}-results.json`);
  const script = `const { handler } = require(${JSON.stringify(join(assets[functionName]!, "index.js"))});
(async () => {
  const results = [];
  for (const event of require(${JSON.stringify(eventsFile)})) {
    try { results.push(await handler(event, {})); } catch (error) { results.push({ invocationError: String(error && error.stack || error) }); }
  }
  require("fs").writeFileSync(${JSON.stringify(resultFile)}, JSON.stringify({ results, polluted: "polluted" in {} }));
})();`;
  await run(process.execPath, ["-e", script], {
    cwd: outdir,
    maxBuffer: 64 * 1024 * 1024,
    env: functionEnvironment(functionName, extraEnv),
  });
  return JSON.parse(await readFile(resultFile, "utf8")) as {
    results: ({ statusCode?: number; body?: string; invocationError?: string; batchItemFailures?: unknown[] } & Record<string, unknown>)[];
    polluted: boolean;
  };
}

/** An API Gateway v2 event for an odd request, from the route's fixture. */
function oddEvent(fixture: Record<string, any>, odd: OddRequest) {
  const body = odd.body === undefined ? undefined : odd.body;
  const multipart = odd.headers?.["content-type"]?.startsWith("multipart/");
  return {
    ...fixture,
    rawPath: odd.path,
    rawQueryString: odd.query ? String(new URLSearchParams(odd.query)) : "",
    // API Gateway hands parameters over as JSON: a "__proto__" key is an own property, as JSON.parse makes it.
    queryStringParameters: odd.query ? JSON.parse(JSON.stringify(odd.query)) : undefined,
    pathParameters: odd.pathParameters ?? fixture.pathParameters,
    headers: { ...fixture.headers, ...odd.headers },
    body: body === undefined ? undefined : multipart ? Buffer.from(body).toString("base64") : body,
    isBase64Encoded: Boolean(multipart),
    requestContext: { ...fixture.requestContext, http: { ...fixture.requestContext.http, method: odd.method, path: odd.path } },
  };
}

describe("bundled Lambda functions", () => {
  it("builds one self-contained bundle per function, and a layer with the native parts and the models", () => {
    expect(Object.keys(assets).sort()).toEqual(
      [
        ...[
          "AdminAssets",
          "AdminDetail",
          "AdminList",
          "AdminPage",
          "AdminStats",
          "Cleanup",
          "Delete",
          "GetAnalysis",
          "Health",
          "Image",
          "OpenApi",
          "Recent",
          "Upload",
          "UploadUrl",
        ],
        ...["Batch", "BatchStatus", "Job", "Worker", "EventsConnect", "EventsDisconnect", "EventsMessage", "SettingsSeeder"],
        ...["DocsPage", "DocsAssets", "TryPage", "TryAssets"],
      ].sort(),
    );
    for (const file of ["index.html", "admin.js", "admin.css", "chart.umd.min.js"])
      expect(existsSync(join(assets.AdminPage!, "static", file)), file).toBe(true);
    for (const file of ["index.html", "docs.js", "docs.css", "swagger-ui-bundle.js", "swagger-ui.css"])
      expect(existsSync(join(assets.DocsPage!, "static", file)), file).toBe(true);
    for (const file of ["index.html", "try.css", "try.js"]) expect(existsSync(join(assets.TryPage!, "static", file)), file).toBe(true);
    for (const dir of Object.values(assets)) expect(existsSync(join(dir, "index.js"))).toBe(true);
    expect(existsSync(join(layerModules, "@img/sharp-linux-x64"))).toBe(true);
    // onnxruntime: the x86_64 functions' Linux binary only, and nothing its skipped install script needs.
    const onnxBinaries = join(layerModules, "onnxruntime-node/bin/napi-v6");
    const binaryFiles = (readdirSync(onnxBinaries, { recursive: true }) as string[]).filter((file) => statSync(join(onnxBinaries, file)).isFile());
    expect(binaryFiles.sort()).toEqual(["linux/x64/libonnxruntime.so.1", "linux/x64/onnxruntime_binding.node"]);
    for (const unused of ["adm-zip", "global-agent", "@tensorflow/tfjs-core", "@tensorflow/tfjs-backend-wasm"])
      expect(existsSync(join(layerModules, unused)), unused).toBe(false);
    expect(existsSync(join(layerModules, "@vladmandic/human/models/centernet.bin"))).toBe(true);
    expect(existsSync(join(layerModules, "../../models/mobilenet_v1_0.75_224_quant/model.json"))).toBe(true);
    expect(readdirSync(join(layerModules, "../../models/mobilenet_v2_1.0_224_quant")).sort()).toEqual(["model.tflite.part1of2", "model.tflite.part2of2"]);
  });

  it("upload runs from its bundle plus the layer and answers 201 with local suggestions; the image proxy serves it", async () => {
    const event = JSON.parse(await readFile("fixtures/events/upload.json", "utf8"));
    const uploaded = await invoke("Upload", event);
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    const body = JSON.parse(uploaded.body);
    // The classifier and its companion come from the layer's /opt/models copy (here: the layer directory's models/).
    expect(body.analysis.ai_vision_model).toBe("local:mobilenet_v1_0.75_224_quant+mobilenet_v2_1.0_224_quant+centernet");
    expect(body.analysis.labels[0].label).toBe("coffee mug");
    expect(body.analysis.suggestions).toHaveLength(10);

    const imageEvent = JSON.parse(await readFile("fixtures/events/image.json", "utf8"));
    imageEvent.pathParameters.id = body.analysis.id;
    // The read-only functions have no layer at all.
    expect(layersOf.Image).toEqual([]);
    const image = await invoke("Image", imageEvent);
    expect(image.statusCode).toBe(200);
    expect(image.headers["content-type"]).toBe("image/jpeg");
    await expectNormalizedCopy(Buffer.from(image.body, "base64"), await readFile("fixtures/photos/imagenet-coffee-mug.jpg"));

    const recent = await invoke("Recent", JSON.parse(await readFile("fixtures/events/recent.json", "utf8")));
    expect(JSON.parse(recent.body).map((item: { id: string }) => item.id)).toEqual([body.analysis.id]);

    // The owner (the fixture's fingerprint) erases the upload: 204, then its image and the upload are gone.
    const deleteEvent = JSON.parse(await readFile("fixtures/events/delete.json", "utf8"));
    deleteEvent.pathParameters.id = body.analysis.id;
    const stranger = await invoke("Delete", { ...deleteEvent, queryStringParameters: { fingerprint: "someone-else" } });
    expect(stranger.statusCode).toBe(404);
    const deleted = await invoke("Delete", deleteEvent);
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect((await invoke("Image", imageEvent)).statusCode).toBe(404);
    const gone = JSON.parse(await readFile("fixtures/events/get-analysis.json", "utf8"));
    gone.pathParameters.id = body.analysis.id;
    expect((await invoke("GetAnalysis", gone)).statusCode).toBe(404);
  }, 60_000);

  it("starts every deployed function with exactly its layers and answers its fixture event", async () => {
    const expected: Record<string, number> = {
      UploadUrl: 201,
      // Health: the table and bucket answer, and the local provider needs no key.
      Health: 200,
      OpenApi: 200,
      Recent: 200,
      GetAnalysis: 404,
      Delete: 404,
      Image: 404,
      AdminList: 200,
      AdminDetail: 404,
      AdminStats: 200,
      AdminPage: 200,
      AdminAssets: 200,
      DocsPage: 200,
      DocsAssets: 200,
      TryPage: 200,
      TryAssets: 200,
      Batch: 202,
      BatchStatus: 404,
      Job: 404,
    };
    for (const route of HTTP_ROUTES.filter((r) => r.id !== "Upload")) {
      const fixture = `fixtures/events/${route.entry.split("/")[1]}.json`;
      const event = JSON.parse(await readFile(route.id === "AdminAssets" ? "fixtures/events/admin-assets.json" : fixture, "utf8"));
      const result = await invoke(route.id, event);
      expect(result.statusCode, `${route.id} (${fixture}): ${result.body?.slice(0, 200)}`).toBe(expected[route.id]);
    }
    const ticket = JSON.parse((await invoke("UploadUrl", JSON.parse(await readFile("fixtures/events/upload-url.json", "utf8")))).body);
    expect(ticket).toMatchObject({ upload_id: expect.any(String), url: expect.stringContaining(bucket) });
    const summary = await invoke("Cleanup", JSON.parse(await readFile("fixtures/events/cleanup.json", "utf8")));
    expect(summary).toMatchObject({ failures: [] });
    // A message for a job that does not exist (expired) is consumed, not retried.
    expect(await invoke("Worker", JSON.parse(await readFile("fixtures/events/worker.json", "utf8")))).toEqual({ batchItemFailures: [] });
    for (const route of WEBSOCKET_ROUTES) {
      const result = await invoke(route.id, JSON.parse(await readFile(`fixtures/events/${route.entry.split("/")[1]}.json`, "utf8")));
      expect(result.statusCode, route.id).toBe(200);
    }
  }, 120_000);

  it("runs a batch through the deployed functions: batch queues on SQS, the worker (with the layer) analyses, the job and the subscriber see it done", async () => {
    const connect = JSON.parse(await readFile("fixtures/events/events-connect.json", "utf8"));
    connect.requestContext.connectionId = "bundle-conn=";
    expect((await invoke("EventsConnect", connect)).statusCode).toBe(200);

    const accepted = await invoke("Batch", JSON.parse(await readFile("fixtures/events/batch.json", "utf8")));
    expect(accepted.statusCode).toBe(202);
    const batch = JSON.parse(accepted.body) as { batch_id: string; items: { job_id: string }[]; events_url: string; status_url: string };
    expect(batch.events_url).toBe("wss://events.example.test/dev?fingerprint=sam-local-fp");
    const jobId = batch.items[0]!.job_id;
    const sent = sqs.received.flatMap((call) => call.entries).filter((entry) => entry.MessageBody.includes(jobId));
    expect(sent).toHaveLength(1);

    const message = JSON.parse(await readFile("fixtures/events/events-message.json", "utf8"));
    message.requestContext.connectionId = "bundle-conn=";
    message.body = JSON.stringify({ action: "subscribe", batch_id: batch.batch_id });
    expect((await invoke("EventsMessage", message)).statusCode).toBe(200);
    expect(connections.posted.get("bundle-conn=")).toEqual([expect.objectContaining({ type: "progress", job_id: jobId, stage: "queued" })]);

    const delivery = JSON.parse(await readFile("fixtures/events/worker.json", "utf8"));
    delivery.Records[0].body = sent[0]!.MessageBody;
    expect(layersOf.Worker).toHaveLength(1);
    expect(await invoke("Worker", delivery)).toEqual({ batchItemFailures: [] });
    const stages = (connections.posted.get("bundle-conn=") as { stage: string }[]).map((posted) => posted.stage);
    const done = connections.posted.get("bundle-conn=")!.at(-1) as { cached: boolean; analysis: { labels: { label: string }[]; suggestions: unknown[] } };
    // The fixture photo is the upload test's: when that ran first, its analysis answers the job without a vision call
    // (through a new upload of the caller's: the one that test made was deleted by its owner).
    expect([
      ["queued", "decoding", "matching", "done"],
      ["queued", "decoding", "matching", "analysing", "storing", "done"],
    ]).toContainEqual(stages);
    expect(done.cached).toBe(false);
    expect(done.analysis.labels[0]!.label).toBe("coffee mug");
    expect(done.analysis.suggestions).toHaveLength(10);

    const jobEvent = JSON.parse(await readFile("fixtures/events/job.json", "utf8"));
    jobEvent.pathParameters.job_id = jobId;
    const job = await invoke("Job", jobEvent);
    expect(JSON.parse(job.body)).toMatchObject({ job_id: jobId, status: "done", stage: "done" });
  }, 120_000);

  it("moderates with Rekognition from the upload bundle (the SDK from the runtime's modules): an explicit photo is 422", async () => {
    const rekognition = await new FakeRekognition().start();
    try {
      rekognition.labels = [{ Name: "Explicit", ParentName: "", Confidence: 99, TaxonomyLevel: 1 }];
      // A photo no earlier test uploaded (an exact cache hit would be answered before any moderation).
      const event = uploadEvent(await readFile("fixtures/photos/labrador.webp"), { fingerprint: "bundle-moderation", contentType: "image/webp" });
      // The SDK's standard per-service endpoint variable points it at the loopback server.
      const refused = await invoke("Upload", event, { PHOTO_ANALYSIS_MODERATION_PROVIDER: "rekognition", AWS_ENDPOINT_URL_REKOGNITION: rekognition.url });
      expect(refused.statusCode, refused.body).toBe(422);
      expect(JSON.parse(refused.body)).toMatchObject({ image: ["This photo can't be analysed: it appears to contain explicit content."] });
      expect(rekognition.received).toEqual([{ target: "RekognitionService.DetectModerationLabels", bytes: expect.any(Number) }]);
      expect(rekognition.received[0]!.bytes).toBeGreaterThan(1000);
    } finally {
      await rekognition.close();
    }
  }, 60_000);

  it("serves the admin page from its bundle with a strict CSP", async () => {
    const page = await invoke("AdminPage", JSON.parse(await readFile("fixtures/events/admin-page.json", "utf8")));
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(page.body).toContain('<script src="/admin/assets/admin.js" defer></script>');
    const chart = await invoke("AdminAssets", {
      ...JSON.parse(await readFile("fixtures/events/admin-assets.json", "utf8")),
      pathParameters: { file: "chart.umd.min.js" },
    });
    expect(chart.statusCode).toBe(200);
    expect(chart.body).toContain("Chart");
  });

  it("serves the API docs and the try page from their bundles: Swagger UI and the page's script built in, the WebSocket API named in the try page's CSP", async () => {
    const docs = await invoke("DocsAssets", {
      ...JSON.parse(await readFile("fixtures/events/docs-page.json", "utf8")),
      pathParameters: { file: "swagger-ui-bundle.js" },
    });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain("SwaggerUIBundle");
    const page = await invoke("TryPage", JSON.parse(await readFile("fixtures/events/try-page.json", "utf8")), {
      PHOTO_ANALYSIS_EVENTS_URL: "wss://events.example.test/dev",
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<script type="module" src="/try/assets/try.js"></script>');
    expect(page.headers["content-security-policy"]).toContain("connect-src 'self' wss://events.example.test;");
    const script = await invoke("TryAssets", { ...JSON.parse(await readFile("fixtures/events/try-page.json", "utf8")), pathParameters: { file: "try.js" } });
    expect(script.statusCode).toBe(200);
    expect(script.body).toContain("/api/photo-analysis/batch/");
  });

  it("loads X-Ray at the first request Lambda samples, not at start, and traces that one's AWS calls and every later sampled one's", async () => {
    // A loopback X-Ray daemon: the SDK sends each closed subsegment as one UDP datagram (a JSON header line, then the document).
    const daemon = createSocket("udp4");
    const documents: { trace_id: string; name: string; namespace?: string; aws?: { operation?: string } }[] = [];
    daemon.on("message", (message) => documents.push(JSON.parse(message.toString().split("\n")[1]!)));
    await new Promise<void>((resolve) => daemon.bind(0, "127.0.0.1", resolve));
    try {
      const eventFile = join(outdir, "tracing-event.json");
      await writeFile(eventFile, await readFile("fixtures/events/health.json", "utf8"));
      const traces = ["1-6a1b2c3d-000000000000000000000001", "1-6a1b2c3d-000000000000000000000002", "1-6a1b2c3d-000000000000000000000003"];
      const sampled = [false, true, true];
      // Three invocations in one process, as one execution environment serves them. Loading Powertools'
      // tracer sets AWS_XRAY_CONTEXT_MISSING when it is unset: that is how the script sees whether it loaded.
      const script = `(async () => {
        const { handler } = require(${JSON.stringify(join(assets.Health!, "index.js"))});
        const loaded = [];
        for (const [i, trace] of ${JSON.stringify(traces)}.entries()) {
          process.env._X_AMZN_TRACE_ID = "Root=" + trace + ";Parent=53995c3f42cd8ad8;Sampled=" + (${JSON.stringify(sampled)}[i] ? 1 : 0);
          const result = await handler(require(${JSON.stringify(eventFile)}), { awsRequestId: "request-" + i });
          if (result.statusCode !== 200) throw new Error("health answered " + result.statusCode);
          loaded.push(process.env.AWS_XRAY_CONTEXT_MISSING !== undefined);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
        console.error(JSON.stringify({ loaded }));
      })().catch((e) => { console.error(e); process.exit(1); })`;
      const environment = functionEnvironment("Health", {
        AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
        LAMBDA_TASK_ROOT: assets.Health!,
        AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${(daemon.address() as AddressInfo).port}`,
      });
      const { stderr } = await run(process.execPath, ["-e", script], { cwd: outdir, env: environment, maxBuffer: 64 * 1024 * 1024 });
      const { loaded } = JSON.parse(stderr.trim().split("\n").at(-1)!) as { loaded: boolean[] };
      expect(loaded).toEqual([false, true, true]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const awsCalls = (trace: string) =>
        documents.filter((document) => document.trace_id === trace && document.namespace === "aws").map((document) => document.name);
      expect(awsCalls(traces[0]!)).toEqual([]);
      for (const trace of traces.slice(1)) expect(awsCalls(trace), trace).toEqual(expect.arrayContaining(["DynamoDB", "S3"]));
    } finally {
      daemon.close();
    }
  }, 60_000);

  it("calls each cloud provider from the upload bundle with the layer's one-file copy of its SDK (and any-ascii from the layer for a Cyrillic name)", async () => {
    const [openai, anthropic, gemini] = await Promise.all([new FakeOpenAI().start(), new FakeAnthropic().start(), new FakeGemini().start()]);
    try {
      anthropic.behaviors = [{ kind: "suggestions", suggestions: [{ name: "Кофеманы", description: "Для любителей кофе" }, ...COFFEE_SUGGESTIONS.slice(1)] }];
      // Photos no earlier test uploaded: an exact or similar cache hit would be answered without a provider.
      const runs = [
        {
          provider: "openai",
          fake: openai,
          photo: "astronaut.jpg",
          type: "image/jpeg",
          env: { OPENAI_API_KEY: "sk-bundle", OPENAI_BASE_URL: `${openai.baseUrl}` },
        },
        {
          provider: "anthropic",
          fake: anthropic,
          photo: "chelsea-cat.jpg",
          type: "image/jpeg",
          env: { ANTHROPIC_API_KEY: "sk-ant-bundle", ANTHROPIC_BASE_URL: anthropic.baseUrl },
        },
        {
          provider: "gemini",
          fake: gemini,
          photo: "motorcycle.png",
          type: "image/png",
          env: { GEMINI_API_KEY: "gemini-bundle", GEMINI_BASE_URL: gemini.baseUrl },
        },
      ] as const;
      for (const run of runs) {
        const event = uploadEvent(await readFile(`fixtures/photos/${run.photo}`), {
          fingerprint: `bundle-${run.provider}`,
          contentType: run.type,
          filename: run.photo,
        });
        const result = await invoke("Upload", event, { PHOTO_ANALYSIS_VISION_PROVIDER: run.provider, PHOTO_ANALYSIS_MODERATION: "off", ...run.env });
        expect(result.statusCode, `${run.provider}: ${result.body}`).toBe(201);
        const analysis = JSON.parse(result.body).analysis;
        expect(analysis.provider, run.provider).toBe(run.provider);
        expect(analysis.suggestions, run.provider).toHaveLength(10);
        expect(run.fake.callCount, run.provider).toBe(1);
        if (run.provider === "anthropic") expect(analysis.suggestions[0]).toMatchObject({ name: "Кофеманы", key: "kofemany" });
      }
    } finally {
      await Promise.all([openai.close(), anthropic.close(), gemini.close()]);
    }
  }, 90_000);

  it("keeps sharp, onnxruntime, the models, the providers' SDKs and any-ascii out of every bundle: the layer carries them, to the upload function and the worker only", async () => {
    for (const name of Object.keys(assets)) {
      const code = await readFile(join(assets[name]!, "index.js"), "utf8");
      if (name !== "Upload" && name !== "Worker") {
        // sharp's JavaScript carries this message when inlined; required, the call ends in ("sharp") (require or createRequire).
        expect(code, name).not.toMatch(/Could not load the "sharp" module|\("sharp"\)|onnxruntime-node|human\.node-wasm|heic-decode/);
        expect(layersOf[name], name).toEqual([]);
      }
      // any-ascii's 546 kB transliteration table (suggestion keys), loaded from the layer for the first name that needs it.
      expect(code.includes("(C)\\ta\\t<<") || code.includes("(C)\ta\t<<"), name).toBe(false);
      // The providers' SDKs: each carries its API's default host.
      expect(code, name).not.toMatch(/api\.openai\.com|api\.anthropic\.com|generativelanguage\.googleapis\.com/);
    }
    expect(layersOf.Upload).toHaveLength(1);
    expect(layersOf.Worker).toEqual(layersOf.Upload);
    // Where sharp is used it is loaded from the layer on the first decode: the pattern above matches that call.
    expect(await readFile(join(assets.Upload!, "index.js"), "utf8")).toMatch(/\("sharp"\)/);
    // The markers the loop looks for are really there where the table and the SDKs are (the checks above can fail).
    const table = await readFile(join(layerModules, "any-ascii", "index.js"), "utf8");
    expect(table.includes("(C)\\ta\\t<<") || table.includes("(C)\ta\t<<")).toBe(true);
    for (const [sdk, marker] of [
      ["openai", "api.openai.com"],
      ["@anthropic-ai/sdk", "api.anthropic.com"],
      ["@google/genai", "generativelanguage.googleapis.com"],
    ] as const) {
      expect(await readFile(join(layerModules, sdk, "index.js"), "utf8"), sdk).toContain(marker);
    }
  });

  it("answers odd names in every route's path, query and body through its error mapping: no invocation error, no 500, nothing on Object.prototype", async () => {
    for (const route of HTTP_ROUTES) {
      const fixture = JSON.parse(
        await readFile(route.id === "AdminAssets" ? "fixtures/events/admin-assets.json" : `fixtures/events/${route.entry.split("/")[1]}.json`, "utf8"),
      );
      const requests = oddRequests(route);
      const admin = route.id.startsWith("Admin") && !["AdminPage", "AdminAssets"].includes(route.id);
      const events = requests.flatMap((odd) => {
        const event = oddEvent(fixture, odd);
        return admin ? [event, { ...event, headers: { ...event.headers, authorization: "Bearer fixture-admin-token" } }] : [event];
      });
      const { results, polluted } = await invokeAll(route.id, events);
      expect(polluted, route.id).toBe(false);
      results.forEach((result, index) => {
        const what = `${route.id}: ${requests[admin ? Math.floor(index / 2) : index]!.what}`;
        expect(result.invocationError, what).toBeUndefined();
        expect(result.statusCode, `${what}: ${result.body?.slice(0, 200)}`).toBeLessThan(500);
        expect((result.headers as Record<string, string>)["x-request-id"], what).toBeTruthy();
      });
    }
  }, 300_000);

  it("answers odd WebSocket queries and messages, odd queue messages and an odd cleanup event without an invocation error", async () => {
    const connect = JSON.parse(await readFile("fixtures/events/events-connect.json", "utf8"));
    const message = JSON.parse(await readFile("fixtures/events/events-message.json", "utf8"));
    const disconnect = JSON.parse(await readFile("fixtures/events/events-disconnect.json", "utf8"));
    const names = ["__proto__", "constructor", "toString", "hasOwnProperty"];
    const connects = names.map((name) => ({
      ...connect,
      queryStringParameters: JSON.parse(`{"fingerprint": ${JSON.stringify(name)}, ${JSON.stringify(name)}: "x"}`),
    }));
    const messages = names.flatMap((name) => [
      { ...message, body: JSON.stringify({ action: "subscribe", job_id: name }) },
      { ...message, body: JSON.stringify({ action: name, batch_id: name }) },
      { ...message, body: `{"__proto__": {"polluted": true}, "action": "subscribe", "job_id": ${JSON.stringify(name)}}` },
    ]);
    const expectations: [string, unknown[], (result: Record<string, unknown>) => void][] = [
      ["EventsConnect", connects, (result) => expect(result.statusCode).toBe(200)],
      ["EventsMessage", messages, (result) => expect(result.statusCode).toBe(200)],
      [
        "EventsDisconnect",
        names.map((name) => ({ ...disconnect, requestContext: { ...disconnect.requestContext, connectionId: name } })),
        (result) => expect(result.statusCode).toBe(200),
      ],
      [
        "Worker",
        [JSON.parse(await readFile("fixtures/events/worker.json", "utf8"))].flatMap((worker) =>
          names.map((name) => ({
            Records: [
              { ...worker.Records[0], body: JSON.stringify({ job_id: name }) },
              { ...worker.Records[0], messageId: "m2", body: `{"__proto__": {"job_id": "x"}}` },
            ],
          })),
        ),
        (result) => expect(result).toEqual({ batchItemFailures: [] }),
      ],
      [
        "Cleanup",
        names.map((name) => JSON.parse(`{"dryRun": true, "batchSize": ${JSON.stringify(name)}, ${JSON.stringify(name)}: {"polluted": true}}`)),
        (result) => expect(result).toMatchObject({ dryRun: true, failures: [] }),
      ],
    ];
    for (const [name, events, check] of expectations) {
      const { results, polluted } = await invokeAll(name, events);
      expect(polluted, name).toBe(false);
      for (const result of results) {
        expect(result.invocationError, name).toBeUndefined();
        check(result);
      }
    }
  }, 120_000);

  it("the settings seeder answers CloudFormation from its bundle: settings created in SSM (moto_server), or a FAILED answer with the reason when SSM is unreachable", async () => {
    const cloudFormation = await new FakeCloudFormationResponses().start();
    const responses = cloudFormation.responses;
    let moto: Moto | undefined;
    try {
      const event = {
        RequestType: "Create",
        ServiceToken: "arn:aws:lambda:us-east-1:000000000000:function:seeder",
        ResponseURL: cloudFormation.responseUrl,
        StackId: "stack",
        RequestId: "seed-1",
        LogicalResourceId: "Settings",
        ResourceType: "Custom::PhotoAnalysisSettings",
        ResourceProperties: {
          ServiceToken: "x",
          Prefix: "/photo-analysis/bundle",
          Names: ["PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS"],
          Defaults: { PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "5" },
          RemoveOnDelete: "true",
        },
      };
      // Without moto, SSM is a closed port: the bundle must still answer CloudFormation (FAILED, with why), never leave it waiting.
      moto = motoAvailable("the settings seeder bundle against moto_server (its failure answer is still checked)") ? await startMoto() : undefined;
      const ssm: Record<string, string> = { AWS_ENDPOINT_URL_SSM: moto ? moto.url : "http://127.0.0.1:9" };
      const { results } = await invokeAll("SettingsSeeder", [event], ssm);
      expect(results[0]?.invocationError).toBeUndefined();
      expect(responses).toHaveLength(1);
      if (moto) expect(responses[0]).toMatchObject({ Status: "SUCCESS", PhysicalResourceId: "/photo-analysis/bundle/settings" });
      else expect(responses[0]).toMatchObject({ Status: "FAILED", Reason: expect.any(String) });
    } finally {
      await moto?.close();
      await cloudFormation.close();
    }
  }, 120_000);
});
