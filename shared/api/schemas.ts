import { JOB_STAGES, MAX_BATCH_PHOTOS } from "../domain/jobs.js";
import { MAX_CONTEXT_LENGTH } from "../domain/prompt.js";
import { z } from "zod";
import { DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH, SUGGESTION_COUNT } from "../domain/suggestions.js";
import { STYLE_NAMES } from "../domain/styles.js";

/**
 * The API's shapes as zod schemas: one source for the provider's structured-output schema, the
 * OpenAPI document (shared/api/openapi.ts) and the tests that check real responses against it.
 */

/** What every cloud model must return (structured output); the reply is then validated and cleaned again. */
export const providerReplySchema = z
  .object({
    suggestions: z
      .array(
        z
          .object({
            name: z.string().describe(`Chat room name, 2-4 words, Title Case, at most ${NAME_MAX_LENGTH} characters`),
            description: z.string().describe(`Who the room is for, at most ${DESCRIPTION_MAX_LENGTH} characters`),
          })
          .strict(),
      )
      .length(SUGGESTION_COUNT),
  })
  .strict();

export const suggestionSchema = z.object({
  name: z.string().max(NAME_MAX_LENGTH),
  key: z.string().describe("URL-safe slug of the name, unique within the analysis"),
  description: z.string().max(DESCRIPTION_MAX_LENGTH),
});

const ownerOnly =
  "shown to the upload's owner (the same signed-in user; the same ?fingerprint= for an anonymous upload; the same address for one made with neither) and to admins; null to anyone else";

/** One upload in the API's analysis shape: the caller's own upload, answered by a (possibly shared) analysis. */
export const analysisSchema = z.object({
  id: z.uuid().describe("The upload's own id: the capability to read it and its image (every caller gets their own)"),
  suggestions: z
    .array(suggestionSchema)
    .max(SUGGESTION_COUNT)
    .describe(`${SUGGESTION_COUNT} suggestions; empty only once the upload has expired and no upload relies on its analysis any more`),
  labels: z.array(z.object({ label: z.string(), score: z.number() })).describe("What the vision model saw, best first (the local provider reports them)"),
  ai_vision_model: z.string(),
  provider: z.string(),
  token_usage: z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int(), total_tokens: z.number().int() }),
  estimated_cost_usd: z.number().nullable(),
  style: z.enum(STYLE_NAMES).nullable(),
  context: z.string().max(MAX_CONTEXT_LENGTH).nullable().describe(`The caller's description of the room, if given: ${ownerOnly}`),
  language: z.string().describe("BCP 47 tag of the names' language"),
  image_url: z.string().describe("This upload's own image (the caller's own bytes, normalised), through the API; the origin is the deployment's own"),
  image_phash: z
    .string()
    .regex(/^[0-9a-f]{16}$/)
    .nullable()
    .describe(`pHash of the uploaded file: ${ownerOnly}`),
  file_hash: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .nullable()
    .describe(`MD5 of the uploaded file: ${ownerOnly}`),
  expires_at: z.string().nullable(),
  is_expired: z.boolean(),
  file_size: z.number().int(),
  stored_size: z.number().int(),
  storage_type: z.enum(["s3", "local"]),
  times_used: z.number().int().describe("How many times this caller was answered from this upload again (0 when made); never counts anyone else"),
  username: z.string().nullable().describe(`Who uploaded (signed-in users): ${ownerOnly}`),
  created_at: z.string().describe("When this caller uploaded"),
});

export const uploadResponseSchema = z.object({
  success: z.literal(true),
  cached: z
    .boolean()
    .describe(
      "True (200) only when the caller was answered from their own earlier upload; a photo anyone else sent before is a new upload of the caller's (201, false)",
    ),
  match: z.enum(["exact", "similar"]).optional().describe("With cached: how the caller's own earlier upload was found again"),
  match_distance: z.number().int().optional(),
  analysis: analysisSchema.describe("The caller's own upload, in the owner's view"),
});

/** recent/ lists only the caller's own uploads. */
export const recentItemSchema = z.object({
  id: z.uuid(),
  suggestion_count: z.number().int(),
  ai_vision_model: z.string(),
  times_used: z.number().int().describe("How many times this caller was answered from this upload again (0 when made); never counts anyone else"),
  username: z.string().nullable().describe(`Who uploaded (signed-in users): ${ownerOnly}`),
  created_at: z.string().describe("When this caller uploaded"),
});

export const uploadTicketSchema = z.object({
  url: z.string(),
  fields: z.record(z.string(), z.string()),
  upload_id: z.uuid(),
  max_bytes: z.number().int(),
  expires_in: z.number().int(),
});

export const healthSchema = z.object({
  status: z.enum(["ok", "unavailable"]),
  checks: z.object({
    table: z.enum(["ok", "failed"]),
    images: z.enum(["ok", "failed"]),
    vision: z.string().describe("The provider that would answer, or why none can"),
  }),
});

