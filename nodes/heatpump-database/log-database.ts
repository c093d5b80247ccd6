// The owner of the change log / event log file: opens it once, brings its schema up to date, takes
// writes from the flows (queued in memory and retried while the file cannot be written, never
// dropped silently), answers reads, and applies the event retention. The heatpump-database config
// node holds one; no Node-RED import, so the suites drive it with real files.
import { EventEmitter } from 'node:events';
import { migrate } from './migrations';
import { PendingWrites } from './pending-writes';
import { LogStore, type LogWrite } from './store';
import { clearStaleLock, openSqliteFile, problemOf, type FileProblem, type SqliteFile } from './sqlite-file';

const DAY = 86_400_000;

export interface LogDatabaseOptions {
  /** events older than this many days are deleted (0 = kept for ever) */
  retentionDays: number;
  /** ms between attempts while the file cannot be opened or written */
  retryMs: number;
  /** writes kept in memory at most while the file cannot be written */
  maxPending: number;
  now?: () => number;
}

export type LogDatabaseState =
  | { status: 'open'; pending: number }
  | { status: FileProblem; pending: number; message: string };

/** A read while the file is unusable: the caller answers 503 with the message. */
export class DatabaseUnavailable extends Error {}

export class LogDatabase extends EventEmitter {
  private file: SqliteFile | undefined;
  private store: LogStore | undefined;
  private readonly pending: PendingWrites<LogWrite>;
  private problem: { status: FileProblem; message: string } | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastPrune = 0;
  private readonly now: () => number;

  constructor(
    readonly path: string,
    private readonly options: LogDatabaseOptions,
  ) {
    super();
    this.now = options.now ?? Date.now;
    this.pending = new PendingWrites(options.maxPending);
  }

  get state(): LogDatabaseState {
    return this.problem ? { ...this.problem, pending: this.pending.size } : { status: 'open', pending: this.pending.size };
  }

  /** Opens the file (creating it) and migrates it; on failure the state says why and a retry is planned. */
  open(): void {
    if (this.store) return;
    let file: SqliteFile | undefined;
    try {
      if (clearStaleLock(this.path, this.now())) this.emit('warning', `removed the lock ${this.path}.lock left by a process that stopped mid-write`);
      file = openSqliteFile(this.path);
      migrate(file, this.now());
      this.file = file;
      this.store = new LogStore(file);
      this.problem = undefined;
    } catch (error) {
      file?.close();
      this.fail(error);
      return;
    }
    this.flush();
  }

  /** Queues writes from the flows and writes them now if the file is usable. */
  record(writes: readonly LogWrite[]): void {
    const givenUp = this.pending.add(writes);
    if (givenUp > 0) this.emit('lost', givenUp);
    if (this.store) this.flush();
    else this.changed();
  }

  /** Runs a read or a note edit on the store; throws DatabaseUnavailable while the file is unusable. */
  use<T>(work: (store: LogStore) => T): T {
    if (!this.store) throw new DatabaseUnavailable(this.problem?.message ?? `the database ${this.path} is not open`);
    try {
      return work(this.store);
    } catch (error) {
      if (problemOf(error) !== 'unusable') {
        this.fail(error);
        throw new DatabaseUnavailable(this.problem?.message ?? String(error));
      }
      throw error;
    }
  }

  private flush(): void {
    const store = this.store;
    if (!store) return;
    const result = this.pending.flush((writes) => store.writeAll(writes));
    if (!result.ok) return this.fail(result.error);
    this.problem = undefined;
    this.prune();
    this.changed();
  }

  private prune(): void {
    const now = this.now();
    if (this.options.retentionDays <= 0 || !this.store || now - this.lastPrune < DAY / 24) return;
    this.lastPrune = now;
    this.store.pruneEvents(now - this.options.retentionDays * DAY);
  }

  private fail(error: unknown): void {
    const status = problemOf(error);
    const reason = error instanceof Error ? error.message : String(error);
    const advice = {
      locked: 'another program holds it; writes are kept and retried',
      corrupt: 'it is not a usable SQLite file: move it aside to start a new one; writes are kept and retried',
      unusable: 'writes are kept and retried',
    }[status];
    this.problem = { status, message: `database ${this.path}: ${reason} (${advice})` };
    // a corrupt file is closed so that it can be moved aside and a new one created on the next attempt
    if (status === 'corrupt') this.closeFile();
    this.changed();
    this.retryTimer ??= setTimeout(() => {
      this.retryTimer = undefined;
      if (this.store) this.flush();
      else this.open();
    }, this.options.retryMs);
  }

  private changed(): void {
    this.emit('state', this.state);
  }

  private closeFile(): void {
    try {
      this.file?.close();
    } catch {
      // closing a file that failed is best effort; it is opened afresh on the next attempt
    }
    this.file = undefined;
    this.store = undefined;
  }

  /** Writes what it can and closes; returns how many writes could not be written (for the log). */
  close(): number {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.flush();
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.closeFile();
    this.removeAllListeners();
    return this.pending.size;
  }
}
