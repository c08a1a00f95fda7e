import { afterEach, describe, expect, it } from 'vitest';
import { createShutdown, type Shutdown } from '../../src/app/index.js';

// A signal nobody else in the test process listens to, emitted in-process: no real signal is sent.
const SIGNAL = 'SIGUSR2' as NodeJS.Signals;
let shutdown: Shutdown | undefined;
afterEach(() => shutdown?.dispose());

function setUp(forceAfterMs = 30_000) {
  const said: string[] = [];
  const exits: number[] = [];
  let exited!: (code: number) => void;
  const exit = new Promise<number>((res) => { exited = res; });
  shutdown = createShutdown({ say: (l) => said.push(l), exit: (code) => { exits.push(code); exited(code); }, signals: [SIGNAL], forceAfterMs });
  return { shutdown, said, exits, exit };
}

describe('graceful shutdown', () => {
  it('closes parts in reverse order of start, aborts its signal first, and exits 0', async () => {
    const { shutdown, said, exit } = setUp();
    const order: string[] = [];
    shutdown.onClose('warehouse', () => { order.push('warehouse'); });
    shutdown.onClose('server', async () => { order.push(`server (signal aborted: ${shutdown.signal.aborted})`); });
    process.emit(SIGNAL, SIGNAL);
    expect(await exit).toBe(0);
    expect(order).toEqual(['server (signal aborted: true)', 'warehouse']);
    expect(said.join('\n')).toContain('press Ctrl-C again to force');
    expect(said.at(-1)).toBe('Stopped cleanly.');
  });

  it('keeps closing the other parts when one fails, and closes a part registered after shutdown began', async () => {
    const { shutdown } = setUp();
    const closed: string[] = [];
    shutdown.onClose('first', () => { closed.push('first'); });
    shutdown.onClose('broken', () => { throw new Error('boom'); });
    await shutdown.stop();
    shutdown.onClose('late', () => { closed.push('late'); });
    await new Promise((r) => setImmediate(r));
    expect(closed).toEqual(['first', 'late']);
    expect(shutdown.stop()).toBe(shutdown.stop());
  });

  it('a second signal forces the exit (130) while a part is still closing', async () => {
    const { shutdown, exits, said } = setUp();
    shutdown.onClose('slow', () => new Promise(() => undefined));
    process.emit(SIGNAL, SIGNAL);
    process.emit(SIGNAL, SIGNAL);
    expect(exits).toEqual([130]);
    expect(said.at(-1)).toMatch(/^Forced exit/);
  });

  it('a shutdown that hangs past the limit exits 1', async () => {
    const { shutdown, exit, said } = setUp(50);
    shutdown.onClose('stuck', () => new Promise(() => undefined));
    process.emit(SIGNAL, SIGNAL);
    expect(await exit).toBe(1);
    expect(said.at(-1)).toBe('Shutdown took longer than 0.05 s; exiting without waiting further.');
  });
});
