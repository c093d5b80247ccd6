// Ordered send queue with retries (89-trigger's processMessageQueue pattern: one item at a
// time, the next starts when the previous settled). Timers are injected so tests and the glue
// decide what "later" means; nothing here reads the clock.

export interface RetryPolicy {
  /** attempts in total, including the first */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Exponential back-off: base, 2*base, 4*base ... capped. `attempt` is the attempt that failed (1-based). */
export function retryDelay(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
}

/** What a transport throws: `transient` errors (5xx, 429, network, modem time-out) are retried. */
export class SendError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly code?: string | number,
  ) {
    super(message);
    this.name = 'SendError';
  }
}

export type Settled<T, R> = { item: T; ok: true; receipt: R; attempts: number } | { item: T; ok: false; error: Error; transient: boolean; attempts: number };

export interface Scheduler {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export class SendQueue<T, R> {
  private readonly items: T[] = [];
  private busy = false;
  private closed = false;
  private retryTimer: unknown;
  private wakeRetry: (() => void) | undefined;

  constructor(
    private readonly send: (item: T) => Promise<R>,
    private readonly onSettled: (result: Settled<T, R>) => void,
    private readonly policy: RetryPolicy,
    private readonly scheduler: Scheduler,
  ) {}

  get length(): number {
    return this.items.length + (this.busy ? 1 : 0);
  }

  push(item: T): void {
    if (this.closed) {
      this.onSettled({ item, ok: false, error: new Error('queue closed'), transient: false, attempts: 0 });
      return;
    }
    this.items.push(item);
    if (!this.busy) void this.processQueue();
  }

  /** Stop: the waiting items settle as failed ("queue closed") so nothing vanishes silently. */
  close(): void {
    this.closed = true;
    if (this.retryTimer !== undefined) this.scheduler.clearTimeout(this.retryTimer);
    this.wakeRetry?.();
    for (const item of this.items.splice(0)) this.onSettled({ item, ok: false, error: new Error('queue closed'), transient: false, attempts: 0 });
  }

  private async processQueue(): Promise<void> {
    this.busy = true;
    while (!this.closed) {
      const item = this.items.shift();
      if (item === undefined) break;
      this.onSettled(await this.attempt(item));
    }
    this.busy = false;
  }

  private async attempt(item: T): Promise<Settled<T, R>> {
    for (let attempts = 1; ; attempts++) {
      try {
        return { item, ok: true, receipt: await this.send(item), attempts };
      } catch (thrown) {
        const error = thrown instanceof Error ? thrown : new Error(String(thrown));
        const transient = error instanceof SendError ? error.transient : true;
        if (!transient || attempts >= this.policy.maxAttempts || this.closed) return { item, ok: false, error, transient, attempts };
        await this.wait(retryDelay(attempts, this.policy));
        if (this.closed) return { item, ok: false, error: new Error(`queue closed during retry: ${error.message}`), transient, attempts };
      }
    }
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeRetry = resolve;
      this.retryTimer = this.scheduler.setTimeout(() => {
        this.retryTimer = undefined;
        this.wakeRetry = undefined;
        resolve();
      }, ms);
    });
  }
}
