/** Writes a JSON result to stdout (results go to stdout, logs to stderr). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** A log line on stderr. */
export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}
