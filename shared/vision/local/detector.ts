import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Detection } from "./concepts.js";
import { COCO_LABELS } from "./coco-labels.js";
import type { RgbImage } from "./models.js";
import { openOnnx, type OnnxSession } from "../../onnx/runtime.js";
import { convertGraphModel, type TfGraphNode } from "../../onnx/tf-graph.js";
import { decodeTfjsWeights, type TfjsWeightSpec } from "../../onnx/tfjs-weights.js";

/**
 * The COCO object detector (CenterNet on MobileNet v3) and the face detector (BlazeFace) whose
 * TF.js weights ship in @vladmandic/human's package, converted to ONNX when loaded (shared/onnx/tf-graph.ts)
 * and run in onnxruntime. Only the weights come from that package; the decoding after the networks
 * (peaks to boxes, anchors to faces, non-maximum suppression) is done here the way its code does it,
 * so that the detections are the same as with the package on TF.js.
 */

const require = createRequire(import.meta.url);

/** What the networks' decoders keep (the same settings the package was run with). */
const OBJECTS = { minScore: 0.3, maxDetected: 20, iou: 0.4 } as const;
const FACES = { minScore: 0.5, maxDetected: 20, iou: 0.1, enlarge: 1.4 } as const;

/** CenterNet's input side and its output grid's stride (512 / 128). */
const CENTERNET_INPUT = 512;
const CENTERNET_STRIDE = 4;
/** TopK over the heatmap's peaks, before suppression. */
const CENTERNET_CANDIDATES = 100;
const BLAZEFACE_INPUT = 256;

export interface Detector {
  detect(image: RgbImage): Promise<{ objects: Detection[]; faces: number }>;
}

/** A box as [x1, y1, x2, y2]. */
type Box = [number, number, number, number];

function iou(a: Box, b: Box): number {
  const areaA = (a[2] - a[0]) * (a[3] - a[1]);
  const areaB = (b[2] - b[0]) * (b[3] - b[1]);
  if (areaA <= 0 || areaB <= 0) return 0;
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const intersection = w * h;
  return intersection / (areaA + areaB - intersection);
}

/**
 * Greedy non-maximum suppression as TF.js does it: candidates above `minScore`, best first, each
 * kept unless it overlaps a kept one by `iouThreshold` or more; at most `max`. Returns indices.
 */
export function nonMaxSuppression(boxes: readonly Box[], scores: ArrayLike<number>, max: number, iouThreshold: number, minScore: number): number[] {
  const candidates = Array.from(scores, (score, index) => ({ score, index }))
    .filter((candidate) => candidate.score > minScore)
    .sort((a, b) => b.score - a.score || a.index - b.index);
  const kept: number[] = [];
  for (const { index } of candidates) {
    if (kept.length >= max) break;
    if (kept.every((other) => iou(boxes[index]!, boxes[other]!) < iouThreshold)) kept.push(index);
  }
  return kept;
}

/** Image pixels (interleaved RGB) as the networks' NCHW float input, 0-255. */
function planar(image: RgbImage): Float32Array {
  const pixels = image.width * image.height;
  const out = new Float32Array(3 * pixels);
  const data = image.data;
  for (let i = 0, j = 0; i < pixels; i++, j += 3) {
    out[i] = data[j]!;
    out[pixels + i] = data[j + 1]!;
    out[2 * pixels + i] = data[j + 2]!;
  }
  return out;
}

/**
 * CenterNet's objects: the heatmap's local peaks (output0, [classes, rows, cols], zero elsewhere)
 * with their box sizes (output1, [4, rows, cols]: left, top, right, bottom distances in input pixels),
 * suppressed, as the share of the image each box covers.
 */
export function decodeObjects(peaks: Float32Array, sizes: Float32Array, grid: number, width: number, height: number): Detection[] {
  const cells = grid * grid;
  const classes = peaks.length / cells;
  // TopK first (as the network's graph does), then the score threshold.
  const candidates: { score: number; index: number }[] = [];
  for (let i = 0; i < peaks.length; i++) if (peaks[i]! > OBJECTS.minScore) candidates.push({ score: peaks[i]!, index: i });
  candidates.sort((a, b) => b.score - a.score || a.index - b.index);
  const top = candidates.slice(0, CENTERNET_CANDIDATES);
  const boxes: Box[] = top.map(({ index }) => {
    const cell = index % cells;
    const [y, x] = [Math.floor(cell / grid), cell % grid];
    const size = (k: number) => sizes[k * cells + cell]!;
    return [x * CENTERNET_STRIDE - size(0), y * CENTERNET_STRIDE - size(1), x * CENTERNET_STRIDE + size(2), y * CENTERNET_STRIDE + size(3)];
  });
  const kept = nonMaxSuppression(
    boxes,
    top.map((candidate) => candidate.score),
    OBJECTS.maxDetected,
    OBJECTS.iou,
    OBJECTS.minScore,
  );
  return kept.map((i) => {
    const [x1, y1, x2, y2] = boxes[i]!;
    const label = COCO_LABELS[Math.floor(top[i]!.index / cells) % classes]!;
    // In whole pixels of the photo, as the package measures boxes.
    const w = Math.trunc((x2 / CENTERNET_INPUT - x1 / CENTERNET_INPUT) * width);
    const h = Math.trunc((y2 / CENTERNET_INPUT - y1 / CENTERNET_INPUT) * height);
    const area = (w * h) / (width * height);
    return { label, score: Math.trunc(100 * top[i]!.score) / 100, area };
  });
}

