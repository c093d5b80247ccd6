// Group commit for the write-ahead journal: a message is acknowledged (its done()) only once the
// journal append that took its points is on disk. fdatasync costs a disk flush, so with an
// interval the appends of that interval share one: the first waiting acknowledgement schedules a
// sync `intervalMs` later, and every acknowledgement waiting then is given with it. Interval 0
// syncs at once for each message. The timer is the caller's (schedule), so this stays testable.
import { errorOf } from '../shared/errors';

export type Ack = (err?: Error) => void;
/** Runs `run` after `ms`; returns a function that cancels it. */
export type Schedule = (ms: number, run: () => void) => () => void;

/** Default group-commit interval: a message waits at most this long for its sync. */
export const DEFAULT_JOURNAL_SYNC_MS = 20;

export class GroupCommit {
  private waiting: Ack[] = [];
  private cancel: (() => void) | undefined;

  constructor(
    private readonly sync: () => void,
    readonly intervalMs: number,
    private readonly schedule: Schedule,
  ) {}

  /** `ack` runs once everything appended before this call is on disk (with the sync's error if it failed). */
  commit(ack: Ack): void {
    if (this.intervalMs <= 0) return this.settle([ack]);
    this.waiting.push(ack);
    this.cancel ??= this.schedule(this.intervalMs, () => {
      this.cancel = undefined;
      this.settle(this.waiting.splice(0));
    });
  }

  /** Syncs now and gives every waiting acknowledgement (a close). */
  flush(): void {
    this.cancel?.();
    this.cancel = undefined;
    if (this.waiting.length > 0) this.settle(this.waiting.splice(0));
  }

  /** acknowledgements waiting for the next sync */
  get pending(): number {
    return this.waiting.length;
  }

  private settle(acks: readonly Ack[]): void {
    let failure: Error | undefined;
    try {
      this.sync();
    } catch (thrown) {
      failure = errorOf(thrown);
    }
    for (const ack of acks) ack(failure);
  }
}

/**
 * The runtime setting heatpumpBatchJournalSyncMs: milliseconds a message may wait for its journal
 * sync (0: one sync per message). Anything but a number from 0 to 1000 gives the default.
 */
export function resolveJournalSyncMs(value: unknown): { ms: number; problem?: string } {
  if (value === undefined) return { ms: DEFAULT_JOURNAL_SYNC_MS };
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1000) return { ms: value };
  return { ms: DEFAULT_JOURNAL_SYNC_MS, problem: `heatpumpBatchJournalSyncMs must be 0 to 1000 (ms), got ${JSON.stringify(value)}: using ${DEFAULT_JOURNAL_SYNC_MS}` };
}
