/**
 * A bounded "keep the best k" collection: a binary min-heap whose root is the worst item kept,
 * so each offer costs O(log k) and memory stays O(k) however many items are offered.
 */
export class TopK<T> {
  private readonly heap: T[] = [];

  /**
   * @param k how many items to keep (k >= 1)
   * @param better `better(a, b)` is true when `a` ranks strictly before `b` (a total order)
   */
  constructor(
    private readonly k: number,
    private readonly better: (a: T, b: T) => boolean,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  /** Keeps `item` if fewer than k are held or it beats the worst one held. */
  offer(item: T): void {
    const h = this.heap;
    if (h.length < this.k) {
      h.push(item);
      this.siftUp(h.length - 1);
    } else if (this.better(item, h[0] as T)) {
      h[0] = item;
      this.siftDown(0);
    }
  }

  /** The items held, best first. */
  sorted(): T[] {
    return [...this.heap].sort((a, b) => (this.better(a, b) ? -1 : this.better(b, a) ? 1 : 0));
  }

  // In the heap, a parent is never better than its children: the root is the worst.
  private siftUp(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.better(h[p] as T, h[i] as T)) break;
      [h[p], h[i]] = [h[i] as T, h[p] as T];
      i = p;
    }
  }

  private siftDown(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < h.length && this.better(h[worst] as T, h[l] as T)) worst = l;
      if (r < h.length && this.better(h[worst] as T, h[r] as T)) worst = r;
      if (worst === i) return;
      [h[worst], h[i]] = [h[i] as T, h[worst] as T];
      i = worst;
    }
  }
}
