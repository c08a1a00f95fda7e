/**
 * The list an endpoint pages through is the generated records in a window (a range of indexes,
 * or the indexes that passed a filter) merged with a few overlay records (created or moved by
 * mutations). Neither side is ever copied into one big array of objects.
 */
export interface IndexSeq {
  readonly length: number;
  at(k: number): number;
}

export function indexRange(lo: number, hi: number): IndexSeq {
  return { length: Math.max(0, hi - lo), at: (k) => lo + k };
}

export function indexArray(indexes: Int32Array): IndexSeq {
  return { length: indexes.length, at: (k) => indexes[k]! };
}

export type Ref<E> = { gen: number } | { extra: E };

/**
 * Positions `start`..`end` of the merged list. `insertAt[j]` is how many generated entries sort
 * before extra j (non-decreasing in j).
 */
export function mergedSlice<E>(gen: IndexSeq, extras: readonly E[], insertAt: readonly number[], start: number, end: number): Ref<E>[] {
  let j = 0;
  while (j < extras.length && insertAt[j]! + j < start) j++;
  let g = start - j;
  const out: Ref<E>[] = [];
  for (let pos = start; pos < end; pos++) {
    if (j < extras.length && insertAt[j]! + j === pos) out.push({ extra: extras[j++]! });
    else if (g < gen.length) out.push({ gen: gen.at(g++) });
    else break;
  }
  return out;
}

/** First position in [0, n) where `isAtOrAfter(k)` becomes true (the predicate is monotonic). */
export function lowerBound(n: number, isAtOrAfter: (k: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (isAtOrAfter(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Orders records by a time then an id, the order every list and truth stream uses. */
export function compareKey(aMs: number, aId: string, bMs: number, bId: string): number {
  return aMs - bMs || (aId < bId ? -1 : aId > bId ? 1 : 0);
}
