/**
 * What `bit bench` reports beside images/s: achieved GFLOP/s against the backend's raw
 * convolution rate measured in the same process, memory (peak tensor bytes of one step, the
 * process's peak RSS) and, on request, the share of the time in each kind of component.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { rawConvGflops, recordCalls, timeComponents } from './components';

/** Shares of one step's time (fractions; `glue` is the rest, may be < 0 when overlapped). */
export interface TimeBreakdown {
  conv: number;
  groupNorm: number;
  standardization: number;
  glue: number;
}

/** The analysis `bit bench --json` merges into its result. */
export interface BenchAnalysis {
  /** Forward GFLOPs of one image (multiply-adds x 2). */
  gflopsPerImage: number;
  /** FLOPs done per second: forward FLOPs (x3 for a training step) over the median time. */
  achievedGflops: number;
  /**
   * The model's own convolutions one by one with fixed filters, same backend and process
   * (the tfjs engine only, as the next three).
   */
  rawConvGflops?: number;
  /** achievedGflops / rawConvGflops. */
  convEfficiency?: number;
  /** tf.profile's peak bytes of tensor memory during one step. */
  peakTensorBytes?: number;
  /** Tensor bytes held between steps (weights and inputs). */
  tensorBytes?: number;
  /** The process's peak resident set size so far, in bytes. */
  maxRssBytes: number;
  breakdown?: TimeBreakdown;
}

/** What {@link analyse} measures. */
export interface AnalyseOptions {
  /** The step is a training step (3x the forward FLOPs). */
  train: boolean;
  /** Also time the components one by one. */
  breakdown: boolean;
  /** The step runs on the tfjs backend (else another engine: FLOPs and RSS only). */
  tfjs: boolean;
  /** FLOPs and RSS only, whatever the engine (no replay, no profiled step). */
  skip?: boolean;
}

/** Measures the analysis of one benchmarked step (`seconds`: its median time). */
export async function analyse(
  model: tfl.LayersModel,
  x: tf.Tensor4D,
  step: () => Promise<void>,
  seconds: number,
  { train, breakdown, tfjs, skip = false }: AnalyseOptions,
): Promise<BenchAnalysis> {
  const calls = recordCalls(model, x);
  const batch = x.shape[0];
  const stepFlops = calls.flops * (train ? 3 : 1);
  const achieved = stepFlops / seconds / 1e9;
  const result: BenchAnalysis = {
    gflopsPerImage: calls.flops / batch / 1e9,
    achievedGflops: achieved,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  if (!tfjs || skip) return result;
  const raw = await rawConvGflops(calls);
  const profile = await tf.profile(step);
  result.rawConvGflops = raw;
  result.convEfficiency = achieved / raw;
  result.peakTensorBytes = profile.peakBytes;
  result.tensorBytes = tf.memory().numBytes;
  result.maxRssBytes = process.resourceUsage().maxRSS * 1024;
  if (breakdown) {
    const t = await timeComponents(calls, train);
    result.breakdown = {
      conv: t.conv / seconds,
      groupNorm: t.groupNorm / seconds,
      standardization: t.standardization / seconds,
      glue: 1 - (t.conv + t.groupNorm + t.standardization) / seconds,
    };
  }
  return result;
}

const pct = (v: number) => `${(v * 100).toFixed(0)}%`;
const mib = (v: number) => `${(v / 2 ** 20).toFixed(0)} MiB`;

/** The analysis as text lines for the terminal. */
export function describeAnalysis(a: BenchAnalysis): string {
  if (a.rawConvGflops === undefined) {
    return `${a.achievedGflops.toFixed(1)} GFLOP/s achieved; peak RSS ${mib(a.maxRssBytes)}\n`;
  }
  let out =
    `${a.achievedGflops.toFixed(1)} GFLOP/s achieved = ${pct(a.convEfficiency!)} of the raw conv rate ` +
    `(${a.rawConvGflops.toFixed(1)} GFLOP/s, this model's convolutions alone)\n` +
    `memory: peak ${mib(a.peakTensorBytes!)} in tensors during a step, ${mib(a.tensorBytes!)} held, ` +
    `peak RSS ${mib(a.maxRssBytes)}\n`;
  if (a.breakdown) {
    const b = a.breakdown;
    out +=
      `time: convolutions ${pct(b.conv)}, GroupNorm ${pct(b.groupNorm)}, ` +
      `standardisation ${pct(b.standardization)}, glue ${pct(b.glue)}\n`;
  }
  return out;
}
