import type * as tfl from '@tensorflow/tfjs-layers';
import type { BiTArchitecture } from '../architecture/spec';
import { isEngineModel, type BiTModel } from './engine';

/** What a BiT model carries about itself (stored in model.json's user-defined metadata). */
export interface BiTMetadata {
  /** Zoo name or file the weights came from. */
  source?: string;
  architecture: BiTArchitecture;
  /** A label set name (`imagenet21k`), the class names themselves, or null. */
  labels: string | string[] | null;
  /** Resolution the model was trained or fine-tuned at, when known. */
  resolution?: number;
}

const KEY = 'bit';

/** Attaches BiT metadata to a model (saved with it by tf.io handlers). */
export function setBiTMetadata(model: tfl.LayersModel, meta: BiTMetadata): void {
  const current = (model.getUserDefinedMetadata() as Record<string, unknown> | undefined) ?? {};
  model.setUserDefinedMetadata({ ...current, [KEY]: meta });
}

/** Reads the BiT metadata of a model (of any engine), if it has any. */
export function getBiTMetadata(model: BiTModel): BiTMetadata | undefined {
  if (isEngineModel(model)) return model.metadata;
  const meta = model.getUserDefinedMetadata() as Record<string, unknown> | undefined;
  return meta?.[KEY] as BiTMetadata | undefined;
}
