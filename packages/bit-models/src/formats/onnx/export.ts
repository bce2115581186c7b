/**
 * ONNX export of a BiT ResNetV2: the network written node by node from the design's numerics
 * (not a trace). Isomorphic: the result is the ONNX protobuf as a Uint8Array.
 */
import {
  type BiTArchitecture,
  outChannels,
  rootChannels,
  validateArchitecture,
} from '../../architecture/spec';
import { FINAL_NORM, HEAD, ROOT_CONV, unitPrefix } from '../../architecture/names';
import type { NamedArray } from '../../checkpoint/weights';
import { BitModelsError } from '../../errors';
import {
  encodeOnnxModel,
  tensorBytes,
  type AttributeValue,
  type OnnxNode,
  type OnnxTensor,
} from './proto';

/** ONNX opset the exporter targets (onnxruntime supports it everywhere). */
export const ONNX_OPSET = 17;
/** IR version matching {@link ONNX_OPSET}. */
export const ONNX_IR_VERSION = 8;
/** Name of the graph input: NHWC float32 pixels in [0, 1]. */
export const ONNX_INPUT = 'image';
/** Output names: logits (classifiers) and pre-logits (every model). */
export const ONNX_LOGITS = 'logits';
export const ONNX_PRELOGITS = 'prelogits';
/** Keys of ModelProto.metadata_props the exporter writes. */
export const ONNX_METADATA_KEYS = {
  /** The model's BiTMetadata as JSON (architecture, labels, resolution, source). */
  bit: 'bit',
  name: 'name',
  labels: 'labels',
  resolution: 'resolution',
} as const;

/** Thrown when a model cannot be exported to ONNX (missing weights, too large for protobuf). */
export class OnnxExportError extends BitModelsError {
  override name = 'OnnxExportError';
}

/** What the exporter writes into the model's metadata_props. */
export interface OnnxExportMetadata {
  /** Model name (zoo name or file base name). */
  name?: string;
  /** A label set name or the class names. */
  labels?: string | readonly string[] | null;
  /** Eval resolution (side of the square input). */
  resolution?: number;
}

/**
 * How the root block's zero padding before the max pool is written. `shifted` (the default)
 * writes `MaxPool(Pad(x + 1, value 1)) - 1`, which onnxruntime's optimiser cannot fold into the
 * pool; `zero-pad` writes the literal `MaxPool(Pad(x, 0))`, which onnxruntime's PadFusion
 * rewrites into a MaxPool with -inf padding — wrong where the border values are negative (kept
 * for the test that shows the trap).
 * @internal
 */
export type RootPoolStyle = 'shifted' | 'zero-pad';

/**
 * External data (ONNX's way past protobuf's 2 GiB): initializers of at least `threshold` bytes
 * are not written into the model but handed to `write`, one after another, each starting at a
 * multiple of {@link ONNX_EXTERNAL_ALIGNMENT} bytes of the data file (`write` also gets the
 * zero padding before it); the model records `location`, offset and length for each.
 */
export interface OnnxExternalDataSink {
  /** The data file's name relative to the model file, e.g. `model.onnx.data`. */
  readonly location: string;
  /** Receives the data file's bytes in order. */
  write(bytes: Uint8Array): void;
  /** Smallest initializer (bytes) written externally (default 1024, as onnx's own converter). */
  readonly threshold?: number;
}

/** Offsets in an external data file are multiples of this (a page, so loaders can map them). */
export const ONNX_EXTERNAL_ALIGNMENT = 4096;

/** Options of {@link buildOnnx}. */
export interface BuildOnnxOptions extends OnnxExportMetadata {
  /** Write the large initializers to an external data file (see {@link OnnxExternalDataSink}). */
  externalData?: OnnxExternalDataSink;
  /** @internal */
  rootPool?: RootPoolStyle;
  /** Producer version string (default the package's). */
  producerVersion?: string;
}

/** Largest model a single protobuf can hold (2 GiB); bigger ones need external data. */
const PROTOBUF_LIMIT = 2 ** 31 - 1;
/** Weights above which `saveBiT(model, 'x.onnx')` writes external data unless told otherwise. */
export const ONNX_EXTERNAL_DATA_AUTO_BYTES = 2 ** 30;

