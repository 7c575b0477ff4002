import { topLabels, type ModerationInput, type ModerationScores, type Moderator } from "./moderation.js";
import { loadNsfwModel, NSFW_CLASSES, NSFW_INPUT_SIZE, nsfwProbabilities } from "./nsfw-model.js";

/** Threads that run the moderation model (shared/inference/pool.ts) instead of the calling thread (nsfwProbabilities). */
export interface LocalModeration {
  /** The model's probabilities for a photo's square RGB pixels (nsfw-model.ts). */
  moderate(pixels: Uint8Array): Promise<number[]>;
  /** Loads the model (in every thread) now rather than on the first photo. */
  warmModeration(): Promise<void>;
}

/**
 * The local moderator: nsfwjs's model (nsfw-model.ts), in the local inference pool's worker threads
 * when there is a pool (as `npm start` has: the event loop keeps answering while a photo is judged),
 * else on the calling thread (Lambda, the CLIs).
 */
export class LocalModerator implements Moderator {
  readonly name = "local";

  constructor(private readonly options: { pool?: LocalModeration } = {}) {}

  async warmUp(): Promise<void> {
    if (this.options.pool) await this.options.pool.warmModeration();
    else await loadNsfwModel();
  }

  async moderateImage(input: Pick<ModerationInput, "rgb">): Promise<ModerationScores> {
    const pixels = await input.rgb(NSFW_INPUT_SIZE);
    const probabilities = this.options.pool ? await this.options.pool.moderate(pixels) : await nsfwProbabilities(pixels);
    const labels = NSFW_CLASSES.map((label, index) => ({ label, score: probabilities[index] ?? 0 }));
    const score = (label: (typeof NSFW_CLASSES)[number]) => labels.find((entry) => entry.label === label)!.score;
    return { labels: topLabels(labels), explicit: score("Porn") + score("Hentai"), suggestive: score("Sexy") };
  }
}
