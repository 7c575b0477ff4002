import { Duration, type RemovalPolicy, type Stack } from "aws-cdk-lib";
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { BlockPublicAccess, Bucket, BucketEncryption, HttpMethods, ObjectOwnership } from "aws-cdk-lib/aws-s3";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { IMAGE_KEY_PREFIX, STAGING_KEY_PREFIX } from "../../shared/domain/image-keys.js";
import { INDEXES, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from "../../shared/stores/table-schema.js";

/**
 * Days the bucket keeps an image: the longest TTL operators may set plus a margin, a safety net
 * behind the cleanup job. Derived from the ceiling, not from the current TTL, so raising the TTL in
 * SSM never deletes an image before its upload expires (the functions refuse TTLs over the ceiling).
 */
export function lifecycleDays(maxImageTtlHours: number): number {
  return Math.ceil(maxImageTtlHours / 24) + 2;
}

export interface DataProps {
  stage: "dev" | "prod";
  removalPolicy: RemovalPolicy;
  /** Origins allowed to POST presigned uploads to the bucket; empty: no CORS. */
  corsOrigins: string[];
  maxImageTtlHours: number;
}

/**
 * What the service keeps: the DynamoDB table (from the same schema the local server creates), the
 * image bucket, and the key of the logs' client pseudonym.
 */
export class DataStores {
  readonly table: Table;
  readonly bucket: Bucket;
  readonly pseudonymKey: Secret;

  constructor(stack: Stack, props: DataProps) {
    this.table = new Table(stack, "Table", {
      partitionKey: { name: PARTITION_KEY, type: AttributeType.STRING },
      sortKey: { name: SORT_KEY, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: props.stage === "prod",
      removalPolicy: props.removalPolicy,
    });
    for (const index of Object.values(INDEXES)) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: index.projection === "ALL" ? ProjectionType.ALL : ProjectionType.KEYS_ONLY,
      });
    }

    this.bucket = new Bucket(stack, "Images", {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: false,
      // Browsers POST large photos straight to the bucket with a presigned form.
      cors: props.corsOrigins.length
        ? [{ allowedMethods: [HttpMethods.POST], allowedOrigins: props.corsOrigins, allowedHeaders: ["*"], maxAge: 3600 }]
        : undefined,
      lifecycleRules: [
        { id: "expire-images", prefix: IMAGE_KEY_PREFIX, expiration: Duration.days(lifecycleDays(props.maxImageTtlHours)) },
        // Staged uploads are deleted once analysed; ones never analysed go after a day.
        { id: "expire-staged-uploads", prefix: STAGING_KEY_PREFIX, expiration: Duration.days(1) },
        { id: "abort-incomplete-uploads", abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    // Generated here, never in code or in the template (the functions get it through a
    // CloudFormation dynamic reference, resolved at deployment).
    this.pseudonymKey = new Secret(stack, "LogPseudonymKey", {
      description: `Photo Analysis (${props.stage}): key of the daily-rotating client pseudonym in request logs`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: props.removalPolicy,
    });
  }
}
