/**
 * Resolving and serialising tfjs-layers initializers through the public API
 * (tfjs-layers' own `getInitializer` is internal).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initializers } from '@tensorflow/tfjs-layers';
import { LayerConfigError } from '../errors';
import type { Initializer, InitializerLike, SerializedInitializer } from './types';

const BY_NAME: Record<string, () => Initializer> = {
  constant: () => initializers.constant({ value: 0 }),
  glorotNormal: () => initializers.glorotNormal({}),
  glorotUniform: () => initializers.glorotUniform({}),
  heNormal: () => initializers.heNormal({}),
  heUniform: () => initializers.heUniform({}),
  identity: () => initializers.identity({}),
  leCunNormal: () => initializers.leCunNormal({}),
  leCunUniform: () => initializers.leCunUniform({}),
  ones: () => initializers.ones(),
  orthogonal: () => initializers.orthogonal({}),
  randomNormal: () => initializers.randomNormal({}),
  randomUniform: () => initializers.randomUniform({}),
  truncatedNormal: () => initializers.truncatedNormal({}),
  varianceScaling: () => initializers.varianceScaling({}),
  zeros: () => initializers.zeros(),
};

function isInitializer(value: unknown): value is Initializer {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Initializer).apply === 'function' &&
    typeof (value as Initializer).getClassName === 'function'
  );
}

/**
 * Turns an initializer option (name, instance or `{className, config}` from a
 * saved model) into an initializer instance.
 *
 * @param value The option value.
 * @param field The config field, for error messages (e.g. `StandardizedConv2D.kernelInitializer`).
 * @throws LayerConfigError for unknown names or classes.
 */
export function resolveInitializer(value: InitializerLike, field: string): Initializer {
  if (isInitializer(value)) return value;
  if (typeof value === 'string') {
    const make = BY_NAME[value] ?? BY_NAME[value.charAt(0).toLowerCase() + value.slice(1)];
    if (make == null) {
      throw new LayerConfigError(
        `${field}: unknown initializer '${value}'; expected one of ${Object.keys(BY_NAME).join(', ')} ` +
          `or an initializer instance.`,
      );
    }
    return make();
  }
  if (typeof value === 'object' && value !== null && typeof value.className === 'string') {
    const entry = tf.serialization.SerializationMap.getMap().classNameMap[value.className];
    if (entry == null) {
      throw new LayerConfigError(
        `${field}: initializer class '${value.className}' is not registered with tf.serialization.`,
      );
    }
    const [cls, fromConfig] = entry;
    return fromConfig(cls, value.config ?? {}) as unknown as Initializer;
  }
  throw new LayerConfigError(
    `${field}: expected an initializer name, instance or {className, config}.`,
  );
}

/**
 * The `{className, config}` form of an initializer, as tfjs-layers writes it
 * into model JSON. Unset (null/undefined) entries such as a missing `seed` are
 * left out, so a config is identical before and after a save/load round trip.
 */
export function serializeInitializer(initializer: Initializer): SerializedInitializer {
  const config: tf.serialization.ConfigDict = {};
  for (const [key, value] of Object.entries(initializer.getConfig())) {
    if (value != null) config[key] = value;
  }
  return { className: initializer.getClassName(), config };
}
