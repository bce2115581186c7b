/** The BiT-HyperRule for `model.fit` users: a callback that sets the learning rate each batch. */
import * as tfl from '@tensorflow/tfjs-layers';
import { lrForPlan, type HyperRulePlan } from '@bit/hyperrule';
import { TrainConfigError } from '../errors';

/** Options of {@link hyperRuleCallback}. */
export interface HyperRuleCallbackOptions {
  /** Optimizer steps already done (to continue a schedule across fit calls). Default 0. */
  initialStep?: number;
  /** Called with each step's learning rate. */
  onLearningRate?: (step: number, lr: number) => void;
}

interface LearningRateSettable {
  setLearningRate?: (lr: number) => void;
  learningRate?: number;
}

/**
 * A tfjs-layers callback for `model.fit` / `fitDataset` that applies the HyperRule schedule of
 * `plan`: before each batch (one optimizer step) it sets the optimizer's learning rate to
 * `lrForPlan(plan, step)`, and it stops training (`model.stopTraining = true`) after the
 * schedule's last step. Compile the model with `tf.train.momentum(0, plan.momentum)` (BiT: SGD,
 * momentum 0.9). `step` counts batches across epochs and fit calls. (tfjs checks `stopTraining`
 * after a batch: a fit started after the schedule's end runs one batch, at learning rate 0.)
 */
export class HyperRuleCallback extends tfl.Callback {
  /** Optimizer steps done so far. */
  step: number;

  constructor(
    readonly plan: Pick<HyperRulePlan, 'schedule' | 'baseLr'>,
    private readonly options: HyperRuleCallbackOptions = {},
  ) {
    super();
    const initial = options.initialStep ?? 0;
    if (!Number.isInteger(initial) || initial < 0) {
      throw new TrainConfigError(
        `hyperRuleCallback: initialStep must be a non-negative integer, got ${initial}`,
      );
    }
    lrForPlan(plan, 0); // validates the plan
    this.step = initial;
  }

  private setLr(lr: number): void {
    const optimizer = this.model.optimizer as unknown as LearningRateSettable | undefined;
    if (!optimizer) {
      throw new TrainConfigError('hyperRuleCallback: the model is not compiled (no optimizer)');
    }
    if (typeof optimizer.setLearningRate === 'function') optimizer.setLearningRate(lr);
    else optimizer.learningRate = lr;
  }

  override async onTrainBegin(): Promise<void> {
    if (lrForPlan(this.plan, this.step) === null) this.model.stopTraining = true;
  }

  override async onBatchBegin(): Promise<void> {
    const lr = lrForPlan(this.plan, this.step);
    // Past the end (a fit that started after the schedule): no update.
    this.setLr(lr ?? 0);
    if (lr === null) this.model.stopTraining = true;
    else this.options.onLearningRate?.(this.step, lr);
  }

  override async onBatchEnd(): Promise<void> {
    if (lrForPlan(this.plan, this.step) !== null) this.step++;
    if (lrForPlan(this.plan, this.step) === null) this.model.stopTraining = true;
  }
}

/** A {@link HyperRuleCallback} for `plan` (pass it in `model.fit(..., { callbacks: [...] })`). */
export function hyperRuleCallback(
  plan: Pick<HyperRulePlan, 'schedule' | 'baseLr'>,
  options: HyperRuleCallbackOptions = {},
): HyperRuleCallback {
  return new HyperRuleCallback(plan, options);
}
