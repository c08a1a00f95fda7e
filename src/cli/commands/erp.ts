import type { Command } from 'commander';
import { NavanBridgeError } from '../../shared/errors.js';

// Placeholder until the issue that builds this command lands; it says so instead of failing silently.
export function registerErp(program: Command): void {
  program
    .command('erp')
    .description('Export Navan transactions to NetSuite, SAP S/4HANA or CSV')
    .allowUnknownOption()
    .action(() => {
      throw new NavanBridgeError('NOT_BUILT', 'navan-bridge erp is not built yet in this version; see the open issues.');
    });
}
