/**
 * Deterministic randomness. Every record draws from its own generator seeded by (seed, stream,
 * index), so any record can be rebuilt on demand without generating the ones before it: that is
 * what lets the simulator serve a million bookings without holding them in memory.
 */

/** A 32-bit avalanche mix (murmur3 finaliser) so neighbouring indexes get unrelated seeds. */
export function mix32(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** A uniform fraction in [0, 1) from (seed, stream, index) without building a generator. */
export function fraction(seed: number, stream: number, index: number): number {
  return mix32(seed, stream, index) / 4294967296;
}

/** mulberry32: tiny, fast and good enough for test data. */
export class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  static for(seed: number, stream: number, index: number): Rng {
    return new Rng(mix32(seed, stream, index));
  }
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Advances past n draws without using them: cheaper than building a value nobody reads. */
  skip(n: number): void {
    for (let k = 0; k < n; k++) this.next();
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** Picks by weight: `weighted([['A', 3], ['B', 1]])` gives A three times as often. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let x = this.next() * total;
    for (const [v, w] of items) {
      x -= w;
      if (x < 0) return v;
    }
    return items[items.length - 1]![0];
  }
  hex(chars: number): string {
    let out = '';
    while (out.length < chars) out += Math.floor(this.next() * 0x10000).toString(16).padStart(4, '0');
    return out.slice(0, chars);
  }
  digits(n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += String(this.int(10));
    return out;
  }
  letters(n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += String.fromCharCode(65 + this.int(26));
    return out;
  }
  /** A version-4-looking UUID; takes UUID_DRAWS draws. */
  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[this.int(4)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

/**
 * A UUID whose last group carries the record index, so a uuid from a request maps back to its
 * generated record in O(1) (the caller re-generates and compares, so a forged uuid is a 404).
 */
/** How many draws uuid() consumes, so a reader can skip it. */
export const UUID_DRAWS = 9;

export function indexedUuid(rng: Rng, index: number): string {
  const u = rng.uuid();
  return `${u.slice(0, 24)}${index.toString(16).padStart(12, '0')}`;
}

export function indexFromUuid(uuid: string): number | undefined {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(uuid)) return undefined;
  const n = parseInt(uuid.slice(24), 16);
  return Number.isSafeInteger(n) ? n : undefined;
}
