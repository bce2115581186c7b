import { benchCommand } from './bench.js';
import { convertCommand } from './convert.js';
import { dataCommand } from './data.js';
import { evalCommand } from './eval.js';
import { downloadCommand } from './download.js';
import { featuresCommand } from './features.js';
import { finetuneCommand } from './finetune.js';
import { hyperruleCommand } from './hyperrule.js';
import { modelsCommand } from './models.js';
import { predictCommand } from './predict.js';
import { pretrainCommand } from './pretrain.js';
import type { Command } from './types.js';

/** Every `bit` sub-command, by name. */
export const COMMANDS: readonly Command[] = [
  modelsCommand,
  downloadCommand,
  predictCommand,
  featuresCommand,
  finetuneCommand,
  pretrainCommand,
  evalCommand,
  convertCommand,
  hyperruleCommand,
  dataCommand,
  benchCommand,
];
