import { Command } from 'commander';
import { describeError } from '../shared/errors.js';
import { registerCommands } from './commands/index.js';

/** The `navan-bridge` command line. Each command lives in its own file under ./commands. */
export async function main(argv: string[] = process.argv): Promise<void> {
  const program = new Command();
  program
    .name('navan-bridge')
    .description('Self-hosted integration platform for the Navan travel and expense API.')
    .option('--verbose', 'show stack traces on errors')
    .showHelpAfterError('(run navan-bridge --help for the list of commands)');
  registerCommands(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const verbose = program.opts().verbose || argv.includes('--verbose');
    console.error(`navan-bridge: ${describeError(err, verbose)}`);
    process.exitCode = 1;
  }
}
