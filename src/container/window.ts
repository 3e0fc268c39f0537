// The dedup window (FORMAT.md "Dedup window"): a FIFO of DATA records with their original lengths. After adding a
// record, the oldest are evicted while the total exceeds the window (0 = unlimited: nothing is evicted). The encoder
// and every sequential decoder run the same rule, so a REF never names a record the decoder has dropped.
export class DedupWindow<V> {
  private readonly map = new Map<string, { value: V; seq: number }>();
  private readonly fifo: { key: string; seq: number; length: number }[] = [];
  private head = 0;
  private total = 0;
  private seq = 0;
  constructor(readonly limit: number) {}

  get(key: string): V | undefined {
    return this.map.get(key)?.value;
  }

  /** Adds a record; returns the values evicted by it. */
  add(key: string, value: V, length: number): V[] {
    const seq = this.seq++;
    this.map.set(key, { value, seq });
    if (this.limit === 0) return [];
    this.fifo.push({ key, seq, length });
    this.total += length;
    const evicted: V[] = [];
    while (this.total > this.limit && this.head < this.fifo.length) {
      const old = this.fifo[this.head++]!;
      this.total -= old.length;
      const cur = this.map.get(old.key);
      if (cur && cur.seq === old.seq) {
        this.map.delete(old.key);
        evicted.push(cur.value);
      }
    }
    if (this.head > 4096 && this.head * 2 > this.fifo.length) {
      this.fifo.splice(0, this.head);
      this.head = 0;
    }
    return evicted;
  }
}
