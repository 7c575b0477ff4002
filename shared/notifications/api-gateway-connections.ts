import { createRequire } from "node:module";
import type { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import type { ConnectionGateway } from "../stores/ports.js";

type ManagementSdk = typeof import("@aws-sdk/client-apigatewaymanagementapi");

// require, not import(): in the Lambda bundle (CommonJS) the SDK resolves through NODE_PATH.
const require = createRequire(import.meta.url);
const managementSdk = () => require("@aws-sdk/client-apigatewaymanagementapi") as ManagementSdk;

/** Progress to WebSocket clients through API Gateway's management API (PostToConnection); the SDK loads on first use. */
export class ApiGatewayConnections implements ConnectionGateway {
  private client?: ApiGatewayManagementApiClient;

  constructor(private readonly makeClient: (sdk: ManagementSdk) => ApiGatewayManagementApiClient) {}

  async post(connectionId: string, message: unknown): Promise<boolean> {
    const sdk = managementSdk();
    this.client ??= this.makeClient(sdk);
    const client = this.client;
    const { PostToConnectionCommand } = sdk;
    try {
      await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(JSON.stringify(message)) }));
      return true;
    } catch (error) {
      // 410: the client went away; its $disconnect may not have run yet.
      if ((error as { name?: string }).name === "GoneException" || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410) return false;
      throw error;
    }
  }
}
