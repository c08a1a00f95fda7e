import type { Runtime } from '../runtime/index.js';

/** What the queue needs from the runtime (src/runtime): config, warehouse, Navan clients, events, clock, logger, Redis. */
export type QueueRuntime = Pick<Runtime, 'config' | 'warehouse' | 'clientFor' | 'events' | 'clock' | 'logger' | 'redis'>;
