import { Duration, type RemovalPolicy, type Stack } from "aws-cdk-lib";
import { type CfnStage, CorsHttpMethod, HttpApi, HttpMethod } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { apiGatewayPath, type HttpRoute } from "../../functions/routes.js";

export interface HttpApiProps {
  stage: "dev" | "prod";
  removalPolicy: RemovalPolicy;
  corsOrigins: string[];
  throttleRate: number;
  throttleBurst: number;
}

/**
 * The HTTP API: CORS for the configured origins, stage throttling and access logs (one JSON line
 * per request, with API Gateway's request id: the X-Request-Id clients see). The access log group
 * is shared with the WebSocket API.
 */
export class PublicHttpApi {
  readonly api: HttpApi;
  readonly accessLogs: LogGroup;

  constructor(stack: Stack, props: HttpApiProps) {
    this.api = new HttpApi(stack, "Api", {
      apiName: `photo-analysis-${props.stage}`,
      description: "Photo Analysis: chat-room name suggestions for uploaded photos",
      corsPreflight: props.corsOrigins.length
        ? {
            allowOrigins: props.corsOrigins,
            allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.DELETE, CorsHttpMethod.OPTIONS],
            allowHeaders: ["content-type", "authorization", "prefer"],
            exposeHeaders: ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after", "x-request-id"],
            maxAge: Duration.hours(1),
          }
        : undefined,
    });
    this.accessLogs = new LogGroup(stack, "ApiAccessLogs", { retention: RetentionDays.ONE_MONTH, removalPolicy: props.removalPolicy });
    const stage = this.api.defaultStage?.node.defaultChild as CfnStage;
    stage.defaultRouteSettings = { throttlingRateLimit: props.throttleRate, throttlingBurstLimit: props.throttleBurst };
    stage.accessLogSettings = {
      destinationArn: this.accessLogs.logGroupArn,
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
  }

  addRoute(route: HttpRoute, fn: IFunction): void {
    this.api.addRoutes({
      path: apiGatewayPath(route.path),
      methods: [HttpMethod[route.method]],
      integration: new HttpLambdaIntegration(`${route.id}Integration`, fn),
    });
  }
}
