/** Writes a JSON result to stdout (results go to stdout, logs to stderr). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** A log line on stderr. */
export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/**
 * Makes a closed output pipe (`bit predict ... | head -1`) end the process quietly with exit 0,
 * as shell tools do, instead of an unhandled EPIPE error with a stack trace. Any other stream
 * error is reported in one line (exit 1).
 */
export function endQuietlyOnClosedPipe(): void {
  const onError = (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') process.exit(0);
    try {
      process.stderr.write(`bit: output failed: ${err.message}\n`);
    } finally {
      process.exit(1);
    }
  };
  process.stdout.on('error', onError);
  process.stderr.on('error', onError);
}

/**
 * Lays out rows as aligned columns (two spaces apart); columns listed in `right` are
 * right-aligned (numbers). Returns the text with a trailing newline.
 */
export function table(
  rows: ReadonlyArray<readonly string[]>,
  right: readonly number[] = [],
): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (right.includes(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return rows.map(line).join('\n') + '\n';
}
