import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { ConnectionStore, OpenConnection } from "./ports.js";
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE, ttlSeconds } from "./table-schema.js";

/**
 * WebSocket connections (pk `CONN#<id>`) and subscriptions (pk `SUB#<job or batch id>`, sk the
 * connection id: one Query finds a topic's listeners), all with a TTL so abandoned ones go.
 */
export class DynamoConnectionStore implements ConnectionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private connectionKey(id: string) {
    return { [PARTITION_KEY]: `CONN#${id}`, [SORT_KEY]: "CONN" };
  }

  async open(connection: OpenConnection): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...this.connectionKey(connection.id), ...connection, [TTL_ATTRIBUTE]: ttlSeconds(connection.expiresAt) },
      }),
    );
  }

  async owner(connectionId: string): Promise<string | null> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: this.connectionKey(connectionId), ConsistentRead: true }));
    return (Item?.owner as string | undefined) ?? null;
  }

  async close(connectionId: string): Promise<OpenConnection | null> {
    const { Attributes } = await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: this.connectionKey(connectionId), ReturnValues: "ALL_OLD" }),
    );
    if (!Attributes) return null;
    const { id, owner, expiresAt, ip, countedIn } = Attributes as OpenConnection;
    return { id, owner, expiresAt, ip, countedIn };
  }

  async subscribe(topic: string, connectionId: string, expiresAt: string): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { [PARTITION_KEY]: `SUB#${topic}`, [SORT_KEY]: connectionId, [TTL_ATTRIBUTE]: ttlSeconds(expiresAt) },
      }),
    );
  }

  async subscribers(topic: string): Promise<string[]> {
    const connections: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "#pk = :pk",
          ExpressionAttributeNames: { "#pk": PARTITION_KEY },
          ExpressionAttributeValues: { ":pk": `SUB#${topic}` },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) connections.push(item[SORT_KEY] as string);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return connections;
  }

  async unsubscribe(topic: string, connectionId: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { [PARTITION_KEY]: `SUB#${topic}`, [SORT_KEY]: connectionId } }));
  }
}
