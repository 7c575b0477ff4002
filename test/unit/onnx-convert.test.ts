import { describe, expect, it } from "vitest";
import { decodeFaces, nonMaxSuppression } from "../../shared/vision/local/detector.js";
import { convertLayersModel, type KerasTopology } from "../../shared/onnx/layers.js";
import { openOnnx } from "../../shared/onnx/runtime.js";
import type { TfjsWeight } from "../../shared/onnx/tfjs-weights.js";
import { decodeTfjsWeights, fromFloat16 } from "../../shared/onnx/tfjs-weights.js";

/** Deterministic weights in [-0.5, 0.5). */
function values(count: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x80000000 - 0.5;
  });
}

const weight = (shape: number[], seed: number): TfjsWeight => ({
  shape,
  dtype: "float32",
  data: values(
    shape.reduce((a, b) => a * b, 1),
    seed,
  ),
});

/** Keras's convolution on NHWC data ("same": TensorFlow pads the extra row and column at the end). */
function conv(input: Float32Array, [h, w, c]: number[], kernel: TfjsWeight, stride: number, depthwise: boolean): { data: Float32Array; shape: number[] } {
  const [kh, kw, cin, last] = kernel.shape as [number, number, number, number];
  const cout = depthwise ? cin * last : last;
  const [oh, ow] = [Math.ceil(h! / stride), Math.ceil(w! / stride)];
  const padTop = Math.floor(Math.max(0, (oh - 1) * stride + kh - h!) / 2);
  const padLeft = Math.floor(Math.max(0, (ow - 1) * stride + kw - w!) / 2);
  const out = new Float32Array(oh * ow * cout);
  for (let y = 0; y < oh; y++)
    for (let x = 0; x < ow; x++)
      for (let o = 0; o < cout; o++) {
        let sum = 0;
        for (let dy = 0; dy < kh; dy++)
          for (let dx = 0; dx < kw; dx++) {
            const [iy, ix] = [y * stride + dy - padTop, x * stride + dx - padLeft];
            if (iy < 0 || ix < 0 || iy >= h! || ix >= w!) continue;
            if (depthwise) {
              const i = Math.floor(o / last);
              sum += input[(iy * w! + ix) * c! + i]! * kernel.data[((dy * kw + dx) * cin + i) * last + (o % last)]!;
            } else {
              for (let i = 0; i < cin; i++) sum += input[(iy * w! + ix) * c! + i]! * kernel.data[((dy * kw + dx) * cin + i) * last + o]!;
            }
          }
        out[(y * ow + x) * cout + o] = sum;
      }
  return { data: out, shape: [oh, ow, cout] };
}

describe("TF.js layers model → ONNX", () => {
  it("computes what Keras computes: strided 'same' convolution, batch norm, ReLU6, depthwise, pooling, dense softmax", async () => {
    const layers = [
      { class_name: "InputLayer", config: { name: "in", batch_input_shape: [null, 7, 6, 3] }, inbound_nodes: [] },
      {
        class_name: "Conv2D",
        config: { name: "c1", strides: [2, 2], padding: "same", use_bias: false, activation: "linear" },
        inbound_nodes: [[["in", 0, 0, {}]]],
      },
      { class_name: "BatchNormalization", config: { name: "bn", axis: -1, epsilon: 0.001 }, inbound_nodes: [[["c1", 0, 0, {}]]] },
      { class_name: "ReLU", config: { name: "r", max_value: 6, negative_slope: 0, threshold: 0 }, inbound_nodes: [[["bn", 0, 0, {}]]] },
      {
        class_name: "DepthwiseConv2D",
        config: { name: "dw", strides: [1, 1], padding: "same", use_bias: true, activation: "relu" },
        inbound_nodes: [[["r", 0, 0, {}]]],
      },
      { class_name: "GlobalAveragePooling2D", config: { name: "gap" }, inbound_nodes: [[["dw", 0, 0, {}]]] },
      { class_name: "Dense", config: { name: "fc", activation: "softmax" }, inbound_nodes: [[["gap", 0, 0, {}]]] },
    ];
    const topology: KerasTopology = {
      model_config: { class_name: "Model", config: { layers, input_layers: [["in", 0, 0]], output_layers: [["fc", 0, 0]] } as never },
    };
    const weights = new Map<string, TfjsWeight>([
      ["c1/kernel", weight([3, 3, 3, 4], 1)],
      ["bn/gamma", weight([4], 2)],
      ["bn/beta", weight([4], 3)],
      ["bn/moving_mean", weight([4], 4)],
      ["bn/moving_variance", { shape: [4], dtype: "float32", data: Float32Array.from([0.5, 1, 1.5, 2]) }],
      ["dw/depthwise_kernel", weight([3, 3, 4, 2], 5)],
      ["dw/bias", weight([8], 6)],
      ["fc/kernel", weight([8, 5], 7)],
      ["fc/bias", weight([5], 8)],
    ]);
    const image = values(7 * 6 * 3, 9).map((v) => v * 20);

    // The reference, in Keras's own order (NHWC).
    let x = conv(image, [7, 6, 3], weights.get("c1/kernel")!, 2, false);
    const [gamma, beta, mean, variance] = ["gamma", "beta", "moving_mean", "moving_variance"].map((key) => weights.get(`bn/${key}`)!.data);
    x.data = x.data.map((v, i) => Math.min(6, Math.max(0, ((v - mean![i % 4]!) / Math.sqrt(variance![i % 4]! + 0.001)) * gamma![i % 4]! + beta![i % 4]!)));
    x = conv(x.data, x.shape, weights.get("dw/depthwise_kernel")!, 1, true);
    x.data = x.data.map((v, i) => Math.max(0, v + weights.get("dw/bias")!.data[i % 8]!));
    const pooled = Array.from({ length: 8 }, (_, c) => x.data.filter((_, i) => i % 8 === c).reduce((a, b) => a + b, 0) / (x.shape[0]! * x.shape[1]!));
    const logits = Array.from({ length: 5 }, (_, o) =>
      pooled.reduce((sum, v, i) => sum + v * weights.get("fc/kernel")!.data[i * 5 + o]!, weights.get("fc/bias")!.data[o]!),
    );
    const exp = logits.map((v) => Math.exp(v - Math.max(...logits)));
    const expected = exp.map((v) => v / exp.reduce((a, b) => a + b, 0));

    const session = await openOnnx(convertLayersModel(topology, weights, "tiny").encode());
    const nchw = new Float32Array(image.length);
    for (let i = 0; i < 42; i++) for (let c = 0; c < 3; c++) nchw[c * 42 + i] = image[i * 3 + c]!;
    const [output] = await session.run(nchw, [1, 3, 7, 6]);
    expect(output!.length).toBe(5);
    for (let i = 0; i < 5; i++) expect(output![i]).toBeCloseTo(expected[i]!, 5);
  });

  it("refuses a layer it does not know, naming it", () => {
    const topology = {
      config: { layers: [{ class_name: "LSTM", config: { name: "memory" }, inbound_nodes: [] }], input_layers: [], output_layers: [] },
    } as unknown as KerasTopology;
    expect(() => convertLayersModel(topology, new Map(), "odd")).toThrow(/LSTM \(memory\) is not supported/);
  });
});

