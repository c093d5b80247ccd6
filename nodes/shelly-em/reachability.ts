// Whether a polled meter is reachable, and when to poll next. Pure: the glue passes in what each
// poll gave and gets back the delay and the one transition to announce, if any.

/** The longest wait between polls of an unreachable meter. */
export const MAX_BACKOFF_MS = 5 * 60_000;

export type PollOutcome = 'answered' | 'unreachable';

export interface Step {
  /** ms until the next poll */
  delayMs: number;
  /** set when the meter changed state with this poll (the first poll always sets it) */
  transition?: 'online' | 'offline';
  /** polls in a row that found the meter unreachable */
  failures: number;
}

/**
 * One state per polled meter. Answered (even with a bad answer: the meter is there) keeps the
 * poll interval; unreachable doubles the wait each time, from the interval up to 5 minutes:
 * 10 s, 20 s, 40 s, ... 300 s.
 */
export class Reachability {
  private online: boolean | undefined;
  private failures = 0;

  constructor(private readonly intervalMs: number) {}

  polled(outcome: PollOutcome): Step {
    if (outcome === 'answered') {
      const transition = this.online === true ? undefined : ('online' as const);
      this.online = true;
      this.failures = 0;
      return { delayMs: this.intervalMs, failures: 0, ...(transition ? { transition } : {}) };
    }
    const transition = this.online === false ? undefined : ('offline' as const);
    this.online = false;
    this.failures += 1;
    return { delayMs: backoffDelay(this.intervalMs, this.failures), failures: this.failures, ...(transition ? { transition } : {}) };
  }
}

/** The wait after `failures` unreachable polls in a row (1 -> the interval). */
export function backoffDelay(intervalMs: number, failures: number): number {
  if (failures <= 0) return intervalMs;
  // capped before the power grows past what a number holds exactly
  return Math.min(intervalMs * 2 ** Math.min(failures - 1, 30), Math.max(MAX_BACKOFF_MS, intervalMs));
}
