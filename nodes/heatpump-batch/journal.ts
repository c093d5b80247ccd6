// Pure core of heatpump-batch's write-ahead journal: every point the node accepts is appended to
// a journal segment in the spool directory before the input handler returns, and its segment is
// deleted only when InfluxDB confirmed (or the spool took) every batch cut from it. A Node-RED
// killed with SIGKILL leaves the unconfirmed segments behind; the next start reads them
// (leftover()) and hands them to the spool. A process kill does not lose the page cache, a power
// cut does: sync() puts every append so far on disk (fdatasync), and the glue acknowledges a
// message only after it (group commit, group-commit.ts). A segment is synced before it is closed.
//
// fdatasync takes milliseconds, so it runs off the event loop (fs.fdatasync, libuv thread pool),
// also the one a cut starts on the segment it closes; sync() waits for those too, so it covers the
// appends to segments cut since. The fdatasyncs of one file run one at a time and its fd is closed
// only after the last has ended: no callback ever syncs or closes an fd number that a later open()
// reused. A cut segment may be unlinked while its sync runs (Linux keeps the open file).
//
// A segment is cut when the buffer cuts batches (or drops points): the batches cut are what the
// segment holds; the points still buffered are appended again to the next segment, so a segment is
// bounded by maxBuffered plus one message. A point can thus be in two segments for a moment:
// leftover() keeps one point per series and timestamp (InfluxDB would overwrite it anyway).
import path from 'node:path';
import type { InfluxPoint } from '../shared/contract';
import { errorOf } from '../shared/errors';
import { decodeBatch, encodeBatch } from './spool';

/** The file operations the journal needs (node:fs fits). */
export interface JournalFs {
  mkdirSync(dir: string, options: { recursive: true }): unknown;
  readdirSync(dir: string): string[];
  readFileSync(file: string): Buffer;
  existsSync(file: string): boolean;
  openSync(file: string, flags: 'a'): number;
  writeSync(fd: number, text: string): number;
  fdatasync(fd: number, callback: (err: NodeJS.ErrnoException | null) => void): void;
  fdatasyncSync(fd: number): void;
  closeSync(fd: number): void;
  unlinkSync(file: string): void;
}

const NAME = /^journal-(\d{12})\.ndjson$/;
const fileName = (segment: number): string => `journal-${String(segment).padStart(12, '0')}.ndjson`;

interface Segment {
  file: string;
  /** batches cut from this segment and not yet confirmed or spooled; undefined while it is open */
  outstanding: number | undefined;
}

type Synced = (err?: Error) => void;

/**
 * One segment file open for writing. Its fdatasyncs run one at a time; a sync asked for while one
 * runs joins it when nothing was appended since it started, else waits for the next. close()
 * syncs what is left and closes the fd once no fdatasync on it runs any more.
 */
class SegmentFile {
  /** appended to since the last fdatasync started */
  private dirty = false;
  /** waiters of the fdatasync running now; undefined when none runs */
  private running: Synced[] | undefined;
  /** waiters of the fdatasync to start when the running one ends */
  private queued: Synced[] | undefined;
  private closing = false;
  closed = false;
  /** a failure no waiter was given (a cut's sync, a close): the next sync() gets it */
  private unreported: Error | undefined;

  constructor(
    private readonly fs: JournalFs,
    private readonly fd: number,
  ) {}

  write(text: string): void {
    this.fs.writeSync(this.fd, text);
    this.dirty = true;
  }

  /** `done` once every write so far is on disk, with the failure if it is not. */
  sync(done?: Synced): void {
    const waiters = done ? [done] : [];
    if (this.closed) done?.(this.takeUnreported());
    else if (this.dirty && this.running) (this.queued ??= []).push(...waiters);
    else if (this.dirty) this.start(waiters);
    else if (this.running) this.running.push(...waiters);
    else done?.(this.takeUnreported());
  }

  /** The same, blocking (a close of the node); throws the failure. */
  syncNow(): void {
    const unreported = this.takeUnreported();
    if (unreported) throw unreported;
    if (this.closed || (!this.dirty && !this.running)) return;
    this.fs.fdatasyncSync(this.fd);
    this.dirty = false;
  }

  /** Syncs what is not on disk yet, then closes the fd. */
  close(): void {
    this.closing = true;
    if (this.dirty) this.sync();
    else if (!this.running) this.closeNow();
  }

  /** Closes the fd without a sync (its file is deleted); an fdatasync running keeps it open until it ends. */
  discard(): void {
    this.dirty = false;
    this.close();
  }

  private start(waiters: Synced[]): void {
    this.dirty = false;
    this.running = waiters;
    this.fs.fdatasync(this.fd, (err) => {
      const finished = waiters;
      this.running = undefined;
      const failure = err ? errorOf(err) : undefined;
      if (failure && finished.length === 0) this.unreported = failure;
      // an open segment tries again with its next sync; a closing one is closed all the same
      if (failure && !this.closing) this.dirty = true;
      // the state is settled before any waiter runs: a waiter may start the next sync at once
      const next = this.queued;
      this.queued = undefined;
      if (next) this.start(next);
      else if (this.closing) this.closeNow();
      for (const done of finished) done(failure);
    });
  }

  private closeNow(): void {
    this.closed = true;
    try {
      this.fs.closeSync(this.fd);
    } catch (thrown) {
      this.unreported ??= errorOf(thrown);
    }
  }

