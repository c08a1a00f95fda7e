import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { ConfigError } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import { dedupKeyOf, notifiersFromConfig, type AlertState } from '../../monitor/index.js';

/** `navan-bridge alerts test --route pagerduty|slack`: proves the notification path works, end to end. */
export function registerAlerts(program: Command): void {
  const cmd = program.command('alerts').description('Alert notifications: send a test notification to PagerDuty or Slack');
  cmd
    .command('test')
    .description('Send a clearly labelled test notification (PagerDuty: trigger, then resolve at once)')
    .requiredOption('--route <route>', 'pagerduty or slack')
    .action(async (opts: { route: string }) => {
      if (opts.route !== 'pagerduty' && opts.route !== 'slack') throw new ConfigError(`--route: "${opts.route}" is not a route; use pagerduty or slack.`);
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel });
      const notifier = notifiersFromConfig(config, { logger }).find((n) => n.route === opts.route);
      if (!notifier) {
        const key = opts.route === 'pagerduty' ? 'monitor.pagerduty.routingKey' : 'monitor.slack.webhookUrl';
        throw new ConfigError(`${key}: is not set; add it to the configuration file to send ${opts.route} notifications.`);
      }
      const name = 'NavanBridgeTestNotification';
      const alert: AlertState = {
        name, tenant: 'test', route: opts.route, severity: 'info', since: Date.now(), dedupKey: dedupKeyOf(name, 'test'),
        summary: '[TEST] navan-bridge test notification: the alert path works; no action needed.',
      };
      await notifier.notify(alert, 'trigger');
      // A test must not leave an open incident paging someone.
      if (opts.route === 'pagerduty') await notifier.notify(alert, 'resolve');
      console.log(`Sent a test notification to ${opts.route === 'pagerduty' ? 'PagerDuty (triggered and resolved)' : 'Slack'}, dedup key ${alert.dedupKey}.`);
    });
}
