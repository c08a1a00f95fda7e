/** The Navan simulator: a faithful local stand-in for the Navan API, with a control plane for tests. */
export { startSimulator } from './server.js';
export type { SimulatorOptions, Simulator } from './server.js';
export type { SimStats } from './stats.js';
export type { FaultRule } from './faults.js';
