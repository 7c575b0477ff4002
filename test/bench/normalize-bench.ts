import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { normalizedForStorage, openImage } from "../../shared/image/decode.js";
import { formatBytes } from "../../shared/cli/output.js";
import { twelveMegapixelJpeg } from "./photos.js";
import { report, timeRuns } from "./stats.js";

/** Issue 8: decode + orient + strip + resize to 2048 + re-encode, for phone-sized JPEG and HEIC. */
export async function benchNormalize() {
  console.log("\n## normalisation of phone photos (decode, orient, strip metadata, long edge 2048, re-encode)");
  const jpeg = await twelveMegapixelJpeg("fixtures/photos/chelsea-cat.jpg");
  const inputs: [string, Buffer][] = [["12 MP JPEG", jpeg]];
  const work = mkdtempSync(join(tmpdir(), "bench-heic-"));
  try {
    writeFileSync(join(work, "in.jpg"), jpeg);
    execFileSync("heif-enc", ["-q", "50", "-o", join(work, "out.heic"), join(work, "in.jpg")], { stdio: "ignore" });
    inputs.push(["12 MP HEIC", readFileSync(join(work, "out.heic"))]);
  } catch {
    console.log("(heif-enc not installed: `apt-get install libheif-examples` to include HEIC)");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  for (const [name, bytes] of inputs) {
    let storedSize = 0;
    const times = await timeRuns(
      name.includes("HEIC") ? 5 : 15,
      async () => {
        const image = await openImage(bytes, { maxPixels: 100_000_000 });
        storedSize = (await normalizedForStorage(image, 2048)).bytes.length;
      },
      1,
    );
    report(`${name} (${formatBytes(bytes.length)})`, times, `stored ${formatBytes(storedSize)} (${((storedSize / bytes.length) * 100).toFixed(0)} %)`);
  }
}