/** BlazeFace's anchors (centres in input pixels): 2 per cell of the 16-pixel grid, then 6 per cell of the 32-pixel grid. */
function blazefaceAnchors(): [number, number][] {
  const anchors: [number, number][] = [];
  for (const [stride, perCell] of [
    [BLAZEFACE_INPUT / 16, 2],
    [BLAZEFACE_INPUT / 8, 6],
  ] as const) {
    const cells = Math.floor((BLAZEFACE_INPUT + stride - 1) / stride);
    for (let y = 0; y < cells; y++) for (let x = 0; x < cells; x++) for (let n = 0; n < perCell; n++) anchors.push([stride * (x + 0.5), stride * (y + 0.5)]);
  }
  return anchors;
}

/**
 * BlazeFace's faces: rows of [logit, dx, dy, w, h, landmarks…] per anchor (the 512 fine ones, then
 * the 384 coarse ones), decoded, suppressed, enlarged and squared as the package does; each as the
 * score rounded to 0.01 and the share of the photo its box (clipped to the photo) covers.
 */
export function decodeFaces(
  fine: { scores: Float32Array; boxes: Float32Array },
  coarse: { scores: Float32Array; boxes: Float32Array },
  width: number,
  height: number,
): { score: number; area: number }[] {
  const anchors = blazefaceAnchors();
  const rows = [fine, coarse].flatMap(({ scores, boxes }) => Array.from(scores, (logit, i) => ({ logit, box: boxes.subarray(i * 16, i * 16 + 16) })));
  const boxes: Box[] = rows.map(({ box }, i) => {
    const [ax, ay] = anchors[i]!;
    const [cx, cy, w, h] = [box[0]! + ax, box[1]! + ay, box[2]!, box[3]!];
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
  });
  const scores = Float32Array.from(rows, ({ logit }) => 1 / (1 + Math.exp(-logit)));
  const kept = nonMaxSuppression(boxes, scores, FACES.maxDetected, FACES.iou, FACES.minScore);
  const [fx, fy] = [width / BLAZEFACE_INPUT, height / BLAZEFACE_INPUT];
  return kept.map((i) => {
    const [x1, y1, x2, y2] = boxes[i]!;
    const [sx1, sy1, sx2, sy2] = [x1 * fx, y1 * fy, x2 * fx, y2 * fy];
    const [cx, cy] = [(sx1 + sx2) / 2, (sy1 + sy2) / 2];
    const half = (Math.max(Math.abs(sx2 - sx1), Math.abs(sy2 - sy1)) * FACES.enlarge) / 2;
    const [left, top, right, bottom] = [Math.round(cx - half), Math.round(cy - half), Math.round(cx + half), Math.round(cy + half)];
    const w = Math.trunc(Math.min(width, right) - Math.max(0, left));
    const h = Math.trunc(Math.min(height, bottom) - Math.max(0, top));
    return { score: Math.round(100 * scores[i]!) / 100, area: (w * h) / (width * height) };
  });
}

async function openGraphModel(file: string, options: { inputSize: number; scale: number; offset: number; outputs: string[] }): Promise<OnnxSession> {
  const dir = join(dirname(require.resolve("@vladmandic/human")), "..", "models");
  const manifest = JSON.parse(await readFile(join(dir, `${file}.json`), "utf8")) as {
    modelTopology: { node: TfGraphNode[] };
    weightsManifest: { paths: string[]; weights: TfjsWeightSpec[] }[];
  };
  const shards = await Promise.all(manifest.weightsManifest.flatMap((group) => group.paths.map((path) => readFile(join(dir, path)))));
  const weights = decodeTfjsWeights(
    manifest.weightsManifest.flatMap((group) => group.weights),
    Buffer.concat(shards),
  );
  const graph = convertGraphModel(manifest.modelTopology.node, weights, { ...options, name: file, inputSize: [options.inputSize, options.inputSize] });
  const session = await openOnnx(graph.encode());
  // One run warms the kernels, so the first photo is not the slow one.
  await session.run(new Float32Array(3 * 64 * 64), [1, 3, 64, 64]);
  return session;
}

const BLAZEFACE_OUTPUTS = [
  "StatefulPartitionedCall/functional_1/tf_op_layer_classificators_1/classificators_1",
  "StatefulPartitionedCall/functional_1/tf_op_layer_regressors_1/regressors_1",
  "StatefulPartitionedCall/functional_1/tf_op_layer_classificators_2/classificators_2",
  "StatefulPartitionedCall/functional_1/tf_op_layer_regressors_2/regressors_2",
];

/** Loads both networks (converted in memory, a few hundred milliseconds). */
export async function loadDetector(): Promise<Detector> {
  const [centernet, blazeface] = await Promise.all([
    // Peaks (the heatmap where it equals its 3×3 maximum) and box sizes.
    openGraphModel("centernet", { inputSize: CENTERNET_INPUT, scale: 1, offset: 0, outputs: ["tower_0/mul_1", "tower_0/wh"] }),
    openGraphModel("blazeface", { inputSize: BLAZEFACE_INPUT, scale: 1 / 127.5, offset: -1, outputs: BLAZEFACE_OUTPUTS }),
  ]);
  return {
    async detect(image) {
      const input = planar(image);
      const dims = [1, 3, image.height, image.width];
      const [peaks, sizes] = await centernet.run(input, dims);
      const [fineScores, fineBoxes, coarseScores, coarseBoxes] = await blazeface.run(input, dims);
      const faces = decodeFaces({ scores: fineScores!, boxes: fineBoxes! }, { scores: coarseScores!, boxes: coarseBoxes! }, image.width, image.height);
      return {
        objects: decodeObjects(peaks!, sizes!, CENTERNET_INPUT / CENTERNET_STRIDE, image.width, image.height),
        // Small low-confidence "faces" are usually texture; count only clear ones.
        faces: faces.filter((face) => face.score >= 0.7 && face.area >= 0.005).length,
      };
    },
  };
}
