import { readFile } from "node:fs/promises";
import { LocalVisionProvider } from "./shared/vision/local/provider.js";
import { openImage, resizedJpeg } from "./shared/image/decode.js";
const p = new LocalVisionProvider({ modelDir: "/work/shared/models/mobilenet_v1_0.75_224" });
let t = performance.now(); await p.warmUp(); console.log("load", (performance.now()-t).toFixed(0));
for (const f of process.argv.slice(2)) {
  const img = await openImage(await readFile(f), { maxPixels: 1e8 });
  const jpeg = await resizedJpeg(img, 512);
  t = performance.now();
  const r = await p.analyze({ jpeg, prompt: "" });
  console.log(`\n${f.split("/").pop()} ${(performance.now()-t).toFixed(0)}ms labels=${r.labels.map(l=>l.label+":"+l.score.toFixed(2)).join(", ")} people=${(r.raw as any).people}`);
  for (const s of r.suggestions) console.log(`  ${s.name.padEnd(32)} ${s.description}`);
}
