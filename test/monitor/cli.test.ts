import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, afterEach, describe, expect, it, vi } from 'vitest';
import { registerAlerts } from '../../src/cli/commands/alerts.js';
import { startPagerDutyReceiver, startSlackReceiver, type PagerDutyReceiver, type SlackReceiver } from '../../src/sim/alerts/index.js';
import { ROUTING_KEY } from './helpers.js';

let pd: PagerDutyReceiver;
let slack: SlackReceiver;
beforeAll(async () => {
  [pd, slack] = await Promise.all([startPagerDutyReceiver(), startSlackReceiver()]);
  const dir = mkdtempSync(join(tmpdir(), 'nb-alerts-cli-'));
  const file = join(dir, 'navan-bridge.config.json');
  writeFileSync(file, JSON.stringify({ logLevel: 'silent', monitor: { pagerduty: { routingKey: ROUTING_KEY, url: pd.url }, slack: { webhookUrl: slack.url } } }));
  vi.stubEnv('NAVAN_BRIDGE_CONFIG', file);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([pd.close(), slack.close()]);
});
afterEach(() => vi.restoreAllMocks());

async function run(...args: string[]): Promise<string> {
  const out: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  const program = new Command().exitOverride();
  registerAlerts(program);
  await program.parseAsync(['node', 'navan-bridge', 'alerts', 'test', ...args]);
  return out.join('\n');
}

describe('navan-bridge alerts test', () => {
  it('sends a labelled test trigger and its resolve to PagerDuty, without printing the routing key', async () => {
    const out = await run('--route', 'pagerduty');
    expect(pd.received.map((e) => [e.event_action, e.dedup_key, e.payload?.severity])).toEqual([
      ['trigger', 'navan-bridge/test/NavanBridgeTestNotification', 'info'],
      ['resolve', 'navan-bridge/test/NavanBridgeTestNotification', undefined],
    ]);
    expect(pd.received[0]!.payload!.summary).toMatch(/^\[TEST\]/);
    expect(out).toContain('Sent a test notification to PagerDuty');
    expect(out).not.toContain(ROUTING_KEY);
  });

  it('sends a labelled test message to Slack', async () => {
    await run('--route', 'slack');
    expect(slack.received).toHaveLength(1);
    expect(slack.received[0]!.text).toMatch(/^\[FIRING\] NavanBridgeTestNotification \(test\): \[TEST\]/);
  });

  it('refuses an unknown route with one sentence', async () => {
    await expect(run('--route', 'email')).rejects.toThrow('--route: "email" is not a route; use pagerduty or slack.');
  });
});
