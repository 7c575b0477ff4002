import { Aws, type Stack } from "aws-cdk-lib";
import { type CfnStage, WebSocketApi, WebSocketStage } from "aws-cdk-lib/aws-apigatewayv2";
import { WebSocketLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { Effect, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import type { LogGroup } from "aws-cdk-lib/aws-logs";
import type { FunctionAccess } from "../../functions/routes.js";
import type { HttpApiProps } from "./http-api.js";

export interface ProgressEventsProps extends Pick<HttpApiProps, "stage" | "throttleRate" | "throttleBurst"> {
  /** Shared with the HTTP API. */
  accessLogs: LogGroup;
}

/** The progress WebSocket API (subscribe to jobs and batches): its stage, throttled and logged, and the rights to post to its connections. */
export class ProgressEvents {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;

  constructor(stack: Stack, props: ProgressEventsProps) {
    this.api = new WebSocketApi(stack, "Events", {
      apiName: `photo-analysis-events-${props.stage}`,
      description: "Photo Analysis progress: subscribe to jobs and batches",
      routeSelectionExpression: "$request.body.action",
    });
    this.stage = new WebSocketStage(stack, "EventsStage", {
      webSocketApi: this.api,
      stageName: props.stage,
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRate, burstLimit: props.throttleBurst },
    });
    (this.stage.node.defaultChild as CfnStage).accessLogSettings = {
      destinationArn: props.accessLogs.logGroupArn,
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
  }

  /**
   * PostToConnection (and DeleteConnection where the function ends connections) on this stage's
   * connections only, for the functions whose access says `events`. Written with pseudo parameters
   * (not the stack's region) so that the template, and the cdk-nag acknowledgement, are the same in
   * every region.
   */
  grantConnections(fn: LambdaFunction, access: FunctionAccess): void {
    if (!access.events) return;
    const connectionsArn = (method: "POST" | "DELETE") =>
      `arn:${Aws.PARTITION}:execute-api:${Aws.REGION}:${Aws.ACCOUNT_ID}:${this.api.apiId}/${this.stage.stageName}/${method}/@connections/*`;
    fn.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ["execute-api:ManageConnections"],
        resources: [connectionsArn("POST"), ...(access.closeConnections ? [connectionsArn("DELETE")] : [])],
      }),
    );
    fn.addEnvironment("PHOTO_ANALYSIS_EVENTS_CALLBACK_URL", this.stage.callbackUrl);
  }

  /** A function serving WebSocket route keys ($connect, $disconnect, subscribe, …). */
  addRoutes(id: string, routeKeys: readonly string[], fn: LambdaFunction): void {
    const integration = new WebSocketLambdaIntegration(`${id}Integration`, fn);
    for (const routeKey of routeKeys) this.api.addRoute(routeKey, { integration });
  }
}
