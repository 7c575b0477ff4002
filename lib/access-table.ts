/**
 * Reads back, from a synthesized template, what each function may do: the table that the template
 * test holds and the README prints. Every statement of a function's role (and every KMS key policy
 * statement naming the role) lands somewhere in the row, so a grant wider than expected shows.
 */

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
type Json = any;

export interface FunctionGrants {
  /** Partition-key prefix (from dynamodb:LeadingKeys) → DynamoDB actions. */
  items: Record<string, string[]>;
  /** Global secondary indexes it may Query. */
  indexes: string[];
  /** Key prefix → S3 actions (ListBucket: listing that prefix). */
  objects: Record<string, string[]>;
  /** SSM actions on paths, e.g. "GetParametersByPath settings". */
  ssm: string[];
  /** Named by the secrets key's policy as allowed to decrypt. */
  decrypt: boolean;
  /** Everything else, as "action on resource" (queue, connections, moderation, tracing, and anything unexpected). */
  other: string[];
}

/** CloudFormation intrinsics flattened into a readable string: `<Logical.Attr>`, `<AWS::Region>`. */
export function flatten(value: Json): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(flatten).join(",");
  if (value?.Ref) return `<${value.Ref}>`;
  if (value?.["Fn::GetAtt"]) return `<${[value["Fn::GetAtt"]].flat().join(".")}>`;
  if (value?.["Fn::Join"]) return (value["Fn::Join"][1] as Json[]).map(flatten).join(value["Fn::Join"][0]);
  if (value?.["Fn::ImportValue"]) return `<import ${flatten(value["Fn::ImportValue"])}>`;
  return JSON.stringify(value);
}

/** Function id (route id, Worker, Cleanup, a WebSocket route id) → what its role may do. */
export function functionGrants(template: Json): Record<string, FunctionGrants> {
  const resources = template.Resources as Record<string, { Type: string; Properties: Json }>;
  const tableId = Object.keys(resources).find((id) => resources[id]!.Type === "AWS::DynamoDB::Table");
  const bucketIds = Object.keys(resources).filter((id) => resources[id]!.Type === "AWS::S3::Bucket");
  const grants: Record<string, FunctionGrants> = {};
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== "AWS::Lambda::Function" || !/Function[0-9A-F]{8}$/.test(id)) continue;
    const name = id.replace(/Function[0-9A-F]{8}$/, "");
    const roleId = resource.Properties.Role["Fn::GetAtt"][0] as string;
    const row: FunctionGrants = { items: {}, indexes: [], objects: {}, ssm: [], decrypt: false, other: [] };
    const statements = Object.values(resources)
      .filter((r) => r.Type === "AWS::IAM::Policy" && r.Properties.Roles.some((role: Json) => role.Ref === roleId))
      .flatMap((r) => r.Properties.PolicyDocument.Statement as Json[]);
    for (const role of [resources[roleId]!]) {
      for (const managed of role.Properties.ManagedPolicyArns ?? [])
        row.other.push(`managed ${flatten(managed).replace(/^arn:<AWS::Partition>:iam::aws:policy\//, "")}`);
      for (const inline of role.Properties.Policies ?? []) statements.push(...inline.PolicyDocument.Statement);
    }
    for (const statement of statements) classify(statement, row, { table: tableId, buckets: bucketIds });
    for (const key of Object.values(resources).filter((r) => r.Type === "AWS::KMS::Key")) {
      for (const statement of key.Properties.KeyPolicy.Statement as Json[]) {
        const principals = [statement.Principal?.AWS].flat().map(flatten);
        if (principals.includes(`<${roleId}.Arn>`)) {
          const actions = [statement.Action].flat();
          if (statement.Effect === "Allow" && actions.length === 1 && actions[0] === "kms:Decrypt") row.decrypt = true;
          else row.other.push(`key policy ${actions.join(",")}`);
        }
      }
    }
    for (const value of Object.values(row.items)) value.sort();
    for (const value of Object.values(row.objects)) value.sort();
    row.indexes.sort();
    row.ssm.sort();
    row.other.sort();
    grants[name] = row;
  }
  return grants;
}

