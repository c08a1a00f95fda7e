import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYamlText, parseAllDocuments } from 'yaml';
import { parseRole } from '../../src/app/index.js';
import { buildOpsServer } from '../../src/app/ops-server.js';
import { registerCommands } from '../../src/cli/commands/index.js';
import { CONFIG_ENV_VARS, configSchema, loadConfig } from '../../src/config/index.js';
import { buildServer } from '../../src/server/index.js';
import { openWarehouse, type Warehouse } from '../../src/warehouse/index.js';

/**
 * The deployment files cannot be run here (no container engine, no cluster), so everything that
 * can be checked without running them is checked: the YAML parses, every env var they set is one
 * navan-bridge reads, every port is the configured server port, every probe path is a route, and
 * the command with its roles exists in the CLI.
 */
const root = resolve(import.meta.dirname, '../..');
const dockerDir = join(root, 'deploy/docker');
const k8sDir = join(root, 'deploy/k8s');
const run = promisify(execFile);

type Doc = Record<string, any>;
const yamlFiles = (dir: string) => readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(dir, f));
function parseYaml(file: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { merge: true }); // compose uses << merge keys
  const list = Array.isArray(docs) ? docs : [docs];
  for (const d of list) if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
  return list.map((d) => d.toJS() as Doc).filter((d) => d !== null);
}

const compose = parseYaml(join(dockerDir, 'docker-compose.yml'))[0]!;
const k8s = yamlFiles(k8sDir).flatMap((f) => parseYaml(f).map((doc) => ({ file: f, doc })));
const deployments = k8s.filter((x) => x.doc.kind === 'Deployment').map((x) => x.doc);
const configMap = k8s.find((x) => x.doc.kind === 'ConfigMap')!.doc;
const dockerfile = readFileSync(join(dockerDir, 'Dockerfile'), 'utf8');
/** The port every role listens on unless PORT or the config says otherwise. */
const defaultPort = configSchema.parse({}).server.port;

/** Services of compose.yml that run navan-bridge (built from our Dockerfile). */
const navanServices = Object.entries(compose.services as Record<string, Doc>).filter(([, s]) => String(s.image ?? '').startsWith('navan-bridge'));

/** Variables named by `{ env: NAME }` (or "env:NAME") anywhere in a config file. */
function envRefs(value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === 'string' && value.startsWith('env:')) out.add(value.slice(4));
  else if (Array.isArray(value)) value.forEach((v) => envRefs(v, out));
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.env === 'string' && Object.keys(o).length === 1) out.add(o.env);
    else Object.values(o).forEach((v) => envRefs(v, out));
  }
  return out;
}

/** Read outside the config loader, each by the file named here (checked below). */
const READ_ELSEWHERE: Record<string, string> = { NAVAN_BRIDGE_MASTER_KEY: 'src/auth/keys.ts' };
/** The runtime's own variables, not navan-bridge settings. */
const RUNTIME_VARS = new Set(['NODE_ENV', 'NODE_OPTIONS']);

const composeConfigText = readFileSync(join(dockerDir, 'navan-bridge.config.yaml'), 'utf8');
const k8sConfigText = configMap.data['navan-bridge.config.yaml'] as string;

