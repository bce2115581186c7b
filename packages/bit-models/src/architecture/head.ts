import * as tfl from '@tensorflow/tfjs-layers';
import { HEAD, PRELOGITS, ROOT_POOL, unitOutput } from './names';
import { headLayer } from './resnetv2';

/**
 * A model with a new zero-initialised head of `numClasses` classes on the same backbone (the
 * backbone's weights move to the new model, they are not copied). `numClasses` 0 removes the
 * head. The old head's weights are disposed: `model` is consumed — use (and later dispose) only
 * the model returned.
 * @example
 *   const model = replaceHead(await loadBiT('BiT-M-R50x1'), 5); // the 21843-class head is freed
 */
export function replaceHead(model: tfl.LayersModel, numClasses: number): tfl.LayersModel {
  if (!Number.isInteger(numClasses) || numClasses < 0) {
    throw new RangeError(
      `replaceHead: numClasses must be a non-negative integer, got ${numClasses}`,
    );
  }
  const prelogits = model.getLayer(PRELOGITS).output as tfl.SymbolicTensor;
  const outputs =
    numClasses > 0 ? (headLayer(numClasses).apply(prelogits) as tfl.SymbolicTensor) : prelogits;
  const out = tfl.model({ inputs: model.inputs, outputs, name: model.name });
  const oldHead = model.layers.find((l) => l.name === HEAD);
  if (oldHead && oldHead.weights.length > 0) oldHead.dispose();
  const meta = model.getUserDefinedMetadata() as Record<string, any> | undefined;
  if (meta?.bit) {
    out.setUserDefinedMetadata({
      ...meta,
      bit: { ...meta.bit, architecture: { ...meta.bit.architecture, numClasses }, labels: null },
    });
  }
  return out;
}

/** Units per block, read off the model's layer names. */
export function unitsOf(model: tfl.LayersModel): [number, number, number, number] {
  const units: [number, number, number, number] = [0, 0, 0, 0];
  for (const layer of model.layers) {
    const m = /^resnet\/block([1-4])\/unit(\d+)\/add$/.exec(layer.name);
    if (m) units[Number(m[1]) - 1] = Math.max(units[Number(m[1]) - 1], Number(m[2]));
  }
  return units;
}

/** Names of the intermediate outputs exposed by {@link endpointsModel}. */
export type EndpointName =
  'root' | 'block1' | 'block2' | 'block3' | 'block4' | 'prelogits' | 'logits';

/**
 * A model (sharing weights) whose outputs are the named endpoints, in the order given:
 * `root` (after the max pool), `block1`..`block4`, `prelogits`, `logits` (when there is a head).
 */
export function endpointsModel(
  model: tfl.LayersModel,
  names: readonly EndpointName[],
): tfl.LayersModel {
  const units = unitsOf(model);
  const layerName = (n: EndpointName): string => {
    if (n === 'root') return ROOT_POOL;
    if (n === 'prelogits') return PRELOGITS;
    if (n === 'logits') return HEAD;
    const b = Number(n.slice(5));
    return unitOutput(b, units[b - 1]);
  };
  const outputs = names.map((n) => model.getLayer(layerName(n)).output as tfl.SymbolicTensor);
  return tfl.model({ inputs: model.inputs, outputs });
}
