/**
 * MixUp on typed arrays, as the official bit_tf2 pipeline does it: with one lambda per
 * optimizer step, x = lambda * x + (1 - lambda) * reverse(x) along the batch axis, and
 * the one-hot labels likewise.
 */
import { DataArgumentError } from '../errors';

function checkArgs(data: Float32Array, batch: number, lambda: number): number {
  if (!Number.isInteger(batch) || batch <= 0 || data.length % batch !== 0) {
    throw new DataArgumentError(
      `mixup: array of length ${data.length} does not split into ${batch} rows`,
    );
  }
  if (!(lambda >= 0 && lambda <= 1))
    throw new DataArgumentError(`mixup: lambda must be in [0, 1], got ${lambda}`);
  return data.length / batch;
}

/** In place: row i becomes lambda * row i + (1 - lambda) * row (batch - 1 - i). */
export function mixupRowsInPlace(data: Float32Array, batch: number, lambda: number): Float32Array {
  const row = checkArgs(data, batch, lambda);
  const mu = 1 - lambda;
  for (let i = 0; 2 * i < batch; i++) {
    const a = i * row;
    const b = (batch - 1 - i) * row;
    for (let k = 0; k < row; k++) {
      const x = data[a + k];
      const y = data[b + k];
      data[a + k] = lambda * x + mu * y;
      if (a !== b) data[b + k] = lambda * y + mu * x;
    }
  }
  return data;
}

/** Mixes rows of a [batch, rowSize] array with the rows in reverse order, into a new array. */
export function mixupRows(data: Float32Array, batch: number, lambda: number): Float32Array {
  checkArgs(data, batch, lambda);
  return mixupRowsInPlace(new Float32Array(data), batch, lambda);
}

/**
 * MixUp of a batch held in typed arrays: `images` [B, H, W, C] float32 and one-hot `labels`
 * [B, K] float32. Returns new arrays; the inputs are left as they are.
 */
export function mixupArrays(
  images: Float32Array,
  labels: Float32Array,
  batch: number,
  lambda: number,
): { images: Float32Array; labels: Float32Array } {
  return { images: mixupRows(images, batch, lambda), labels: mixupRows(labels, batch, lambda) };
}

/** One-hot encodes integer labels into a [labels.length, numClasses] float32 array. */
export function oneHot(labels: ArrayLike<number>, numClasses: number): Float32Array {
  if (!Number.isInteger(numClasses) || numClasses <= 0) {
    throw new DataArgumentError(`oneHot: numClasses must be a positive integer, got ${numClasses}`);
  }
  const out = new Float32Array(labels.length * numClasses);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= numClasses) {
      throw new DataArgumentError(`oneHot: label ${l} at index ${i} is outside [0, ${numClasses})`);
    }
    out[i * numClasses + l] = 1;
  }
  return out;
}
