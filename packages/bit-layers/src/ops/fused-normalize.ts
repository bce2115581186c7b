/**
 * Group normalisation of `[N, S, C]` data as two fused kernels, forward and backward, in plain
 * JavaScript over tfjs-backend-cpu's typed arrays. Composed of tfjs ops,
 * one GroupNorm is about ten passes over the data forward and as many backward, each a kernel
 * launch with broadcasting; fused, it is three passes forward (mean, centred variance,
 * output) and two backward, with float64 statistics. Other backends (wasm, WebGL, WebGPU,
 * tfjs-node) use the composed ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DataId, DataType, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { LayerConfigError } from '../errors';
import { affineCustomGrad } from './affine-custom-grad';

/** Kernel names (ours: no backend registers them). */
export const GROUP_NORM_KERNEL = 'BitGroupNorm';
export const GROUP_NORM_GRAD_KERNEL = 'BitGroupNormGrad';

/**
 * Backends whose tensors this module reads and writes directly. Not wasm: there the composed
 * ops run on XNNPACK with SIMD, and these loops over heap views measured up to 4x slower
 * (BENCHMARKS.md); on cpu they are 10-40x faster than the composed ops.
 */
const HOST_BACKENDS = ['cpu'] as const;

/** Float32 arrays of the cpu backend's tensors, and new outputs. */
interface HostMemory {
  /** Allocates a zero-filled float32 output. */
  output(shape: number[]): TensorInfo;
  /** The float32 values of a tensor (read/write for outputs this call allocated). */
  view(info: TensorInfo): Float32Array;
}

interface CpuLike {
  readSync(dataId: DataId): unknown;
  makeTensorInfo(shape: number[], dtype: DataType, values?: Float32Array): TensorInfo;
}

function hostMemory(backend: unknown): HostMemory {
  const b = backend as CpuLike;
  const owned = new Map<DataId, Float32Array>();
  return {
    output: (shape) => {
      const values = new Float32Array(shape.reduce((a, s) => a * s, 1));
      const info = b.makeTensorInfo(shape, 'float32', values);
      owned.set(info.dataId, values);
      return info;
    },
    view: (info) => owned.get(info.dataId) ?? (b.readSync(info.dataId) as Float32Array),
  };
}

function required(info: TensorInfo | undefined, kernel: string, name: string): TensorInfo {
  if (info == null) throw new LayerConfigError(`${kernel}: input ${name} is required`);
  return info;
}

interface Geometry {
  n: number;
  s: number;
  c: number;
  groups: number;
  /** Group of each channel. */
  groupOf: Int32Array;
  /** Values per (sample, group): S x C / G. */
  count: number;
}

function geometry(x: TensorInfo, groups: number): Geometry {
  const [n, s, c] = x.shape;
  const groupOf = new Int32Array(c);
  const size = c / groups;
  for (let ch = 0; ch < c; ch++) groupOf[ch] = Math.floor(ch / size);
  return { n, s, c, groups, groupOf, count: s * size };
}

/**
 * Forward: inputs x `[N, S, C]`, gamma `[C]` and beta `[C]` (absent: 1 and 0); attrs groups,
 * eps. Outputs y, and mean and rstd `[N, G]` (float32 of the float64 statistics).
 */
