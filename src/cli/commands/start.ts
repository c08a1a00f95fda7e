import type { Command } from 'commander';
import { NavanBridgeError } from '../../shared/errors.js';

// Placeholder until the issue that builds this command lands; it says so instead of failing silently.
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Start the platform (server, scheduler, monitoring); with no Navan credentials, a demo on the built-in simulator')
    .allowUnknownOption()
    .action(() => {
      throw new NavanBridgeError('NOT_BUILT', 'navan-bridge start is not built yet in this version; see the open issues.');
    });
}
