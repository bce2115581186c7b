import { HyperRuleError } from './errors';

/** Renders a rejected value for an error message (strings quoted, arrays and objects as JSON). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `[${value.map(describeValue).join(', ')}]`;
  if (typeof value === 'object') {
    try {
      return JSON.stringify(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
  return String(value);
}

/** Throws unless `value` is an integer >= 0 (a plain finite number, not NaN). */
export function assertNonNegativeInteger(fn: string, argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new HyperRuleError(
      fn,
      argument,
      `must be a non-negative integer, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Throws unless `value` is an integer >= 1. */
export function assertPositiveInteger(fn: string, argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new HyperRuleError(
      fn,
      argument,
      `must be a positive integer, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Throws unless `value` is a finite number > 0. */
export function assertPositiveFinite(fn: string, argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new HyperRuleError(
      fn,
      argument,
      `must be a finite number greater than 0, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Throws unless `value` is a pair `[height, width]` of positive integers. */
export function assertImageSize(
  fn: string,
  argument: string,
  value: unknown,
): readonly [number, number] {
  const ok =
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1);
  if (!ok) {
    throw new HyperRuleError(
      fn,
      argument,
      `must be a pair [height, width] of positive integers, got ${describeValue(value)}`,
    );
  }
  return value as unknown as readonly [number, number];
}

/** Throws unless `value` is a non-empty, strictly increasing list of positive integers. */
export function assertSchedule(fn: string, argument: string, value: unknown): readonly number[] {
  const ok =
    Array.isArray(value) &&
    value.length >= 1 &&
    value.every(
      (v, i) =>
        typeof v === 'number' &&
        Number.isSafeInteger(v) &&
        v >= 1 &&
        (i === 0 || v > (value[i - 1] as number)),
    );
  if (!ok) {
    throw new HyperRuleError(
      fn,
      argument,
      `must be a non-empty, strictly increasing list of positive integers, got ${describeValue(value)}`,
    );
  }
  return value as readonly number[];
}
