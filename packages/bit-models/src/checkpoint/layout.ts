import {
  type BiTArchitecture,
  midChannels,
  outChannels,
  rootChannels,
  validateArchitecture,
} from '../architecture/spec';
import { FINAL_NORM, HEAD, ROOT_CONV, unitPrefix } from '../architecture/names';
import { BitModelsError } from '../errors';

/** A named array of the official layout: checkpoint name and shape. */
export interface LayoutEntry {
  readonly name: string;
  readonly shape: readonly number[];
}

/** The official checkpoint layout of an architecture: every name with its shape, in order. */
export function checkpointLayout(arch: BiTArchitecture): LayoutEntry[] {
  const out: LayoutEntry[] = [];
  const conv = (name: string, k: number, cin: number, cout: number) =>
    out.push({ name: `${name}/kernel`, shape: [k, k, cin, cout] });
  const gn = (name: string, c: number) => {
    out.push({ name: `${name}/gamma`, shape: [c] });
    out.push({ name: `${name}/beta`, shape: [c] });
  };
  const root = rootChannels(arch);
  conv(ROOT_CONV, 7, 3, root);
  let cin = root;
  for (let b = 1; b <= 4; b++) {
    const mid = midChannels(arch, b);
    const cout = outChannels(arch, b);
    for (let u = 1; u <= arch.units[b - 1]; u++) {
      const p = unitPrefix(b, u);
      gn(`${p}/a/group_norm`, cin);
      if (u === 1) conv(`${p}/a/proj/standardized_conv2d`, 1, cin, cout);
      conv(`${p}/a/standardized_conv2d`, 1, cin, mid);
      gn(`${p}/b/group_norm`, mid);
      conv(`${p}/b/standardized_conv2d`, 3, mid, mid);
      gn(`${p}/c/group_norm`, mid);
      conv(`${p}/c/standardized_conv2d`, 1, mid, cout);
      cin = cout;
    }
  }
  gn(FINAL_NORM, cin);
  if (arch.numClasses > 0) {
    out.push({ name: `${HEAD}/kernel`, shape: [1, 1, cin, arch.numClasses] });
    out.push({ name: `${HEAD}/bias`, shape: [arch.numClasses] });
  }
  return out;
}

/** Thrown when a checkpoint's names or shapes do not fit the architecture. */
export class CheckpointMismatchError extends BitModelsError {
  override name = 'CheckpointMismatchError';
  constructor(
    readonly file: string,
    readonly missing: string[],
    readonly unexpected: string[],
    readonly misshaped: Array<{ name: string; expected: number[]; actual: number[] }>,
  ) {
    const parts: string[] = [];
    const list = (xs: string[]) =>
      xs.slice(0, 10).join(', ') + (xs.length > 10 ? `, ... (${xs.length} in all)` : '');
    if (missing.length) parts.push(`missing ${missing.length}: ${list(missing)}`);
    if (unexpected.length) parts.push(`unexpected ${unexpected.length}: ${list(unexpected)}`);
    if (misshaped.length) {
      parts.push(
        `mis-shaped ${misshaped.length}: ${list(
          misshaped.map(
            (m) => `${m.name} [${m.actual.join(',')}] (expected [${m.expected.join(',')}])`,
          ),
        )}`,
      );
    }
    super(`${file}: checkpoint does not match the BiT layout: ${parts.join('; ')}`);
  }
}

/**
 * Infers the architecture from a checkpoint's names and shapes: units from the unit names,
 * width from the root channels / 64, classes from the head (0 when there is none).
 */
export function inferArchitecture(
  entries: Iterable<LayoutEntry>,
  file = 'checkpoint',
): BiTArchitecture {
  const shapes = new Map<string, readonly number[]>();
  for (const e of entries) shapes.set(e.name, e.shape);
  const rootKernel = shapes.get(`${ROOT_CONV}/kernel`);
  if (!rootKernel || rootKernel.length !== 4) {
    throw new CheckpointMismatchError(file, [`${ROOT_CONV}/kernel`], [], []);
  }
  const units: number[] = [0, 0, 0, 0];
  for (const name of shapes.keys()) {
    const m = /^resnet\/block([1-4])\/unit(\d+)\//.exec(name);
    if (m) units[Number(m[1]) - 1] = Math.max(units[Number(m[1]) - 1], Number(m[2]));
  }
  const missingBlocks = units.flatMap((u, i) =>
    u === 0 ? [`resnet/block${i + 1}/unit01/...`] : [],
  );
  if (missingBlocks.length) throw new CheckpointMismatchError(file, missingBlocks, [], []);
  const head = shapes.get(`${HEAD}/bias`);
  const arch = validateArchitecture({
    units,
    width: rootKernel[3] / 64,
    numClasses: head ? head[0] : 0,
  });
  checkLayout(arch, shapes, file);
  return arch;
}

/** Compares a checkpoint's names and shapes with the layout of `arch`; throws listing every difference. */
export function checkLayout(
  arch: BiTArchitecture,
  shapes: ReadonlyMap<string, readonly number[]>,
  file = 'checkpoint',
): void {
  const layout = checkpointLayout(arch);
  const expected = new Set(layout.map((e) => e.name));
  const missing: string[] = [];
  const misshaped: Array<{ name: string; expected: number[]; actual: number[] }> = [];
  for (const e of layout) {
    const actual = shapes.get(e.name);
    if (!actual) missing.push(e.name);
    else if (actual.length !== e.shape.length || actual.some((d, i) => d !== e.shape[i])) {
      misshaped.push({ name: e.name, expected: [...e.shape], actual: [...actual] });
    }
  }
  const unexpected = [...shapes.keys()].filter((n) => !expected.has(n));
  if (missing.length || unexpected.length || misshaped.length) {
    throw new CheckpointMismatchError(file, missing, unexpected, misshaped);
  }
}
