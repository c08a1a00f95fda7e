import { InvalidArgumentError, type Command } from 'commander';
import { createLogger } from '../../shared/logger.js';
import { startNetSuiteSim, startSapSim } from '../../sim/erp/index.js';
import { startSimulator, type SimulatorOptions } from '../../sim/index.js';

function int(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be a whole number, ${min} or more.`);
    return n;
  };
}

function positive(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number, 0 or more.`);
    return n;
  };
}

/** Closes the simulator on SIGINT/SIGTERM so the port is released and the exit code is 0. */
export function closeOnSignal(sim: { close(): Promise<void> }): void {
  const stop = () => {
    void sim.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('Run the built-in Navan simulator on 127.0.0.1 (OAuth, bookings, expense transactions, users, faults)')
    .option('--port <n>', 'port to listen on; 0 picks a free one', int('--port', 0), 0)
    .option('--seed <s>', 'seed for the generated data; the same seed gives the same data', int('--seed', 0), 1)
    .option('--bookings <n>', 'number of generated bookings', int('--bookings', 0), 2000)
    .option('--transactions <n>', 'number of generated expense transactions', int('--transactions', 0), 5000)
    .option('--users <n>', 'number of generated users', int('--users', 1), 200)
    .option('--region <region>', 'US, or EU (API calls then need the X-ta-region: EU header)', 'US')
    .option('--updated-filters', 'accept updatedFrom/updatedTo on /v1/bookings')
    .option('--expires-in <s>', 'access token life in seconds', int('--expires-in', 1), 43199)
    .option('--rate-limit <rps>', 'requests per second per credential before 429', positive('--rate-limit'))
    .option('--visibility-delay-hours <h>', 'hours before a transaction change is listed', positive('--visibility-delay-hours'), 0)
    .option('--erp', 'also start the NetSuite REST and SAP journal entry simulators, and print their URLs and credentials')
    .action(async (opts: Record<string, unknown>) => {
      const region = String(opts.region).toUpperCase();
      if (region !== 'US' && region !== 'EU') throw new InvalidArgumentError('--region must be US or EU.');
      const options: SimulatorOptions = {
        port: opts.port as number,
        seed: opts.seed as number,
        bookings: opts.bookings as number,
        transactions: opts.transactions as number,
        users: opts.users as number,
        region,
        updatedFilters: Boolean(opts.updatedFilters),
        expiresIn: opts.expiresIn as number,
        rateLimitRps: opts.rateLimit as number | undefined,
        visibilityDelayHours: opts.visibilityDelayHours as number,
        logger: createLogger({ name: 'navan-sim' }),
      };
      const sim = await startSimulator(options);
      const erp = opts.erp ? await Promise.all([startNetSuiteSim(), startSapSim()]) : undefined;
      closeOnSignal({ close: async () => void (await Promise.all([sim.close(), ...(erp ?? []).map((e) => e.close())])) });
      // The one place a secret is printed, on purpose: it is a simulator credential, and scripts
      // read this line to configure their client.
      const printed: Record<string, unknown> = { url: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret };
      if (erp) {
        const [netsuite, sap] = erp;
        printed.erp = {
          netsuite: { url: netsuite.url, accountId: netsuite.accountId, ...netsuite.credentials },
          sap: { url: sap.url, readUrl: sap.readUrl, ...sap.credentials },
        };
      }
      process.stdout.write(JSON.stringify(printed) + '\n');
    });
}
