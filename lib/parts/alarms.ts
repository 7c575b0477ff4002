import { Duration, type Stack } from "aws-cdk-lib";
import type { HttpApi } from "aws-cdk-lib/aws-apigatewayv2";
import { Alarm, ComparisonOperator, type IMetric, MathExpression, Metric, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { Alias } from "aws-cdk-lib/aws-kms";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";

/** Alarms look at five-minute windows. */
export const ALARM_PERIOD = Duration.minutes(5);

/** The alarm topic (emailed when an address is given) and every alarm, each sent to it. */
export class Alarms {
  readonly topic: Topic;

  constructor(
    private readonly stack: Stack,
    props: { stage: "dev" | "prod"; email?: string },
  ) {
    this.topic = new Topic(stack, "Alarms", {
      displayName: `Photo Analysis ${props.stage} alarms`,
      enforceSSL: true,
      masterKey: Alias.fromAliasName(stack, "SnsKey", "alias/aws/sns"),
    });
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));
  }

  /** An alarm at `threshold` or above for `periods` windows; no data is not a breach. */
  add(id: string, description: string, metric: IMetric, threshold: number, periods = 1): Alarm {
    const created = new Alarm(this.stack, id, {
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods: periods,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    created.addAlarmAction(new SnsAction(this.topic));
    return created;
  }

  /** The API's 5xx rate and the vision providers' failures (a metric the functions emit). */
  addServiceAlarms(api: HttpApi): void {
    this.add(
      "Api5xxRate",
      "More than 5 % of API requests answered 5xx over 5 minutes",
      new MathExpression({
        expression: "100 * errors / MAX([requests, 1])",
        usingMetrics: {
          errors: api.metricServerError({ period: ALARM_PERIOD, statistic: "Sum" }),
          requests: api.metricCount({ period: ALARM_PERIOD, statistic: "Sum" }),
        },
        period: ALARM_PERIOD,
      }),
      5,
    );
    this.add(
      "ProviderFailures",
      "Vision provider calls failing (5 or more in 5 minutes)",
      new Metric({
        namespace: "PhotoAnalysis",
        metricName: "ProviderFailures",
        dimensionsMap: { service: "photo-analysis" },
        period: ALARM_PERIOD,
        statistic: "Sum",
      }),
      5,
    );
  }

  /** Uncaught errors of a function (`<id>Errors`); for the upload function, throttles and a duration near its timeout too. */
  addFunctionAlarms(id: string, fn: IFunction, timeoutSeconds: number): void {
    this.add(`${id}Errors`, `${id} function errors (uncaught) in 5 minutes`, fn.metricErrors({ period: ALARM_PERIOD, statistic: "Sum" }), 1);
    if (id !== "Upload") return;
    this.add("UploadThrottles", "Upload function throttled (reserved concurrency reached)", fn.metricThrottles({ period: ALARM_PERIOD, statistic: "Sum" }), 1);
    this.add(
      "UploadDurationNearTimeout",
      "Upload p99 duration above 80 % of its timeout",
      fn.metricDuration({ period: ALARM_PERIOD, statistic: "p99" }),
      timeoutSeconds * 1000 * 0.8,
      2,
    );
  }
}
