/** Checkpoint names of the official BiT layout; model layers carry the same names. */
export const ROOT_CONV = 'resnet/root_block/standardized_conv2d';
export const FINAL_NORM = 'resnet/group_norm';
export const HEAD = 'resnet/head/conv2d';

/** `unit01`, `unit02`, ... as in the checkpoints. */
export function unitName(unit: number): string {
  return `unit${String(unit).padStart(2, '0')}`;
}

/** Prefix of unit `u` of block `b`: `resnet/block{b}/unit{uu}`. */
export function unitPrefix(block: number, unit: number): string {
  return `resnet/block${block}/${unitName(unit)}`;
}

/** Layer whose output is the root block's (after the max pool). */
export const ROOT_POOL = 'resnet/root_block/pool';
/** Layer whose output is the pre-logits (global mean of relu(GN(block4))). */
export const PRELOGITS = 'resnet/prelogits';

/** Name of the residual add of a unit: its output is the unit's output. */
export function unitOutput(block: number, unit: number): string {
  return `${unitPrefix(block, unit)}/add`;
}
