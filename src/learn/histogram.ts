/**
 * A bounded value histogram: exact counts for the first `limit` distinct values, every
 * later new value counted in `other`. Memory stays flat however many calls arrive; the
 * counts it does keep are exact (no sketching), which is what a policy needs to trust.
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
      if (this.cells.size >= this.limit) {
        this.other += n;
        return;
      }
      cell = { n: 0 };
      this.cells.set(key, cell);
    }
    cell.n += n;
    this.lastKey = key;
    this.lastCell = cell;
  }

  get size(): number {
    return this.cells.size;
  }

  /** Tracked values, most frequent first; ties keep first-seen order. */
  entries(): [K, number][] {
    return [...this.cells].map(([key, cell]): [K, number] => [key, cell.n]).sort((a, b) => b[1] - a[1]);
  }
}