function classify(statement: Json, row: FunctionGrants, ids: { table?: string; buckets: string[] }) {
  const actions = [statement.Action].flat() as string[];
  const resources = [statement.Resource].flat().map(flatten);
  const unexpected = () =>
    row.other.push(`${actions.join(",")} on ${resources.join(",")}${statement.Condition ? ` if ${JSON.stringify(statement.Condition)}` : ""}`);
  if (statement.Effect !== "Allow") return unexpected();
  const tableArn = `<${ids.table}.Arn>`;
  if (actions.every((action) => action.startsWith("dynamodb:"))) {
    const condition = statement.Condition ?? {};
    const leading = condition["ForAllValues:StringLike"]?.["dynamodb:LeadingKeys"];
    const keyPresent = condition.Null?.["dynamodb:LeadingKeys"] === "false";
    if (resources.length === 1 && resources[0] === tableArn && leading && keyPresent && Object.keys(condition).length === 2) {
      for (const prefix of [leading].flat() as string[]) {
        const kind = prefix.replace(/\*$/, "");
        row.items[kind] = [...new Set([...(row.items[kind] ?? []), ...actions.map((action) => action.replace(/^dynamodb:/, ""))])];
      }
      return;
    }
    const indexes = resources.map((resource) =>
      resource.startsWith(`${tableArn}/index/`) && !resource.includes("*") ? resource.slice(`${tableArn}/index/`.length) : null,
    );
    if (!statement.Condition && actions.length === 1 && actions[0] === "dynamodb:Query" && indexes.every((index) => index !== null)) {
      row.indexes.push(...(indexes as string[]));
      return;
    }
    return unexpected();
  }
  if (actions.every((action) => action.startsWith("s3:"))) {
    const bucketArn = ids.buckets.map((id) => `<${id}.Arn>`);
    if (actions.length === 1 && actions[0] === "s3:ListBucket" && resources.length === 1 && bucketArn.includes(resources[0]!)) {
      const prefixes = [statement.Condition?.StringLike?.["s3:prefix"]].flat().filter(Boolean) as string[];
      if (!prefixes.length || Object.keys(statement.Condition).length !== 1) return unexpected();
      for (const prefix of prefixes) row.objects[prefix.replace(/\*$/, "")] = [...(row.objects[prefix.replace(/\*$/, "")] ?? []), "ListBucket"];
      return;
    }
    for (const resource of resources) {
      const match = bucketArn.map((arn) => (resource.startsWith(`${arn}/`) ? resource.slice(arn.length + 1) : null)).find((prefix) => prefix !== null);
      if (!match?.endsWith("/*") || statement.Condition) return unexpected();
      const prefix = match.replace(/\*$/, "");
      row.objects[prefix] = [...new Set([...(row.objects[prefix] ?? []), ...actions.map((action) => action.replace(/^s3:/, ""))])];
    }
    return;
  }
  if (actions.every((action) => action.startsWith("ssm:")) && !statement.Condition) {
    for (const action of actions) {
      for (const resource of resources) {
        const parameter = /^arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter\/photo-analysis\/[a-z]+\/(.+)$/.exec(resource)?.[1];
        if (resource === "*" && action === "ssm:DescribeParameters") row.ssm.push("DescribeParameters");
        else if (parameter) row.ssm.push(`${action.replace(/^ssm:/, "")} ${parameter}`);
        else unexpected();
      }
    }
    return;
  }
  unexpected();
}

/** The README's table: one line per function. */
export function accessTableMarkdown(grants: Record<string, FunctionGrants>): string {
  const cell = (values: string[]) => values.join("; ") || "—";
  const lines = [
    "| function | table items (partition-key prefix: actions) | indexes (Query) | bucket (prefix: actions) | SSM | other |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const [name, row] of Object.entries(grants).sort(([a], [b]) => a.localeCompare(b))) {
    const items = Object.entries(row.items)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([prefix, actions]) => `\`${prefix}\` ${actions.join(", ")}`);
    const objects = Object.entries(row.objects)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([prefix, actions]) => `\`${prefix}\` ${actions.join(", ")}`);
    const ssm = [...row.ssm, ...(row.decrypt ? ["kms:Decrypt (secrets key)"] : [])];
    const other = row.other
      .filter((entry) => !/^xray:|^managed service-role\/AWSLambdaBasicExecutionRole$/.test(entry))
      .map((entry) => entry.replace(/ on .*$/, ""));
    lines.push(`| ${name} | ${cell(items)} | ${cell(row.indexes)} | ${cell(objects)} | ${cell(ssm)} | ${cell(other)} |`);
  }
  return lines.join("\n");
}
