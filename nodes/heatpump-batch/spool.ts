// Pure core of heatpump-batch's disk spool: batches whose writes failed wait here, one gzipped
// JSON file per batch named by a growing sequence number and its point count, until InfluxDB takes
// them again (oldest first). The total size is bounded: beyond maxBytes the oldest batches go
// first, and their points are counted. The file system is injected (SpoolFs), so tests run it on a
// temp directory. Plain .json files of 0.1.x spools are still read and replayed (upgrade path).
import path from 'node:path';
import zlib from 'node:zlib';
import type { InfluxPoint } from '../shared/contract';

/** The few file operations the spool needs (node:fs fits). */
export interface SpoolFs {
  mkdirSync(dir: string, options: { recursive: true }): unknown;
  readdirSync(dir: string): string[];
  readFileSync(file: string): Buffer;
  writeFileSync(file: string, data: Buffer): void;
  renameSync(from: string, to: string): void;
  unlinkSync(file: string): void;
  existsSync(file: string): boolean;
  statSync(file: string): { size: number };
}

/** A point as stored: the timestamp in ms since the epoch, and the retention policy it was routed to. */
interface StoredPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, unknown>;
  timestamp: number;
  retentionPolicy?: string;
}

interface Entry {
  seq: number;
  file: string;
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
 * 150 MB: a 5000-point batch of simulated readings (1,000 devices) is 1.68 MB as JSON, 132 KB
 * gzipped, i.e. 26.5 bytes per reading (measured in test/unit/spool.test.ts). 150 MB hold about
 * 5.9 million readings: 99 minutes at 1,000 readings/s, with a margin for readings that compress
 * worse than the simulator's.
 */
export const DEFAULT_SPOOL_MB = 150;

/** Spool options from a node's config: on unless switched off; the size in MB (> 0). */
export function spoolOptionsFromConfig(config: { spool?: unknown; spoolMB?: unknown }): { on: boolean; maxMB: number; problem: string | undefined } {
  const on = config.spool !== false && config.spool !== 'false';
  const raw = config.spoolMB;
  if (raw === undefined || raw === null || raw === '') return { on, maxMB: DEFAULT_SPOOL_MB, problem: undefined };
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : NaN;
  if (Number.isFinite(value) && value > 0) return { on, maxMB: value, problem: undefined };
  return { on, maxMB: DEFAULT_SPOOL_MB, problem: `spoolMB: ${JSON.stringify(raw)}` };
}

/** `<seq>-<points>.json.gz` (this version) or `<seq>.json` (0.1.x, uncompressed, count unknown) */
const NAME = /^(\d{12})(?:-(\d+)\.json\.gz|\.json)$/;
const fileName = (seq: number, points: number): string => `${String(seq).padStart(12, '0')}-${points}.json.gz`;

/** ms since the epoch of a Date (or of a number, should a flow have turned the Date into one) */
const timestampMs = (t: Date | number): number => (typeof t === 'number' ? t : t.getTime());

export function encodeBatch(points: readonly InfluxPoint[]): string {
  const stored: StoredPoint[] = points.map((p) => ({
    measurement: p.measurement,
    tags: p.tags,
    fields: p.fields,
    timestamp: timestampMs(p.timestamp),
    ...(p.retentionPolicy === undefined ? {} : { retentionPolicy: p.retentionPolicy }),
  }));
  return JSON.stringify(stored);
}

/** A batch as written to disk: gzipped JSON (sync: ~25 ms for 5000 points, once per failed batch). */
export function packBatch(points: readonly InfluxPoint[]): Buffer {
  return zlib.gzipSync(encodeBatch(points));
}

/** The points of a stored batch (gzipped or, from 0.1.x, plain JSON), or undefined when it is not one. */
export function unpackBatch(data: Buffer): InfluxPoint[] | undefined {
  const gzipped = data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
  try {
    return decodeBatch(gzipped ? zlib.gunzipSync(data).toString('utf8') : data.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The points of a stored batch's JSON text, or undefined when the text is not one. */
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
    if (p.retentionPolicy !== undefined && typeof p.retentionPolicy !== 'string') return undefined;
    const point = { measurement: p.measurement, tags: p.tags, fields: p.fields, timestamp: new Date(p.timestamp) } as InfluxPoint;
    if (p.retentionPolicy !== undefined) point.retentionPolicy = p.retentionPolicy;
    points.push(point);
  }
  return points;
}

export class Spool {
  private entries: Entry[] = [];
  private nextSeq = 1;
  private totalBytes = 0;
  private totalPoints = 0;
  private created = false;
  /** points of batches found damaged when they were due for replay, not yet taken by takeDamaged() */
  private damaged = 0;
  /** files found unreadable on restore (left out and deleted) */
  readonly corrupt: number;

  /**
   * Opens the spool in `dir` and restores what a previous run left there (sorted by sequence).
   * Compressed files are not read here (their name holds the point count), so a full spool opens
   * at once; 0.1.x .json files are read to count their points.
   */
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
        .map((f) => ({ file: f.name, seq: Number(f.match?.[1]), counted: f.match?.[2] }))
        .sort((a, b) => a.seq - b.seq);
      for (const { file, seq, counted } of found) {
        const full = path.join(dir, file);
        let points: number;
        let bytes: number;
        if (counted !== undefined) {
          points = Number(counted);
          bytes = fs.statSync(full).size;
        } else {
          const data = fs.readFileSync(full);
          const unpacked = unpackBatch(data);
          if (unpacked === undefined) {
            corrupt += 1;
            fs.unlinkSync(full);
            continue;
          }
          points = unpacked.length;
          bytes = data.length;
        }
        this.entries.push({ seq, file, bytes, points });
        this.totalBytes += bytes;
        this.totalPoints += points;
        this.nextSeq = seq + 1;
      }
    }
    this.corrupt = corrupt;
  }

