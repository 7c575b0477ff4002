import { f32, OnnxGraph } from "./graph.js";
import { UnsupportedLayerError } from "./layers.js";

/**
 * A TensorFlow Lite classifier (an 8-bit flatbuffer) as a float ONNX graph: weights and biases
 * dequantised, activations in float (the 8-bit activations' clamping is what the fused ReLU6 does).
 * Reads only the parts of the flatbuffer schema the MobileNet-family classifiers use; anything else
 * throws. The graph's input is "input", NCHW float pixels scaled to [-1, 1]; its output "output" the
 * softmax over the model's classes.
 */

/** A flatbuffer table: fields by index, read lazily from the buffer. */
class Table {
  constructor(
    private readonly view: DataView,
    readonly offset: number,
  ) {}

  private field(index: number): number {
    const vtable = this.offset - this.view.getInt32(this.offset, true);
    const vtableSize = this.view.getUint16(vtable, true);
    const entry = 4 + 2 * index;
    if (entry >= vtableSize) return 0;
    const relative = this.view.getUint16(vtable + entry, true);
    return relative ? this.offset + relative : 0;
  }

  int(index: number, fallback = 0): number {
    const at = this.field(index);
    return at ? this.view.getInt32(at, true) : fallback;
  }

  uint(index: number, fallback = 0): number {
    const at = this.field(index);
    return at ? this.view.getUint32(at, true) : fallback;
  }

  byte(index: number, fallback = 0): number {
    const at = this.field(index);
    return at ? this.view.getInt8(at) : fallback;
  }

  float(index: number, fallback = 0): number {
    const at = this.field(index);
    return at ? this.view.getFloat32(at, true) : fallback;
  }

  table(index: number): Table | undefined {
    const at = this.field(index);
    return at ? new Table(this.view, at + this.view.getUint32(at, true)) : undefined;
  }

  /** A vector field: its element count and where its elements start. */
  private vector(index: number): { start: number; length: number } | undefined {
    const at = this.field(index);
    if (!at) return undefined;
    const start = at + this.view.getUint32(at, true);
    return { start: start + 4, length: this.view.getUint32(start, true) };
  }

  tables(index: number): Table[] {
    const vector = this.vector(index);
    if (!vector) return [];
    return Array.from({ length: vector.length }, (_, i) => {
      const at = vector.start + 4 * i;
      return new Table(this.view, at + this.view.getUint32(at, true));
    });
  }

  ints(index: number): number[] {
    const vector = this.vector(index);
    return vector ? Array.from({ length: vector.length }, (_, i) => this.view.getInt32(vector.start + 4 * i, true)) : [];
  }

  floats(index: number): number[] {
    const vector = this.vector(index);
    return vector ? Array.from({ length: vector.length }, (_, i) => this.view.getFloat32(vector.start + 4 * i, true)) : [];
  }

  longs(index: number): number[] {
    const vector = this.vector(index);
    return vector ? Array.from({ length: vector.length }, (_, i) => Number(this.view.getBigInt64(vector.start + 8 * i, true))) : [];
  }

  bytes(index: number): Uint8Array {
    const vector = this.vector(index);
    return vector ? new Uint8Array(this.view.buffer, this.view.byteOffset + vector.start, vector.length) : new Uint8Array(0);
  }
}

/** The builtin operators converted here (TFLite's BuiltinOperator codes). */
const OP = { ADD: 0, AVERAGE_POOL_2D: 1, CONV_2D: 3, DEPTHWISE_CONV_2D: 4, DEQUANTIZE: 6, RESHAPE: 22, SOFTMAX: 25, SQUEEZE: 43, QUANTIZE: 114 } as const;
const TENSOR_TYPES = { FLOAT32: 0, INT32: 2, UINT8: 3, INT8: 9 } as const;

interface TfliteTensor {
  shape: number[];
  type: number;
  buffer: Uint8Array;
  scale: number[];
  zeroPoint: number[];
  axis: number;
}

