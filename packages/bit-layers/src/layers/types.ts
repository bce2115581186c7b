/**
 * Types derived from the public tfjs-layers API (some are not exported by name).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { initializers, layers, Shape } from '@tensorflow/tfjs-layers';

/** Base arguments of every tfjs-layers Layer (name, inputShape, trainable, dtype, ...). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof layers.Layer>[0]>;

/** A tfjs-layers weight initializer instance (e.g. `tf.initializers.heNormal({})`). */
export type Initializer = ReturnType<typeof initializers.zeros>;

/** String names of the built-in tfjs-layers initializers. */
export type InitializerIdentifier =
  | 'constant'
  | 'glorotNormal'
  | 'glorotUniform'
  | 'heNormal'
  | 'heUniform'
  | 'identity'
  | 'leCunNormal'
  | 'leCunUniform'
  | 'ones'
  | 'orthogonal'
  | 'randomNormal'
  | 'randomUniform'
  | 'truncatedNormal'
  | 'varianceScaling'
  | 'zeros';

/** A serialised initializer as found in a saved model's JSON (`{className, config}`). */
export interface SerializedInitializer {
  className: string;
  config: tf.serialization.ConfigDict;
}

/** Anything the layers accept for an initializer option. */
export type InitializerLike = InitializerIdentifier | Initializer | SerializedInitializer;

/** Keyword arguments passed to `Layer.call` (`training`, `mask`, ...). */
export type Kwargs = Record<string, any>;

/** Layer shape with `null` for unknown dimensions (re-exported from tfjs-layers). */
export type { Shape };

/** What `Layer.dispose()` returns. */
export type DisposeResult = ReturnType<InstanceType<typeof layers.Layer>['dispose']>;
