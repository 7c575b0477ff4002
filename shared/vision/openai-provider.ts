import OpenAI from "openai";
import { AnalysisFailedError } from "../domain/errors.js";
import { normaliseSuggestions, SUGGESTION_COUNT } from "../domain/suggestions.js";
import type { VisionInput, VisionProvider, VisionResult } from "./provider.js";

export interface OpenAIProviderOptions {
  apiKey: string;
  model: string;
  /** Defaults to the SDK's own (OPENAI_BASE_URL or api.openai.com). */
  baseURL?: string;
  timeoutMs: number;
  maxRetries: number;
  /** "low" sends one 512 px tile (85 image tokens on GPT-4o): plenty to name a room after a photo. */
  imageDetail?: "low" | "high" | "auto";
}

/** Structured output: the model must answer with this JSON, which is then validated again. */
const RESPONSE_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["suggestions"],
  properties: {
    suggestions: {
      type: "array",
      minItems: SUGGESTION_COUNT,
      maxItems: SUGGESTION_COUNT,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "description"],
        properties: {
          name: { type: "string", description: "Chat room name, 2-4 words, Title Case" },
          description: { type: "string", description: "One line on who the room is for" },
        },
      },
    },
  },
} as const;

function describeFailure(error: unknown): string {
  if (error instanceof OpenAI.APIConnectionTimeoutError) return "OpenAI API error: request timed out";
  if (error instanceof OpenAI.APIConnectionError) return "OpenAI API error: could not connect";
  if (error instanceof OpenAI.APIError) {
    if (error.status === 429) return "OpenAI API error: Rate limit exceeded";
    if (error.status === 401 || error.status === 403) return "OpenAI API error: authentication failed";
    if (error.status !== undefined && error.status >= 500) return `OpenAI API error: server error (${error.status})`;
    return `OpenAI API error: request rejected (${error.status ?? "unknown status"})`;
  }
  return "OpenAI API error: unexpected failure";
}

export class OpenAIVisionProvider implements VisionProvider {
  readonly name = "openai";
  private readonly client: OpenAI;

  constructor(private readonly options: OpenAIProviderOptions) {
    this.client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
    });
  }

  async analyze(input: VisionInput): Promise<VisionResult> {
    let completion: OpenAI.Chat.Completions.ChatCompletion;
    try {
      completion = await this.client.chat.completions.create({
        model: this.options.model,
        messages: [
          { role: "system", content: input.prompt },
          {
            role: "user",
            content: [
              { type: "text", text: `Suggest ${SUGGESTION_COUNT} chat room names for this photo.` },
              {
                type: "image_url",
                image_url: {
                  url: `data:image/jpeg;base64,${input.jpeg.toString("base64")}`,
                  detail: this.options.imageDetail ?? "low",
                },
              },
            ],
          },
        ],
        response_format: {
          type: "json_schema",
          json_schema: { name: "chat_room_suggestions", strict: true, schema: RESPONSE_SCHEMA },
        },
      });
    } catch (error) {
      throw new AnalysisFailedError(describeFailure(error), { cause: error });
    }

    const choice = completion.choices[0];
    if (choice?.message.refusal) throw new AnalysisFailedError("OpenAI declined to analyse this photo");
    let parsed: unknown;
    try {
      parsed = JSON.parse(choice?.message.content ?? "");
    } catch (error) {
      throw new AnalysisFailedError("OpenAI returned a reply that is not valid JSON", { cause: error });
    }
    const usage = completion.usage;
    return {
      suggestions: normaliseSuggestions(parsed),
      model: completion.model || this.options.model,
      tokenUsage: {
        prompt_tokens: usage?.prompt_tokens ?? 0,
        completion_tokens: usage?.completion_tokens ?? 0,
        total_tokens: usage?.total_tokens ?? 0,
      },
      labels: [],
      raw: completion,
    };
  }
}
