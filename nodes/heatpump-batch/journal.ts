// Pure core of heatpump-batch's write-ahead journal: every point the node accepts is appended to
// a journal segment in the spool directory before the input handler returns, and its segment is
// deleted only when InfluxDB confirmed (or the spool took) every batch cut from it. A Node-RED
// killed with SIGKILL leaves the unconfirmed segments behind; the next start reads them
// (leftover()) and hands them to the spool. A process kill does not lose the page cache, a power
// cut does: sync() puts the open segment on disk (fdatasync), and the glue acknowledges a message
// only after it (group commit, group-commit.ts). A segment is synced before it is closed.
//
// A segment is cut when the buffer cuts batches (or drops points): the batches cut are what the
// segment holds; the points still buffered are appended again to the next segment, so a segment is
// bounded by maxBuffered plus one message. A point can thus be in two segments for a moment:
// leftover() keeps one point per series and timestamp (InfluxDB would overwrite it anyway).
import path from 'node:path';
import type { InfluxPoint } from '../shared/contract';
import { decodeBatch, encodeBatch } from './spool';

/** The file operations the journal needs (node:fs fits). */
export interface JournalFs {
  mkdirSync(dir: string, options: { recursive: true }): unknown;
  readdirSync(dir: string): string[];
  readFileSync(file: string): Buffer;
  existsSync(file: string): boolean;
  openSync(file: string, flags: 'a'): number;
  writeSync(fd: number, text: string): number;
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
  private fd: number | undefined;
  /** the open segment has appends not yet synced */
  private dirty = false;
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
    if (this.fd === undefined) {
      this.fs.mkdirSync(this.dir, { recursive: true });
      const file = fileName(this.current);
      this.fd = this.fs.openSync(path.join(this.dir, file), 'a');
      this.segments.set(this.current, { file, outstanding: undefined });
    }
    this.fs.writeSync(this.fd, `${encodeBatch(points)}\n`);
    this.dirty = true;
  }

  /** Puts every append so far on disk (survives a power cut); does nothing when there is none. */
  sync(): void {
    if (this.fd === undefined || !this.dirty) return;
    this.fs.fdatasyncSync(this.fd);
    this.dirty = false;
  }

  /**
   * Closes the open segment: `batches` batches were cut from it (release() each once it is safe),
   * `stillHeld` are its points still buffered, appended to the next segment. Returns the closed
   * segment's number, or undefined when nothing was open.
   */
  cut(batches: number, stillHeld: readonly InfluxPoint[]): number | undefined {
    if (this.fd === undefined) return undefined;
    // a closed segment is never written again: what it holds goes on disk now
    this.sync();
    this.fs.closeSync(this.fd);
    this.fd = undefined;
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
    if (this.fd !== undefined) this.fs.closeSync(this.fd);
    this.fd = undefined;
    this.dirty = false;
    for (const segment of [...this.segments.keys()]) this.drop(segment);
    this.current += 1;
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
