import { f32, i64, OnnxGraph } from "./graph.js";
import { toChannelsFirstKernel, UnsupportedLayerError } from "./layers.js";
import type { TfjsWeight } from "./tfjs-weights.js";

/**
 * A TF.js graph model (a frozen TensorFlow GraphDef as JSON) as an ONNX graph, for the detector's
 * two networks (CenterNet on MobileNet v3, BlazeFace): convolutions (plain, depthwise and fused with
 * a bias and an activation), element-wise arithmetic, ReLU/ReLU6/sigmoid, means, pooling, padding,
 * bilinear resizing, concatenation and reshapes. TensorFlow is channels-last; 4-D values here are
 * channels-first (onnxruntime's fast layout), and axes, paddings and constants are mapped to it;
 * a Reshape goes back to TensorFlow's order first, and what follows it keeps that order.
 *
 * The graph's input is "input": one image of any size, NCHW float pixels 0-255, resized to the
 * network's input with TensorFlow's legacy bilinear rule (what TF.js's resizeBilinear does) and
 * then scaled by `scale` and shifted by `offset`. Only the nodes the requested outputs need are
 * converted; an unsupported op among them throws.
 */

export interface TfGraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, { i?: string; f?: number; b?: boolean; s?: string; type?: string; list?: { i?: string[]; s?: string[] } }>;
}

interface Value {
  name: string;
  shape: number[];
  /** 4-D values are NCHW here (TensorFlow has them NHWC); "tf" values keep TensorFlow's order. */
  layout: "nchw" | "tf";
}

/** TensorFlow NHWC axis → NCHW axis. */
const TO_NCHW_AXIS = [0, 2, 3, 1];

const decode = (s: string | undefined) => (s ? Buffer.from(s, "base64").toString() : "");

function windowOut(size: number, kernel: number, stride: number, dilation: number, padding: string): number {
  if (padding === "SAME") return Math.ceil(size / stride);
  if (padding === "VALID") return Math.floor((size - (kernel - 1) * dilation - 1) / stride) + 1;
  throw new UnsupportedLayerError(`padding ${padding} is not supported`);
}

