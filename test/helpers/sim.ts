import { request } from 'undici';
import { startSimulator, type SimStats, type Simulator, type SimulatorOptions } from '../../src/sim/index.js';

export type { SimStats, Simulator, SimulatorOptions };

/** The simulator's /__sim/ control plane over HTTP. Non-2xx answers throw with the body. */
export interface SimControl {
  get(path: string): Promise<any>;
  post(path: string, body?: unknown): Promise<any>;
  del(path: string): Promise<any>;
  /** PATCH, for /__sim/bookings/:uuid and /__sim/transactions/:id. */
  patch(path: string, body?: unknown): Promise<any>;
  truth(stream: 'bookings' | 'transactions' | 'users'): Promise<any[]>;
  stats(): Promise<SimStats>;
}

export function controlFor(url: string): SimControl {
  const call = async (method: 'GET' | 'POST' | 'DELETE' | 'PATCH', path: string, body?: unknown) => {
    const full = new URL(path.startsWith('/__sim') ? path : `/__sim${path.startsWith('/') ? '' : '/'}${path}`, url);
    const res = await request(full, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${method} ${full.pathname} answered ${res.statusCode}: ${text}`);
    const type = String(res.headers['content-type'] ?? '');
    if (type.includes('ndjson')) return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    return text ? JSON.parse(text) : undefined;
  };
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body ?? {}),
    del: (path) => call('DELETE', path),
    patch: (path, body) => call('PATCH', path, body ?? {}),
    truth: (stream) => call('GET', `/__sim/truth/${stream}`),
    stats: () => call('GET', '/__sim/stats'),
  };
}

/** Where startTestSim's clock starts unless `now` is given: fixed, so data is the same every run. */
export const TEST_SIM_START = Date.UTC(2026, 0, 15, 12);
/** The anchor for that start (its UTC midnight): bookings are created in the 2 years before it, transactions modified in the year before. */
export const TEST_SIM_ANCHOR = Date.UTC(2026, 0, 15);

/**
 * Starts a simulator on a free 127.0.0.1 port for one test file, with a fixed clock start so
 * generated data is the same on every run. Close it in afterAll.
 *
 *   const sim = await startTestSim({ bookings: 500 });
 *   await sim.control.post('/faults', { rate5xx: 1, count: 2 });
 */
export async function startTestSim(options: SimulatorOptions = {}): Promise<Simulator & { control: SimControl }> {
  const sim = await startSimulator({ now: TEST_SIM_START, ...options });
  return Object.assign(sim, { control: controlFor(sim.url) });
}
