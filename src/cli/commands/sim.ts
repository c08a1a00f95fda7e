import type { Command } from 'commander';
import { NavanBridgeError } from '../../shared/errors.js';

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('Run the built-in Navan simulator on 127.0.0.1 (OAuth, bookings, expense transactions, users, faults)')
    .allowUnknownOption()
    .action(() => {
      throw new NavanBridgeError('NOT_BUILT', 'navan-bridge sim is not built yet in this version; see the open issues.');
    });
}
