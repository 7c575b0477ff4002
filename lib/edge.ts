import { Aws, type RemovalPolicy, SecretValue, Stack, type StackProps } from "aws-cdk-lib";
import type { HttpApi } from "aws-cdk-lib/aws-apigatewayv2";
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  Function as CloudFrontFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  PriceClass,
  ViewerProtocolPolicy,
} from "aws-cdk-lib/aws-cloudfront";
import { HttpOrigin } from "aws-cdk-lib/aws-cloudfront-origins";
import { CfnWebACL } from "aws-cdk-lib/aws-wafv2";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";
import { EDGE_ORIGIN_HEADER, EDGE_VIEWER_HEADER } from "../functions/http.js";

/** The edge's rate limit per client address, requests per 5 minutes (-c edgeRateLimit). */
export const DEFAULT_EDGE_RATE_LIMIT = 300;

export interface EdgeStackProps extends StackProps {
  stage: string;
  /** Requests per client address per 5 minutes before the WAF answers 429. */
  rateLimit: number;
}

/**
 * AWS WAF for CloudFront lives in us-east-1 whatever the API's region: this small stack holds the
 * web ACL (a rate-based rule per client address, AWS's common rule set and known-bad-inputs set),
 * and the main stack's distribution refers to it across regions.
 */
export class EdgeStack extends Stack {
  readonly webAclArn: string;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    const visibility = (name: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName: `photo-analysis-${props.stage}-${name}`,
      sampledRequestsEnabled: true,
    });
    const managed = (priority: number, name: string, overrides: string[] = []): CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: "AWS",
          name,
          ruleActionOverrides: overrides.length ? overrides.map((rule) => ({ name: rule, actionToUse: { count: {} } })) : undefined,
        },
      },
      visibilityConfig: visibility(name),
    });
    const acl = new CfnWebACL(this, "WebAcl", {
      name: `photo-analysis-${props.stage}-edge`,
      description: `Photo Analysis ${props.stage}: rate limit per client address and AWS managed rules, in front of the HTTP API`,
      scope: "CLOUDFRONT",
      defaultAction: { allow: {} },
      customResponseBodies: {
        "rate-limited": {
          contentType: "APPLICATION_JSON",
          content: JSON.stringify({ error: "Rate limit exceeded", detail: "Too many requests from this address; try again in a few minutes." }),
        },
      },
      rules: [
        {
          name: "RateLimitPerClientAddress",
          priority: 0,
          action: {
            block: { customResponse: { responseCode: 429, customResponseBodyKey: "rate-limited", responseHeaders: [{ name: "retry-after", value: "300" }] } },
          },
          statement: { rateBasedStatement: { limit: props.rateLimit, aggregateKeyType: "IP", evaluationWindowSec: 300 } },
          visibilityConfig: visibility("rate-limit"),
        },
        // Photos are request bodies far over the rule set's 8 KB body limit: that one rule only counts.
        managed(1, "AWSManagedRulesCommonRuleSet", ["SizeRestrictions_BODY"]),
        managed(2, "AWSManagedRulesKnownBadInputsRuleSet"),
      ],
      visibilityConfig: visibility("web-acl"),
    });
    this.webAclArn = acl.attrArn;
  }
}

/**
 * CloudFront in front of the HTTP API, behind the edge stack's WAF. Nothing is cached (every answer
 * is per caller); every viewer header but Host goes to the API. A viewer-request function writes the
 * client's address into EDGE_VIEWER_HEADER (the functions' rate limits need it: behind CloudFront,
 * API Gateway only sees CloudFront), and CloudFront adds EDGE_ORIGIN_HEADER with a generated secret,
 * so the functions refuse requests that did not come through the edge. The WebSocket API and
 * presigned uploads to S3 do not go through it.
 */
export function edgeDistribution(
  scope: Construct,
  options: { api: HttpApi; webAclArn: string; stage: string; removalPolicy: RemovalPolicy; originSecretVersion?: string },
) {
  const originSecret = new Secret(scope, "EdgeOriginSecret", {
    description: `Photo Analysis ${options.stage}: the header CloudFront adds so the API knows a request came through the edge`,
    generateSecretString: { passwordLength: 48, excludePunctuation: true },
    removalPolicy: options.removalPolicy,
  });
  // A named version (-c edgeOriginVersion after a rotation) changes the template, so CloudFormation
  // resolves the new value into both CloudFront's header and the functions (docs/operations.md).
  const originValue = (
    options.originSecretVersion ? SecretValue.secretsManager(originSecret.secretArn, { versionId: options.originSecretVersion }) : originSecret.secretValue
  ).unsafeUnwrap();
  const viewerAddress = new CloudFrontFunction(scope, "EdgeViewerAddress", {
    runtime: FunctionRuntime.JS_2_0,
    comment: "Sets the client's address for the API (replacing any value the client sent)",
    code: FunctionCode.fromInline(
      `function handler(event) { var request = event.request; request.headers[${JSON.stringify(EDGE_VIEWER_HEADER)}] = { value: event.viewer.ip }; return request; }`,
    ),
  });
  const distribution = new Distribution(scope, "Edge", {
    comment: `Photo Analysis ${options.stage}`,
    webAclId: options.webAclArn,
    httpVersion: HttpVersion.HTTP2_AND_3,
    priceClass: PriceClass.PRICE_CLASS_100,
    defaultBehavior: {
      origin: new HttpOrigin(`${options.api.apiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`, {
        protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
        originSslProtocols: [OriginSslPolicy.TLS_V1_2],
        customHeaders: { [EDGE_ORIGIN_HEADER]: originValue },
      }),
      viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: AllowedMethods.ALLOW_ALL,
      cachePolicy: CachePolicy.CACHING_DISABLED,
      originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      functionAssociations: [{ function: viewerAddress, eventType: FunctionEventType.VIEWER_REQUEST }],
    },
  });
  return { distribution, originSecret, originValue };
}
