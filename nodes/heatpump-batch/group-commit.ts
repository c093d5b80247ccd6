// Group commit for the write-ahead journal: a message is acknowledged (its done()) only once the
// journal append that took its points is on disk. fdatasync costs a disk flush, so with an
// interval the appends of that interval share one: the first waiting acknowledgement schedules a
// sync `intervalMs` later, and every acknowledgement waiting when it starts is given with it.
// Interval 0 syncs at once for each message. The sync runs off the event loop (the journal's
// fdatasync goes to the libuv thread pool): one at a time, and an acknowledgement that comes while
// one runs waits for the next (a sync that started before an append need not cover it), which
// starts when its interval is over and the running one ended. The timer is the caller's
// (schedule), so this stays testable.
import { errorOf } from '../shared/errors';

export type Ack = (err?: Error) => void;
/** Runs `run` after `ms`; returns a function that cancels it. */
export type Schedule = (ms: number, run: () => void) => () => void;

/** What group commit syncs (the journal). */
export interface Syncable {
  /** Calls `done` once everything appended before this call is on disk (with the error if it failed). */
  sync(done: (err?: Error) => void): void;
  /** The same, blocking until it is done; throws when it failed. */
  syncNow(): void;
}

/** Default group-commit interval: a message waits at most this long for its sync. */
export const DEFAULT_JOURNAL_SYNC_MS = 20;

export class GroupCommit {
  private waiting: Ack[] = [];
  /** acknowledgements of the sync running now; undefined when none runs */
  private running: Ack[] | undefined;
  private cancel: (() => void) | undefined;

  constructor(
    private readonly journal: Syncable,
    readonly intervalMs: number,
    private readonly schedule: Schedule,
  ) {}

  /** `ack` runs once everything appended before this call is on disk (with the sync's error if it failed). */
  commit(ack: Ack): void {
    this.waiting.push(ack);
    if (this.intervalMs <= 0) return this.startWhenIdle();
    this.cancel ??= this.schedule(this.intervalMs, () => {
      this.cancel = undefined;
      this.startWhenIdle();
    });
  }

  /**
   * Syncs now, blocking, and gives every acknowledgement still open, also those of a sync running
   * (a close). That sync's late end acknowledges nothing again.
   */
  flush(): void {
    this.cancel?.();
    this.cancel = undefined;
    const acks = [...(this.running?.splice(0) ?? []), ...this.waiting.splice(0)];
    if (acks.length === 0) return;
    let failure: Error | undefined;
    try {
      this.journal.syncNow();
    } catch (thrown) {
      failure = errorOf(thrown);
    }
    for (const ack of acks) ack(failure);
  }

  /** acknowledgements waiting for the next sync */
  get pending(): number {
    return this.waiting.length;
  }

  private startWhenIdle(): void {
    if (this.running !== undefined || this.waiting.length === 0) return;
    const acks = this.waiting.splice(0);
    this.running = acks;
    this.journal.sync((failure) => {
      this.running = undefined;
      for (const ack of acks.splice(0)) ack(failure);
      // acknowledgements that came meanwhile: their sync starts now unless their interval is still running
      if (this.cancel === undefined) this.startWhenIdle();
    });
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
