import { f32, float, i64, OnnxGraph, type Tensor } from "./graph.js";
import type { TfjsWeight } from "./tfjs-weights.js";

/**
 * A TF.js layers model (Keras functional config) as an ONNX graph. Covers the layers of the
 * MobileNet classifiers the project runs (v1 and v2: convolutions, depthwise convolutions, batch
 * normalisation, ReLU/ReLU6, padding, residual adds, pooling, dense heads); anything else throws.
 * Keras is channels-last, the graph is channels-first (what onnxruntime's CPU kernels are fastest
 * at): the caller feeds NCHW float pixels under the name "input", the output is "output" with the
 * model's last layer's values (for the classifiers: [batch, classes] probabilities).
 */

interface KerasLayer {
  class_name: string;
  config: Record<string, unknown> & { name: string };
  inbound_nodes: [string, number, number, unknown][][];
}

export interface KerasTopology {
  model_config?: { class_name: string; config: KerasModelConfig };
  class_name?: string;
  config?: KerasModelConfig;
}

interface KerasModelConfig {
  layers: KerasLayer[];
  input_layers: [string, number, number][];
  output_layers: [string, number, number][];
}

/** A value in the graph: its name, and its spatial size while it is 4-D (undefined once flat). */
interface Value {
  name: string;
  spatial?: [number, number];
  channels: number;
}

export class UnsupportedLayerError extends Error {
  override name = "UnsupportedLayerError";
}

function pair(value: unknown, fallback: number): [number, number] {
  if (Array.isArray(value)) return [Number(value[0]), Number(value[1])];
  if (typeof value === "number") return [value, value];
  return [fallback, fallback];
}

/** Output size of a convolution or pooling window with Keras's "same"/"valid" padding. */
function windowOut(size: number, kernel: number, stride: number, dilation: number, padding: string): number {
  if (padding === "same") return Math.ceil(size / stride);
  return Math.floor((size - (kernel - 1) * dilation - 1) / stride) + 1;
}

/**
 * A convolution kernel from Keras's [positions, in, out] order to ONNX's [out, in, positions]; a
 * depthwise kernel ([positions, in, multiplier]) to [in·multiplier, 1, positions]. Both are the same
 * walk: output channel o of input i is row i·last + o (depthwise) or o·in + i.
 */
export function toChannelsFirstKernel(source: Float32Array, positions: number, cin: number, last: number, depthwise: boolean): Float32Array {
  const target = new Float32Array(source.length);
  let from = 0;
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < cin; i++) {
      for (let o = 0; o < last; o++) {
        const row = depthwise ? i * last + o : o * cin + i;
        target[row * positions + p] = source[from++]!;
      }
    }
  }
  return target;
}

