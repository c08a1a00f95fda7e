import type { Command } from 'commander';
import { NavanBridgeError } from '../../shared/errors.js';

// Placeholder until the issue that builds this command lands; it says so instead of failing silently.
export function registerKeys(program: Command): void {
  program
    .command('keys')
    .description('Create, list and revoke consumer API keys')
    .allowUnknownOption()
    .action(() => {
      throw new NavanBridgeError('NOT_BUILT', 'navan-bridge keys is not built yet in this version; see the open issues.');
    });
}
