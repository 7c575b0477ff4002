/**
 * The table part of a function's IAM policy, enforced where IAM is not: `npm start` and the tests
 * that run it run each handler inside its function's grant (functions/routes.ts, FunctionAccess),
 * and every DynamoDB call made meanwhile is checked the way IAM's `dynamodb:LeadingKeys` condition
 * checks it in AWS: the action must be granted for the kind of every partition key it touches, an
 * index must be granted by name, and a Scan never is. A call outside the grant fails with
 * AccessDeniedException, as it would after a deploy. Outside a grant (start-up, CLIs) nothing is checked.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { activeTableGrant, type TableGrant } from "../stores/table-grant.js";
import { INDEXES, ITEM_KINDS, itemKindOf, PARTITION_KEY } from "../stores/table-schema.js";

export type { TableGrant } from "../stores/table-grant.js";

/** Every refusal in this process (some callers swallow errors, such as the dashboard counters): tests assert there were none. */
const denials: string[] = [];

export function tableAccessDenials(): readonly string[] {
  return [...denials];
}

/** Runs `work` (and everything it starts) as the named function, with its grant. */
export function withTableGrant<T>(name: string, grant: TableGrant, work: () => T): T {
  return activeTableGrant.run({ name, grant }, work);
}

export class TableAccessDenied extends Error {
  override name = "AccessDeniedException";
  readonly $metadata = { httpStatusCode: 400 };
}

type Input = Record<string, unknown>;

/** A key attribute's value, marshalled ({S: "…"}) or not (the document client marshals later or earlier). */
function stringOf(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && typeof (value as { S?: unknown }).S === "string") return (value as { S: string }).S;
  return undefined;
}

function partitionKeyOf(item: unknown): string | undefined {
  return item && typeof item === "object" ? stringOf((item as Input)[PARTITION_KEY]) : undefined;
}

/** The partition key a Query names: `<pk name or #alias> = :value` in its key condition. */
function queriedPartitionKey(input: Input): string | undefined {
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  for (const [, name, value] of String(input.KeyConditionExpression ?? "").matchAll(/([#\w]+)\s*=\s*(:\w+)/g)) {
    if ((names[name!] ?? name) === PARTITION_KEY) return stringOf(values[value!]);
  }
  return undefined;
}

/** What a command does to which partition keys, as IAM sees it: one (action, key) per item touched. */
function accessesOf(command: string, input: Input): { action: string; key?: string; index?: string }[] {
  const action = command.replace(/Command$/, "");
  switch (action) {
    case "GetItem":
    case "DeleteItem":
    case "UpdateItem":
      return [{ action, key: partitionKeyOf(input.Key) }];
    case "PutItem":
      return [{ action, key: partitionKeyOf(input.Item) }];
    case "Query":
      return input.IndexName ? [{ action, index: String(input.IndexName) }] : [{ action, key: queriedPartitionKey(input) }];
    case "BatchGetItem":
      return Object.values((input.RequestItems ?? {}) as Record<string, { Keys?: unknown[] }>).flatMap((request) =>
        (request.Keys ?? []).map((key) => ({ action, key: partitionKeyOf(key) })),
      );
    case "BatchWriteItem":
      return Object.values((input.RequestItems ?? {}) as Record<string, { PutRequest?: { Item?: unknown }; DeleteRequest?: { Key?: unknown } }[]>).flatMap(
        (requests) => requests.map((request) => ({ action, key: partitionKeyOf(request.PutRequest?.Item ?? request.DeleteRequest?.Key) })),
      );
    case "TransactWriteItems":
      // Each part is authorised as its own action.
      return ((input.TransactItems ?? []) as Record<string, { Key?: unknown; Item?: unknown }>[]).flatMap((part) =>
        Object.entries(part).map(([kind, request]) => ({
          action: { Put: "PutItem", Update: "UpdateItem", Delete: "DeleteItem", ConditionCheck: "ConditionCheckItem" }[kind] ?? kind,
          key: partitionKeyOf(request.Item ?? request.Key),
        })),
      );
    case "TransactGetItems":
      return ((input.TransactItems ?? []) as { Get?: { Key?: unknown } }[]).map((part) => ({ action: "GetItem", key: partitionKeyOf(part.Get?.Key) }));
    default:
      // Scan, and anything else a function has no business calling.
      return [{ action }];
  }
}

/** Why the grant refuses this command, or null when it allows every part of it. */
export function deniedBy(grant: TableGrant, command: string, input: Input): string | null {
  for (const access of accessesOf(command, input)) {
    if (access.index !== undefined) {
      const granted = (grant.indexes ?? []).some((index) => INDEXES[index].name === access.index);
      if (access.action !== "Query" || !granted) return `dynamodb:${access.action} on index ${access.index}`;
      continue;
    }
    const kind = access.key === undefined ? undefined : itemKindOf(access.key);
    if (!kind) return `dynamodb:${access.action} on ${access.key === undefined ? "the whole table" : `"${access.key}" (no item kind has its prefix)`}`;
    if (!(grant.items?.[kind] ?? []).includes(access.action)) return `dynamodb:${access.action} on ${ITEM_KINDS[kind].prefix}* items`;
  }
  return null;
}

/** Checks every call this client makes inside withTableGrant (a no-op elsewhere, Lambda included). */
export function enforceTableGrants(client: DynamoDBClient): DynamoDBClient {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const current = activeTableGrant.getStore();
      if (current) {
        const denied = deniedBy(current.grant, context.commandName ?? "", args.input as Input);
        if (denied) {
          const message = `${current.name} is not allowed ${denied} (functions/routes.ts: add it to the function's access, and the item kind to ITEM_KINDS if it is new)`;
          if (denials.length < 100) denials.push(message);
          throw new TableAccessDenied(message);
        }
      }
      return next(args);
    },
    { step: "initialize", name: "photoAnalysisTableGrant", priority: "low" },
  );
  return client;
}
