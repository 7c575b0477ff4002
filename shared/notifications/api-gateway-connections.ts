import { type ApiGatewayManagementApiClient, PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import type { ConnectionGateway } from "../stores/ports.js";

/** Progress to WebSocket clients through API Gateway's management API (PostToConnection). */
export class ApiGatewayConnections implements ConnectionGateway {
  constructor(private readonly client: ApiGatewayManagementApiClient) {}

  async post(connectionId: string, message: unknown): Promise<boolean> {
    try {
      await this.client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(JSON.stringify(message)) }));
      return true;
    } catch (error) {
      // 410: the client went away; its $disconnect may not have run yet.
      if ((error as { name?: string }).name === "GoneException" || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410) return false;
      throw error;
    }
  }
}
