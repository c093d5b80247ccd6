// Per-key rate limit for display feeds: at most one item per key every interval, the first at once
// and, of those that came while the interval ran, only the latest when it is up. Pure: no Node-RED.

export interface Timers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface KeyState<T> {
  /** the latest item offered since the last one went out */
  held: T | undefined;
  timer: unknown;
}

export class Coalescer<T> {
  /** keys inside an interval; a key leaves once an interval passes with nothing held */
  private readonly keys = new Map<string, KeyState<T>>();

  constructor(
    private readonly intervalMs: number,
    private readonly emit: (item: T) => void,
    private readonly timers: Timers = realTimers,
  ) {}

  offer(key: string, item: T): void {
    const state = this.keys.get(key);
    if (state !== undefined) {
      state.held = item;
      return;
    }
    this.keys.set(key, { held: undefined, timer: this.timers.set(() => this.intervalUp(key), this.intervalMs) });
    this.emit(item);
  }

  /** keys with an interval running */
  get size(): number {
    return this.keys.size;
  }

  /** Stops every interval; items still held are dropped (a display feed has nobody left to show them). */
  close(): void {
    for (const state of this.keys.values()) this.timers.clear(state.timer);
    this.keys.clear();
  }

  private intervalUp(key: string): void {
    const state = this.keys.get(key);
    if (state === undefined) return;
    if (state.held === undefined) {
      this.keys.delete(key);
      return;
    }
    const item = state.held;
    state.held = undefined;
    state.timer = this.timers.set(() => this.intervalUp(key), this.intervalMs);
    this.emit(item);
  }
}