export function convertLayersModel(topology: KerasTopology, weights: ReadonlyMap<string, TfjsWeight>, name: string): OnnxGraph {
  const model = topology.model_config?.config ?? topology.config;
  if (!model?.layers) throw new UnsupportedLayerError(`${name}: not a Keras functional model`);
  const graph = new OnnxGraph(name);
  const values = new Map<string, Value>();

  const weight = (layer: string, param: string): TfjsWeight => {
    const found = weights.get(`${layer}/${param}`);
    if (!found) throw new UnsupportedLayerError(`${name}: weight ${layer}/${param} is missing`);
    return found;
  };
  const constant = (hint: string, tensor: Tensor) => graph.constant(hint, tensor);
  const scalar = (hint: string, value: number) => constant(hint, f32([], [value]));

  const activation = (input: string, kind: unknown, hint: string): string => {
    switch (kind ?? "linear") {
      case "linear":
        return input;
      case "relu":
        return graph.node("Relu", [input], {}, hint);
      case "relu6":
        return graph.node("Clip", [input, scalar(`${hint}/min`, 0), scalar(`${hint}/max`, 6)], {}, hint);
      case "sigmoid":
        return graph.node("Sigmoid", [input], {}, hint);
      case "softmax":
        return graph.node("Softmax", [input], { axis: 1 }, hint);
      default:
        throw new UnsupportedLayerError(`${name}: activation ${String(kind)} is not supported`);
    }
  };

  for (const layer of model.layers) {
    const config = layer.config;
    const id = config.name;
    const inputs = (layer.inbound_nodes[0] ?? []).map(([source]) => {
      const value = values.get(source);
      if (!value) throw new UnsupportedLayerError(`${name}: layer ${id} reads ${source}, which is not defined before it`);
      return value;
    });
    const [x] = inputs;
    let out: Value;
    switch (layer.class_name) {
      case "InputLayer": {
        const shape = config.batch_input_shape as (number | null)[];
        if (shape.length !== 4) throw new UnsupportedLayerError(`${name}: input ${id} is not an image`);
        const [, height, width, channels] = shape as [null, number, number, number];
        out = { name: graph.input("input", ["batch", channels, height, width]), spatial: [height, width], channels };
        break;
      }
      case "Conv2D":
      case "DepthwiseConv2D": {
        if (!x?.spatial) throw new UnsupportedLayerError(`${name}: ${id} needs a 4-D input`);
        if (config.data_format && config.data_format !== "channels_last") throw new UnsupportedLayerError(`${name}: ${id} is not channels_last`);
        const depthwise = layer.class_name === "DepthwiseConv2D";
        const kernel = weight(id, depthwise ? "depthwise_kernel" : "kernel");
        const [kh, kw, cin, last] = kernel.shape as [number, number, number, number];
        const cout = depthwise ? cin * last : last;
        // Keras [kh, kw, in, out] (depthwise: [kh, kw, in, multiplier]) → ONNX [out, in/group, kh, kw].
        const data = toChannelsFirstKernel(Float32Array.from(kernel.data), kh * kw, cin, last, depthwise);
        const strides = pair(config.strides, 1);
        const dilations = pair(config.dilation_rate, 1);
        const padding = String(config.padding ?? "valid");
        const operands = [x.name, constant(`${id}/kernel`, f32(depthwise ? [cout, 1, kh, kw] : [cout, cin, kh, kw], data))];
        if (config.use_bias !== false && weights.has(`${id}/bias`)) operands.push(constant(`${id}/bias`, f32([cout], weight(id, "bias").data)));
        const conv = graph.node(
          "Conv",
          operands,
          { kernel_shape: [kh, kw], strides, dilations, group: depthwise ? cin : 1, auto_pad: padding === "same" ? "SAME_UPPER" : "VALID" },
          id,
        );
        out = {
          name: activation(conv, config.activation, `${id}/activation`),
          spatial: [windowOut(x.spatial[0], kh, strides[0], dilations[0], padding), windowOut(x.spatial[1], kw, strides[1], dilations[1], padding)],
          channels: cout,
        };
        break;
      }
      case "BatchNormalization": {
        if (!x) throw new UnsupportedLayerError(`${name}: ${id} has no input`);
        const axis = config.axis as number | number[];
        if (![-1, 3].includes(Array.isArray(axis) ? axis[0]! : axis)) throw new UnsupportedLayerError(`${name}: ${id} normalises axis ${String(axis)}`);
        const c = x.channels;
        const param = (key: string, fallback: number) =>
          constant(`${id}/${key}`, f32([c], weights.has(`${id}/${key}`) ? weight(id, key).data : new Array(c).fill(fallback)));
        out = {
          ...x,
          name: graph.node(
            "BatchNormalization",
            [x.name, param("gamma", 1), param("beta", 0), param("moving_mean", 0), param("moving_variance", 1)],
            { epsilon: float(Number(config.epsilon ?? 0.001)) },
            id,
          ),
        };
        break;
      }
      case "Activation":
        out = { ...x!, name: activation(x!.name, config.activation, id) };
        break;
      case "ReLU": {
        if (Number(config.negative_slope ?? 0) !== 0 || Number(config.threshold ?? 0) !== 0)
          throw new UnsupportedLayerError(`${name}: ${id} is a leaky or thresholded ReLU`);
        const max = config.max_value;
        out = {
          ...x!,
          name:
            max == null
              ? graph.node("Relu", [x!.name], {}, id)
              : graph.node("Clip", [x!.name, scalar(`${id}/min`, 0), scalar(`${id}/max`, Number(max))], {}, id),
        };
        break;
      }
      case "ZeroPadding2D": {
        if (!x?.spatial) throw new UnsupportedLayerError(`${name}: ${id} needs a 4-D input`);
        const raw = config.padding;
        const [[top, bottom], [left, right]] = (Array.isArray(raw) && Array.isArray(raw[0]) ? raw : [pair(raw, 0), pair(raw, 0)]) as [
          [number, number],
          [number, number],
        ];
        out = {
          ...x,
          name: graph.node("Pad", [x.name, constant(`${id}/pads`, i64([8], [0, 0, top, left, 0, 0, bottom, right]))], {}, id),
          spatial: [x.spatial[0] + top + bottom, x.spatial[1] + left + right],
        };
        break;
      }
      case "Add": {
        let sum = inputs[0]!.name;
        for (const next of inputs.slice(1)) sum = graph.node("Add", [sum, next.name], {}, id);
        out = { ...inputs[0]!, name: sum };
        break;
      }
      case "Dropout":
        out = x!;
        break;
      case "GlobalAveragePooling2D":
        out = { name: graph.node("Flatten", [graph.node("GlobalAveragePool", [x!.name], {}, `${id}/pool`)], { axis: 1 }, id), channels: x!.channels };
        break;
      case "AveragePooling2D":
      case "MaxPooling2D": {
        if (!x?.spatial) throw new UnsupportedLayerError(`${name}: ${id} needs a 4-D input`);
        const kernel = pair(config.pool_size, 2);
        const strides = pair(config.strides ?? config.pool_size, 2);
        const padding = String(config.padding ?? "valid");
        out = {
          ...x,
          name: graph.node(
            layer.class_name === "AveragePooling2D" ? "AveragePool" : "MaxPool",
            [x.name],
            { kernel_shape: kernel, strides, auto_pad: padding === "same" ? "SAME_UPPER" : "VALID" },
            id,
          ),
          spatial: [windowOut(x.spatial[0], kernel[0], strides[0], 1, padding), windowOut(x.spatial[1], kernel[1], strides[1], 1, padding)],
        };
        break;
      }
      case "Flatten": {
        if (!x?.spatial) {
          out = x!;
          break;
        }
        // Keras flattens in H, W, C order; a 1×1 map is the same either way.
        const [h, w] = x.spatial;
        const ordered = h * w === 1 ? x.name : graph.node("Transpose", [x.name], { perm: [0, 2, 3, 1] }, `${id}/nhwc`);
        out = { name: graph.node("Flatten", [ordered], { axis: 1 }, id), channels: x.channels * h * w };
        break;
      }
      case "Reshape": {
        const target = config.target_shape as number[];
        const size = target.reduce((a, b) => a * b, 1);
        // Only the reshapes that move a vector in and out of a 1×1 map (what MobileNet heads do).
        if (size !== x!.channels * (x!.spatial ? x!.spatial[0] * x!.spatial[1] : 1) || (x!.spatial && x!.spatial[0] * x!.spatial[1] !== 1)) {
          throw new UnsupportedLayerError(`${name}: ${id} reshapes to ${JSON.stringify(target)}`);
        }
        if (target.length === 3 && target[0] === 1 && target[1] === 1) {
          out = {
            name: graph.node("Reshape", [x!.name, constant(`${id}/shape`, i64([4], [0, target[2]!, 1, 1]))], {}, id),
            spatial: [1, 1],
            channels: target[2]!,
          };
        } else if (target.length === 1) {
          out = { name: graph.node("Flatten", [x!.name], { axis: 1 }, id), channels: target[0]! };
        } else {
          throw new UnsupportedLayerError(`${name}: ${id} reshapes to ${JSON.stringify(target)}`);
        }
        break;
      }
      case "Dense": {
        if (!x || x.spatial) throw new UnsupportedLayerError(`${name}: ${id} needs a flat input`);
        const kernel = weight(id, "kernel");
        const units = kernel.shape[1]!;
        const operands = [x.name, constant(`${id}/kernel`, f32(kernel.shape, kernel.data))];
        if (config.use_bias !== false && weights.has(`${id}/bias`)) operands.push(constant(`${id}/bias`, f32([units], weight(id, "bias").data)));
        out = { name: activation(graph.node("Gemm", operands, {}, id), config.activation, `${id}/activation`), channels: units };
        break;
      }
      default:
        throw new UnsupportedLayerError(`${name}: layer ${layer.class_name} (${id}) is not supported`);
    }
    values.set(id, out);
  }

  const outputs = model.output_layers;
  if (outputs.length !== 1) throw new UnsupportedLayerError(`${name}: expected one output, the model has ${outputs.length}`);
  const last = values.get(outputs[0]![0])!;
  const flat = last.spatial ? graph.node("Flatten", [last.name], { axis: 1 }, "flatten_output") : last.name;
  graph.output(graph.node("Identity", [flat], {}, "output"));
  return graph;
}
