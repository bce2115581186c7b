/** SIGINT handling for training runs: the first Ctrl-C asks for a checkpoint and a stop. */

/** Options of {@link installSigintHandler}. */
export interface SigintOptions {
  /** Told what happens (default: a line on stderr). */
  log?: (message: string) => void;
  /** Called on the second SIGINT (default: process.exit(130)). */
  exit?: () => void;
}

/**
 * Installs a SIGINT handler: the first signal calls `onFirst` (request a checkpoint and stop),
 * the second one exits at once. Returns the function that removes the handler.
 */
export function installSigintHandler(onFirst: () => void, options: SigintOptions = {}): () => void {
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const exit = options.exit ?? (() => process.exit(130));
  let count = 0;
  const handler = () => {
    count++;
    if (count === 1) {
      log(
        'interrupted: writing a checkpoint after the current step (press Ctrl-C again to quit now)',
      );
      onFirst();
    } else {
      log('interrupted again: exiting without a new checkpoint');
      exit();
    }
  };
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGINT', handler);
  };
}