describe('deployment files', () => {
  let scratch: string;
  let warehouse: Warehouse;
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'nb-deploy-'));
    warehouse = await openWarehouse({ databaseUrl: 'sqlite::memory:' });
    await warehouse.migrate();
  });
  afterAll(async () => {
    await warehouse?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('every YAML file under deploy/docker and deploy/k8s parses', () => {
    const files = [...yamlFiles(dockerDir), ...yamlFiles(k8sDir)];
    expect(files.length).toBeGreaterThanOrEqual(9);
    for (const f of files) expect(() => parseYaml(f), f).not.toThrow();
    expect(Object.keys(compose.services).sort()).toEqual(['alertmanager', 'postgres', 'prometheus', 'redis', 'scheduler', 'server', 'worker']);
    expect(compose.services.server.deploy.replicas).toBe(2);
    expect(compose.services.worker.deploy.replicas).toBe(2);
    expect(k8s.map((x) => x.doc.kind)).toEqual(expect.arrayContaining(['Deployment', 'Service', 'PodDisruptionBudget', 'ConfigMap', 'Secret']));
  });

  it('CONFIG_ENV_VARS lists every variable the loader reads', () => {
    const source = readFileSync(join(root, 'src/config/load.ts'), 'utf8');
    const read = new Set([...source.matchAll(/env\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!));
    for (const quoted of source.matchAll(/'(NAVAN_[A-Z_]+)'/g)) read.add(quoted[1]!);
    expect([...read].filter((v) => !(CONFIG_ENV_VARS as readonly string[]).includes(v))).toEqual([]);
    for (const [name, file] of Object.entries(READ_ELSEWHERE)) expect(readFileSync(join(root, file), 'utf8')).toContain(`env.${name}`);
  });

  it('every env var that compose sets for navan-bridge is one navan-bridge reads', () => {
    const known = new Set<string>([...CONFIG_ENV_VARS, ...Object.keys(READ_ELSEWHERE), ...RUNTIME_VARS, ...envRefs(parseYaml(join(dockerDir, 'navan-bridge.config.yaml'))[0])]);
    expect(navanServices.map(([name]) => name).sort()).toEqual(['scheduler', 'server', 'worker']);
    for (const [name, service] of navanServices) {
      const env = service.environment as Record<string, string>;
      expect(Object.keys(env).filter((k) => !known.has(k)), name).toEqual([]);
      // The config file the services name is the one they mount.
      const mounted = (service.volumes as string[]).map((v) => v.split(':')).find(([, target]) => target === env.NAVAN_BRIDGE_CONFIG);
      expect(mounted, `${name} mounts NAVAN_BRIDGE_CONFIG`).toBeDefined();
      expect(existsSync(resolve(dockerDir, mounted![0]!))).toBe(true);
    }
  });

  it('every env var the Kubernetes pods set is read by navan-bridge, and every Secret key they use exists', () => {
    const secretRefs = envRefs(parseYamlText(k8sConfigText));
    const known = new Set<string>([...CONFIG_ENV_VARS, ...Object.keys(READ_ELSEWHERE), ...RUNTIME_VARS, ...secretRefs]);
    const secret = k8s.find((x) => x.doc.kind === 'Secret')!.doc;
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['navan-bridge-scheduler', 'navan-bridge-server', 'navan-bridge-worker']);
    for (const d of deployments) {
      const c = d.spec.template.spec.containers[0];
      const names = (c.env as { name: string }[]).map((e) => e.name);
      expect(names.filter((n) => !known.has(n)), d.metadata.name).toEqual([]);
      // Every secret referenced in the config file is provided to the pod.
      for (const r of secretRefs) expect(names, `${d.metadata.name} sets ${r}`).toContain(r);
      for (const e of c.env as { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[]) {
        const ref = e.valueFrom?.secretKeyRef;
        if (!ref) continue;
        expect(ref.name).toBe(secret.metadata.name);
        expect(Object.keys(secret.stringData)).toContain(ref.key);
      }
      // Secrets come from the Secret object, never inline.
      for (const secretVar of ['DATABASE_URL', 'NAVAN_BRIDGE_MASTER_KEY', 'ACME_NAVAN_CLIENT_SECRET']) {
        const e = (c.env as { name: string; value?: string; valueFrom?: unknown }[]).find((x) => x.name === secretVar);
        expect(e?.valueFrom, `${d.metadata.name} ${secretVar}`).toBeDefined();
        expect(e?.value).toBeUndefined();
      }
    }
    expect(secretRefs.size).toBeGreaterThan(0);
  });

  it('both config files load through the real loader with the environment the deployments give', () => {
    const env = { PORT: '3000', DATABASE_URL: 'postgres://navan:x@postgres:5432/navan', REDIS_URL: 'redis://redis:6379', ACME_NAVAN_CLIENT_SECRET: 'x'.repeat(32), NAVAN_BASE_URL: 'https://api.navan.com', NAVAN_CLIENT_ID: 'id', NAVAN_CLIENT_SECRET: 'y'.repeat(32) };
    for (const [name, text] of [['compose', composeConfigText], ['k8s', k8sConfigText], ['image', readFileSync(join(dockerDir, 'container.config.yaml'), 'utf8')]] as const) {
      const file = join(scratch, `${name}.yaml`);
      writeFileSync(file, text);
      const cfg = loadConfig({ env: { ...env, NAVAN_BRIDGE_CONFIG: file }, cwd: scratch });
      // Inside a container the server must listen on every interface, on the port the files expose.
      expect(cfg.server.host, name).toBe('0.0.0.0');
      expect(cfg.server.port, name).toBe(defaultPort);
      expect(cfg.storage.redisUrl).toBe(env.REDIS_URL);
      if (name !== 'image') {
        // The Redis-outage share must match the processes that call Navan (servers + workers).
        const replicas = name === 'compose'
          ? compose.services.server.deploy.replicas + compose.services.worker.deploy.replicas
          : deployments.filter((d) => /-(server|worker)$/.test(d.metadata.name)).reduce((a, d) => a + d.spec.replicas, 0);
        expect(cfg.gateway.processCount, `${name} gateway.processCount`).toBe(replicas);
      }
    }
  });

  it('every port is the server port of the config schema', () => {
    expect(defaultPort).toBe(3000);
    expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${defaultPort}$`, 'm'));
    expect(dockerfile).toMatch(new RegExp(`PORT=${defaultPort}`));
    for (const [name, s] of navanServices) {
      expect(Number(s.environment.PORT), name).toBe(defaultPort);
      for (const p of (s.ports ?? []) as string[]) expect(Number(p.split(':').pop()), name).toBe(defaultPort);
    }
    const prom = parseYaml(join(dockerDir, 'prometheus.yml'))[0]!;
    expect(prom.scrape_configs[0].dns_sd_configs[0].port).toBe(defaultPort);
    for (const d of deployments) {
      const c = d.spec.template.spec.containers[0];
      expect(c.ports, d.metadata.name).toEqual([{ name: 'http', containerPort: defaultPort }]);
      expect(Number(c.env.find((e: { name: string }) => e.name === 'PORT').value)).toBe(defaultPort);
      expect(Number(d.spec.template.metadata.annotations['prometheus.io/port'])).toBe(defaultPort);
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) expect(c[probe].httpGet.port, `${d.metadata.name} ${probe}`).toBe('http');
    }
    const service = k8s.find((x) => x.doc.kind === 'Service')!.doc;
    expect(service.spec.ports[0].targetPort).toBe('http');
    expect(service.spec.selector).toEqual(deployments.find((d) => d.metadata.name === 'navan-bridge-server')!.spec.selector.matchLabels);
  });

  it('the PodDisruptionBudgets select the server and worker pods', () => {
    const pdbs = k8s.filter((x) => x.doc.kind === 'PodDisruptionBudget').map((x) => x.doc);
    const selectors = deployments.map((d) => JSON.stringify(d.spec.selector.matchLabels));
    expect(pdbs.length).toBe(2);
    for (const p of pdbs) expect(selectors).toContain(JSON.stringify(p.spec.selector.matchLabels));
  });

  it('every probe and healthcheck path is a route of the process that serves it', async () => {
    const config = loadConfig({ env: {}, cwd: scratch });
    const api = await buildServer({ config, warehouse });
    const ops = buildOpsServer({ role: 'worker', warehouse, metrics: { contentType: 'text/plain', text: async () => '' } });
    await api.ready();
    await ops.ready();
    try {
      const served = (role: string) => (role === 'server' || role === 'all' ? api : ops);
      for (const d of deployments) {
        const c = d.spec.template.spec.containers[0];
        const role = c.command[c.command.indexOf('--role') + 1];
        for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
          const path = c[probe].httpGet.path as string;
          expect(served(role).hasRoute({ method: 'GET', url: path }), `${d.metadata.name} ${probe} ${path}`).toBe(true);
        }
      }
      const health = /HEALTHCHECK[\s\S]*?\/healthz/.test(dockerfile);
      expect(health).toBe(true);
      expect(api.hasRoute({ method: 'GET', url: '/healthz' }) && ops.hasRoute({ method: 'GET', url: '/healthz' })).toBe(true);
      expect(api.hasRoute({ method: 'GET', url: '/metrics' }) && ops.hasRoute({ method: 'GET', url: '/metrics' })).toBe(true);
    } finally {
      await api.close();
      await ops.close();
    }
  });

  it('the image command and every role used exist in the CLI', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
    expect(cmd).not.toBeNull();
    const argv = JSON.parse(cmd![1]!) as string[];
    expect(argv).toEqual(['node', 'bin/navan-bridge', 'start', '--role', 'all']);
    const commands = [argv, ...navanServices.map(([, s]) => s.command as string[]), ...deployments.map((d) => d.spec.template.spec.containers[0].command as string[])];
    const program = new Command();
    registerCommands(program);
    for (const c of commands) {
      expect(c.slice(0, 2)).toEqual(['node', 'bin/navan-bridge']);
      expect(existsSync(join(root, c[1]!))).toBe(true);
      const sub = program.commands.find((x) => x.name() === c[2]);
      expect(sub, `command ${c[2]}`).toBeDefined();
      const roleAt = c.indexOf('--role');
      expect(roleAt).toBeGreaterThan(2);
      expect(sub!.options.some((o) => o.long === '--role'), `${c[2]} --role`).toBe(true);
      expect(() => parseRole(c[roleAt + 1]!)).not.toThrow();
    }
    expect(new Set(commands.map((c) => c[c.indexOf('--role') + 1]))).toEqual(new Set(['all', 'server', 'worker', 'scheduler']));
  });

  it('the image is pinned, multi-stage, non-root and prunes dev dependencies', () => {
    const from = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!);
    expect(from.length).toBeGreaterThanOrEqual(2);
    const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)![1]!;
    expect(image).toMatch(/^node:20\.\d+-bookworm-slim$/);
    expect(dockerfile).toMatch(/npm ci /);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    // The dependencies whose install scripts the image runs are the ones package.json allows.
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { allowScripts: Record<string, boolean> };
    const rebuilt = /npm rebuild ([^\n\\]+)/.exec(dockerfile)![1]!.trim().split(/\s+/);
    expect(rebuilt.sort()).toEqual(Object.keys(pkg.allowScripts).sort());
    const user = /^USER (\S+)$/m.exec(dockerfile)![1]!;
    expect(user.split(':')[0]).not.toMatch(/^(0|root)$/);
    // Every COPY source outside the build stage exists in the repository.
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(?:--\S+ )*(.+) \S+$/gm)) {
      for (const src of m[1]!.split(' ')) expect(existsSync(join(root, src)), src).toBe(true);
    }
    for (const image of Object.values(compose.services as Record<string, Doc>).map((s) => String(s.image))) expect(image).toMatch(/:[0-9v][\w.-]*$/);
  });

  it('promtool accepts the compose Prometheus config with our rules, and every file compose mounts exists', async () => {
    const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));
    if (!promtool) throw new Error('promtool is not installed; install Debian\'s prometheus package (.ci/run does).');
    const prom = readFileSync(join(dockerDir, 'prometheus.yml'), 'utf8').replace('/etc/prometheus/alerts.yml', join(root, 'deploy/prometheus/alerts.yml'));
    const file = join(scratch, 'prometheus.yml');
    writeFileSync(file, prom);
    const { stdout } = await run(promtool, ['check', 'config', file]);
    expect(stdout).toContain('SUCCESS');
    const volumes = [...compose.services.prometheus.volumes, ...compose.services.alertmanager.volumes] as string[];
    for (const v of volumes.filter((x) => x.startsWith('.'))) expect(existsSync(resolve(dockerDir, v.split(':')[0]!)), v).toBe(true);
    expect(dirname(compose.services.alertmanager.command[0].split('=')[1])).toBe('/etc/alertmanager');
  });
});