describe("TF.js weight shards", () => {
  it("reads float32, float16 and uint8-affine weights in manifest order, and checks the length", () => {
    const bytes = new Uint8Array(4 + 2 * 2 + 3);
    new DataView(bytes.buffer).setFloat32(0, 1.5, true);
    new DataView(bytes.buffer).setUint16(4, 0x3c00, true); // 1.0 in half precision
    new DataView(bytes.buffer).setUint16(6, 0xc000, true); // -2.0
    bytes.set([0, 10, 255], 8);
    const weights = decodeTfjsWeights(
      [
        { name: "a", shape: [1], dtype: "float32" },
        { name: "b", shape: [2], dtype: "float32", quantization: { dtype: "float16" } },
        { name: "c", shape: [3], dtype: "float32", quantization: { dtype: "uint8", min: -1, scale: 0.5 } },
      ],
      bytes,
    );
    expect([...weights.get("a")!.data]).toEqual([1.5]);
    expect([...weights.get("b")!.data]).toEqual([1, -2]);
    expect([...weights.get("c")!.data]).toEqual([-1, 4, 126.5]);
    expect(fromFloat16(0x0001)).toBeCloseTo(2 ** -24, 30);
    expect(() => decodeTfjsWeights([{ name: "a", shape: [1], dtype: "float32" }], bytes)).toThrow(/hold 11 bytes, the manifest describes 4/);
  });
});

describe("the detector's decoding", () => {
  it("suppresses overlapping boxes (IoU at or above the threshold) best first, drops low scores, and stops at the maximum", () => {
    const boxes: [number, number, number, number][] = [
      [0, 0, 10, 10],
      [1, 1, 11, 11], // IoU with the first ≈ 0.68
      [20, 20, 30, 30],
      [40, 40, 50, 50],
    ];
    expect(nonMaxSuppression(boxes, [0.9, 0.95, 0.5, 0.2], 10, 0.5, 0.3)).toEqual([1, 2]);
    expect(nonMaxSuppression(boxes, [0.9, 0.95, 0.5, 0.2], 10, 0.7, 0.3)).toEqual([1, 0, 2]);
    expect(nonMaxSuppression(boxes, [0.9, 0.95, 0.5, 0.2], 1, 0.7, 0.1)).toEqual([1]);
  });

  it("turns a confident BlazeFace anchor into an enlarged square face box on the photo", () => {
    const fine = { scores: new Float32Array(512).fill(-10), boxes: new Float32Array(512 * 16) };
    const coarse = { scores: new Float32Array(384).fill(-10), boxes: new Float32Array(384 * 16) };
    // Anchor 0 is centred at (8, 8) of the 256-pixel input; a 64×32 box there, logit 3 (score 0.95).
    fine.scores[0] = 3;
    fine.boxes.set([0, 0, 64, 32], 0);
    const [face, ...others] = decodeFaces(fine, coarse, 512, 256);
    expect(others).toEqual([]);
    expect(face!.score).toBe(0.95);
    // On the 512×256 photo: 128×32 centred at (16, 8), enlarged 1.4× and squared to 179×179, clipped at the top left corner.
    expect(face!.area).toBeCloseTo((106 * 98) / (512 * 256), 6);
  });
});
