/** Typed errors of @bit/train. */

/**
 * Base class of every error @bit/train throws on purpose. `inputError` is true when the caller's
 * input (an option, a run folder) is at fault, false when the run itself failed (the loss
 * diverged, a disk filled up).
 */
export class TrainError extends Error {
  override name = 'TrainError';
  /** True when the caller's input is at fault rather than the run or the environment. */
  readonly inputError: boolean;

  constructor(message: string, options?: { cause?: unknown; inputError?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.inputError = options?.inputError ?? true;
  }
}

/** A bad option or argument; the message names it and says what is wrong. */
export class TrainConfigError extends TrainError {
  override name = 'TrainConfigError';
}

/**
 * The training loss became NaN or infinite. Raised before the update of that step is applied,
 * so the model and the last checkpoint hold the weights of the last good step.
 */
export class NonFiniteLossError extends TrainError {
  override name = 'NonFiniteLossError';
  /** The optimizer step (0-based) whose loss was not finite. */
  readonly step: number;
  /** The loss value (NaN, Infinity or -Infinity). */
  readonly loss: number;

  constructor(step: number, loss: number) {
    super(
      `training loss is ${loss} at step ${step}: stopping before the update (lower the learning rate, ` +
        `check the inputs for NaN/Inf, or resume from the last checkpoint)`,
      { inputError: false },
    );
    this.step = step;
    this.loss = loss;
  }
}

/**
 * A checkpoint or run folder that cannot be read or does not fit the run (an input error), or a
 * checkpoint that could not be written because the file system failed (not an input error: the
 * cause carries an errno code such as ENOSPC or EIO).
 */
export class CheckpointError extends TrainError {
  override name = 'CheckpointError';

  constructor(message: string, options?: { cause?: unknown; inputError?: boolean }) {
    const code = (options?.cause as { code?: unknown } | undefined)?.code;
    const environment = typeof code === 'string' && !['ENOENT', 'ENOTDIR', 'EISDIR'].includes(code);
    super(message, { cause: options?.cause, inputError: options?.inputError ?? !environment });
  }
}

/**
 * Writing a checkpoint, the metrics or the final model failed (disk full, read-only or
 * permission-denied folder...). The previous good checkpoint is left as it was; `code` is the
 * system error code (ENOSPC, EACCES, EROFS...) when there is one.
 */
export class CheckpointWriteError extends TrainError {
  override name = 'CheckpointWriteError';
  /** The system error code, e.g. 'ENOSPC'. */
  readonly code: string | undefined;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    const code = (options?.cause as { code?: unknown } | undefined)?.code;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

/**
 * A worker thread of data-parallel training or inference failed: it could not start (backend
 * missing, worker script not found), a step threw there, or the thread died. `worker` is its
 * index (1-based: replica 0 is the calling thread), `remoteName` the name of the error it threw.
 * Not an input error unless the worker's own error was one.
 */
export class TrainWorkerError extends TrainError {
  override name = 'TrainWorkerError';
  /** Index of the worker (1 = the first worker thread), or undefined when not one in particular. */
  readonly worker: number | undefined;
  /** The `name` of the error thrown in the worker (e.g. 'NonFiniteLossError'), when known. */
  readonly remoteName: string | undefined;

  constructor(
    message: string,
    options?: { cause?: unknown; worker?: number; remoteName?: string; inputError?: boolean },
  ) {
    super(message, { cause: options?.cause, inputError: options?.inputError ?? false });
    this.worker = options?.worker;
    this.remoteName = options?.remoteName;
  }
}
