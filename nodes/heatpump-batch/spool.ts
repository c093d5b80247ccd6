// Pure core of heatpump-batch's disk spool: batches whose writes failed wait here, one file per
// batch named by a growing sequence number, until InfluxDB takes them again (oldest first). The
// total size is bounded: beyond maxBytes the oldest batches go first, and their points are
// counted. The file system is injected (SpoolFs), so tests run it on a temp directory.
import path from 'node:path';
import type { InfluxPoint } from '../shared/contract';

/** The few file operations the spool needs (node:fs fits). */
export interface SpoolFs {
  mkdirSync(dir: string, options: { recursive: true }): unknown;
  readdirSync(dir: string): string[];
  readFileSync(file: string, encoding: 'utf8'): string;
  writeFileSync(file: string, data: string): void;
  renameSync(from: string, to: string): void;
  unlinkSync(file: string): void;
  existsSync(file: string): boolean;
}

/** A point as stored: the timestamp in ms since the epoch. */
interface StoredPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, unknown>;
  timestamp: number;
}

interface Entry {
  seq: number;
  bytes: number;
  points: number;
}

export interface SpoolBatch {
  seq: number;
  points: InfluxPoint[];
}

export interface AppendOutcome {
  seq: number;
  /** points of the oldest batches dropped to stay within maxBytes */
  droppedPoints: number;
  droppedBatches: number;
}

/**
 * 100 MB: a 5000-point batch of readings is ~1.65 MB as JSON (measured in test/unit/spool.test.ts), so
 * about 63 batches, 315,000 readings: ~5 min at 1,000 readings/s, ~50 min at 100/s.
 */
export const DEFAULT_SPOOL_MB = 100;

/** Spool options from a node's config: on unless switched off; the size in MB (> 0). */
export function spoolOptionsFromConfig(config: { spool?: unknown; spoolMB?: unknown }): { on: boolean; maxMB: number; problem: string | undefined } {
  const on = config.spool !== false && config.spool !== 'false';
  const raw = config.spoolMB;
  if (raw === undefined || raw === null || raw === '') return { on, maxMB: DEFAULT_SPOOL_MB, problem: undefined };
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : NaN;
  if (Number.isFinite(value) && value > 0) return { on, maxMB: value, problem: undefined };
  return { on, maxMB: DEFAULT_SPOOL_MB, problem: `spoolMB: ${JSON.stringify(raw)}` };
}

const NAME = /^(\d{12})\.json$/;
const fileName = (seq: number): string => `${String(seq).padStart(12, '0')}.json`;

/** ms since the epoch of a Date (or of a number, should a flow have turned the Date into one) */
const timestampMs = (t: Date | number): number => (typeof t === 'number' ? t : t.getTime());

export function encodeBatch(points: readonly InfluxPoint[]): string {
  const stored: StoredPoint[] = points.map((p) => ({ measurement: p.measurement, tags: p.tags, fields: p.fields, timestamp: timestampMs(p.timestamp) }));
  return JSON.stringify(stored);
}

/** The points of a stored batch, or undefined when the text is not one. */
export function decodeBatch(text: string): InfluxPoint[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const points: InfluxPoint[] = [];
  for (const item of parsed as unknown[]) {
    const p = item as Partial<StoredPoint> | null;
    if (typeof p !== 'object' || p === null || typeof p.measurement !== 'string' || typeof p.timestamp !== 'number' || typeof p.tags !== 'object' || typeof p.fields !== 'object') return undefined;
    points.push({ measurement: p.measurement, tags: p.tags, fields: p.fields, timestamp: new Date(p.timestamp) } as InfluxPoint);
  }
  return points;
}

export class Spool {
  private entries: Entry[] = [];
  private nextSeq = 1;
  private totalBytes = 0;
  private created = false;
  /** files found unreadable on restore (left out and deleted) */
  readonly corrupt: number;

  /** Opens the spool in `dir` and restores what a previous run left there (sorted by sequence). */
  constructor(
    private readonly fs: SpoolFs,
    readonly dir: string,
    private readonly maxBytes: number,
  ) {
    let corrupt = 0;
    if (fs.existsSync(dir)) {
      this.created = true;
      const found = fs
        .readdirSync(dir)
        .map((name) => ({ name, match: NAME.exec(name) }))
        .filter((f) => f.match !== null)
        .map((f) => ({ name: f.name, seq: Number(f.match?.[1]) }))
        .sort((a, b) => a.seq - b.seq);
      for (const { name, seq } of found) {
        const file = path.join(dir, name);
        const text = fs.readFileSync(file, 'utf8');
        const points = decodeBatch(text);
        if (points === undefined) {
          corrupt += 1;
          fs.unlinkSync(file);
          continue;
        }
        this.entries.push({ seq, bytes: Buffer.byteLength(text), points: points.length });
        this.totalBytes += Buffer.byteLength(text);
        this.nextSeq = seq + 1;
      }
    }
    this.corrupt = corrupt;
  }

  get batches(): number {
    return this.entries.length;
  }

  get points(): number {
    return this.entries.reduce((n, e) => n + e.points, 0);
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * Stores a batch after all others. When the spool goes over maxBytes the oldest batches are
   * deleted (never the one just stored) and their points counted.
   */
  append(points: readonly InfluxPoint[]): AppendOutcome {
    if (!this.created) {
      this.fs.mkdirSync(this.dir, { recursive: true });
      this.created = true;
    }
    const seq = this.nextSeq++;
    const text = encodeBatch(points);
    const file = path.join(this.dir, fileName(seq));
    // write then rename: a crash mid-write leaves a .tmp file, never a half batch
    this.fs.writeFileSync(`${file}.tmp`, text);
    this.fs.renameSync(`${file}.tmp`, file);
    const bytes = Buffer.byteLength(text);
    this.entries.push({ seq, bytes, points: points.length });
    this.totalBytes += bytes;
    let droppedPoints = 0;
    let droppedBatches = 0;
    while (this.totalBytes > this.maxBytes && this.entries.length > 1) {
      const oldest = this.entries[0] as Entry;
      droppedPoints += oldest.points;
      droppedBatches += 1;
      this.remove(oldest.seq);
    }
    return { seq, droppedPoints, droppedBatches };
  }

  /** The oldest batch with its points (read from disk), or undefined when the spool is empty. */
  oldest(): SpoolBatch | undefined {
    while (this.entries.length > 0) {
      const entry = this.entries[0] as Entry;
      const file = path.join(this.dir, fileName(entry.seq));
      let points: InfluxPoint[] | undefined;
      try {
        points = decodeBatch(this.fs.readFileSync(file, 'utf8'));
      } catch {
        points = undefined;
      }
      if (points !== undefined) return { seq: entry.seq, points };
      this.remove(entry.seq); // gone or damaged since it was written: nothing left to replay
    }
    return undefined;
  }

  /** Deletes a batch (written, or dropped); unknown sequence numbers are ignored. */
  remove(seq: number): boolean {
    const index = this.entries.findIndex((e) => e.seq === seq);
    if (index < 0) return false;
    const [entry] = this.entries.splice(index, 1);
    this.totalBytes -= (entry as Entry).bytes;
    try {
      this.fs.unlinkSync(path.join(this.dir, fileName(seq)));
    } catch {
      // already gone
    }
    return true;
  }
}
