import { ApiError, GoogleGenAI, type GenerateContentResponse } from "@google/genai";
import { AnalysisFailedError } from "../domain/errors.js";
import { normalizeSuggestions } from "../domain/suggestions.js";
import { SUGGESTIONS_JSON_SCHEMA, userInstruction } from "./instructions.js";
import { readBilledReply, type VisionInput, type VisionProvider, type VisionResult } from "./provider.js";
import { providerFailure } from "./retry.js";

export interface GeminiProviderOptions {
  apiKey: string;
  model: string;
  baseUrl?: string;
  timeoutMs: number;
}

/** The Gemini SDK throws ApiError with a status; timeouts and network failures surface as fetch errors. */
function failure(error: unknown): AnalysisFailedError {
  const name = (error as { name?: string }).name ?? "";
  return providerFailure(
    "Gemini",
    {
      status: error instanceof ApiError ? error.status : undefined,
      timedOut: !(error instanceof ApiError) && (/abort|timeout/i.test(name) || /timed? ?out|aborted/i.test(String((error as Error).message))),
      unreachable: error instanceof TypeError,
    },
    error,
  );
}

/** Gemini vision with a response schema (JSON mode). */
export class GeminiVisionProvider implements VisionProvider {
  readonly name = "gemini";
  private readonly client: GoogleGenAI;

  constructor(private readonly options: GeminiProviderOptions) {
    this.client = new GoogleGenAI({
      apiKey: options.apiKey,
      httpOptions: { baseUrl: options.baseUrl, timeout: options.timeoutMs, retryOptions: { attempts: 1 } },
    });
  }

  async analyze(input: VisionInput): Promise<VisionResult> {
    let response: GenerateContentResponse;
    try {
      response = await this.client.models.generateContent({
        model: this.options.model,
        contents: [
          {
            role: "user",
            parts: [{ inlineData: { mimeType: "image/jpeg", data: (await input.jpeg()).toString("base64") } }, { text: userInstruction(input) }],
          },
        ],
        config: {
          systemInstruction: input.prompt,
          responseMimeType: "application/json",
          responseJsonSchema: SUGGESTIONS_JSON_SCHEMA,
          maxOutputTokens: 1024,
        },
      });
    } catch (error) {
      throw failure(error);
    }
    return readBilledReply(() => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(response.text ?? "");
      } catch (error) {
        throw new AnalysisFailedError("Gemini returned a reply that is not valid JSON", { cause: error });
      }
      const usage = response.usageMetadata;
      const prompt = usage?.promptTokenCount ?? 0;
      const completion = usage?.candidatesTokenCount ?? 0;
      return {
        suggestions: normalizeSuggestions(parsed),
        model: response.modelVersion || this.options.model,
        provider: this.name,
        tokenUsage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: usage?.totalTokenCount ?? prompt + completion },
        labels: [],
        raw: response,
      };
    });
  }
}
