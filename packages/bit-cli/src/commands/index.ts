import { benchCommand } from './bench';
import { convertCommand } from './convert';
import { dataCommand } from './data';
import { evalCommand } from './eval';
import { downloadCommand } from './download';
import { featuresCommand } from './features';
import { finetuneCommand } from './finetune';
import { hyperruleCommand } from './hyperrule';
import { modelsCommand } from './models';
import { predictCommand } from './predict';
import { pretrainCommand } from './pretrain';
import type { Command } from './types';

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
