/** Class subsets and few-shot selection on any source. */
import { DataArgumentError } from '../errors';
import { Rng } from '../random/rng';
import type { DataSource } from './types';
import { subsetSource } from './view';

/**
 * Resolves a class selection to class indices of `classes`: indices, class names, or a
 * string such as '5-9', '0,2,4' or 'cat,dog' (ranges are inclusive).
 */
export function resolveClassSelection(
  selection: readonly (number | string)[] | string,
  classes: readonly string[],
): number[] {
  const items: (number | string)[] =
    typeof selection === 'string'
      ? selection
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [...selection];
  const out: number[] = [];
  for (const item of items) {
    if (typeof item === 'number') {
      out.push(item);
      continue;
    }
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(item);
    if (range) {
      const a = Number(range[1]);
      const b = Number(range[2]);
      if (b < a) throw new DataArgumentError(`classes: range "${item}" is empty`);
      for (let k = a; k <= b; k++) out.push(k);
    } else if (classes.includes(item)) {
      out.push(classes.indexOf(item));
    } else if (/^\d+$/.test(item)) {
      out.push(Number(item));
    } else {
      throw new DataArgumentError(
        `classes: unknown class "${item}" (known: ${classes.slice(0, 20).join(', ')}${classes.length > 20 ? ', ...' : ''})`,
      );
    }
  }
  const seen = new Set<number>();
  for (const k of out) {
    if (!Number.isInteger(k) || k < 0 || k >= classes.length) {
      throw new DataArgumentError(`classes: class index ${k} is outside [0, ${classes.length})`);
    }
    if (seen.has(k))
      throw new DataArgumentError(`classes: class ${k} (${classes[k]}) is selected twice`);
    seen.add(k);
  }
  if (out.length === 0) throw new DataArgumentError('classes: the selection is empty');
  return out;
}

/**
 * Keeps only the examples of the selected classes and relabels them 0..k-1 in the order
 * given (e.g. classes 5-9 become labels 0..4); class names follow.
 */
export function selectClasses(
  source: DataSource,
  selection: readonly (number | string)[] | string,
): DataSource {
  const classes = source.metadata.classes;
  const chosen = resolveClassSelection(selection, classes);
  const relabel = new Int32Array(classes.length).fill(-1);
  chosen.forEach((c, i) => (relabel[c] = i));
  const indices: number[] = [];
  for (let i = 0; i < source.size; i++) if (relabel[source.label(i)] >= 0) indices.push(i);
  return subsetSource(source, indices, { relabel, classes: chosen.map((c) => classes[c]) });
}

/**
 * Few-shot selection, as the official code does it: shuffle all indices with `seed`, then
 * keep the first `examplesPerClass` of each class. Throws DataArgumentError when a class
 * has fewer examples. The result keeps the shuffled order.
 */
export function fewShot(source: DataSource, examplesPerClass: number, seed = 0): DataSource {
  if (!Number.isInteger(examplesPerClass) || examplesPerClass <= 0) {
    throw new DataArgumentError(
      `examplesPerClass must be a positive integer, got ${examplesPerClass}`,
    );
  }
  const k = source.metadata.classes.length;
  const order = new Int32Array(source.size);
  for (let i = 0; i < order.length; i++) order[i] = i;
  new Rng(seed).shuffle(order);
  const taken = new Array<number>(k).fill(0);
  const indices: number[] = [];
  for (let i = 0; i < order.length && indices.length < k * examplesPerClass; i++) {
    const l = source.label(order[i]);
    if (taken[l] < examplesPerClass) {
      taken[l]++;
      indices.push(order[i]);
    }
  }
  const short = taken.findIndex((t) => t < examplesPerClass);
  if (short >= 0) {
    throw new DataArgumentError(
      `examplesPerClass ${examplesPerClass}: class ${short} (${source.metadata.classes[short]}) has only ${taken[short]} examples`,
    );
  }
  return subsetSource(source, indices);
}
