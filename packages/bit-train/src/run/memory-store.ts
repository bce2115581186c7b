/** A RunStore in memory, for tests and the browser. */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { NamedArray } from '@bit/models';
import { isAfterCheckpoint, type MetricsLine, type RunStore, type TrainCheckpoint } from './types';

function copyArrays(arrays: readonly NamedArray[]): NamedArray[] {
  return arrays.map((a) => ({ name: a.name, shape: [...a.shape], data: a.data.slice() }));
}

/** Keeps a run's checkpoint, metrics lines and saved model artifacts in memory. */
export class MemoryRunStore implements RunStore {
  private checkpoint: TrainCheckpoint | undefined;
  /** Metrics lines, in order. */
  readonly metrics: MetricsLine[] = [];
  /** Artifacts of the last saved model (load them with `tfl.loadLayersModel(tf.io.fromMemory(...))`). */
  model: tf.io.ModelArtifacts | undefined;
  /** Checkpoints written so far. */
  checkpointsWritten = 0;

  async writeCheckpoint(checkpoint: TrainCheckpoint): Promise<void> {
    this.checkpoint = {
      state: JSON.parse(JSON.stringify(checkpoint.state)),
      weights: copyArrays(checkpoint.weights),
      slots: copyArrays(checkpoint.slots),
    };
    this.checkpointsWritten++;
  }

  async readCheckpoint(): Promise<TrainCheckpoint | undefined> {
    const c = this.checkpoint;
    if (!c) return undefined;
    return {
      state: JSON.parse(JSON.stringify(c.state)),
      weights: copyArrays(c.weights),
      slots: copyArrays(c.slots),
    };
  }

  async appendMetrics(lines: readonly MetricsLine[]): Promise<void> {
    for (const l of lines) this.metrics.push({ ...l });
  }

  async truncateMetrics(step: number): Promise<void> {
    const kept = this.metrics.filter((l) => !isAfterCheckpoint(l, step));
    this.metrics.length = 0;
    this.metrics.push(...kept);
  }

  async readMetrics(): Promise<MetricsLine[]> {
    return this.metrics.map((l) => ({ ...l }));
  }

  async saveModel(model: tfl.LayersModel): Promise<void> {
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        this.model = artifacts;
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
      }),
    );
  }
}