/** A constant tensor's values in float: 8-bit and 32-bit integers through their (per-tensor or per-channel) scale and zero point. */
function dequantize(tensor: TfliteTensor): Float32Array {
  const count = tensor.shape.reduce((a, b) => a * b, 1);
  const data = tensor.buffer;
  // Copied into aligned typed arrays (the flatbuffer's buffers need not be aligned).
  const raw = data.slice(0, tensor.type === TENSOR_TYPES.UINT8 || tensor.type === TENSOR_TYPES.INT8 ? count : 4 * count).buffer;
  let codes: ArrayLike<number>;
  if (tensor.type === TENSOR_TYPES.FLOAT32) return new Float32Array(raw);
  if (tensor.type === TENSOR_TYPES.UINT8) codes = new Uint8Array(raw);
  else if (tensor.type === TENSOR_TYPES.INT8) codes = new Int8Array(raw);
  else if (tensor.type === TENSOR_TYPES.INT32) codes = new Int32Array(raw);
  else throw new UnsupportedLayerError(`tensor type ${tensor.type} is not supported`);
  const out = new Float32Array(count);
  const channels = Math.max(1, tensor.scale.length);
  // Elements per step of the quantised axis, and the steps it repeats (per-channel scales).
  const inner = channels > 1 ? tensor.shape.slice(tensor.axis + 1).reduce((a, b) => a * b, 1) : count;
  for (let start = 0, step = 0; start < count; start += inner, step++) {
    const channel = step % channels;
    const scale = tensor.scale[channel] ?? 1;
    const zero = tensor.zeroPoint[channel] ?? 0;
    for (let i = start; i < start + inner; i++) out[i] = (codes[i]! - zero) * scale;
  }
  return out;
}