  get batches(): number {
    return this.entries.length;
  }

  get points(): number {
    return this.totalPoints;
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
    const data = packBatch(points);
    const file = fileName(seq, points.length);
    const full = path.join(this.dir, file);
    // write then rename: a crash mid-write leaves a .tmp file, never a half batch
    this.fs.writeFileSync(`${full}.tmp`, data);
    this.fs.renameSync(`${full}.tmp`, full);
    this.entries.push({ seq, file, bytes: data.length, points: points.length });
    this.totalBytes += data.length;
    this.totalPoints += points.length;
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

  /**
   * The oldest batch with its points (read from disk), or undefined when the spool is empty. A
   * batch damaged or deleted since it was written is removed and its points counted (takeDamaged).
   */
  oldest(): SpoolBatch | undefined {
    while (this.entries.length > 0) {
      const entry = this.entries[0] as Entry;
      let points: InfluxPoint[] | undefined;
      try {
        points = unpackBatch(this.fs.readFileSync(path.join(this.dir, entry.file)));
      } catch {
        points = undefined;
      }
      if (points !== undefined) return { seq: entry.seq, points };
      this.damaged += entry.points;
      this.remove(entry.seq);
    }
    return undefined;
  }

  /** Points lost to damaged files since the last call. */
  takeDamaged(): number {
    const damaged = this.damaged;
    this.damaged = 0;
    return damaged;
  }

  /** Deletes a batch (written, or dropped); unknown sequence numbers are ignored. */
  remove(seq: number): boolean {
    const index = this.entries.findIndex((e) => e.seq === seq);
    if (index < 0) return false;
    const [entry] = this.entries.splice(index, 1) as [Entry];
    this.totalBytes -= entry.bytes;
    this.totalPoints -= entry.points;
    try {
      this.fs.unlinkSync(path.join(this.dir, entry.file));
    } catch {
      // already gone
    }
    return true;
  }
}
