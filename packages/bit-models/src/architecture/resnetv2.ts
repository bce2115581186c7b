import * as tfl from '@tensorflow/tfjs-layers';
import { groupNormalization, standardizedConv2d } from '@bit/layers';
import {
  type BiTArchitecture,
  midChannels,
  outChannels,
  rootChannels,
  validateArchitecture,
} from './spec';
import { FINAL_NORM, HEAD, PRELOGITS, ROOT_CONV, ROOT_POOL, unitOutput, unitPrefix } from './names';

type SymbolicTensor = tfl.SymbolicTensor;

/** Options for {@link buildResNetV2}. */
export interface BuildOptions {
  /** Model name (default `bit_resnetv2`). */
  name?: string;
  /** Fixed input size [height, width]; default any size (null, null). */
  inputSize?: [number, number];
  /** Initializer of the conv kernels (default 'heNormal'; 'zeros' when weights are loaded next). */
  kernelInitializer?: 'heNormal' | 'glorotUniform' | 'zeros';
}

function apply(layer: tfl.layers.Layer, x: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
  return layer.apply(x) as SymbolicTensor;
}

function relu(x: SymbolicTensor, name: string): SymbolicTensor {
  return apply(tfl.layers.reLU({ name }), x);
}

function gn(x: SymbolicTensor, name: string): SymbolicTensor {
  return apply(groupNormalization({ groups: 32, epsilon: 1e-5, name }), x);
}

type Init = NonNullable<BuildOptions['kernelInitializer']>;

function stdConv(
  x: SymbolicTensor,
  filters: number,
  kernelSize: number,
  name: string,
  init: Init,
  strides = 1,
): SymbolicTensor {
  return apply(
    standardizedConv2d({
      filters,
      kernelSize,
      strides,
      padding: 'valid',
      useBias: false,
      kernelInitializer: init,
      name,
    }),
    x,
  );
}

/** One pre-activation bottleneck unit; stride on the 3x3 conv, projection when shapes change. */
function unit(
  x: SymbolicTensor,
  cin: number,
  mid: number,
  cout: number,
  stride: number,
  prefix: string,
  outputName: string,
  init: Init,
): SymbolicTensor {
  const p = relu(gn(x, `${prefix}/a/group_norm`), `${prefix}/a/relu`);
  const shortcut =
    stride > 1 || cin !== cout
      ? stdConv(p, cout, 1, `${prefix}/a/proj/standardized_conv2d`, init, stride)
      : x;
  let y = stdConv(p, mid, 1, `${prefix}/a/standardized_conv2d`, init);
  y = relu(gn(y, `${prefix}/b/group_norm`), `${prefix}/b/relu`);
  y = apply(tfl.layers.zeroPadding2d({ padding: 1, name: `${prefix}/b/pad` }), y);
  y = stdConv(y, mid, 3, `${prefix}/b/standardized_conv2d`, init, stride);
  y = relu(gn(y, `${prefix}/c/group_norm`), `${prefix}/c/relu`);
  y = stdConv(y, cout, 1, `${prefix}/c/standardized_conv2d`, init);
  return apply(tfl.layers.add({ name: outputName }), [y, shortcut]);
}

/**
 * Builds a BiT ResNetV2 as a tfjs LayersModel. Input: NHWC float32 in [0, 1] (scaled to
 * [-1, 1] inside); output: logits, or pre-logits when `numClasses` is 0. Layers are named after
 * the official checkpoint paths (`resnet/block1/unit01/a/standardized_conv2d`, ...).
 */
export function buildResNetV2(
  architecture: BiTArchitecture,
  options: BuildOptions = {},
): tfl.LayersModel {
  const arch = validateArchitecture(architecture);
  const [h, w] = options.inputSize ?? [null, null];
  const input = tfl.input({ shape: [h, w, 3], name: 'image' });
  let x = apply(tfl.layers.rescaling({ scale: 2, offset: -1, name: 'resnet/rescale' }), input);
  const root = rootChannels(arch);
  x = apply(tfl.layers.zeroPadding2d({ padding: 3, name: 'resnet/root_block/pad' }), x);
  const init: Init = options.kernelInitializer ?? 'heNormal';
  x = stdConv(x, root, 7, ROOT_CONV, init, 2);
  x = apply(tfl.layers.zeroPadding2d({ padding: 1, name: 'resnet/root_block/pool_pad' }), x);
  x = apply(
    tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: ROOT_POOL }),
    x,
  );
  let cin = root;
  for (let b = 1; b <= 4; b++) {
    const mid = midChannels(arch, b);
    const cout = outChannels(arch, b);
    for (let u = 1; u <= arch.units[b - 1]; u++) {
      const stride = u === 1 && b > 1 ? 2 : 1;
      x = unit(x, cin, mid, cout, stride, unitPrefix(b, u), unitOutput(b, u), init);
      cin = cout;
    }
  }
  x = relu(gn(x, FINAL_NORM), 'resnet/relu');
  let out = apply(tfl.layers.globalAveragePooling2d({ name: PRELOGITS }), x);
  if (arch.numClasses > 0) out = headLayer(arch.numClasses).apply(out) as SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: options.name ?? 'bit_resnetv2' });
}

/** A new zero-initialised classification head (BiT's rule for fine-tuning). */
export function headLayer(numClasses: number): tfl.layers.Layer {
  return tfl.layers.dense({
    units: numClasses,
    kernelInitializer: 'zeros',
    biasInitializer: 'zeros',
    name: HEAD,
  });
}
