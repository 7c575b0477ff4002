/**
 * Regenerates the HEIC fixtures with a real encoder (Debian's libheif-examples: `heif-enc`):
 *   apt-get install libheif-examples && npx tsx test/tools/make-heic-fixtures.ts
 * cat-portrait.heic:        an upright portrait (240x320).
 * cat-portrait-irot.heic:   the same photo stored sideways (320x240 pixels) with an irot box saying
 *                           "turn 90° clockwise" and EXIF orientation 6, as an iPhone stores it.
 * wide-35mp.heic:           a flat drawing at 8192x4320 (35 MP, HEVC's largest single picture): a few
 *                           KB that decode to 35 MP, what the HEIC burst tests and benchmark send.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { addIrot } from "./heif-irot.js";

const work = mkdtempSync(join(tmpdir(), "heic-"));
const upright = await sharp("fixtures/photos/chelsea-cat.jpg").resize(240, 320, { fit: "cover" }).jpeg({ quality: 92 }).toBuffer();
writeFileSync(join(work, "upright.jpg"), upright);
writeFileSync(join(work, "sideways.jpg"), await sharp(upright).rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 92 }).toBuffer());
execFileSync("heif-enc", ["-q", "55", "-o", "fixtures/photos/cat-portrait.heic", join(work, "upright.jpg")]);
execFileSync("heif-enc", ["-q", "55", "-o", join(work, "sideways.heic"), join(work, "sideways.jpg")]);
// irot counts anticlockwise quarter turns: 3 = 270° anticlockwise = 90° clockwise.
writeFileSync("fixtures/photos/cat-portrait-irot.heic", addIrot(readFileSync(join(work, "sideways.heic")), 3));
const [wide, high] = [8192, 4320];
const drawing = `<svg xmlns="http://www.w3.org/2000/svg" width="${wide}" height="${high}"><rect width="100%" height="100%" fill="#3a6ea5"/><circle cx="${wide / 2}" cy="${high / 2}" r="${high / 4}" fill="#c0392b"/><rect x="200" y="200" width="1500" height="900" fill="#f0c27b"/></svg>`;
await sharp(Buffer.from(drawing), { limitInputPixels: false }).png().toFile(join(work, "wide.png"));
execFileSync("heif-enc", ["-q", "20", "-o", "fixtures/photos/wide-35mp.heic", join(work, "wide.png")]);
console.log("wrote fixtures/photos/cat-portrait.heic, cat-portrait-irot.heic and wide-35mp.heic");
