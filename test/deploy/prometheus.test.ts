import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ManualClock } from '../../src/shared/clock.js';
import { EventBus } from '../../src/shared/events.js';
import { alertRules, createMetrics } from '../../src/monitor/index.js';
import { loadConfig } from '../../src/config/index.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const rules = join(root, 'deploy/prometheus/alerts.yml');
const ruleTests = join(root, 'deploy/prometheus/alerts.test.yml');
const am = join(root, 'deploy/alertmanager/alertmanager.yml');

// CI installs Debian's prometheus and prometheus-alertmanager; a missing tool is a failure, not a skip.
function tool(name: string): string {
  const path = [process.env[`${name.toUpperCase()}_PATH`], `/usr/bin/${name}`, `/usr/local/bin/${name}`].find((p) => p && existsSync(p));
  if (!path) throw new Error(`${name} is not installed; install Debian's ${name === 'amtool' ? 'prometheus-alertmanager' : 'prometheus'} package (apt-get download + dpkg -x is enough).`);
  return path;
}

const scratch = mkdtempSync(join(tmpdir(), 'nb-rules-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('deploy/prometheus and deploy/alertmanager', () => {
  it('promtool check rules accepts alerts.yml', async () => {
    const { stdout } = await run(tool('promtool'), ['check', 'rules', rules]);
    expect(stdout).toContain('SUCCESS: 8 rules found');
  });

  it('promtool test rules passes every firing and not-firing case', async () => {
    const { stdout } = await run(tool('promtool'), ['test', 'rules', ruleTests]);
    expect(stdout).toContain('SUCCESS');
  });

  it('the unit tests catch a wrong threshold (error rate 50% instead of 5%)', async () => {
    writeFileSync(join(scratch, 'alerts.yml'), readFileSync(rules, 'utf8').replace('> 0.05', '> 0.5'));
    copyFileSync(ruleTests, join(scratch, 'alerts.test.yml'));
    const failed = await run(tool('promtool'), ['test', 'rules', join(scratch, 'alerts.test.yml')]).then(
      () => undefined,
      (err: { stdout: string; stderr: string }) => err.stdout + err.stderr,
    );
    expect(failed).toMatch(/FAILED:\s+alertname: NavanApiErrorRate/);
  });

  it('amtool check-config accepts the example Alertmanager configuration', async () => {
    const { stdout } = await run(tool('amtool'), ['check-config', am]);
    expect(stdout).toContain('SUCCESS');
  });

  it('routes P1 and P2 to PagerDuty and the rest to Slack', () => {
    const cfg = parse(readFileSync(am, 'utf8'));
    expect(cfg.route.receiver).toBe('slack-navan-bridge');
    const byPriority = Object.fromEntries(cfg.route.routes.map((r: any) => [r.matchers[0], r.receiver]));
    expect(byPriority).toEqual({ 'priority="P1"': 'pagerduty-p1', 'priority="P2"': 'pagerduty-p2' });
    const receivers = Object.fromEntries(cfg.receivers.map((r: any) => [r.name, r]));
    expect(receivers['pagerduty-p1'].pagerduty_configs[0].severity).toBe('critical');
    expect(receivers['pagerduty-p2'].pagerduty_configs[0].severity).toBe('error');
  });

  it('has the same alerts, routes and priorities as the built-in evaluator, over metrics it exports', async () => {
    const doc = parse(readFileSync(rules, 'utf8'));
    const promRules: any[] = doc.groups[0].rules;
    const builtIn = Object.values(alertRules(loadConfig({ env: {}, cwd: scratch }).monitor.thresholds));
    expect(promRules.map((r) => r.alert).sort()).toEqual(builtIn.map((r) => r.name).sort());
    for (const r of builtIn) {
      const p = promRules.find((x) => x.alert === r.name);
      expect(p.labels.route, r.name).toBe(r.route);
      expect(p.labels.priority, r.name).toBe(r.priority);
      expect(p.annotations.runbook_url).toBe(`README.md#${r.name.toLowerCase()}`);
    }
    const metrics = createMetrics({ events: new EventBus(), tenants: ['acme'], collectDefault: false, clock: new ManualClock() });
    const exported = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    metrics.close();
    const used = new Set(promRules.flatMap((r) => [...String(r.expr).matchAll(/navan_bridge_[a-z_]+/g)].map((m) => m[0].replace(/_bucket$/, ''))));
    for (const name of used) expect(exported.has(name), name).toBe(true);
  });

  it('documents a runbook entry for every alert in the README', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const name of parse(readFileSync(rules, 'utf8')).groups[0].rules.map((r: any) => r.alert)) {
      expect(readme, name).toMatch(new RegExp(`^### ${name}$`, 'm'));
    }
  });
});
