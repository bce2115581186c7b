/**
 * `Conv2DBackpropFilter` for the cpu backend. tfjs-backend-cpu's own kernel sums over the
 * batch and output positions innermost, with strided reads, and ran at a few percent of the
 * forward convolution's speed (149 s of a 147 s R50x1 step at 64 px: BENCHMARKS.md). This one
 * loops tap, input channel, output position, then output channel innermost: the row of dW
 * being summed stays in cache (a float64 accumulator, rounded to float32 once) and dy is read
 * in order, so dW costs about as much as the forward convolution.
 */
import { Conv2DBackpropFilter } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { asCpuBackend, CPU_BACKEND_NAME, cpuFloat32 } from './cpu-backend';
import { convInfoOf, type ConvInfo } from './conv-info';
import { WasmKernelError } from './wasm-backend';

const KERNEL = Conv2DBackpropFilter;

/** dW (HWIO, float32) of an NHWC convolution from its input `x` and `dy`, in plain JS loops. */
export function filterGradLoop(x: Float32Array, dy: Float32Array, info: ConvInfo): Float32Array {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin } = info;
  const { outHeight: oh, outWidth: ow, outChannels: cout } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;
  const out = new Float32Array(kh * kw * cin * cout);
  const row = new Float64Array(cout);
  // Per tap: the positions whose window reaches a real input pixel, and where.
  const xAt = new Int32Array(n * oh * ow);
  const dyAt = new Int32Array(n * oh * ow);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      let count = 0;
      for (let b = 0; b < n; b++) {
        for (let r = 0; r < oh; r++) {
          const xr = r * sh - top + i;
          if (xr < 0 || xr >= h) continue;
          for (let q = 0; q < ow; q++) {
            const xc = q * sw - left + j;
            if (xc < 0 || xc >= w) continue;
            xAt[count] = ((b * h + xr) * w + xc) * cin;
            dyAt[count] = ((b * oh + r) * ow + q) * cout;
            count++;
          }
        }
      }
      const tap = (i * kw + j) * cin * cout;
      for (let c = 0; c < cin; c++) {
        row.fill(0);
        for (let p = 0; p < count; p++) {
          const xv = x[xAt[p] + c];
          if (xv === 0) continue; // after a ReLU, often
          const d = dyAt[p];
          for (let o = 0; o < cout; o++) row[o] += xv * dy[d + o];
        }
        out.set(row, tap + c * cout);
      }
    }
  }
  return out;
}

const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs;
  if (x == null || dy == null) throw new WasmKernelError(`${KERNEL}: inputs x and dy are required`);
  const cpu = asCpuBackend(backend, KERNEL);
  const info = convInfoOf(KERNEL, x.shape, (attrs ?? {}).filterShape as number[], dy, attrs ?? {});
  const dw = filterGradLoop(cpuFloat32(cpu, x, KERNEL), cpuFloat32(cpu, dy, KERNEL), info);
  return cpu.makeTensorInfo(info.filterShape, 'float32', dw);
};

/** Kernel config: `Conv2DBackpropFilter` on the cpu backend. */
export const conv2DBackpropFilterCpuConfig: KernelConfig = {
  kernelName: KERNEL,
  backendName: CPU_BACKEND_NAME,
  kernelFunc,
};
