import { LRUCache } from 'lru-cache';
import { BookingGenerator, MAX_MODIFY_LAG_MS, type Booking, type BookingFacts } from './booking-generator.js';
import { compareKey, indexArray, indexRange, lowerBound, mergedSlice, type IndexSeq } from './listing.js';
import { indexFromUuid } from './rng.js';
import { bookingTimestamp } from './world.js';

export interface BookingQuery {
  /** Creation window, ms: from inclusive, to exclusive. */
  createdFromMs?: number;
  createdToMs?: number;
  types?: Set<string>;
  statuses?: Set<string>;
  startFromMs?: number;
  startToMs?: number;
  updatedFromMs?: number;
  updatedToMs?: number;
  page: number;
  size: number;
}

interface Extra {
  record: Booking;
  createdMs: number;
}

/**
 * Generated bookings plus the mutations made through the control plane: patched records (by
 * index), hard-deleted indexes, and bookings created at run time. Only the mutations are stored.
 */
export class BookingStore {
  readonly generator: BookingGenerator;
  readonly #patched = new Map<number, Booking>();
  readonly #deleted = new Set<number>();
  readonly #created = new Map<string, Extra>();
  #createdSorted: Extra[] = [];
  #nextIndex: number;
  #version = 0;
  // Filtered scans over a million bookings cost a few hundred ms; a client paging through one
  // window repeats the same scan for every page, so the matches are kept per query.
  readonly #matches = new LRUCache<string, Int32Array>({ max: 16 });

  constructor(generator: BookingGenerator) {
    this.generator = generator;
    this.#nextIndex = generator.count;
  }

  get count(): number {
    return this.generator.count;
  }

