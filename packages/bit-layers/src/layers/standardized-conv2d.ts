/**
 * StandardizedConv2D: a 2-D convolution whose kernel is weight-standardised
 * (per output channel, over kh, kw, cin) before every use, as in BiT.
 */
import * as tf from '@tensorflow/tfjs-core';
import { layers, type LayerVariable, type Shape } from '@tensorflow/tfjs-layers';
import { LayerConfigError, RankError } from '../errors';
import { standardizeKernel, standardizeKernelData } from '../ops/standardize-kernel';
import { resolveInitializer, serializeInitializer } from './initializers';
import type { DisposeResult, Initializer, InitializerLike, Kwargs, LayerArgs } from './types';
import { onlyShape, onlyTensor, pair } from './util';

/**
 * Padding of {@link StandardizedConv2D}: TensorFlow's 'valid' / 'same', or a
 * non-negative integer `p` for symmetric zero padding of `p` on each side of
 * H and W (BiT pads its 3x3 convs by 1 and its 7x7 root conv by 3).
 */
export type ConvPadding = 'valid' | 'same' | number;

/** Configuration of {@link StandardizedConv2D}. */
export interface StandardizedConv2DLayerArgs extends LayerArgs {
  /** Number of output channels. */
  filters: number;
  /** Kernel height and width (a number for square kernels). */
  kernelSize: number | [number, number];
  /** Strides along H and W. Default 1. */
  strides?: number | [number, number];
  /** 'valid' (default), 'same', or a symmetric zero padding size. */
  padding?: ConvPadding;
  /** Dilation rates along H and W. Default 1. Strides and dilations cannot both exceed 1. */
  dilationRate?: number | [number, number];
  /** Add a learned bias. Default true (BiT's convs use false). */
  useBias?: boolean;
  /** Initializer of the kernel. Default 'glorotUniform'. */
  kernelInitializer?: InitializerLike;
  /** Initializer of the bias. Default 'zeros'. */
  biasInitializer?: InitializerLike;
  /** Added to the per-channel variance in the standardisation. Default 1e-10. */
  eps?: number;
  /**
   * Allow the inference cache of the standardised kernel (see
   * {@link StandardizedConv2D}). Default true. False: always standardise in
   * the graph.
   */
  cacheStandardizedKernel?: boolean;
}

/** The cached standardised kernel and what it was computed from. */
interface KernelCache {
  /** The kernel variable's data id when the cache was filled (changes on every assign). */
  dataId: object;
  /** Backend the cached tensor was made on. */
  backend: string;
  /** The standardised kernel (kept; disposed on invalidation). */
  tensor: tf.Tensor4D;
}

/**
 * 2-D convolution (NHWC, HWIO kernel) with Weight Standardisation: the layer
 * convolves with `(w - mean) / sqrt(var + eps)`, mean and population variance
 * taken per output channel over (kh, kw, cin). Weights: `kernel`
 * `[kh, kw, cin, filters]` (the raw, unstandardised values, as in the official
 * checkpoints) then `bias` `[filters]` when `useBias`.
 *
 * Standardisation rule in `call()`:
 * - Training path: when `kwargs.training === true`, or a gradient tape is
 *   recording (`tf.grad`, `tf.variableGrads`, `optimizer.minimize`, `model.fit`),
 *   or `cacheStandardizedKernel` is false, the kernel is standardised in the
 *   graph on every call ({@link standardizeKernel}), so gradients flow through
 *   the standardisation to the raw kernel.
 * - Inference path: otherwise (`apply(x)`, `apply(x, {training: false})`,
 *   `model.predict`), the layer uses a cached standardised kernel computed once
 *   in float64 in JS ({@link standardizeKernelData}; exact, and faster than
 *   standardising per call). The cache is keyed on the kernel variable's
 *   current data (every `assign`, `setWeights`, `loadWeights` or optimizer
 *   step gives the variable new data) and on the active backend, so it is
 *   never stale; `setWeights` also drops it eagerly. `dispose()` frees it.
 *
 * Registered with `tf.serialization` as 'StandardizedConv2D'.
 */
export class StandardizedConv2D extends layers.Layer {
  /** @nocollapse */
  static className = 'StandardizedConv2D';

