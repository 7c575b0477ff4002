import { SSMClient } from "@aws-sdk/client-ssm";
import type { CloudFormationCustomResourceEvent } from "aws-lambda";
import { settingsPath } from "../../shared/config/ssm-layout.js";
import { removeSettings, seedSettings } from "../../shared/config/ssm-migration.js";

/** What the stack passes (CloudFormation hands every value over as a string). */
export interface SeederProperties {
  /** PHOTO_ANALYSIS_SSM_PREFIX: `/photo-analysis/<stage>`. */
  Prefix: string;
  /** Every setting name the release knows, and the defaults of those that have one. */
  Names: string[];
  Defaults: Record<string, string>;
  /** "true" when deleting the stack deletes its data (dev): the settings go too. */
  RemoveOnDelete: string;
}

export interface CustomResourceResponse {
  Status: "SUCCESS" | "FAILED";
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data?: Record<string, string>;
}

/** CloudFormation waits for the answer at the event's presigned S3 URL (an hour, if none ever comes). */
export async function putResponse(responseUrl: string, response: CustomResourceResponse): Promise<void> {
  const body = JSON.stringify(response);
  for (let attempt = 0; ; attempt++) {
    try {
      const answer = await fetch(responseUrl, { method: "PUT", headers: { "content-type": "" }, body, signal: AbortSignal.timeout(10_000) });
      if (answer.ok) return;
      throw new Error(`HTTP ${answer.status}`);
    } catch (error) {
      if (attempt >= 2) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000 * (attempt + 1)));
    }
  }
}

/**
 * The stack's settings under `<prefix>/settings/` (a CloudFormation custom resource): on create and
 * update, every missing setting is created, from its old place (`<prefix>/<NAME>`, still there while
 * the stack updates) or its default, and a setting still at the previous default takes the new one;
 * an operator's value is never replaced. On delete, a dev stack's settings are removed.
 */
export function createSettingsSeederHandler(makeSsm: () => Pick<SSMClient, "send"> = () => new SSMClient({ maxAttempts: 10 }), respond = putResponse) {
  return async (event: CloudFormationCustomResourceEvent): Promise<void> => {
    const properties = event.ResourceProperties as unknown as SeederProperties;
    const physicalId = event.RequestType === "Create" ? settingsPath(properties.Prefix) : event.PhysicalResourceId;
    const reply = { PhysicalResourceId: physicalId, StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId };
    try {
      const ssm = makeSsm();
      if (event.RequestType === "Delete") {
        if (properties.RemoveOnDelete === "true") await removeSettings(ssm, { prefix: properties.Prefix, names: properties.Names });
        await respond(event.ResponseURL, { Status: "SUCCESS", ...reply });
        return;
      }
      const previous = event.RequestType === "Update" ? (event.OldResourceProperties as unknown as Partial<SeederProperties>).Defaults : undefined;
      const result = await seedSettings(ssm, { prefix: properties.Prefix, names: properties.Names, defaults: properties.Defaults, previousDefaults: previous });
      console.log(JSON.stringify({ message: "settings seeded", path: settingsPath(properties.Prefix), ...result }));
      await respond(event.ResponseURL, {
        Status: "SUCCESS",
        ...reply,
        Data: { Created: String(result.created.length), Updated: String(result.updated.length) },
      });
    } catch (error) {
      console.error("settings seeding failed", error);
      // A failed delete must not hold the stack's deletion: it is reported and let go.
      const status = event.RequestType === "Delete" ? "SUCCESS" : "FAILED";
      await respond(event.ResponseURL, { Status: status, Reason: `${(error as Error).name}: ${(error as Error).message}`.slice(0, 500), ...reply });
    }
  };
}

export const handler = createSettingsSeederHandler();
