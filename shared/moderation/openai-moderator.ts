import OpenAI from "openai";
import { topLabels, type ModerationInput, type ModerationScores, type Moderator } from "./moderation.js";

const MODEL = "omni-moderation-latest";

/** OpenAI's moderation endpoint (omni-moderation-latest takes images and text), when OpenAI is the vision provider. */
export class OpenAIModerator implements Moderator {
  readonly name = "openai";
  private readonly client: OpenAI;

  constructor(options: { apiKey: string; baseURL?: string; timeoutMs: number }) {
    this.client = new OpenAI({ apiKey: options.apiKey, baseURL: options.baseURL, timeout: options.timeoutMs, maxRetries: 1 });
  }

  async moderateImage(input: Pick<ModerationInput, "jpeg">): Promise<ModerationScores> {
    const answer = await this.client.moderations.create({
      model: MODEL,
      input: [{ type: "image_url", image_url: { url: `data:image/jpeg;base64,${(await input.jpeg()).toString("base64")}` } }],
    });
    const scores = (answer.results[0]?.category_scores ?? {}) as unknown as Record<string, number>;
    const labels = Object.entries(scores).map(([label, score]) => ({ label, score: Number(score) || 0 }));
    // No "suggestive" category: a sexual score between the thresholds is what gets flagged.
    return { labels: topLabels(labels), explicit: Math.max(scores.sexual ?? 0, scores["sexual/minors"] ?? 0), suggestive: 0 };
  }

  async moderateTexts(texts: string[]): Promise<boolean[]> {
    if (!texts.length) return [];
    const answer = await this.client.moderations.create({ model: MODEL, input: texts });
    return texts.map((_, index) => answer.results[index]?.flagged ?? false);
  }
}
