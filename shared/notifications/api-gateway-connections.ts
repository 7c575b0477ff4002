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
    const { PostToConnectionCommand } = sdk;
    try {
      await this.clientOf(sdk).send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(JSON.stringify(message)) }));
      return true;
    } catch (error) {
      if (isGone(error)) return false;
      throw error;
    }
  }

  /** DeleteConnection: API Gateway closes the socket (always with 1000: the management API takes no code or reason) and runs $disconnect. */
  async close(connectionId: string, _code?: number, _reason?: string): Promise<void> {
    const sdk = managementSdk();
    try {
      await this.clientOf(sdk).send(new sdk.DeleteConnectionCommand({ ConnectionId: connectionId }));
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }

  private clientOf(sdk: ManagementSdk): ApiGatewayManagementApiClient {
    this.client ??= this.makeClient(sdk);
    return this.client;
  }
}

/** 410: the client went away; its $disconnect may not have run yet. */
function isGone(error: unknown): boolean {
  return (error as { name?: string }).name === "GoneException" || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410;
}