class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private bytes = 0;
  private externalBytes = 0;
  private count = 0;

  constructor(
    private readonly limitName: string,
    private readonly external?: OnnxExternalDataSink,
  ) {}

  tensor(name: string, dims: readonly number[], data: Float32Array | BigInt64Array): string {
    const ext = this.external;
    if (ext && data.byteLength >= (ext.threshold ?? 1024)) {
      const offset =
        Math.ceil(this.externalBytes / ONNX_EXTERNAL_ALIGNMENT) * ONNX_EXTERNAL_ALIGNMENT;
      if (offset > this.externalBytes) ext.write(new Uint8Array(offset - this.externalBytes));
      ext.write(tensorBytes(data));
      this.externalBytes = offset + data.byteLength;
      this.initializers.push({
        name,
        dims,
        data: data instanceof Float32Array ? new Float32Array(0) : new BigInt64Array(0),
        external: { location: ext.location, offset, length: data.byteLength },
      });
      return name;
    }
    this.bytes += data.byteLength;
    if (this.bytes > PROTOBUF_LIMIT - 16 * 1024 * 1024) {
      throw new OnnxExportError(
        `${this.limitName}: the weights exceed the 2 GiB a single ONNX protobuf can hold; write them as external data (saveBiT / bit convert do so by themselves above ${ONNX_EXTERNAL_DATA_AUTO_BYTES / 2 ** 30} GiB) or use npz/tfjs`,
      );
    }
    this.initializers.push({ name, dims, data });
    return name;
  }

  ints(name: string, values: readonly number[]): string {
    return this.tensor(
      name,
      [values.length],
      BigInt64Array.from(values, (v) => BigInt(v)),
    );
  }

  scalar(name: string, value: number): string {
    return this.tensor(name, [], Float32Array.of(value));
  }

  node(
    op: string,
    inputs: readonly string[],
    name: string,
    attributes?: Record<string, AttributeValue>,
  ): string {
    const out = `${name}:${this.count++}`;
    this.nodes.push({ op, inputs, outputs: [out], name, ...(attributes ? { attributes } : {}) });
    return out;
  }
}

/**
 * Standardises an HWIO kernel per output channel over (kh, kw, cin) in float64 (population
 * variance, eps 1e-10) and returns it as OIHW float32, ONNX's Conv layout.
 */
export function standardizedKernelOIHW(kernel: NamedArray): Float32Array {
  const [kh, kw, cin, cout] = kernel.shape;
  const k = kh * kw * cin;
  const src = kernel.data;
  const out = new Float32Array(k * cout);
  for (let o = 0; o < cout; o++) {
    let mean = 0;
    for (let i = 0; i < k; i++) mean += src[i * cout + o];
    mean /= k;
    let v = 0;
    for (let i = 0; i < k; i++) v += (src[i * cout + o] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / k + 1e-10);
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let c = 0; c < cin; c++) {
          const i = (y * kw + x) * cin + c;
          out[((o * cin + c) * kh + y) * kw + x] = (src[i * cout + o] - mean) * inv;
        }
  }
  return out;
}

/**
 * Builds the ONNX model of a BiT ResNetV2 from its weights in the official layout (HWIO
 * kernels, 1-D GroupNorm parameters; see `checkpointLayout`). Input `image`: NHWC float32 in
 * [0, 1], any batch and size (symbolic dims `batch`, `height`, `width`); scaled to [-1, 1]
 * inside, as the TF.js model does. Outputs `logits` [batch, classes] (when there is a head) and
 * `prelogits` [batch, features]. Kernels are weight-standardised in float64 here; GroupNorm is
 * Reshape + InstanceNormalization + Reshape + Mul + Add (opset 17).
 */
