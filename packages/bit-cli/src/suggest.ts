/** Edit distance (insertions, deletions, substitutions, adjacent swaps) between two strings. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate closest to `given` for a "did you mean" hint: the only one it is a prefix of,
 * else the nearest within an edit distance of about a third of its length (at least 2);
 * undefined when none is close.
 */
export function closest(given: string, candidates: readonly string[]): string | undefined {
  const g = given.toLowerCase();
  if (g === '') return undefined;
  const prefixed = candidates.filter((c) => c.toLowerCase().startsWith(g));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(g.length / 3));
  for (const c of candidates) {
    const dist = editDistance(g, c.toLowerCase());
    if (dist <= bestD && (best === undefined || dist < bestD)) {
      best = c;
      bestD = dist;
    }
  }
  return best;
}
