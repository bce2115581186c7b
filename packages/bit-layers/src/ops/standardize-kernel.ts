/**
 * Weight Standardisation (Qiao et al., 2019) of convolution and dense kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LayerConfigError, ParameterShapeError, RankError } from '../errors';
import { normalizeGroups } from './normalize-groups';

/**
 * Standardises a kernel per output channel (its last axis):
 * `(w - mean) / sqrt(var + eps)` with the mean and population variance over
 * all other axes, i.e. (kh, kw, cin) of an HWIO conv kernel or (in) of a dense
 * `[in, out]` kernel.
 *
 * Runs in the graph with a centred two-pass scheme whose means are average
 * pools over the kernel's rows (accurate and fast also on wasm; see
 * `row-means`), with an analytic gradient, so
 * gradients flow through the standardisation to the raw kernel (training).
 * For inference prefer {@link standardizeKernelData}, which is exact (float64).
 *
 * @param kernel Rank-4 HWIO conv kernel or rank-2 `[in, out]` dense kernel.
 * @param eps Added to the variance. Default 1e-10 (the official BiT value).
 * @throws RankError for other ranks, LayerConfigError for a negative eps.
 */
export function standardizeKernel(kernel: tf.Tensor, eps = 1e-10): tf.Tensor {
  checkKernel(kernel.shape, eps, 'standardizeKernel');
  return tf.tidy(() => {
    const outputs = kernel.shape[kernel.rank - 1];
    const rows = tf.reshape(kernel, [1, kernel.size / outputs, outputs]) as tf.Tensor3D;
    return tf.reshape(normalizeGroups(rows, outputs, eps, null, null), kernel.shape);
  });
}

/**
 * The same standardisation as {@link standardizeKernel}, computed in float64
 * in plain JavaScript on the flat row-major data of a kernel and rounded to
 * float32 once at the end. Exact to float32 rounding on every backend; used by
 * `StandardizedConv2D`'s inference cache.
 *
 * @param values Flat kernel values, row-major (last axis = output channel).
 * @param shape Kernel shape: rank 4 HWIO `[kh, kw, cin, cout]` or rank 2 `[in, out]`.
 * @param eps Added to the variance. Default 1e-10.
 * @returns A new Float32Array of the same length.
 * @throws RankError, ParameterShapeError (length does not match the shape), LayerConfigError.
 */
export function standardizeKernelData(
  values: Float32Array | Float64Array | ArrayLike<number>,
  shape: readonly number[],
  eps = 1e-10,
): Float32Array {
  checkKernel(shape, eps, 'standardizeKernelData');
  const size = shape.reduce((a, b) => a * b, 1);
  if (values.length !== size) {
    throw new ParameterShapeError(
      `standardizeKernelData: values has ${values.length} elements but shape [${shape.join(', ')}] needs ${size}.`,
    );
  }
  const out = shape[shape.length - 1];
  const count = out === 0 ? 0 : size / out;
  const mean = new Float64Array(out);
  for (let i = 0; i < size; i++) mean[i % out] += values[i];
  for (let o = 0; o < out; o++) mean[o] /= count;
  const variance = new Float64Array(out);
  for (let i = 0; i < size; i++) {
    const d = values[i] - mean[i % out];
    variance[i % out] += d * d;
  }
  const inv = new Float64Array(out);
  for (let o = 0; o < out; o++) inv[o] = 1 / Math.sqrt(variance[o] / count + eps);
  const result = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const o = i % out;
    result[i] = (values[i] - mean[o]) * inv[o];
  }
  return result;
}

function checkKernel(shape: readonly number[], eps: number, where: string): void {
  if (shape.length !== 4 && shape.length !== 2) {
    throw new RankError(
      `${where}: kernel must be rank 4 (HWIO [kh, kw, cin, cout]) or rank 2 ([in, out]), ` +
        `got rank ${shape.length} with shape [${shape.join(', ')}].`,
    );
  }
  if (!(eps >= 0)) {
    throw new LayerConfigError(`${where}: eps must be a non-negative number, got ${eps}.`);
  }
}
