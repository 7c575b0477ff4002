import { jsonSchemaOf, providerReplySchema } from "../api/schemas.js";
import { SUGGESTION_COUNT } from "../domain/suggestions.js";

export { STYLES, STYLE_NAMES, type Style } from "./styles.js";
import { STYLES, type Style } from "./styles.js";

/**
 * What every cloud model must return, as JSON Schema: structured output (OpenAI's json_schema,
 * Anthropic's tool input, Gemini's response schema) keeps the reply's shape fixed whatever text the
 * photo contains; the reply is then validated and cleaned again (normaliseSuggestions).
 */
export const SUGGESTIONS_JSON_SCHEMA = jsonSchemaOf(providerReplySchema);

/** The user turn that goes with the image: short on purpose (every token is paid for). */
export function userInstruction(style?: Style): string {
  const base = `Suggest ${SUGGESTION_COUNT} chat room names for this photo as JSON {"suggestions":[{"name","description"}]}.`;
  return style ? `${base} ${STYLES[style]}` : base;
}
