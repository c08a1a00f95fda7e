import type { Command } from 'commander';
import { NavanBridgeError } from '../../shared/errors.js';

// Placeholder until the issue that builds this command lands; it says so instead of failing silently.
export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('Run a sync now for one tenant and stream (bookings, transactions, users)')
    .allowUnknownOption()
    .action(() => {
      throw new NavanBridgeError('NOT_BUILT', 'navan-bridge sync is not built yet in this version; see the open issues.');
    });
}
