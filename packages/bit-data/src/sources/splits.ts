/** Split names: the aliases every source (and the CLI) accepts for the same split. */

/** Names that mean the validation split. */
const VALIDATION = ['val', 'validation', 'valid', 'eval'];

/**
 * The canonical name of a split (lower case; `validation`, `valid` and `eval` become `val`), so
 * that `--split validation` finds a `val/` folder and `--split val` a `validation/` one.
 */
export function canonicalSplit(name: string): string {
  const lower = name.toLowerCase();
  return VALIDATION.includes(lower) ? 'val' : lower;
}

/** True when two split names mean the same split. */
export function sameSplit(a: string, b: string): boolean {
  return canonicalSplit(a) === canonicalSplit(b);
}