export function buildOnnx(
  architecture: BiTArchitecture,
  weight: (name: string) => NamedArray,
  options: BuildOnnxOptions = {},
): Uint8Array {
  const arch = validateArchitecture(architecture);
  const g = new GraphBuilder(options.name ?? 'model', options.externalData);
  const one = g.scalar('const/one', 1);
  const two = g.scalar('const/two', 2);
  const gnShape = g.ints('const/gn_shape', [0, 32, -1]);
  const gnScale = g.tensor('const/gn_ones', [32], new Float32Array(32).fill(1));
  const gnBias = g.tensor('const/gn_zeros', [32], new Float32Array(32));

  const conv = (x: string, name: string, stride: number, pad: number): string => {
    const k = weight(`${name}/kernel`);
    const [kh, kw, cin, cout] = k.shape;
    const w = g.tensor(`${name}/kernel`, [cout, cin, kh, kw], standardizedKernelOIHW(k));
    return g.node('Conv', [x, w], name, {
      kernel_shape: { ints: [kh, kw] },
      strides: { ints: [stride, stride] },
      pads: { ints: [pad, pad, pad, pad] },
    });
  };
  const gnRelu = (x: string, name: string): string => {
    const gamma = weight(`${name}/gamma`);
    const beta = weight(`${name}/beta`);
    const c = gamma.shape[0];
    const grouped = g.node('Reshape', [x, gnShape], `${name}/reshape`);
    const normed = g.node('InstanceNormalization', [grouped, gnScale, gnBias], `${name}/norm`, {
      epsilon: { float: 1e-5 },
    });
    const shape = g.node('Shape', [x], `${name}/shape`);
    const back = g.node('Reshape', [normed, shape], `${name}/reshape_back`);
    const gm = g.tensor(`${name}/gamma`, [c, 1, 1], Float32Array.from(gamma.data));
    const bt = g.tensor(`${name}/beta`, [c, 1, 1], Float32Array.from(beta.data));
    const scaled = g.node('Mul', [back, gm], `${name}/scale`);
    const shifted = g.node('Add', [scaled, bt], `${name}/shift`);
    return g.node('Relu', [shifted], `${name}/relu`);
  };

  let x = g.node('Transpose', [ONNX_INPUT], 'resnet/nchw', { perm: { ints: [0, 3, 1, 2] } });
  x = g.node('Mul', [x, two], 'resnet/rescale/mul');
  x = g.node('Sub', [x, one], 'resnet/rescale/sub');
  x = conv(x, ROOT_CONV, 2, 3);
  const poolPads = g.ints('resnet/root_block/pool_pads', [0, 0, 1, 1, 0, 0, 1, 1]);
  const pool = { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] } };
  if ((options.rootPool ?? 'shifted') === 'zero-pad') {
    const zero = g.scalar('const/zero', 0);
    x = g.node('Pad', [x, poolPads, zero], 'resnet/root_block/pool_pad');
    x = g.node('MaxPool', [x], 'resnet/root_block/pool', pool);
  } else {
    // Zero padding, written so that no optimiser can fold it into the pool's -inf padding:
    // max over (x + 1 padded with 1) - 1 is max over (x padded with 0).
    x = g.node('Add', [x, one], 'resnet/root_block/pool_shift');
    x = g.node('Pad', [x, poolPads, one], 'resnet/root_block/pool_pad');
    x = g.node('MaxPool', [x], 'resnet/root_block/pool', pool);
    x = g.node('Sub', [x, one], 'resnet/root_block/pool_unshift');
  }
  let cin = rootChannels(arch);
  for (let b = 1; b <= 4; b++) {
    const cout = outChannels(arch, b);
    for (let u = 1; u <= arch.units[b - 1]; u++) {
      const p = unitPrefix(b, u);
      const stride = u === 1 && b > 1 ? 2 : 1;
      const pre = gnRelu(x, `${p}/a/group_norm`);
      const shortcut =
        stride > 1 || cin !== cout ? conv(pre, `${p}/a/proj/standardized_conv2d`, stride, 0) : x;
      let y = conv(pre, `${p}/a/standardized_conv2d`, 1, 0);
      y = gnRelu(y, `${p}/b/group_norm`);
      y = conv(y, `${p}/b/standardized_conv2d`, stride, 1);
      y = gnRelu(y, `${p}/c/group_norm`);
      y = conv(y, `${p}/c/standardized_conv2d`, 1, 0);
      x = g.node('Add', [y, shortcut], `${p}/add`);
      cin = cout;
    }
  }
  x = gnRelu(x, FINAL_NORM);
  x = g.node('GlobalAveragePool', [x], 'resnet/prelogits/mean');
  g.nodes.push({
    op: 'Flatten',
    inputs: [x],
    outputs: [ONNX_PRELOGITS],
    name: 'resnet/prelogits',
    attributes: { axis: { int: 1 } },
  });
  const outputs = [{ name: ONNX_PRELOGITS, dims: ['batch', cin] }];
  if (arch.numClasses > 0) {
    const kernel = weight(`${HEAD}/kernel`);
    const bias = weight(`${HEAD}/bias`);
    const w = g.tensor(`${HEAD}/kernel`, [cin, arch.numClasses], Float32Array.from(kernel.data));
    const bb = g.tensor(`${HEAD}/bias`, [arch.numClasses], Float32Array.from(bias.data));
    g.nodes.push({
      op: 'Gemm',
      inputs: [ONNX_PRELOGITS, w, bb],
      outputs: [ONNX_LOGITS],
      name: HEAD,
    });
    outputs.unshift({ name: ONNX_LOGITS, dims: ['batch', arch.numClasses] });
  }

  const metadata: Record<string, string> = {
    [ONNX_METADATA_KEYS.bit]: JSON.stringify({
      ...(options.name !== undefined ? { source: options.name } : {}),
      architecture: arch,
      labels: options.labels ?? null,
      ...(options.resolution !== undefined ? { resolution: options.resolution } : {}),
    }),
  };
  if (options.name !== undefined) metadata[ONNX_METADATA_KEYS.name] = options.name;
  if (options.labels != null) metadata[ONNX_METADATA_KEYS.labels] = JSON.stringify(options.labels);
  if (options.resolution !== undefined) {
    metadata[ONNX_METADATA_KEYS.resolution] = String(options.resolution);
  }
  return encodeOnnxModel({
    graphName: options.name ?? 'bit_resnetv2',
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [{ name: ONNX_INPUT, dims: ['batch', 'height', 'width', 3] }],
    outputs,
    opset: ONNX_OPSET,
    irVersion: ONNX_IR_VERSION,
    producer: { name: '@bit/models', version: options.producerVersion ?? '0.1.0' },
    docString:
      'BiT ResNetV2 (GroupNorm + Weight Standardisation). Input image: NHWC float32 in [0, 1].',
    metadata,
  });
}