  get(uuid: string): Booking | undefined {
    const extra = this.#created.get(uuid);
    if (extra) return extra.record;
    const i = this.#generatedIndex(uuid);
    if (i === undefined || this.#deleted.has(i)) return undefined;
    return this.#patched.get(i) ?? this.generator.booking(i);
  }

  /** A new booking: generated fields, overridden by `fields`; created now unless given. */
  create(fields: Record<string, unknown>, now: number): Booking {
    const i = this.#nextIndex++;
    const base = this.generator.booking(i);
    const createdMs = typeof fields.created === 'string' && !Number.isNaN(Date.parse(fields.created)) ? Date.parse(fields.created) : now;
    const uuid = typeof fields.uuid === 'string' && fields.uuid ? fields.uuid : base.uuid;
    const record = { ...base, ...fields, uuid, created: bookingTimestamp(createdMs), lastModified: bookingTimestamp(now) } as Booking;
    for (const link of ['invoice', 'pdf'] as const) {
      if (!(link in fields)) record[link] = String(base[link]).replace(base.uuid, uuid);
    }
    this.#created.set(uuid, { record, createdMs });
    this.#resort();
    return record;
  }

  /** Merges fields into a booking (uuid and created stay); lastModified becomes now. */
  patch(uuid: string, fields: Record<string, unknown>, now: number): Booking | undefined {
    const current = this.get(uuid);
    if (!current) return undefined;
    const { uuid: _u, created: _c, ...rest } = fields;
    const record = { ...current, ...rest, lastModified: bookingTimestamp(now) } as Booking;
    this.#store(record);
    return record;
  }

  cancel(uuid: string, now: number): Booking | undefined {
    return this.patch(uuid, { bookingStatus: 'CANCELED', cancelledAt: bookingTimestamp(now), cancellationReason: 'Cancelled by the traveller' }, now);
  }

  remove(uuid: string): boolean {
    if (this.#created.delete(uuid)) {
      this.#resort();
      return true;
    }
    const i = this.#generatedIndex(uuid);
    if (i === undefined || this.#deleted.has(i)) return false;
    this.#deleted.add(i);
    this.#patched.delete(i);
    this.#version++;
    return true;
  }

  query(q: BookingQuery): { total: number; records: Booking[] } {
    const gen = this.#generatedMatches(q);
    const extras = this.#createdSorted.filter((e) => this.#matchesQuery(factsOf(e.record, e.createdMs), q));
    const insertAt = extras.map((e) => lowerBound(gen.length, (k) => this.#compareGenerated(gen.at(k), e) > 0));
    const start = q.page * q.size;
    const refs = mergedSlice(gen, extras, insertAt, start, start + q.size);
    const records = refs.map((r) => ('gen' in r ? (this.#patched.get(r.gen) ?? this.generator.booking(r.gen)) : r.extra.record));
    return { total: gen.length + extras.length, records };
  }

  /** Every booking in order of creation then uuid, mutations applied, deleted ones absent. */
  *all(): Generator<Booking> {
    const gen = this.#generatedMatches({ page: 0, size: 1 });
    const extras = this.#createdSorted;
    const insertAt = extras.map((e) => lowerBound(gen.length, (k) => this.#compareGenerated(gen.at(k), e) > 0));
    const chunk = 1000;
    for (let start = 0; start < gen.length + extras.length; start += chunk) {
      for (const r of mergedSlice(gen, extras, insertAt, start, start + chunk)) {
        yield 'gen' in r ? (this.#patched.get(r.gen) ?? this.generator.booking(r.gen)) : r.extra.record;
      }
    }
  }

  #store(record: Booking): void {
    const extra = this.#created.get(record.uuid);
    if (extra) {
      extra.record = record;
      this.#resort();
      return;
    }
    this.#patched.set(this.#generatedIndex(record.uuid)!, record);
    this.#version++;
  }

  #resort(): void {
    this.#createdSorted = [...this.#created.values()].sort((a, b) => compareKey(a.createdMs, a.record.uuid, b.createdMs, b.record.uuid));
    this.#version++;
  }

  #generatedIndex(uuid: string): number | undefined {
    const i = indexFromUuid(uuid);
    if (i === undefined || i >= this.generator.count) return undefined;
    return this.generator.uuid(i) === uuid ? i : undefined;
  }

  /** >0 when generated booking i sorts after the extra. */
  #compareGenerated(i: number, e: Extra): number {
    const ms = this.generator.createdMs(i);
    if (ms !== e.createdMs) return ms - e.createdMs;
    return compareKey(ms, this.generator.uuid(i), e.createdMs, e.record.uuid);
  }

  #generatedMatches(q: BookingQuery): IndexSeq {
    const g = this.generator;
    const n = g.count;
    const bound = (ms: number) => lowerBound(n, (k) => g.createdMs(k) >= ms);
    const lo0 = q.createdFromMs === undefined ? 0 : bound(q.createdFromMs);
    let hi = q.createdToMs === undefined ? n : bound(q.createdToMs);
    // lastModified >= created, so nothing created after updatedTo can match it.
    if (q.updatedToMs !== undefined) hi = Math.min(hi, bound(q.updatedToMs));
    let lo = lo0;
    if (q.updatedFromMs !== undefined) lo = Math.max(lo, bound(q.updatedFromMs - MAX_MODIFY_LAG_MS));
    const filtered = q.types || q.statuses || q.startFromMs !== undefined || q.startToMs !== undefined || q.updatedFromMs !== undefined || q.updatedToMs !== undefined;
    const touched = this.#deleted.size > 0 || this.#patched.size > 0;
    if (!filtered && !touched) return indexRange(lo, hi);

    const key = JSON.stringify([lo0, lo, hi, q.types && [...q.types], q.statuses && [...q.statuses], q.startFromMs, q.startToMs, q.updatedFromMs, q.updatedToMs, this.#version]);
    const cached = this.#matches.get(key);
    if (cached) return indexArray(cached);
    const out: number[] = [];
    // A patched booking may have been modified long after its creation, below the lag bound.
    for (const i of [...this.#patched.keys()].sort((a, b) => a - b)) {
      if (i >= lo0 && i < lo && this.#matchesQuery(this.#factsAt(i), q)) out.push(i);
    }
    for (let i = lo; i < hi; i++) {
      if (this.#deleted.has(i)) continue;
      if (!filtered || this.#matchesQuery(this.#factsAt(i), q)) out.push(i);
    }
    const arr = Int32Array.from(out);
    this.#matches.set(key, arr);
    return indexArray(arr);
  }

  #factsAt(i: number): BookingFacts {
    const patched = this.#patched.get(i);
    return patched ? factsOf(patched, this.generator.createdMs(i)) : this.generator.facts(i);
  }

  #matchesQuery(f: BookingFacts, q: BookingQuery): boolean {
    if (q.createdFromMs !== undefined && f.createdMs < q.createdFromMs) return false;
    if (q.createdToMs !== undefined && f.createdMs >= q.createdToMs) return false;
    if (q.types && !q.types.has(f.type)) return false;
    if (q.statuses && !q.statuses.has(f.status)) return false;
    if (q.startFromMs !== undefined && f.startMs < q.startFromMs) return false;
    if (q.startToMs !== undefined && f.startMs > q.startToMs) return false;
    if (q.updatedFromMs !== undefined && f.lastModifiedMs < q.updatedFromMs) return false;
    if (q.updatedToMs !== undefined && f.lastModifiedMs >= q.updatedToMs) return false;
    return true;
  }
}

function factsOf(b: Booking, createdMs: number): BookingFacts {
  return {
    createdMs,
    type: String(b.bookingType),
    status: String(b.bookingStatus),
    startMs: typeof b.startDate === 'string' ? Date.parse(b.startDate) : NaN,
    lastModifiedMs: Date.parse(b.lastModified),
  };
}
