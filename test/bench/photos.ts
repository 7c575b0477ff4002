import sharp from "sharp";

/**
 * A 12-megapixel (4000x3000) phone-sized JPEG made from a real photo: upscaled, with grain added
 * so it compresses like a camera image (about 4-6 MB at q90) rather than like a smooth upscale.
 */
export async function twelveMegapixelJpeg(source: string): Promise<Buffer> {
  const width = 4000;
  const height = 3000;
  const base = await sharp(source).resize(width, height, { fit: "cover" }).removeAlpha().raw().toBuffer();
  let state = 12345;
  for (let i = 0; i < base.length; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    const noise = ((state >> 16) % 25) - 12;
    base[i] = Math.max(0, Math.min(255, base[i]! + noise));
  }
  return sharp(base, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}
