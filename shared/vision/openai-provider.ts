import OpenAI from "openai";
import { AnalysisFailedError } from "../domain/errors.js";
import { normalizeSuggestions } from "../domain/suggestions.js";
import { SUGGESTIONS_JSON_SCHEMA, userInstruction } from "./instructions.js";
import { readBilledReply, type VisionInput, type VisionProvider, type VisionResult } from "./provider.js";
import { providerFailure } from "./retry.js";

export interface OpenAIProviderOptions {
  /** "openai", or "compatible" for Ollama, vLLM, LM Studio, llama.cpp's server... */
  name?: string;
  /** Compatible servers usually need none. */
  apiKey?: string;
  model: string;
  /** Defaults to the SDK's own (OPENAI_BASE_URL or api.openai.com). */
  baseURL?: string;
  timeoutMs: number;
  /** "low" sends one 512 px tile (85 image tokens on GPT-4o): plenty to name a room after a photo. */
  imageDetail?: "low" | "high" | "auto";
  /** json_schema (strict structured output) where supported; json_object for servers that only know JSON mode. */
  responseFormat?: "json_schema" | "json_object";
}

/** OpenAI's SDK errors, in the terms of the shared failure policy. */
function failure(error: unknown, label: string): AnalysisFailedError {
  return providerFailure(
    label,
    {
      timedOut: error instanceof OpenAI.APIConnectionTimeoutError,
      unreachable: error instanceof OpenAI.APIConnectionError,
      status: error instanceof OpenAI.APIError ? error.status : undefined,
    },
    error,
  );
}

export class OpenAIVisionProvider implements VisionProvider {
  readonly name: string;
  private readonly client: OpenAI;
  private readonly label: string;

  constructor(private readonly options: OpenAIProviderOptions) {
    this.name = options.name ?? "openai";
    this.label = this.name === "openai" ? "OpenAI" : "OpenAI-compatible";
    this.client = new OpenAI({
      apiKey: options.apiKey || "not-needed",
      baseURL: options.baseURL,
      timeout: options.timeoutMs,
      // Retries are ours (shared/vision/retry.ts): one policy for every provider.
      maxRetries: 0,
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
              { type: "text", text: userInstruction(input) },
              {
                type: "image_url",
                image_url: { url: `data:image/jpeg;base64,${(await input.jpeg()).toString("base64")}`, detail: this.options.imageDetail ?? "low" },
              },
            ],
          },
        ],
        response_format:
          this.options.responseFormat === "json_object"
            ? { type: "json_object" }
            : { type: "json_schema", json_schema: { name: "chat_room_suggestions", strict: true, schema: SUGGESTIONS_JSON_SCHEMA } },
      });
    } catch (error) {
      throw failure(error, this.label);
    }

    return readBilledReply(() => {
      const choice = completion.choices[0];
      if (choice?.message.refusal) throw new AnalysisFailedError(`${this.label} declined to analyse this photo`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(choice?.message.content ?? "");
      } catch (error) {
        throw new AnalysisFailedError(`${this.label} returned a reply that is not valid JSON`, { cause: error });
      }
      const usage = completion.usage;
      return {
        suggestions: normalizeSuggestions(parsed),
        model: completion.model || this.options.model,
        provider: this.name,
        tokenUsage: {
          prompt_tokens: usage?.prompt_tokens ?? 0,
          completion_tokens: usage?.completion_tokens ?? 0,
          total_tokens: usage?.total_tokens ?? 0,
        },
        labels: [],
        raw: completion,
      };
    });
  }
}
