import { lazyJpeg, type OpenedImage } from "../image/decode.js";
import type { ModerationInput } from "./moderation.js";

/**
 * What moderators look at, made only when asked for: a small JPEG for cloud moderators (the copy a
 * cloud vision model sees, when the upload passes it: made once for both), square RGB pixels for the
 * local model.
 */
export function moderationInput(image: OpenedImage, jpeg: () => Promise<Buffer> = lazyJpeg(image, 512)): ModerationInput {
  return {
    jpeg,
    rgb: async (size) =>
      new Uint8Array(await image.pipeline().flatten({ background: "#ffffff" }).removeAlpha().resize(size, size, { fit: "fill" }).raw().toBuffer()),
  };
}
