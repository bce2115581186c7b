/** In-memory sources: typed arrays [N, H, W, C], lists of examples, tfjs tensors. */
import * as tf from '@tensorflow/tfjs-core';
import { DataArgumentError } from '../errors';
import { toRgbImage, type ImageRef } from '../image';
import type { DataSource, SourcePlugin } from './types';
import { ArraySource } from './view';

/** Images as one typed array in NHWC layout, with labels. */
export interface ArraysInput {
  /** uint8 (0..255), or float (values in [0, 1] unless `range` says '0-255'). */
  readonly images: Uint8Array | Uint8ClampedArray | Float32Array | Float64Array | Int32Array;
  /** [N, H, W, C] with C = 1, 3 or 4. */
  readonly shape: readonly [number, number, number, number];
  readonly labels: ArrayLike<number>;
  /** Class names (default '0'..'K-1', K = max label + 1). */
  readonly classes?: readonly string[];
  /** Value range of float images (default: '0-1' for floats, '0-255' for integers). */
  readonly range?: '0-1' | '0-255';
}

function defaultClasses(labels: ArrayLike<number>): string[] {
  let max = -1;
  for (let i = 0; i < labels.length; i++) max = Math.max(max, labels[i]);
  return Array.from({ length: max + 1 }, (_, i) => String(i));
}

function toUint8(values: ArrayLike<number>, scale: number): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++)
    out[i] = Math.min(255, Math.max(0, Math.round(values[i] * scale)));
  return out;
}

/**
 * A source over images in one NHWC typed array. Float images are quantised to 8 bits
 * (every source delivers 8-bit RGB).
 */
export function fromArrays(input: ArraysInput): DataSource {
  const { images, shape, labels } = input;
  if (
    !Array.isArray(shape) ||
    shape.length !== 4 ||
    !shape.every((d) => Number.isInteger(d) && d > 0)
  ) {
    throw new DataArgumentError(
      `fromArrays: shape must be [N, H, W, C] of positive integers, got ${JSON.stringify(shape)}`,
    );
  }
  const [n, h, w, c] = shape;
  if (images.length !== n * h * w * c) {
    throw new DataArgumentError(
      `fromArrays: images has ${images.length} values, shape ${shape.join('x')} needs ${n * h * w * c}`,
    );
  }
  if (labels.length !== n)
    throw new DataArgumentError(`fromArrays: ${labels.length} labels for ${n} images`);
  const isInt =
    images instanceof Uint8Array ||
    images instanceof Uint8ClampedArray ||
    images instanceof Int32Array;
  const range = input.range ?? (isInt ? '0-255' : '0-1');
  const bytes = images instanceof Uint8Array ? images : toUint8(images, range === '0-1' ? 255 : 1);
  const per = h * w * c;
  const lab = Int32Array.from(labels);
  return new ArraySource(
    {
      format: 'memory',
      classes: input.classes ?? defaultClasses(lab),
      height: h,
      width: w,
      channels: c,
    },
    lab,
    (i) => ({ image: toRgbImage(bytes.subarray(i * per, (i + 1) * per), h, w, c), label: lab[i] }),
  );
}

/** A source over a list of `{ image, label }` (images decoded or lazy). */
export function fromExamples(
  examples: readonly { readonly image: ImageRef; readonly label: number }[],
  options: { classes?: readonly string[]; format?: string } = {},
): DataSource {
  const labels = Int32Array.from(examples, (e) => e.label);
  return new ArraySource(
    { format: options.format ?? 'examples', classes: options.classes ?? defaultClasses(labels) },
    labels,
    (i) => examples[i],
  );
}

/** A source over tensors: images [N, H, W, C] (int 0..255 or float in [0, 1]) and labels [N]. */
export async function fromTensors(
  images: tf.Tensor4D,
  labels: tf.Tensor1D | ArrayLike<number>,
  options: { classes?: readonly string[]; range?: '0-1' | '0-255' } = {},
): Promise<DataSource> {
  if (images.rank !== 4)
    throw new DataArgumentError(
      `fromTensors: images must be rank 4 [N, H, W, C], got rank ${images.rank}`,
    );
  const data = await images.data();
  const lab = labels instanceof tf.Tensor ? await labels.data() : labels;
  const [n, h, w, c] = images.shape;
  return fromArrays({
    images: data as Float32Array | Int32Array | Uint8Array,
    shape: [n, h, w, c],
    labels: lab,
    classes: options.classes,
    range: options.range ?? (images.dtype === 'float32' ? '0-1' : '0-255'),
  });
}

/** Plug-in: `{ images, shape, labels }` typed arrays. */
export const arraysSourcePlugin: SourcePlugin<ArraysInput> = {
  name: 'arrays',
  priority: 10,
  sniff: (input) =>
    typeof input === 'object' &&
    input !== null &&
    ArrayBuffer.isView((input as ArraysInput).images) &&
    Array.isArray((input as ArraysInput).shape),
  open: async (input) => fromArrays(input),
};

/** Plug-in: `{ images: Tensor4D, labels: Tensor1D | number[] }`. */
export const tensorsSourcePlugin: SourcePlugin<{
  images: tf.Tensor4D;
  labels: tf.Tensor1D | ArrayLike<number>;
  classes?: string[];
}> = {
  name: 'tensors',
  priority: 10,
  sniff: (input) =>
    typeof input === 'object' &&
    input !== null &&
    (input as { images?: unknown }).images instanceof tf.Tensor,
  open: async (input) => fromTensors(input.images, input.labels, { classes: input.classes }),
};

/** Plug-in: an array of `{ image, label }` examples. */
export const examplesSourcePlugin: SourcePlugin<{ image: ImageRef; label: number }[]> = {
  name: 'examples',
  priority: 10,
  sniff: (input) =>
    Array.isArray(input) &&
    input.length > 0 &&
    typeof input[0] === 'object' &&
    input[0] !== null &&
    'image' in input[0] &&
    'label' in input[0],
  open: async (input) => fromExamples(input),
};
