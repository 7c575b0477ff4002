/** Per-request styles ("custom prompts"), from a fixed list: never free text. */
export const STYLES = {
  playful: "Playful: puns, wordplay and alliteration are welcome.",
  professional: "Professional: clear, businesslike names without puns.",
  short: "Short: names of one or two words.",
  cozy: "Cozy: warm, welcoming, small-community names.",
} as const;
export type Style = keyof typeof STYLES;
export const STYLE_NAMES = Object.keys(STYLES) as Style[];
