// Writes that could not reach the database file yet (locked, corrupt, unwritable), kept in memory
// in order and written together on the next attempt. Bounded: past `max` the oldest are given up,
// and the caller is told how many, so a loss is always reported. Pure.

export class PendingWrites<T> {
  private items: T[] = [];

  constructor(private readonly max: number) {}

  get size(): number {
    return this.items.length;
  }

  /** Queues `items`; returns how many of the oldest were given up to stay within `max`. */
  add(items: readonly T[]): number {
    this.items.push(...items);
    const over = Math.max(0, this.items.length - this.max);
    if (over > 0) this.items.splice(0, over);
    return over;
  }

  /** Writes everything queued in one call; on failure nothing is taken off and the error is returned. */
  flush(write: (items: readonly T[]) => void): { ok: true; written: number } | { ok: false; error: unknown } {
    if (this.items.length === 0) return { ok: true, written: 0 };
    const batch = this.items;
    try {
      write(batch);
    } catch (error) {
      return { ok: false, error };
    }
    this.items = this.items.slice(batch.length);
    return { ok: true, written: batch.length };
  }
}
