/** Messages between the page and the training worker (structured-clone friendly). */
import type { HyperRulePlan } from '@bit/hyperrule';

/** Training modes the page offers. */
export type TeachMode = 'head' | 'full';

/** Where the tfjs wasm backend finds its binaries (file name -> URL). */
export type WasmPaths = Record<string, string>;

/** One taught image. */
export interface TeachImage {
  readonly blob: Blob;
  readonly label: number;
  readonly name: string;
}

/** What a training run needs. */
export interface TeachRequest {
  /** tfjs backend to train on (the page's). */
  readonly backend: string;
  readonly wasmPaths: WasmPaths;
  /** The model to start from, as an .npz (official layout). */
  readonly npz: ArrayBuffer;
  readonly classes: readonly string[];
  readonly images: readonly TeachImage[];
  readonly mode: TeachMode;
  /** Optimizer steps (the HyperRule schedule is rescaled to end there; at least 5). */
  readonly steps: number;
  readonly batchSize: number;
  readonly baseLr: number;
  readonly seed: number;
  /** Train crop side (eval resizes straight to it); precrop is 1.25x, as 160/128. */
  readonly crop: number;
}

/** Worker -> page. */
export type TeachEvent =
  | { readonly type: 'started'; readonly backend: string; readonly plan: HyperRulePlan }
  | {
      readonly type: 'step';
      readonly step: number;
      readonly loss: number;
      readonly lr: number;
      readonly imagesPerSecond: number;
    }
  | {
      readonly type: 'eval';
      readonly step: number;
      readonly accuracy: number;
      readonly loss: number;
    }
  | {
      readonly type: 'done';
      readonly status: 'completed' | 'aborted' | 'data-exhausted';
      readonly step: number;
      /** The trained model as an .npz (float32). */
      readonly npz: ArrayBuffer;
      readonly classes: readonly string[];
      readonly crop: number;
    }
  /** A taught image that could not be decoded (skipped); training goes on. */
  | { readonly type: 'warning'; readonly message: string }
  | { readonly type: 'error'; readonly message: string };

/** Page -> worker. */
export type TeachCommand =
  { readonly type: 'train'; readonly request: TeachRequest } | { readonly type: 'cancel' };
