import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { openSyncQueue } from '../../src/queue/index.js';
import { silentLogger } from '../../src/shared/logger.js';
import { openWarehouse } from '../../src/warehouse/index.js';
import { waitFor } from './harness/children.js';
import { ROOT, type ChaosStack, type TenantId } from './stack.js';

export type Stream = 'bookings' | 'transactions' | 'users';

/** How the chaos run asks the distributed queue for work and sees it finish. */
export interface QueueDriver {
  enqueue(tenant: TenantId, stream: Stream, mode: 'full' | 'incremental'): Promise<void>;
  /** Waits until every run enqueued since `since` ended and the queue has nothing left. */
  waitUntilDone(label: string, since: number, timeoutMs: number): Promise<void>;
  /** Jobs in the failed set, with their errors. */
  failed(): Promise<{ name: string; reason: string }[]>;
  close(): Promise<void>;
}

/** Why the suite cannot run on this machine or in this tree, or undefined when it can. */
export async function missingForChaos(tools: [string, boolean][]): Promise<string | undefined> {
  const absent = tools.filter(([, ok]) => !ok).map(([name]) => name);
  if (absent.length) return `not installed: ${absent.join(', ')}`;
  if (!existsSync(join(ROOT, 'src/queue/index.ts'))) return 'src/queue (BullMQ workers and scheduler) is not in this tree yet, so --role worker|scheduler cannot run';
  // `start --role worker|scheduler` reaches src/queue through src/app or the start command.
  const glue = ['src/app', 'src/cli/commands'].flatMap((d) => readdirSync(join(ROOT, d)).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(join(ROOT, d, f), 'utf8')));
  if (!glue.some((text) => /from '(\.\.\/)+queue\/index\.js'/.test(text))) return '`navan-bridge start --role worker|scheduler` is not wired to src/queue yet (nothing in src/app or src/cli/commands imports it)';
  return undefined;
}

/**
 * The driver over src/queue's producer handle: the same `enqueue` the CLI and the scheduler's ticks
 * use, `pending()` for "the queue is idle", and the warehouse's `sync_run` rows for "each run ended
 * well" (a full refresh split into windows is one run row, finished by its last job).
 */
export async function openQueueDriver(stack: ChaosStack): Promise<QueueDriver> {
  const config = loadConfig({ file: stack.configFile, env: stack.env(0), cwd: stack.dir });
  const queue = openSyncQueue({ runtime: { config, logger: silentLogger } });
  const wh = await openWarehouse({ databaseUrl: stack.databaseUrl });
  const enqueued: { tenant: TenantId; stream: Stream; at: number }[] = [];
  // queue.pending() also counts the delayed next tick of every job scheduler, which is always
  // there while a scheduler runs: work is what is left once those are set aside.
  const pendingWork = async () => {
    const c = await queue.queue.getJobCounts('wait', 'prioritized', 'active', 'waiting-children', 'paused');
    const delayed = (await queue.queue.getDelayed()).filter((j) => !j.repeatJobKey);
    return Object.values(c).reduce((a, b) => a + b, 0) + delayed.length;
  };
  return {
    async enqueue(tenant, stream, mode) {
      enqueued.push({ tenant, stream, at: Date.now() });
      await queue.enqueue({ tenant, stream, mode });
    },
    async waitUntilDone(label, since, timeoutMs) {
      const wanted = enqueued.filter((e) => e.at >= since);
      let left = '';
      await waitFor(`${label}: every enqueued run to end well and the queue to be idle`, async () => {
        const runs = await wh.db.selectFrom('sync_run').select(['_tenant', 'stream', 'status']).where('started_at', '>=', new Date(since - 1_000).toISOString()).execute();
        const ok = (t: string, s: string) => runs.some((r) => r._tenant === t && r.stream === s && (r.status === 'success' || r.status === 'suspect'));
        const notYet = wanted.filter((w) => !ok(w.tenant, w.stream));
        const pending = await pendingWork();
        left = `${pending} job(s) pending; runs not yet ended well: ${notYet.map((w) => `${w.tenant}.${w.stream}`).join(', ') || 'none'}`;
        return notYet.length === 0 && pending === 0 ? true : undefined;
      }, timeoutMs, 1_000).catch((err: Error) => {
        throw new Error(`${err.message} ${left}`);
      });
    },
    async failed() {
      return (await queue.failed()).map((f) => ({ name: f.name, reason: f.reason }));
    },
    async close() {
      await queue.close();
      await wh.close();
    },
  };
}

