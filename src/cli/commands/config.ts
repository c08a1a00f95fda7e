import type { Command } from 'commander';
import { loadConfig, printableConfig } from '../../config/index.js';

export function registerConfig(program: Command): void {
  const cmd = program.command('config').description('Validate and show the loaded configuration (every secret masked)');
  cmd
    .command('show', { isDefault: true })
    .description('Print the configuration as loaded from file and environment, secrets masked')
    .action(() => {
      const cfg = loadConfig();
      console.log(JSON.stringify(printableConfig(cfg), null, 2));
    });
}
