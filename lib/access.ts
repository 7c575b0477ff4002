import { Effect, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { Table } from "aws-cdk-lib/aws-dynamodb";
import type { Bucket } from "aws-cdk-lib/aws-s3";
import type { FunctionAccess, ItemAction } from "../functions/routes.js";
import { BUCKET_AREAS, type BucketArea } from "../shared/domain/image-keys.js";
import { legacySettingParameter, secretsPath, settingsPath } from "../shared/config/ssm-layout.js";
import { INDEXES, ITEM_KINDS, type ItemKind } from "../shared/stores/table-schema.js";

export interface AccessTargets {
  table: Table;
  bucket: Bucket;
  /** `arn:<partition>:ssm:<region>:<account>:parameter`, with pseudo parameters. */
  parameterArn: string;
  ssmPrefix: string;
}

/**
 * A function's IAM statements, from its access declaration (functions/routes.ts) and nothing else:
 * - table items: each action on the table only for partition keys that begin with the prefixes of
 *   the item kinds it is declared for (`dynamodb:LeadingKeys`, which must be present, so a request
 *   without a leading key, a Scan, never matches); no Scan is ever granted;
 * - indexes: Query on the named global secondary indexes;
 * - bucket: object actions on each area's prefix, ListBucket on the bucket for those prefixes only;
 * - SSM: GetParametersByPath on the settings path (the seeder: read, put and delete under it, read
 *   the old places); GetParameter on secrets/* (decryption is granted by the secrets key's policy,
 *   see secrets-key.ts); DescribeParameters (names only) for presence.
 */
export function accessStatements(access: FunctionAccess, targets: AccessTargets): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  // Actions that share a set of item kinds go in one statement.
  const kindsOf = new Map<ItemAction, ItemKind[]>();
  for (const [kind, actions] of Object.entries(access.items ?? {}) as [ItemKind, readonly ItemAction[]][]) {
    for (const action of actions) kindsOf.set(action, [...(kindsOf.get(action) ?? []), kind]);
  }
  const actionsFor = new Map<string, { actions: ItemAction[]; prefixes: string[] }>();
  for (const [action, kinds] of kindsOf) {
    const prefixes = kinds.map((kind) => `${ITEM_KINDS[kind].prefix}*`).sort();
    const group = actionsFor.get(prefixes.join(" ")) ?? { actions: [], prefixes };
    group.actions.push(action);
    actionsFor.set(prefixes.join(" "), group);
  }
  for (const { actions, prefixes } of actionsFor.values()) {
    statements.push(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: actions.sort().map((action) => `dynamodb:${action}`),
        resources: [targets.table.tableArn],
        conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": prefixes }, Null: { "dynamodb:LeadingKeys": "false" } },
      }),
    );
  }
  if (access.indexes?.length) {
    statements.push(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ["dynamodb:Query"],
        resources: access.indexes.map((index) => `${targets.table.tableArn}/index/${INDEXES[index].name}`),
      }),
    );
  }
  const listed: string[] = [];
  for (const [area, actions] of Object.entries(access.objects ?? {}) as [BucketArea, readonly string[]][]) {
    const prefix = BUCKET_AREAS[area];
    const objectActions = actions.filter((action) => action !== "ListBucket");
    if (objectActions.length) {
      statements.push(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: objectActions.map((action) => `s3:${action}`).sort(),
          resources: [targets.bucket.arnForObjects(`${prefix}*`)],
        }),
      );
    }
    if (actions.includes("ListBucket")) listed.push(`${prefix}*`);
  }
  if (listed.length) {
    statements.push(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ["s3:ListBucket"],
        resources: [targets.bucket.bucketArn],
        conditions: { StringLike: { "s3:prefix": listed.sort() } },
      }),
    );
  }
  if (access.settings === true) {
    statements.push(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ["ssm:GetParametersByPath"],
        resources: [`${targets.parameterArn}${settingsPath(targets.ssmPrefix)}`],
      }),
    );
  }
  if (access.settings === "seed") {
    const settings = `${targets.parameterArn}${settingsPath(targets.ssmPrefix)}/*`;
    // Where settings lived before settings/ (`<prefix>/PHOTO_ANALYSIS_*`): read once, when the stack moves them.
    const legacy = `${targets.parameterArn}${legacySettingParameter(targets.ssmPrefix, "PHOTO_ANALYSIS_*")}`;
    statements.push(new PolicyStatement({ effect: Effect.ALLOW, actions: ["ssm:GetParameters"], resources: [settings, legacy] }));
    statements.push(new PolicyStatement({ effect: Effect.ALLOW, actions: ["ssm:DeleteParameters", "ssm:PutParameter"], resources: [settings] }));
  }
  if (access.secrets === "read") {
    statements.push(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ["ssm:GetParameter"], resources: [`${targets.parameterArn}${secretsPath(targets.ssmPrefix)}/*`] }),
    );
  }
  if (access.secrets === "presence") {
    // DescribeParameters takes no resource: it returns names and metadata, never a value.
    statements.push(new PolicyStatement({ effect: Effect.ALLOW, actions: ["ssm:DescribeParameters"], resources: ["*"] }));
  }
  return statements;
}
