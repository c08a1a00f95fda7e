import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { freePort, waitFor, type ChildSet } from './children.js';

export interface AlertSeen {
  alertname: string;
  tenant: string;
  firstFiring?: number;
  /** When it was last seen firing; resolved once a later poll no longer lists it. */
  lastFiring?: number;
  resolvedAt?: number;
}

/**
 * A real Prometheus (Debian's /usr/bin/prometheus) scraping every navan-bridge process and
 * evaluating deploy/prometheus/alerts.yml: the alerting path of a split deployment, where no
 * single process sees all the metrics. Windows are shortened for a run of minutes
 * (5m → 1m, for: 1m → for: 0s); thresholds are the file's own.
 */
export interface ChaosPrometheus {
  url: string;
  /** Polls /api/v1/alerts and records when each (alert, tenant) fired and resolved. */
  poll(): Promise<void>;
  alerts(): AlertSeen[];
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
}

export const PROMETHEUS_BIN = '/usr/bin/prometheus';

export function shortenRules(text: string): string {
  return text
    .replace(/\[(5|15)m\]/g, '[1m]')
    .replace(/offset 5m/g, 'offset 1m')
    .replace(/offset 10m/g, 'offset 2m')
    .replace(/for: 1m/g, 'for: 0s');
}

export async function startPrometheus(children: ChildSet, dir: string, rulesFile: string, targets: () => string[]): Promise<ChaosPrometheus> {
  const port = await freePort();
  const home = join(dir, 'prometheus');
  mkdirSync(join(home, 'data'), { recursive: true });
  writeFileSync(join(home, 'alerts.yml'), shortenRules(readFileSync(rulesFile, 'utf8')));
  // file_sd: the target list is rewritten when a killed worker is replaced.
  const writeTargets = () => writeFileSync(join(home, 'targets.json'), JSON.stringify([{ targets: targets(), labels: { job: 'navan-bridge' } }]));
  writeTargets();
  writeFileSync(
    join(home, 'prometheus.yml'),
    [
      'global: { scrape_interval: 2s, evaluation_interval: 2s, scrape_timeout: 1500ms }',
      `rule_files: [${JSON.stringify(join(home, 'alerts.yml'))}]`,
      'scrape_configs:',
      '  - job_name: navan-bridge',
      `    file_sd_configs: [{ files: [${JSON.stringify(join(home, 'targets.json'))}], refresh_interval: 2s }]`,
      '',
    ].join('\n'),
  );
  children.spawn('prometheus', PROMETHEUS_BIN, [
    `--config.file=${join(home, 'prometheus.yml')}`, `--storage.tsdb.path=${join(home, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=2h', '--log.level=warn',
  ], { env: { PATH: process.env.PATH }, cwd: home });
  const url = `http://127.0.0.1:${port}`;
  const api = async (path: string) => {
    const res = await request(`${url}${path}`);
    const body = (await res.body.json()) as { status: string; data: any };
    if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${JSON.stringify(body)}`);
    return body.data;
  };
  await waitFor('Prometheus to be ready', async () => ((await request(`${url}/-/ready`).then((r) => r.body.text().then(() => r.statusCode))) === 200 ? true : undefined), 30_000);
  const seen = new Map<string, AlertSeen>();
  return {
    url,
    async poll() {
      writeTargets();
      const data = (await api('/api/v1/alerts')) as { alerts: { labels: Record<string, string>; state: string }[] };
      const now = Date.now();
      const firingNow = new Set<string>();
      for (const a of data.alerts) {
        if (a.state !== 'firing') continue;
        const key = `${a.labels.alertname}/${a.labels.tenant ?? ''}`;
        firingNow.add(key);
        const s = seen.get(key) ?? { alertname: a.labels.alertname!, tenant: a.labels.tenant ?? '' };
        s.firstFiring ??= now;
        s.lastFiring = now;
        s.resolvedAt = undefined;
        seen.set(key, s);
      }
      for (const [key, s] of seen) if (!firingNow.has(key) && s.resolvedAt === undefined) s.resolvedAt = now;
    },
    alerts: () => [...seen.values()],
    query: async (promql) => ((await api(`/api/v1/query?query=${encodeURIComponent(promql)}`)) as { result: { metric: Record<string, string>; value: [number, string] }[] }).result,
  };
}
