/**
 * A bounded value histogram: exact counts for the first `limit` distinct values, every
 * later new value counted in `other`. Memory stays flat however many calls arrive; the
 * counts it does keep are exact (no sketching), which is what a policy needs to trust.
 */
export class BoundedHistogram<K> {
  private readonly counts = new Map<K, number>();
  other = 0;

  constructor(readonly limit: number) {}

  add(key: K, n = 1): void {
    const count = this.counts.get(key);
    if (count !== undefined) this.counts.set(key, count + n);
    else if (this.counts.size < this.limit) this.counts.set(key, n);
    else this.other += n;
  }

  get size(): number {
    return this.counts.size;
  }

  /** Tracked values, most frequent first; ties keep first-seen order. */
  entries(): [K, number][] {
    return [...this.counts].sort((a, b) => b[1] - a[1]);
  }
}
