import { ProtoWriter } from "./proto.js";

/**
 * An ONNX graph under construction, and its encoding as a ModelProto. The converters (from TF.js
 * layers and graph models, and from TensorFlow Lite) write NCHW graphs through this; onnxruntime
 * reads the result from memory.
 */

/** ONNX's TensorProto.DataType values for the element types used here. */
const DATA_TYPES = { float32: 1, int64: 7 } as const;
export type ElementType = keyof typeof DATA_TYPES;

export type TensorData = { type: "float32"; data: Float32Array } | { type: "int64"; data: BigInt64Array };

export interface Tensor {
  dims: number[];
  value: TensorData;
}

/** A float attribute (plain numbers are ints). */
export class FloatAttr {
  constructor(readonly value: number) {}
}
export const float = (value: number) => new FloatAttr(value);
type Attribute = number | FloatAttr | readonly number[] | string | Tensor;

interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, Attribute>;
}

export const OPSET = 17;
const IR_VERSION = 8;

export function f32(dims: number[], data: ArrayLike<number>): Tensor {
  return { dims, value: { type: "float32", data: Float32Array.from(data) } };
}
export function i64(dims: number[], data: readonly number[]): Tensor {
  return { dims, value: { type: "int64", data: BigInt64Array.from(data.map((n) => BigInt(n))) } };
}

export class OnnxGraph {
  private readonly nodes: NodeSpec[] = [];
  private readonly initializers = new Map<string, Tensor>();
  private readonly inputs: { name: string; shape: (number | string)[]; type: ElementType }[] = [];
  private readonly outputs: { name: string; type: ElementType }[] = [];
  private readonly used = new Set<string>();

  constructor(readonly name: string) {}

  /** A name not used yet, from a hint. */
  unique(hint: string): string {
    let name = hint.replace(/[^A-Za-z0-9_./:-]/g, "_") || "t";
    for (let i = 1; this.used.has(name); i++) name = `${hint}_${i}`;
    this.used.add(name);
    return name;
  }

  /** A graph input; a string dimension is symbolic (any size). */
  input(name: string, shape: (number | string)[], type: ElementType = "float32"): string {
    this.used.add(name);
    this.inputs.push({ name, shape, type });
    return name;
  }

  output(name: string, type: ElementType = "float32"): void {
    this.outputs.push({ name, type });
  }

  /** An initializer; returns its name. */
  constant(hint: string, tensor: Tensor): string {
    const name = this.unique(hint);
    this.initializers.set(name, tensor);
    return name;
  }

  /** Adds a node; returns its output's name (named after `hint`). */
  node(op: string, inputs: string[], attributes: Record<string, Attribute> = {}, hint = op): string {
    const output = this.unique(hint);
    this.nodes.push({ op, inputs, outputs: [output], attributes });
    return output;
  }

  /** The ModelProto's bytes. */
  encode(): Uint8Array {
    const writeTensor = (w: ProtoWriter, name: string, tensor: Tensor) => {
      w.packedInts(1, tensor.dims);
      w.int(2, DATA_TYPES[tensor.value.type]);
      w.string(8, name);
      const data = tensor.value.data;
      w.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    };
    const writeValueInfo = (w: ProtoWriter, name: string, type: ElementType, shape?: (number | string)[]) => {
      w.string(1, name);
      w.message(2, (typeProto) =>
        typeProto.message(1, (tensorType) => {
          tensorType.int(1, DATA_TYPES[type]);
          if (shape)
            tensorType.message(2, (shapeProto) => {
              for (const dim of shape) shapeProto.message(1, (d) => (typeof dim === "string" ? d.string(2, dim) : d.int(1, dim)));
            });
        }),
      );
    };
    const writeAttribute = (w: ProtoWriter, name: string, value: Attribute) => {
      w.string(1, name);
      if (value instanceof FloatAttr) w.float(2, value.value).int(20, 1);
      else if (typeof value === "number") w.int(3, value).int(20, 2);
      else if (typeof value === "string") w.string(4, value).int(20, 3);
      else if (Array.isArray(value)) w.packedInts(8, value as number[]).int(20, 7);
      else w.message(5, (t) => writeTensor(t, name, value as Tensor)).int(20, 4);
    };
    return new ProtoWriter()
      .int(1, IR_VERSION)
      .string(2, "photo-analysis")
      .message(7, (graph) => {
        for (const node of this.nodes) {
          graph.message(1, (n) => {
            for (const input of node.inputs) n.string(1, input);
            for (const output of node.outputs) n.string(2, output);
            n.string(3, node.outputs[0]!);
            n.string(4, node.op);
            for (const [name, value] of Object.entries(node.attributes)) n.message(5, (a) => writeAttribute(a, name, value));
          });
        }
        graph.string(2, this.name);
        for (const [name, tensor] of this.initializers) graph.message(5, (t) => writeTensor(t, name, tensor));
        for (const input of this.inputs) graph.message(11, (v) => writeValueInfo(v, input.name, input.type, input.shape));
        for (const output of this.outputs) graph.message(12, (v) => writeValueInfo(v, output.name, output.type));
      })
      .message(8, (opset) => opset.string(1, "").int(2, OPSET))
      .finish();
  }
}
