import Anthropic from "@anthropic-ai/sdk";
import { AnalysisFailedError } from "../domain/errors.js";
import { normalizeSuggestions } from "../domain/suggestions.js";
import { SUGGESTIONS_JSON_SCHEMA, userInstruction } from "./instructions.js";
import { readBilledReply, type VisionInput, type VisionProvider, type VisionResult } from "./provider.js";
import { providerFailure } from "./retry.js";

export interface AnthropicProviderOptions {
  apiKey: string;
  model: string;
  baseURL?: string;
  timeoutMs: number;
}

const TOOL_NAME = "chat_room_suggestions";

function failure(error: unknown): AnalysisFailedError {
  return providerFailure(
    "Anthropic",
    {
      timedOut: error instanceof Anthropic.APIConnectionTimeoutError,
      unreachable: error instanceof Anthropic.APIConnectionError,
      status: error instanceof Anthropic.APIError ? error.status : undefined,
    },
    error,
  );
}

/** Claude vision: the answer is forced through a tool whose input schema is the suggestions schema. */
export class AnthropicVisionProvider implements VisionProvider {
  readonly name = "anthropic";
  private readonly client: Anthropic;

  constructor(private readonly options: AnthropicProviderOptions) {
    this.client = new Anthropic({ apiKey: options.apiKey, baseURL: options.baseURL, timeout: options.timeoutMs, maxRetries: 0 });
  }

  async analyze(input: VisionInput): Promise<VisionResult> {
    let message: Anthropic.Message;
    try {
      message = await this.client.messages.create({
        model: this.options.model,
        max_tokens: 1024,
        system: input.prompt,
        tools: [
          { name: TOOL_NAME, description: "Return the chat room suggestions.", input_schema: SUGGESTIONS_JSON_SCHEMA as unknown as Anthropic.Tool.InputSchema },
        ],
        tool_choice: { type: "tool", name: TOOL_NAME },
        messages: [
          {
            role: "user",
            content: [
              { type: "image", source: { type: "base64", media_type: "image/jpeg", data: (await input.jpeg()).toString("base64") } },
              { type: "text", text: userInstruction(input) },
            ],
          },
        ],
      });
    } catch (error) {
      throw failure(error);
    }
    return readBilledReply(() => {
      const toolUse = message.content.find((block): block is Anthropic.ToolUseBlock => block.type === "tool_use" && block.name === TOOL_NAME);
      if (!toolUse) throw new AnalysisFailedError("Anthropic returned no suggestions (no tool call in the reply)");
      const usage = message.usage;
      return {
        suggestions: normalizeSuggestions(toolUse.input),
        model: message.model || this.options.model,
        provider: this.name,
        tokenUsage: {
          prompt_tokens: usage.input_tokens,
          completion_tokens: usage.output_tokens,
          total_tokens: usage.input_tokens + usage.output_tokens,
        },
        labels: [],
        raw: message,
      };
    });
  }
}
