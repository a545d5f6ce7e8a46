/**
 * A bounded value histogram: at most `limit` distinct values with their counts, everything
 * else counted in `other`, so memory stays flat however many calls arrive.
 *
 * When a new value arrives and the table is full, the least frequent kept value (the oldest
 * among equals) is folded into `other` to make room: a value that becomes frequent late in a
 * run still gets listed. No count is ever estimated: a listed count is exact from the moment
 * the value was (last) admitted, and sum(counts) + other is always the number of calls.
 */
export class BoundedHistogram<K> {
  private readonly cells = new Map<K, { n: number }>();
  // Most calls repeat the previous call's value (the same open flags, the same futex op).
  private lastKey: K | undefined;
  private lastCell: { n: number } | undefined;
  other = 0;

  constructor(readonly limit: number) {}

  add(key: K, n = 1): void {
    if (key === this.lastKey && this.lastCell) {
      this.lastCell.n += n;
      return;
    }
    let cell = this.cells.get(key);
    if (!cell) {
      if (this.cells.size >= this.limit) this.evictLeastFrequent();
      cell = { n: 0 };
      this.cells.set(key, cell);
    }
    cell.n += n;
    this.lastKey = key;
    this.lastCell = cell;
  }

  private evictLeastFrequent(): void {
    let victim: K | undefined;
    let least = Infinity;
    for (const [key, cell] of this.cells)
      if (cell.n < least) {
        least = cell.n;
        victim = key;
      }
    this.cells.delete(victim as K);
    this.other += least;
    if (victim === this.lastKey) this.lastKey = this.lastCell = undefined;
  }

  get size(): number {
    return this.cells.size;
  }

  /** Kept values, most frequent first; ties keep admission order. */
  entries(): [K, number][] {
    return [...this.cells].map(([key, cell]): [K, number] => [key, cell.n]).sort((a, b) => b[1] - a[1]);
  }
}
