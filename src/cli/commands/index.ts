import type { Command } from 'commander';
import { registerStart } from './start.js';
import { registerSim } from './sim.js';
import { registerSync } from './sync.js';
import { registerToken } from './token.js';
import { registerConfig } from './config.js';
import { registerKeys } from './keys.js';
import { registerErp } from './erp.js';
import { registerAlerts } from './alerts.js';
import { registerHealth } from './health.js';

/** Order here is the order in --help. */
export function registerCommands(program: Command): void {
  registerStart(program);
  registerSim(program);
  registerSync(program);
  registerToken(program);
  registerKeys(program);
  registerErp(program);
  registerAlerts(program);
  registerHealth(program);
  registerConfig(program);
}
