import { resizedJpeg, type OpenedImage } from "../image/decode.js";

/** What moderators look at: a small JPEG (cloud moderators) and square RGB pixels (the local model), made on demand. */
export async function moderationInput(image: OpenedImage): Promise<{ jpeg: Buffer; rgb(size: number): Promise<Uint8Array> }> {
  return {
    // Cloud moderators see the same 512 px copy a cloud vision model would.
    jpeg: await resizedJpeg(image, 512),
    rgb: async (size) => new Uint8Array(await image.pipeline().flatten({ background: "#ffffff" }).removeAlpha().resize(size, size, { fit: "fill" }).raw().toBuffer()),
  };
}
