import { hyperruleCommand } from './hyperrule.js';
import type { Command } from './types.js';

/** Every `bit` sub-command, by name. */
export const COMMANDS: readonly Command[] = [hyperruleCommand];
