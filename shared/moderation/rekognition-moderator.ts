import { DetectModerationLabelsCommand, RekognitionClient } from "@aws-sdk/client-rekognition";
import { topLabels, type ModerationInput, type ModerationScores, type Moderator } from "./moderation.js";

/** Rekognition's top-level categories (taxonomy v6 and v7 names) that count as explicit, or as suggestive. */
const EXPLICIT = new Set(["Explicit Nudity", "Explicit", "Explicit Sexual Activity", "Sexual Activity", "Graphic Male Nudity", "Graphic Female Nudity"]);
const SUGGESTIVE = new Set([
  "Suggestive",
  "Non-Explicit Nudity of Intimate parts and Kissing",
  "Non-Explicit Nudity",
  "Swimwear or Underwear",
  "Partially Exposed Female Breast",
  "Revealing Clothes",
]);

/** Amazon Rekognition DetectModerationLabels: the stack's native moderator (IAM on the analysing functions only). */
export class RekognitionModerator implements Moderator {
  readonly name = "rekognition";
  constructor(private readonly client: RekognitionClient) {}

  async moderateImage(input: Pick<ModerationInput, "jpeg">): Promise<ModerationScores> {
    const answer = await this.client.send(new DetectModerationLabelsCommand({ Image: { Bytes: await input.jpeg() }, MinConfidence: 30 }));
    const labels = (answer.ModerationLabels ?? []).map((label) => ({
      label: label.Name ?? "",
      parent: label.ParentName ?? "",
      score: (label.Confidence ?? 0) / 100,
    }));
    const highest = (categories: Set<string>) =>
      Math.max(0, ...labels.filter((label) => categories.has(label.label) || categories.has(label.parent)).map((label) => label.score));
    return { labels: topLabels(labels.map(({ label, score }) => ({ label, score }))), explicit: highest(EXPLICIT), suggestive: highest(SUGGESTIVE) };
  }
}

export function rekognitionModerator(region: string): RekognitionModerator {
  return new RekognitionModerator(new RekognitionClient({ region }));
}