  /** Number of output channels. */
  readonly filters: number;
  /** Kernel height and width. */
  readonly kernelSize: [number, number];
  /** Strides along H and W. */
  readonly strides: [number, number];
  /** Padding mode or symmetric padding size. */
  readonly padding: ConvPadding;
  /** Dilation rates along H and W. */
  readonly dilationRate: [number, number];
  /** Whether a bias is added. */
  readonly useBias: boolean;
  /** Kernel initializer. */
  readonly kernelInitializer: Initializer;
  /** Bias initializer. */
  readonly biasInitializer: Initializer;
  /** Standardisation epsilon. */
  readonly eps: number;
  /** Whether the inference cache may be used. */
  readonly cacheStandardizedKernel: boolean;

  private kernel: LayerVariable | null = null;
  private bias: LayerVariable | null = null;
  private cache: KernelCache | null = null;

  constructor(args: StandardizedConv2DLayerArgs) {
    super(args);
    if (args == null || !Number.isInteger(args.filters) || args.filters < 1) {
      throw new LayerConfigError(
        `StandardizedConv2D.filters must be a positive integer, got ${args?.filters}.`,
      );
    }
    this.filters = args.filters;
    this.kernelSize = pair(args.kernelSize, 'StandardizedConv2D.kernelSize');
    this.strides = pair(args.strides ?? 1, 'StandardizedConv2D.strides');
    this.dilationRate = pair(args.dilationRate ?? 1, 'StandardizedConv2D.dilationRate');
    this.padding = args.padding ?? 'valid';
    if (
      this.padding !== 'valid' &&
      this.padding !== 'same' &&
      !(typeof this.padding === 'number' && Number.isInteger(this.padding) && this.padding >= 0)
    ) {
      throw new LayerConfigError(
        `StandardizedConv2D.padding must be 'valid', 'same' or a non-negative integer, got ${JSON.stringify(args.padding)}.`,
      );
    }
    if (this.strides.some((s) => s > 1) && this.dilationRate.some((d) => d > 1)) {
      throw new LayerConfigError(
        `StandardizedConv2D: strides (${this.strides}) and dilationRate (${this.dilationRate}) cannot both exceed 1.`,
      );
    }
    this.useBias = args.useBias ?? true;
    this.eps = args.eps ?? 1e-10;
    if (!(this.eps >= 0)) {
      throw new LayerConfigError(
        `StandardizedConv2D.eps must be a non-negative number, got ${args.eps}.`,
      );
    }
    this.cacheStandardizedKernel = args.cacheStandardizedKernel ?? true;
    this.kernelInitializer = resolveInitializer(
      args.kernelInitializer ?? 'glorotUniform',
      'StandardizedConv2D.kernelInitializer',
    );
    this.biasInitializer = resolveInitializer(
      args.biasInitializer ?? 'zeros',
      'StandardizedConv2D.biasInitializer',
    );
  }

