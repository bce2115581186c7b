/** Messages between the worker pool and its worker threads. */
import type { AugmentParams } from '../transforms/hyperrule';
import type { DecoderPreference } from './decode';

/** An image a worker can produce: a local file it decodes, or pixels sent along. */
export type WireImage =
  | { readonly file: string; readonly maxPixels?: number }
  | { readonly data: Uint8Array; readonly height: number; readonly width: number };

/** One item of a job. */
export interface WireTask {
  readonly image: WireImage;
  readonly params: AugmentParams;
}

/** Pool -> worker. */
export type ToWorker =
  | {
      readonly type: 'init';
      readonly decoder: DecoderPreference;
      readonly imports: readonly string[];
    }
  | {
      readonly type: 'run';
      readonly id: number;
      readonly tasks: readonly WireTask[];
      readonly pixels: number;
    };

/** Worker -> pool. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'init-error'; readonly message: string }
  | {
      readonly type: 'done';
      readonly id: number;
      readonly out: Float32Array;
      readonly errors: (string | null)[];
    }
  | { readonly type: 'failed'; readonly id: number; readonly message: string };