function forward(): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const x = required(inputs.x, GROUP_NORM_KERNEL, 'x');
    const { gamma, beta } = inputs;
    const groups = attrs!.groups as number;
    const eps = attrs!.eps as number;
    const g = geometry(x, groups);
    const mem = hostMemory(backend);
    const yInfo = mem.output(x.shape);
    const meanInfo = mem.output([g.n, groups]);
    const rstdInfo = mem.output([g.n, groups]);
    const xv = mem.view(x);
    const y = mem.view(yInfo);
    const meanOut = mem.view(meanInfo);
    const rstdOut = mem.view(rstdInfo);
    const gv = gamma == null ? null : mem.view(gamma);
    const bv = beta == null ? null : mem.view(beta);
    const { s, c, groupOf, count } = g;
    const sum = new Float64Array(groups);
    const mean = new Float64Array(groups);
    const perChannel = new Float64Array(c);
    const channelMean = new Float64Array(c);
    const scale = new Float64Array(c);
    const offset = new Float64Array(c);
    for (let b = 0; b < g.n; b++) {
      const base = b * s * c;
      const end = base + s * c;
      // Per-channel sums first (contiguous), then per group.
      perChannel.fill(0);
      for (let i = base; i < end; i += c) {
        for (let ch = 0; ch < c; ch++) perChannel[ch] += xv[i + ch];
      }
      sum.fill(0);
      for (let ch = 0; ch < c; ch++) sum[groupOf[ch]] += perChannel[ch];
      for (let k = 0; k < groups; k++) mean[k] = sum[k] / count;
      for (let ch = 0; ch < c; ch++) channelMean[ch] = mean[groupOf[ch]];
      perChannel.fill(0);
      for (let i = base; i < end; i += c) {
        for (let ch = 0; ch < c; ch++) {
          const d = xv[i + ch] - channelMean[ch];
          perChannel[ch] += d * d;
        }
      }
      sum.fill(0);
      for (let ch = 0; ch < c; ch++) sum[groupOf[ch]] += perChannel[ch];
      for (let k = 0; k < groups; k++) {
        const rstd = 1 / Math.sqrt(sum[k] / count + eps);
        meanOut[b * groups + k] = mean[k];
        rstdOut[b * groups + k] = rstd;
        sum[k] = rstd;
      }
      for (let ch = 0; ch < c; ch++) {
        const k = groupOf[ch];
        scale[ch] = sum[k] * (gv == null ? 1 : gv[ch]);
        offset[ch] = (bv == null ? 0 : bv[ch]) - mean[k] * scale[ch];
      }
      for (let i = base; i < end; i += c) {
        for (let ch = 0; ch < c; ch++) y[i + ch] = xv[i + ch] * scale[ch] + offset[ch];
      }
    }
    return [yInfo, meanInfo, rstdInfo];
  };
}

/**
 * Backward: inputs dy, x, mean, rstd (from the forward), gamma (absent: 1). Outputs dx
 * `[N, S, C]`, dgamma `[C]`, dbeta `[C]`.
 */
function backward(): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const dy = required(inputs.dy, GROUP_NORM_GRAD_KERNEL, 'dy');
    const x = required(inputs.x, GROUP_NORM_GRAD_KERNEL, 'x');
    const mean = required(inputs.mean, GROUP_NORM_GRAD_KERNEL, 'mean');
    const rstd = required(inputs.rstd, GROUP_NORM_GRAD_KERNEL, 'rstd');
    const { gamma } = inputs;
    const groups = attrs!.groups as number;
    const g = geometry(x, groups);
    const mem = hostMemory(backend);
    const dxInfo = mem.output(x.shape);
    const dgInfo = mem.output([g.c]);
    const dbInfo = mem.output([g.c]);
    const dyv = mem.view(dy);
    const xv = mem.view(x);
    const mv = mem.view(mean);
    const rv = mem.view(rstd);
    const gv = gamma == null ? null : mem.view(gamma);
    const dx = mem.view(dxInfo);
    const dgamma = mem.view(dgInfo);
    const dbeta = mem.view(dbInfo);
    const { s, c, groupOf, count } = g;
    const sumDy = new Float64Array(c);
    const sumDyXhat = new Float64Array(c);
    const totalDg = new Float64Array(c);
    const totalDb = new Float64Array(c);
    const m1 = new Float64Array(groups);
    const m2 = new Float64Array(groups);
    const a = new Float64Array(c);
    const bias = new Float64Array(c);
    const cx = new Float64Array(c);
    for (let b = 0; b < g.n; b++) {
      const base = b * s * c;
      const end = base + s * c;
      const mu = (ch: number) => mv[b * groups + groupOf[ch]];
      const rs = (ch: number) => rv[b * groups + groupOf[ch]];
      for (let ch = 0; ch < c; ch++) {
        cx[ch] = mu(ch);
        a[ch] = rs(ch);
      }
      sumDy.fill(0);
      sumDyXhat.fill(0);
      for (let i = base; i < end; i += c) {
        for (let ch = 0; ch < c; ch++) {
          const d = dyv[i + ch];
          sumDy[ch] += d;
          sumDyXhat[ch] += d * (xv[i + ch] - cx[ch]) * a[ch];
        }
      }
      m1.fill(0);
      m2.fill(0);
      for (let ch = 0; ch < c; ch++) {
        const gam = gv == null ? 1 : gv[ch];
        totalDg[ch] += sumDyXhat[ch];
        totalDb[ch] += sumDy[ch];
        m1[groupOf[ch]] += gam * sumDy[ch];
        m2[groupOf[ch]] += gam * sumDyXhat[ch];
      }
      // dx = r·(γ·dy − mean_g(γ·dy) − x̂·mean_g(γ·dy·x̂)) = dy·A + x·B + C per channel.
      for (let ch = 0; ch < c; ch++) {
        const k = groupOf[ch];
        const r = a[ch];
        const gam = gv == null ? 1 : gv[ch];
        const mean1 = m1[k] / count;
        const mean2 = m2[k] / count;
        const coefX = -r * r * mean2;
        bias[ch] = -r * mean1 - coefX * cx[ch];
        cx[ch] = coefX;
        a[ch] = r * gam;
      }
      for (let i = base; i < end; i += c) {
        for (let ch = 0; ch < c; ch++) {
          dx[i + ch] = dyv[i + ch] * a[ch] + xv[i + ch] * cx[ch] + bias[ch];
        }
      }
    }
    dgamma.set(totalDg);
    dbeta.set(totalDb);
    return [dxInfo, dgInfo, dbInfo];
  };
}