  private checkInputShape(shape: Shape): void {
    if (shape.length !== 4) {
      throw new RankError(
        `StandardizedConv2D '${this.name}': input must be rank 4 NHWC, got shape [${shape.join(', ')}].`,
      );
    }
    if (shape[3] == null) {
      throw new RankError(
        `StandardizedConv2D '${this.name}': the channel dimension of the input must be known.`,
      );
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = onlyShape(inputShape, 'StandardizedConv2D');
    this.checkInputShape(shape);
    const kernelShape = [...this.kernelSize, shape[3] as number, this.filters];
    this.kernel = this.addWeight(
      'kernel',
      kernelShape,
      'float32',
      this.kernelInitializer,
      undefined,
      true,
    );
    this.bias = this.useBias
      ? this.addWeight('bias', [this.filters], 'float32', this.biasInitializer, undefined, true)
      : null;
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const shape = onlyShape(inputShape, 'StandardizedConv2D');
    this.checkInputShape(shape);
    const out = [1, 2].map((axis) => {
      const size = shape[axis];
      if (size == null) return null;
      const i = axis - 1;
      const span = (this.kernelSize[i] - 1) * this.dilationRate[i] + 1;
      const stride = this.strides[i];
      if (this.padding === 'same') return Math.ceil(size / stride);
      const pad = this.padding === 'valid' ? 0 : 2 * this.padding;
      return Math.max(0, Math.floor((size + pad - span) / stride) + 1);
    });
    return [shape[0], out[0], out[1], this.filters];
  }

  /**
   * Whether `call()` with these kwargs uses the inference cache (see the class
   * doc for the rule): caching allowed, `training` not true, and no gradient
   * tape recording.
   */
  usesInferencePath(kwargs?: Kwargs): boolean {
    return (
      this.cacheStandardizedKernel &&
      kwargs?.training !== true &&
      tf.engine().state.gradientDepth === 0
    );
  }

  /**
   * The standardised kernel of the inference path, computed in float64 in JS
   * and cached until the kernel changes. The returned tensor belongs to the
   * layer: do not dispose it (use {@link getStandardizedKernel} for your own copy).
   */
  private cachedKernel(): tf.Tensor4D {
    const variable = this.kernelVariable().read();
    const backend = tf.getBackend();
    const cache = this.cache;
    if (
      cache != null &&
      cache.dataId === variable.dataId &&
      cache.backend === backend &&
      !cache.tensor.isDisposed
    ) {
      return cache.tensor;
    }
    this.clearStandardizedKernelCache();
    const values = standardizeKernelData(
      variable.dataSync() as Float32Array,
      variable.shape,
      this.eps,
    );
    const tensor = tf.keep(
      tf.tensor4d(values, variable.shape as [number, number, number, number], 'float32'),
    );
    this.cache = { dataId: variable.dataId, backend, tensor };
    return tensor;
  }

  private kernelVariable(): LayerVariable {
    if (this.kernel == null) {
      throw new LayerConfigError(
        `StandardizedConv2D '${this.name}': the layer is not built yet (call build or apply first).`,
      );
    }
    return this.kernel;
  }

  /**
   * A new tensor holding the standardised kernel, computed in float64 in JS
   * (the caller disposes it). Handy to export inference-ready weights.
   */
  getStandardizedKernel(): tf.Tensor4D {
    const variable = this.kernelVariable().read();
    const values = standardizeKernelData(
      variable.dataSync() as Float32Array,
      variable.shape,
      this.eps,
    );
    return tf.tensor4d(values, variable.shape as [number, number, number, number], 'float32');
  }

  /** Drops the cached standardised kernel (it is rebuilt on the next inference call). */
  clearStandardizedKernelCache(): void {
    if (this.cache != null) {
      this.cache.tensor.dispose();
      this.cache = null;
    }
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = onlyTensor(inputs, 'StandardizedConv2D');
      this.checkInputShape(x.shape);
      const kernel = this.usesInferencePath(kwargs)
        ? this.cachedKernel()
        : (standardizeKernel(this.kernelVariable().read(), this.eps) as tf.Tensor4D);
      if (tf.engine().state.gradientDepth > 0) {
        // Unfused while a tape records: Conv2D's gradients are evaluated per
        // input on demand, whereas the fused op always computes the filter
        // gradient too (a kernel some backends, e.g. wasm 4.22, lack).
        const y = tf.conv2d(
          x as tf.Tensor4D,
          kernel,
          this.strides,
          this.padding,
          'NHWC',
          this.dilationRate,
        );
        return this.bias == null ? y : tf.add(y, this.bias.read());
      }
      return tf.fused.conv2d({
        x: x as tf.Tensor4D,
        filter: kernel,
        strides: this.strides,
        pad: this.padding,
        dataFormat: 'NHWC',
        dilations: this.dilationRate,
        bias: this.bias?.read(),
      });
    });
  }

  override setWeights(weights: tf.Tensor[]): void {
    this.clearStandardizedKernelCache();
    super.setWeights(weights);
  }

  override dispose(): DisposeResult {
    this.clearStandardizedKernelCache();
    return super.dispose();
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      dilationRate: [...this.dilationRate],
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(
        this.kernelInitializer,
      ) as unknown as tf.serialization.ConfigDict,
      biasInitializer: serializeInitializer(
        this.biasInitializer,
      ) as unknown as tf.serialization.ConfigDict,
      eps: this.eps,
      cacheStandardizedKernel: this.cacheStandardizedKernel,
    };
    return { ...config, ...super.getConfig() };
  }
}
tf.serialization.registerClass(StandardizedConv2D);

/**
 * Creates a {@link StandardizedConv2D} layer (like the `tf.layers.*` factories).
 *
 * @example
 * const conv = standardizedConv2d({ filters: 64, kernelSize: 3, padding: 1, useBias: false });
 */
export function standardizedConv2d(config: StandardizedConv2DLayerArgs): StandardizedConv2D {
  return new StandardizedConv2D(config);
}
