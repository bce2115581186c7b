import { engineNames } from '@bit/models/node';
import { choiceFlag, numberFlag } from './args';
import { UsageError } from './errors';

/** The engine flags, checked: `engine` is `tfjs` or a registered engine. */
export interface EngineChoice {
  engine: string;
  threads?: number;
}

/**
 * Reads `--engine` and `--threads` (which needs an engine other than tfjs). `--backend` picks
 * the tfjs backend that runs the model, so beside another engine it is refused, unless
 * `backendBuilds` (bench: the backend builds the random model the engine is given).
 */
export function engineFlags(
  values: { engine?: string; threads?: string; backend?: string },
  usage: string,
  { backendBuilds = false }: { backendBuilds?: boolean } = {},
): EngineChoice {
  const engine = choiceFlag(values.engine ?? 'tfjs', 'engine', engineNames(), usage)!;
  const threads = numberFlag(values.threads, 'threads', usage, { integer: true, min: 1 });
  if (threads !== undefined && engine === 'tfjs') {
    throw new UsageError('--threads applies to --engine onnx only', usage);
  }
  if (values.backend !== undefined && engine !== 'tfjs' && !backendBuilds) {
    throw new UsageError(
      `--backend picks a tfjs backend; the ${engine} engine runs without one (use --threads)`,
      usage,
    );
  }
  return { engine, ...(threads !== undefined ? { threads } : {}) };
}

/**
 * Refuses `--workers N` (N > 1, given explicitly) with an engine other than tfjs: such an
 * engine runs its own threads (`--threads`), not replicas of a tfjs model.
 */
export function refuseEngineWorkers(
  engine: EngineChoice,
  workers: string | undefined,
  replicas: number,
  usage: string,
): void {
  if (engine.engine !== 'tfjs' && workers !== undefined && replicas > 1) {
    throw new UsageError(
      `--workers ${workers}: the ${engine.engine} engine runs its own threads (use --threads)`,
      usage,
    );
  }
}

/** The options `loadBiT` gets for an engine (the onnxruntime package from BIT_ONNXRUNTIME_PACKAGE). */
export function engineLoadOptions(choice: EngineChoice): {
  engine: string;
  threads?: number;
  onnxruntime?: string;
} {
  const pkg = process.env.BIT_ONNXRUNTIME_PACKAGE;
  return { ...choice, ...(pkg ? { onnxruntime: pkg } : {}) };
}