  private takeUnreported(): Error | undefined {
    const failure = this.unreported;
    this.unreported = undefined;
    return failure;
  }
}

export interface Leftover {
  /** unconfirmed points of a previous run, oldest first, one per series and timestamp */
  points: InfluxPoint[];
  /** lines that could not be read (a write cut short), not replayed */
  unreadableLines: number;
}

const identity = (p: InfluxPoint): string => `${p.measurement}\u0000${JSON.stringify(p.tags)}\u0000${typeof p.timestamp === 'number' ? p.timestamp : p.timestamp.getTime()}`;

export class Journal {
  private readonly segments = new Map<number, Segment>();
  private current: number;
  private open: SegmentFile | undefined;
  /** segments cut and not closed yet (their sync runs), or closed with a failure no sync was given */
  private closing: SegmentFile[] = [];
  private readonly found: string[];

  constructor(
    private readonly fs: JournalFs,
    readonly dir: string,
  ) {
    this.found = fs.existsSync(dir)
      ? fs
          .readdirSync(dir)
          .filter((name) => NAME.test(name))
          .sort()
      : [];
    const last = this.found.at(-1);
    this.current = last === undefined ? 1 : Number(NAME.exec(last)?.[1]) + 1;
  }

  /** What a previous run left unconfirmed; call discardLeftover() once it is safe elsewhere. */
  leftover(): Leftover {
    const byIdentity = new Map<string, InfluxPoint>();
    let unreadableLines = 0;
    for (const name of this.found) {
      for (const line of this.fs.readFileSync(path.join(this.dir, name)).toString('utf8').split('\n')) {
        if (line === '') continue;
        const points = decodeBatch(line);
        if (points === undefined) unreadableLines += 1;
        else for (const point of points) byIdentity.set(identity(point), point);
      }
    }
    return { points: [...byIdentity.values()], unreadableLines };
  }

  discardLeftover(): void {
    for (const name of this.found.splice(0)) this.unlink(name);
  }

  /** Appends accepted points to the open segment (in the page cache when this returns: see sync()). */
  append(points: readonly InfluxPoint[]): void {
    if (points.length === 0) return;
    if (this.open === undefined) {
      this.fs.mkdirSync(this.dir, { recursive: true });
      const file = fileName(this.current);
      this.open = new SegmentFile(this.fs, this.fs.openSync(path.join(this.dir, file), 'a'));
      this.segments.set(this.current, { file, outstanding: undefined });
    }
    this.open.write(`${encodeBatch(points)}\n`);
  }

  /**
   * Calls `done` once every append so far is on disk (survives a power cut), also those to
   * segments cut since, with the first failure. Appends made meanwhile are not covered.
   */
  sync(done: Synced): void {
    const files = this.unsettled();
    let left = files.length + 1;
    let failure: Error | undefined;
    const synced = (err?: Error): void => {
      failure ??= err;
      left -= 1;
      if (left === 0) done(failure);
    };
    for (const file of files) file.sync(synced);
    synced();
  }

  /** sync(), blocking until it is done (a close of the node); throws the first failure. */
  syncNow(): void {
    let failure: unknown;
    for (const file of this.unsettled()) {
      try {
        file.syncNow();
      } catch (thrown) {
        failure ??= thrown;
      }
    }
    if (failure !== undefined) throw failure;
  }

  /**
   * Closes the open segment: `batches` batches were cut from it (release() each once it is safe),
   * `stillHeld` are its points still buffered, appended to the next segment. Returns the closed
   * segment's number, or undefined when nothing was open.
   */
  cut(batches: number, stillHeld: readonly InfluxPoint[]): number | undefined {
    if (this.open === undefined) return undefined;
    // a closed segment is never written again: what it holds goes on disk before its fd is closed
    this.open.close();
    this.closing.push(this.open);
    this.open = undefined;
    const closed = this.current++;
    const segment = this.segments.get(closed) as Segment;
    segment.outstanding = batches;
    if (batches === 0) this.drop(closed);
    this.append(stillHeld);
    return closed;
  }

  /** One batch cut from `segment` is written or spooled; the segment goes with its last batch. */
  release(segment: number | undefined): void {
    const entry = segment === undefined ? undefined : this.segments.get(segment);
    if (entry?.outstanding === undefined) return;
    entry.outstanding -= 1;
    if (entry.outstanding <= 0) this.drop(segment as number);
  }

  /** Segment files on disk (open or waiting for their batches). */
  get files(): number {
    return this.segments.size;
  }

  /** Deletes every segment of this run (a close that took care of what they hold). */
  discardAll(): void {
    this.open?.discard();
    this.open = undefined;
    this.closing = [];
    for (const segment of [...this.segments.keys()]) this.drop(segment);
    this.current += 1;
  }

  /** The files a sync covers: the cut ones not settled yet and the open one. Forgets the settled ones. */
  private unsettled(): SegmentFile[] {
    const files = this.open ? [...this.closing, this.open] : [...this.closing];
    this.closing = this.closing.filter((file) => !file.closed);
    return files;
  }

  private drop(segment: number): void {
    const entry = this.segments.get(segment);
    if (!entry) return;
    this.segments.delete(segment);
    this.unlink(entry.file);
  }

  private unlink(name: string): void {
    try {
      this.fs.unlinkSync(path.join(this.dir, name));
    } catch {
      // already gone
    }
  }
}
