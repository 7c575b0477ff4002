/**
 * Regenerates the HEIC fixtures with a real encoder (Debian's libheif-examples: `heif-enc`):
 *   apt-get install libheif-examples && npx tsx test/tools/make-heic-fixtures.ts
 * cat-portrait.heic:        an upright portrait (240x320).
 * cat-portrait-irot.heic:   the same photo stored sideways (320x240 pixels) with an irot box saying
 *                           "turn 90° clockwise" and EXIF orientation 6, as an iPhone stores it.
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
console.log("wrote fixtures/photos/cat-portrait.heic and cat-portrait-irot.heic");
