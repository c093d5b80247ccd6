// Exponential back-off, shared by the connection (reconnect after the server went away) and the
// poll node (a unit that stopped answering). Pure: the caller keeps the clock and the timers.

export interface BackoffOptions {
  /** delay after the first failure (ms) */
  initialMs: number;
  /** the delay never grows past this (ms) */
  maxMs: number;
  /** growth per further failure; default 2 */
  factor?: number;
}

/** Delay before the next attempt after `failures` consecutive failures (0 failures = no delay). */
export function backoffDelay(failures: number, options: BackoffOptions): number {
  if (failures <= 0) return 0;
  const factor = options.factor ?? 2;
  // capped exponent: factor ** 64 would overflow long before it matters
  const grown = options.initialMs * factor ** Math.min(failures - 1, 64);
  return Math.min(grown, options.maxMs);
}

/** Consecutive failures and when the next attempt may start; success resets it. */
export class Backoff {
  private failures = 0;
  private notBefore = 0;

  constructor(private readonly options: BackoffOptions) {}

  /** consecutive failures since the last success */
  get failureCount(): number {
    return this.failures;
  }

  /** ms until the next attempt may start (0 = now) */
  waitMs(now: number): number {
    return Math.max(0, this.notBefore - now);
  }

  /** records a failure at `now`; returns the delay before the next attempt */
  fail(now: number): number {
    this.failures += 1;
    const delay = backoffDelay(this.failures, this.options);
    this.notBefore = now + delay;
    return delay;
  }

  succeed(): void {
    this.failures = 0;
    this.notBefore = 0;
  }
}
