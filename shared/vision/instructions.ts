import { DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH, SUGGESTION_COUNT } from "../domain/suggestions.js";

/** Per-request styles (the seed's "custom prompts" enhancement), from a fixed list: never free text. */
export const STYLES = {
  playful: "Playful: puns, wordplay and alliteration are welcome.",
  professional: "Professional: clear, businesslike names without puns.",
  short: "Short: names of one or two words.",
  cozy: "Cozy: warm, welcoming, small-community names.",
} as const;
export type Style = keyof typeof STYLES;
export const STYLE_NAMES = Object.keys(STYLES) as Style[];

/**
 * What every cloud model must return, as JSON Schema: structured output (OpenAI's json_schema,
 * Anthropic's tool input, Gemini's response schema) keeps the reply's shape fixed whatever text the
 * photo contains; the reply is then validated and cleaned again (normaliseSuggestions).
 */
export const SUGGESTIONS_JSON_SCHEMA = {
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
          name: { type: "string", description: `Chat room name, 2-4 words, Title Case, at most ${NAME_MAX_LENGTH} characters` },
          description: { type: "string", description: `Who the room is for, at most ${DESCRIPTION_MAX_LENGTH} characters` },
        },
      },
    },
  },
} as const;

/** The user turn that goes with the image: short on purpose (every token is paid for). */
export function userInstruction(style?: Style): string {
  const base = `Suggest ${SUGGESTION_COUNT} chat room names for this photo as JSON {"suggestions":[{"name","description"}]}.`;
  return style ? `${base} ${STYLES[style]}` : base;
}
