import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { NavanBridgeError } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import { startSimulator } from '../../sim/index.js';
import { closeOnSignal } from './sim.js';

// Interim: until the server issue lands, `start` without Navan credentials runs the simulator
// and explains how to use it; with credentials it says the platform is not built yet.
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Start the platform (server, scheduler, monitoring); with no Navan credentials, a demo on the built-in simulator')
    .allowUnknownOption()
    .action(async () => {
      if (loadConfig().tenants.length > 0) {
        throw new NavanBridgeError('NOT_BUILT', 'navan-bridge start with configured Navan tenants is not built yet in this version; remove the tenants (or NAVAN_CLIENT_ID) to run the simulator demo.');
      }
      const sim = await startSimulator({ logger: createLogger({ name: 'navan-sim' }) });
      closeOnSignal(sim);
      const form = `grant_type=client_credentials&client_id=${sim.clientId}&client_secret=${sim.clientSecret}`;
      const now = Math.floor(Date.now() / 1000);
      console.log(
        [
          'No Navan credentials configured: running the built-in Navan simulator (demo data, nothing leaves this machine).',
          '',
          `  simulator     ${sim.url}`,
          `  client id     ${sim.clientId}`,
          `  client secret ${sim.clientSecret}   (a simulator credential)`,
          '',
          'Try it:',
          `  TOKEN=$(curl -s -d '${form}' ${sim.url}/ta-auth/oauth/token | sed 's/.*"access_token":"\\([^"]*\\)".*/\\1/')`,
          `  curl -s -H "Authorization: Bearer $TOKEN" '${sim.url}/v1/bookings?createdFrom=${now - 30 * 86400}&createdTo=${now}&size=5'`,
          `  curl -s ${sim.url}/__sim/stats`,
          '',
          'The control plane (/__sim/...) is described in README.md under "The Navan simulator". Ctrl-C stops it.',
        ].join('\n'),
      );
    });
}
