/**
 * The simulator's clock runs at wall-clock speed from its start time, and tests move it with
 * advance()/set(), so a demo's tokens expire in real time while a test skips 12 hours at once.
 */
export class SimClock {
  #offset: number;
  constructor(start: number) {
    this.#offset = start - Date.now();
  }
  now(): number {
    return Date.now() + this.#offset;
  }
  advance(ms: number): void {
    this.#offset += ms;
  }
  set(ms: number): void {
    this.#offset = ms - Date.now();
  }
}
