import { createHash } from "node:crypto";

/**
 * What a caller may add to the analysis besides the photo: a style (fixed list), free-text context
 * ("names for my hiking club") and the language of the names. The operator's prompt stays the only
 * instruction; the context is data (see vision/instructions.ts).
 */
export const MAX_CONTEXT_LENGTH = 200;
export const DEFAULT_LANGUAGE = "en";

/** The request's variant of an analysis: a cached answer is reused only for the same one. */
export interface PromptVariant {
  style: string | null;
  context: string | null;
  language: string;
}

export const DEFAULT_VARIANT: PromptVariant = { style: null, context: null, language: DEFAULT_LANGUAGE };

/** One line, no control characters, trimmed: the context is quoted into a prompt and shown back. */
export function normalizeContext(text: string): string {
  return text
    .replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * The canonical BCP 47 tag ("PT-br" → "pt-BR"), or null for something that is not one, or whose
 * language (ISO 639: two or three letters) is not one ICU knows ("zz", "english").
 */
export function canonicalLanguage(tag: string): string | null {
  if (!/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(tag)) return null;
  try {
    const canonical = Intl.getCanonicalLocales(tag)[0];
    if (!canonical) return null;
    const known = new Intl.DisplayNames(["en"], { type: "language", fallback: "none" }).of(canonical.split("-")[0]!);
    return known ? canonical : null;
  } catch {
    return null;
  }
}

/** English names: "en", "en-GB", … (what the local provider writes). */
export function isEnglish(language: string): boolean {
  return language === "en" || language.startsWith("en-");
}

/** The language's English name for a prompt ("pt-BR" → "Brazilian Portuguese"), the tag itself if unknown. */
export function languageName(language: string): string {
  try {
    return new Intl.DisplayNames(["en"], { type: "language" }).of(language) ?? language;
  } catch {
    return language;
  }
}

export function sameVariant(a: Partial<PromptVariant>, b: PromptVariant): boolean {
  return (a.style ?? null) === b.style && (a.context ?? null) === b.context && (a.language ?? DEFAULT_LANGUAGE) === b.language;
}

/**
 * What a cached analysis is matched on besides the photo: a hash of style, context and language, so
 * that the shared analysis keeps no copy of a caller's context text.
 */
export function variantKey(variant: PromptVariant): string {
  return createHash("sha256")
    .update(JSON.stringify([variant.style, variant.context, variant.language]))
    .digest("hex")
    .slice(0, 32);
}

/** A short suffix naming a non-default variant (claim keys); "" for the default, so plain uploads keep their keys. */
export function variantSuffix(variant: PromptVariant): string {
  if (sameVariant(variant, DEFAULT_VARIANT)) return "";
  if (!variant.context && variant.language === DEFAULT_LANGUAGE) return `:${variant.style}`;
  return `:${createHash("sha256")
    .update(JSON.stringify([variant.style, variant.context, variant.language]))
    .digest("hex")
    .slice(0, 16)}`;
}