let registered = false;

/** Registers the fused kernels for cpu (once; harmless where the backend is absent). */
function ensureRegistered(): void {
  if (registered) return;
  registered = true;
  for (const backendName of HOST_BACKENDS) {
    if (tf.getKernel(GROUP_NORM_KERNEL, backendName) == null) {
      tf.registerKernel({
        kernelName: GROUP_NORM_KERNEL,
        backendName,
        kernelFunc: forward(),
      });
    }
    if (tf.getKernel(GROUP_NORM_GRAD_KERNEL, backendName) == null) {
      tf.registerKernel({
        kernelName: GROUP_NORM_GRAD_KERNEL,
        backendName,
        kernelFunc: backward(),
      });
    }
  }
}

/**
 * Whether the active backend runs the fused kernels: cpu, unless someone
 * unregistered them (`tf.unregisterKernel('BitGroupNorm', backend)`, as the benchmarks do to
 * time the composed path).
 */
export function hasFusedGroupNorm(): boolean {
  ensureRegistered();
  const backend = tf.getBackend();
  return (
    (HOST_BACKENDS as readonly string[]).includes(backend) &&
    tf.getKernel(GROUP_NORM_KERNEL, backend) != null &&
    tf.getKernel(GROUP_NORM_GRAD_KERNEL, backend) != null
  );
}

/**
 * Fused group normalisation of float32 `x` `[N, S, C]` (see the file comment), with an
 * analytic gradient for x, gamma and beta. Call only when {@link hasFusedGroupNorm}.
 */
export function fusedNormalizeGroups(
  x: tf.Tensor3D,
  groups: number,
  eps: number,
  gamma: tf.Tensor | null,
  beta: tf.Tensor | null,
): tf.Tensor3D {
  return affineCustomGrad(x, gamma, beta, ({ x: xt, gamma: g, beta: b, save }) => {
    const named: Record<string, tf.Tensor> = { x: xt };
    if (g != null) named.gamma = g;
    if (b != null) named.beta = b;
    const [value, mean, rstd] = tf
      .engine()
      .runKernel(GROUP_NORM_KERNEL, named, { groups, eps }) as tf.Tensor[];
    save(g != null ? [xt, mean, rstd, g] : [xt, mean, rstd]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [sx, sm, sr, sg] = saved;
      const gradInputs: Record<string, tf.Tensor> = { dy, x: sx, mean: sm, rstd: sr };
      if (sg != null) gradInputs.gamma = sg;
      const [dx, dgamma, dbeta] = tf
        .engine()
        .runKernel(GROUP_NORM_GRAD_KERNEL, gradInputs, { groups }) as tf.Tensor[];
      const grads = [dx];
      if (gamma != null) grads.push(dgamma);
      else dgamma.dispose();
      if (beta != null) grads.push(dbeta);
      else dbeta.dispose();
      return grads;
    };
    return { value: value as tf.Tensor3D, gradFunc };
  });
}