export function convertTflite(bytes: Uint8Array, name: string): OnnxGraph {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const model = new Table(view, view.getUint32(0, true));
  const opcodes = model.tables(1).map((code) => Math.max(code.byte(0), code.int(3)));
  const buffers = model.tables(4).map((buffer) => buffer.bytes(0));
  const [subgraph] = model.tables(2);
  if (!subgraph) throw new UnsupportedLayerError(`${name}: no subgraph`);
  const tensors: TfliteTensor[] = subgraph.tables(0).map((tensor) => {
    const quantization = tensor.table(4);
    return {
      shape: tensor.ints(0),
      type: tensor.byte(1),
      buffer: buffers[tensor.uint(2)] ?? new Uint8Array(0),
      scale: quantization?.floats(2) ?? [],
      zeroPoint: quantization?.longs(3) ?? [],
      axis: quantization?.int(6) ?? 0,
    };
  });
  const graph = new OnnxGraph(name);
  const names = new Map<number, string>();
  const [inputIndex] = subgraph.ints(1);
  const input = tensors[inputIndex!]!;
  const [, height, width, channels] = input.shape as [number, number, number, number];
  names.set(inputIndex!, graph.input("input", ["batch", channels, height, width]));
  const computed = (index: number) => {
    const known = names.get(index);
    if (known) return known;
    throw new UnsupportedLayerError(`${name}: tensor ${index} is used before it is computed`);
  };
  const scalar = (hint: string, value: number) => graph.constant(hint, f32([], [value]));
  const activate = (value: string, fused: number, hint: string): string => {
    if (fused === 0) return value;
    if (fused === 1) return graph.node("Relu", [value], {}, hint);
    if (fused === 3) return graph.node("Clip", [value, scalar(`${hint}/min`, 0), scalar(`${hint}/max`, 6)], {}, hint);
    throw new UnsupportedLayerError(`${name}: fused activation ${fused} is not supported`);
  };
  const padding = (code: number) => (code === 0 ? "SAME_UPPER" : "VALID");
  /** Values already flattened to [batch, classes]. */
  const flat = new Set<string>();

  for (const [n, operator] of subgraph.tables(3).entries()) {
    const op = opcodes[operator.uint(0)];
    const inputs = operator.ints(1);
    const [output] = operator.ints(2);
    const options = operator.table(4);
    const hint = `op${n}`;
    let result: string;
    switch (op) {
      case OP.CONV_2D:
      case OP.DEPTHWISE_CONV_2D: {
        const depthwise = op === OP.DEPTHWISE_CONV_2D;
        const filter = tensors[inputs[1]!]!;
        // TFLite: [out, kh, kw, in] (depthwise: [1, kh, kw, in·multiplier]) → ONNX [out, in/group, kh, kw].
        const [o, kh, kw, i] = filter.shape as [number, number, number, number];
        const values = dequantize(filter);
        const cout = depthwise ? i : o;
        const cin = depthwise ? 1 : i;
        const kernel = new Float32Array(values.length);
        for (let oc = 0; oc < cout; oc++)
          for (let y = 0; y < kh; y++)
            for (let x = 0; x < kw; x++)
              for (let ic = 0; ic < cin; ic++) {
                const source = depthwise ? (y * kw + x) * i + oc : ((oc * kh + y) * kw + x) * i + ic;
                kernel[((oc * cin + ic) * kh + y) * kw + x] = values[source]!;
              }
        const operands = [computed(inputs[0]!), graph.constant(`${hint}/kernel`, f32([cout, cin, kh, kw], kernel))];
        if (inputs[2] !== undefined && inputs[2] >= 0) operands.push(graph.constant(`${hint}/bias`, f32([cout], dequantize(tensors[inputs[2]]!))));
        const strideW = options?.int(1, 1) ?? 1;
        const strideH = options?.int(2, 1) ?? 1;
        const fused = options?.byte(depthwise ? 4 : 3) ?? 0;
        const dilationW = options?.int(depthwise ? 5 : 4, 1) ?? 1;
        const dilationH = options?.int(depthwise ? 6 : 5, 1) ?? 1;
        const groups = depthwise ? (tensors[inputs[0]!]!.shape[3] ?? i) : 1;
        if (depthwise && groups !== i) throw new UnsupportedLayerError(`${name}: depth multipliers above 1 are not supported`);
        const conv = graph.node(
          "Conv",
          operands,
          { kernel_shape: [kh, kw], strides: [strideH, strideW], dilations: [dilationH, dilationW], group: groups, auto_pad: padding(options?.byte(0) ?? 0) },
          hint,
        );
        result = activate(conv, fused, `${hint}/activation`);
        break;
      }
      case OP.ADD:
        result = activate(graph.node("Add", [computed(inputs[0]!), computed(inputs[1]!)], {}, hint), options?.byte(0) ?? 0, `${hint}/activation`);
        break;
      case OP.AVERAGE_POOL_2D: {
        const pool = graph.node(
          "AveragePool",
          [computed(inputs[0]!)],
          {
            kernel_shape: [options?.int(4, 1) ?? 1, options?.int(3, 1) ?? 1],
            strides: [options?.int(2, 1) ?? 1, options?.int(1, 1) ?? 1],
            auto_pad: padding(options?.byte(0) ?? 0),
          },
          hint,
        );
        result = activate(pool, options?.byte(5) ?? 0, `${hint}/activation`);
        break;
      }
      case OP.RESHAPE:
      case OP.SQUEEZE: {
        // Classifier heads only: a [batch, classes, 1, 1] map to [batch, classes] (the same in either
        // layout; some files leave activation shapes out, and a wrong guess fails the classifier's output check).
        const source = computed(inputs[0]!);
        const shape = tensors[inputs[0]!]!.shape;
        if (shape.length === 4 && (shape[1] !== 1 || shape[2] !== 1))
          throw new UnsupportedLayerError(`${name}: reshape of ${JSON.stringify(shape)} is not supported`);
        if (flat.has(source)) {
          result = source;
          break;
        }
        result = graph.node("Flatten", [source], { axis: 1 }, hint);
        flat.add(result);
        break;
      }
      case OP.SOFTMAX:
        result = graph.node("Softmax", [computed(inputs[0]!)], { axis: 1 }, hint);
        break;
      case OP.QUANTIZE:
      case OP.DEQUANTIZE:
        result = computed(inputs[0]!);
        break;
      default:
        throw new UnsupportedLayerError(`${name}: builtin operator ${op} is not supported`);
    }
    names.set(output!, result);
  }
  const [outputIndex] = subgraph.ints(2);
  graph.output(graph.node("Identity", [computed(outputIndex!)], {}, "output"));
  return graph;
}
