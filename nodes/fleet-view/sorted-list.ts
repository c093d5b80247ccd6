// An array kept in order by binary-search inserts and removals: a view moves one changed device
// in O(log n) plus one memmove, instead of sorting the whole fleet on every delivery.
// Pure: no Node-RED import.

export type Compare<T> = (a: T, b: T) => number;

export class SortedList<T> {
  private readonly items: T[] = [];

  constructor(private readonly compare: Compare<T>) {}

  get size(): number {
    return this.items.length;
  }

  /** Where `item` is (compare() === 0), or -1. */
  indexOf(item: T): number {
    const at = this.lowerBound(item);
    return at < this.items.length && this.compare(this.items[at] as T, item) === 0 ? at : -1;
  }

  /** Inserts `item` and returns its index; an equal item is replaced in place. */
  insert(item: T): number {
    const at = this.lowerBound(item);
    if (at < this.items.length && this.compare(this.items[at] as T, item) === 0) this.items[at] = item;
    else this.items.splice(at, 0, item);
    return at;
  }

  /** Removes the item equal to `item`; returns the index it had, or -1. */
  remove(item: T): number {
    const at = this.indexOf(item);
    if (at >= 0) this.items.splice(at, 1);
    return at;
  }

  /** The first `count` items, in order (a copy). */
  head(count: number): T[] {
    return this.items.slice(0, Math.max(0, count));
  }

  clear(): void {
    this.items.length = 0;
  }

  /** First index whose item is not less than `item`. */
  private lowerBound(item: T): number {
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.compare(this.items[mid] as T, item) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
