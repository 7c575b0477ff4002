import sharp from "sharp";

/** `count` distinct small photos-to-be (random noise PNGs): different bytes, different hashes. */
export async function distinctImages(count: number, seed = 1): Promise<Buffer[]> {
  let state = seed >>> 0 || 1;
  const random = () => {
    // xorshift32: deterministic, so failures reproduce.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
  const images: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const pixels = Buffer.alloc(48 * 48 * 3);
    for (let p = 0; p < pixels.length; p++) pixels[p] = Math.floor(random() * 256);
    images.push(
      await sharp(pixels, { raw: { width: 48, height: 48, channels: 3 } })
        .png()
        .toBuffer(),
    );
  }
  return images;
}