const requestId = z.string().describe("The request's id, as in the X-Request-Id header");
/** 400/413: the API's field errors, e.g. {"image": ["No file was submitted."]}. */
export const fieldErrorsSchema = z.object({ request_id: requestId }).catchall(z.array(z.string()));
export const detailErrorSchema = z.object({ detail: z.string(), request_id: requestId });
export const errorSchema = z.object({ error: z.string(), detail: z.string().optional(), retry_after: z.number().int().optional(), request_id: requestId });

export const batchFormSchema = z.object({
  image: z.string().describe(`1 to ${MAX_BATCH_PHOTOS} photos, each an \`image\` part (large photos: upload_ids)`),
  fingerprint: z.string().max(255).optional(),
  style: z.enum(STYLE_NAMES).optional(),
  context: z
    .string()
    .max(MAX_CONTEXT_LENGTH)
    .optional()
    .describe('What the room is for, in your words ("names for my hiking club"); data for the model, never instructions'),
  language: z.string().optional().describe("BCP 47 tag of the language to write names in (default en; the local provider writes English only: 422)"),
});
export const uploadFormSchema = z.object({
  image: z.string().describe("The photo (JPEG, PNG, WebP, GIF, HEIC, AVIF), at most 4 MB here; larger through /upload-url/"),
  fingerprint: z.string().max(255).optional().describe("Anonymous browser fingerprint (rate limits and recent analyses)"),
  style: z.enum(STYLE_NAMES).optional(),
  context: z
    .string()
    .max(MAX_CONTEXT_LENGTH)
    .optional()
    .describe('What the room is for, in your words ("names for my hiking club"); data for the model, never instructions'),
  language: z.string().optional().describe("BCP 47 tag of the language to write names in (default en; the local provider writes English only: 422)"),
});
export const stagedUploadSchema = z.object({
  upload_id: z.uuid(),
  fingerprint: z.string().max(255).optional(),
  style: z.enum(STYLE_NAMES).optional(),
  context: z
    .string()
    .max(MAX_CONTEXT_LENGTH)
    .optional()
    .describe('What the room is for, in your words ("names for my hiking club"); data for the model, never instructions'),
  language: z.string().optional().describe("BCP 47 tag of the language to write names in (default en; the local provider writes English only: 422)"),
});
export const uploadUrlRequestSchema = z.object({ fingerprint: z.string().max(255).optional(), content_type: z.string().optional() });

/** Async analysis: the 202 answers, one job's state (GET and each WebSocket progress message), a batch. */
const jobStage = z.enum(JOB_STAGES);
const jobFailureSchema = z
  .object({
    status: z.number().int().describe("What the synchronous upload would have answered"),
    body: z.record(z.string(), z.unknown()).describe("That answer's JSON body"),
  })
  .strict();
export const jobSchema = z
  .object({
    index: z.number().int().min(0).optional().describe("The photo's position in its batch"),
    job_id: z.uuid(),
    status: z.enum(["queued", "running", "done", "failed"]),
    stage: jobStage,
    cached: z.boolean().optional(),
    analysis: analysisSchema.nullable().optional().describe("When done (null if the analysis has since been deleted)"),
    error: jobFailureSchema.optional().describe("When failed"),
  })
  .strict();
const asyncLinks = {
  status_url: z.url().describe("GET it for the current state (carries the fingerprint that owns the work)"),
  events_url: z.string().describe('The progress WebSocket: connect, then send {"action": "subscribe", ...}'),
};
export const acceptedJobSchema = z.object({ job_id: z.uuid(), status: z.literal("queued"), ...asyncLinks }).strict();
export const acceptedBatchSchema = z
  .object({
    batch_id: z.uuid(),
    status: z.literal("queued"),
    items: z.array(z.object({ index: z.number().int(), job_id: z.uuid(), status: z.literal("queued") }).strict()),
    ...asyncLinks,
  })
  .strict();
export const batchSchema = z.object({ batch_id: z.uuid(), status: z.enum(["queued", "running", "done"]), items: z.array(jobSchema) }).strict();
export const batchUploadsSchema = z.object({
  upload_ids: z.array(z.uuid()).min(1).max(MAX_BATCH_PHOTOS).describe("Presigned uploads (POST /upload-url/ first)"),
  fingerprint: z.string().max(255).optional(),
  style: z.enum(STYLE_NAMES).optional(),
  context: z
    .string()
    .max(MAX_CONTEXT_LENGTH)
    .optional()
    .describe('What the room is for, in your words ("names for my hiking club"); data for the model, never instructions'),
  language: z.string().optional().describe("BCP 47 tag of the language to write names in (default en; the local provider writes English only: 422)"),
});
export const progressMessageSchema = jobSchema
  .omit({ status: true })
  .extend({ type: z.literal("progress"), batch_id: z.uuid().optional(), at: z.iso.datetime().describe("When the job reached this stage") })
  .strict();

/** JSON Schema (2020-12, as OpenAPI 3.1 and the providers take it) of a zod schema. */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema) as Record<string, unknown>;
  return rest;
}
