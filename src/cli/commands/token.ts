import type { Command } from 'commander';
import { NavanBridgeError } from '../../shared/errors.js';

// Placeholder until the issue that builds this command lands; it says so instead of failing silently.
export function registerToken(program: Command): void {
  program
    .command('token')
    .description('Show token status per tenant, or force a refresh; never prints a token')
    .allowUnknownOption()
    .action(() => {
      throw new NavanBridgeError('NOT_BUILT', 'navan-bridge token is not built yet in this version; see the open issues.');
    });
}