export function convertGraphModel(
  nodes: readonly TfGraphNode[],
  weights: ReadonlyMap<string, TfjsWeight>,
  options: { name: string; inputSize: [number, number]; scale: number; offset: number; outputs: readonly string[] },
): OnnxGraph {
  const graph = new OnnxGraph(options.name);
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const values = new Map<string, Value>();
  const fail = (node: TfGraphNode, why: string): never => {
    throw new UnsupportedLayerError(`${options.name}: ${node.op} ${node.name}: ${why}`);
  };
  const constantOf = (name: string): TfjsWeight => {
    const found = weights.get(name.split(":")[0]!);
    if (!found) throw new UnsupportedLayerError(`${options.name}: ${name} is not a constant`);
    return found;
  };
  const ints = (name: string) => Array.from(constantOf(name).data, Number);
  const listInts = (node: TfGraphNode, key: string, fallback: number[]) => node.attr?.[key]?.list?.i?.map(Number) ?? fallback;
  const scalar = (hint: string, value: number) => graph.constant(hint, f32([], [value]));

  const [height, width] = options.inputSize;
  const image = graph.input("input", [1, 3, "height", "width"]);
  const resized = graph.node(
    "Resize",
    [image, "", "", graph.constant("input/size", i64([4], [1, 3, height, width]))],
    { mode: "linear", coordinate_transformation_mode: "asymmetric" },
    "input/resize",
  );
  const scaled = graph.node(
    "Add",
    [graph.node("Mul", [resized, scalar("input/scale", options.scale)], {}, "input/mul"), scalar("input/offset", options.offset)],
    {},
    "input/scaled",
  );

  /** A constant operand of an element-wise op beside a value of `layout`: per-channel vectors become [C,1,1]. */
  const operandConstant = (name: string, beside: Value | undefined): Value => {
    const weight = constantOf(name);
    let shape = weight.shape;
    let data: ArrayLike<number> = weight.data;
    if (beside?.layout === "nchw" && beside.shape.length === 4) {
      if (shape.length === 1 && shape[0]! > 1) shape = [shape[0]!, 1, 1];
      else if (shape.length === 4) {
        const [n, h, w, c] = shape as [number, number, number, number];
        const source = Float32Array.from(weight.data);
        const target = new Float32Array(source.length);
        for (let b = 0; b < n; b++)
          for (let y = 0; y < h; y++)
            for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) target[((b * c + k) * h + y) * w + x] = source[((b * h + y) * w + x) * c + k]!;
        shape = [n, c, h, w];
        data = target;
      } else if (shape.length > 1) throw new UnsupportedLayerError(`${options.name}: constant ${name} of shape ${JSON.stringify(shape)} beside an image`);
    }
    return { name: graph.constant(name, f32(shape, data)), shape, layout: beside?.layout ?? "tf" };
  };

  const convert = (tensorName: string): Value => {
    const key = tensorName.replace(/^\^/, "");
    const known = values.get(key);
    if (known) return known;
    const node = byName.get(key.split(":")[0]!);
    if (!node) throw new UnsupportedLayerError(`${options.name}: no node ${key}`);
    if (key.includes(":") && !key.endsWith(":0")) fail(node, "only first outputs are supported");
    const inputs = (node.input ?? []).filter((input) => !input.startsWith("^"));
    const operand = (index: number) => convert(inputs[index]!);
    let out: Value;
    switch (node.op) {
      case "Placeholder":
        out = { name: scaled, shape: [1, 3, height, width], layout: "nchw" };
        break;
      case "Identity":
        out = operand(0);
        break;
      case "Conv2D":
      case "_FusedConv2D":
      case "DepthwiseConv2dNative":
      case "FusedDepthwiseConv2dNative": {
        const x = operand(0);
        if (x.layout !== "nchw") fail(node, "needs an image");
        if (decode(node.attr?.data_format?.s) && decode(node.attr?.data_format?.s) !== "NHWC") fail(node, "is not NHWC");
        const depthwise = node.op.includes("Depthwise");
        const filter = constantOf(inputs[1]!);
        const [kh, kw, cin, last] = filter.shape as [number, number, number, number];
        const cout = depthwise ? cin * last : last;
        const kernel = toChannelsFirstKernel(Float32Array.from(filter.data), kh * kw, cin, last, depthwise);
        const strides = listInts(node, "strides", [1, 1, 1, 1]);
        const dilations = listInts(node, "dilations", [1, 1, 1, 1]);
        const padding = decode(node.attr?.padding?.s);
        const fused = (node.attr?.fused_ops?.list?.s ?? []).map(decode);
        const operands = [x.name, graph.constant(`${node.name}/kernel`, f32(depthwise ? [cout, 1, kh, kw] : [cout, cin, kh, kw], kernel))];
        if (fused[0] === "BiasAdd") operands.push(graph.constant(`${node.name}/bias`, f32([cout], constantOf(inputs[2]!).data)));
        else if (fused.length) fail(node, `fuses ${fused.join(",")}`);
        const conv = graph.node(
          "Conv",
          operands,
          {
            kernel_shape: [kh, kw],
            strides: [strides[1]!, strides[2]!],
            dilations: [dilations[1]!, dilations[2]!],
            group: depthwise ? cin : 1,
            auto_pad: padding === "SAME" ? "SAME_UPPER" : "VALID",
          },
          node.name,
        );
        let activated = conv;
        for (const op of fused.slice(1)) {
          if (op === "Relu") activated = graph.node("Relu", [activated], {}, `${node.name}/relu`);
          else if (op === "Relu6")
            activated = graph.node("Clip", [activated, scalar(`${node.name}/min`, 0), scalar(`${node.name}/max`, 6)], {}, `${node.name}/relu6`);
          else fail(node, `fuses ${op}`);
        }
        out = {
          name: activated,
          shape: [1, cout, windowOut(x.shape[2]!, kh, strides[1]!, dilations[1]!, padding), windowOut(x.shape[3]!, kw, strides[2]!, dilations[2]!, padding)],
          layout: "nchw",
        };
        break;
      }
      case "Add":
      case "AddV2":
      case "Sub":
      case "Mul": {
        const isConstant = (index: number) => weights.has(inputs[index]!.split(":")[0]!) && byName.get(inputs[index]!.split(":")[0]!)?.op === "Const";
        const a = isConstant(0) ? undefined : operand(0);
        const b = isConstant(1) ? undefined : operand(1);
        const left = a ?? operandConstant(inputs[0]!, b);
        const right = b ?? operandConstant(inputs[1]!, a);
        const op = node.op === "AddV2" ? "Add" : node.op;
        const shape =
          left.shape.length >= right.shape.length
            ? left.shape.map((d, i) => Math.max(d, right.shape[i - (left.shape.length - right.shape.length)] ?? 1))
            : right.shape;
        out = { name: graph.node(op, [left.name, right.name], {}, node.name), shape, layout: (a ?? b)!.layout };
        break;
      }
      case "Relu":
      case "Sigmoid": {
        const x = operand(0);
        out = { ...x, name: graph.node(node.op, [x.name], {}, node.name) };
        break;
      }
      case "Relu6": {
        const x = operand(0);
        out = { ...x, name: graph.node("Clip", [x.name, scalar(`${node.name}/min`, 0), scalar(`${node.name}/max`, 6)], {}, node.name) };
        break;
      }
      case "Mean": {
        const x = operand(0);
        if (!node.attr?.keep_dims?.b) fail(node, "only keep_dims is supported");
        const axes = ints(inputs[1]!)
          .map((axis) => (axis < 0 ? axis + x.shape.length : axis))
          .map((axis) => (x.layout === "nchw" ? TO_NCHW_AXIS[axis]! : axis));
        out = { ...x, name: graph.node("ReduceMean", [x.name], { axes, keepdims: 1 }, node.name), shape: x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) };
        break;
      }
      case "MaxPool": {
        const x = operand(0);
        if (x.layout !== "nchw") fail(node, "needs an image");
        const ksize = listInts(node, "ksize", [1, 1, 1, 1]);
        const strides = listInts(node, "strides", [1, 1, 1, 1]);
        const padding = decode(node.attr?.padding?.s);
        out = {
          ...x,
          name: graph.node(
            "MaxPool",
            [x.name],
            { kernel_shape: [ksize[1]!, ksize[2]!], strides: [strides[1]!, strides[2]!], auto_pad: padding === "SAME" ? "SAME_UPPER" : "VALID" },
            node.name,
          ),
          shape: [
            x.shape[0]!,
            x.shape[1]!,
            windowOut(x.shape[2]!, ksize[1]!, strides[1]!, 1, padding),
            windowOut(x.shape[3]!, ksize[2]!, strides[2]!, 1, padding),
          ],
        };
        break;
      }
      case "Pad": {
        const x = operand(0);
        if (x.layout !== "nchw") fail(node, "needs an image");
        const tf = ints(inputs[1]!); // [[before, after] per NHWC axis]
        const begins = [0, 0, 0, 0];
        const ends = [0, 0, 0, 0];
        for (let axis = 0; axis < 4; axis++) {
          begins[TO_NCHW_AXIS[axis]!] = tf[2 * axis]!;
          ends[TO_NCHW_AXIS[axis]!] = tf[2 * axis + 1]!;
        }
        out = {
          ...x,
          name: graph.node("Pad", [x.name, graph.constant(`${node.name}/pads`, i64([8], [...begins, ...ends]))], {}, node.name),
          shape: x.shape.map((d, i) => d + begins[i]! + ends[i]!),
        };
        break;
      }
      case "ResizeBilinear": {
        const x = operand(0);
        if (x.layout !== "nchw") fail(node, "needs an image");
        if (node.attr?.align_corners?.b || node.attr?.half_pixel_centers?.b) fail(node, "only the legacy (asymmetric) rule is supported");
        const [h, w] = ints(inputs[1]!) as [number, number];
        out = {
          ...x,
          name: graph.node(
            "Resize",
            [x.name, "", "", graph.constant(`${node.name}/size`, i64([4], [x.shape[0]!, x.shape[1]!, h, w]))],
            { mode: "linear", coordinate_transformation_mode: "asymmetric" },
            node.name,
          ),
          shape: [x.shape[0]!, x.shape[1]!, h, w],
        };
        break;
      }
      case "ConcatV2": {
        const parts = inputs.slice(0, -1).map((_, i) => operand(i));
        const first = parts[0]!;
        if (parts.some((part) => part.layout !== first.layout)) fail(node, "mixes layouts");
        let axis = ints(inputs.at(-1)!)[0]!;
        if (axis < 0) axis += first.shape.length;
        if (first.layout === "nchw") axis = TO_NCHW_AXIS[axis]!;
        out = {
          ...first,
          name: graph.node(
            "Concat",
            parts.map((part) => part.name),
            { axis },
            node.name,
          ),
          shape: first.shape.map((d, i) => (i === axis ? parts.reduce((sum, part) => sum + part.shape[i]!, 0) : d)),
        };
        break;
      }
      case "Equal": {
        const [a, b] = [operand(0), operand(1)];
        out = { ...a, name: graph.node("Equal", [a.name, b.name], {}, node.name) };
        break;
      }
      case "Cast": {
        const x = operand(0);
        if (node.attr?.DstT?.type !== "DT_FLOAT") fail(node, `casts to ${node.attr?.DstT?.type}`);
        out = { ...x, name: graph.node("Cast", [x.name], { to: 1 }, node.name) };
        break;
      }
      case "Reshape": {
        const x = operand(0);
        const ordered = x.layout === "nchw" ? graph.node("Transpose", [x.name], { perm: [0, 2, 3, 1] }, `${node.name}/nhwc`) : x.name;
        const size = x.shape.reduce((a, b) => a * b, 1);
        const target = ints(inputs[1]!);
        const known = target.reduce((a, b) => (b === -1 ? a : a * b), 1);
        const shape = target.map((d) => (d === -1 ? size / known : d));
        out = { name: graph.node("Reshape", [ordered, graph.constant(`${node.name}/shape`, i64([shape.length], shape))], {}, node.name), shape, layout: "tf" };
        break;
      }
      default:
        return fail(node, "is not supported");
    }
    values.set(key, out);
    return out;
  };

  // Named output0, output1… in the order asked for.
  for (const [index, output] of options.outputs.entries()) graph.output(graph.node("Identity", [convert(output).name], {}, `output${index}`));
  return graph;
}
