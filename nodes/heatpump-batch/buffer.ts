// Pure core of heatpump-batch: a point buffer that says when to send and what it had to drop.
// The glue owns the timer; nothing here reads the clock.
import type { InfluxPoint } from '../shared/contract';
import { err, ok, type Result } from '../shared/result';
import type { BatchOptions } from './types';

export const DEFAULT_BATCH_OPTIONS: Readonly<BatchOptions> = Object.freeze({ maxPoints: 5000, maxWaitMs: 1000, maxBuffered: 100000, retries: 5, writeTimeoutS: 30 });

/** Delay before retry number `attempt` (1, 2, ...): 1, 2, 4, 8, 16 s, then at most a minute. */
export function retryDelayMs(attempt: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, attempt - 1));
}

export interface WriteOutcome {
  points: InfluxPoint[];
  /** 0 for the first write, n for the n-th retry */
  attempt: number;
  /** why the write failed; undefined when it succeeded */
  error: string | undefined;
  /** when it failed: ms until the next try, or undefined when every retry is used up */
  retryIn: number | undefined;
  /** points InfluxDB dropped from a write it otherwise took, as older than its retention policy */
  beyondRetention: number;
}

/**
 * InfluxDB takes a batch with points older than its retention policy keeps as a partial write: it
 * stores the rest and answers an error (1.x 400, 2.x 422) naming how many it dropped. Retrying
 * cannot store them, and would hold every later batch behind this one.
 */
const BEYOND_RETENTION = /points beyond retention policy dropped=(\d+)/;

/**
 * What a batch message that came back from `influxdb batch` says: through a `complete` node it
 * was written, through a `catch` node (msg.error) it failed.
 */
export function writeOutcomeOf(msg: { payload?: unknown; heatpumpBatch?: unknown; error?: unknown }, retries: number): Result<WriteOutcome, string> {
  const tag = msg.heatpumpBatch as { attempt?: unknown } | null;
  const attempt = typeof tag === 'object' && tag !== null ? tag.attempt : undefined;
  if (typeof attempt !== 'number' || !Number.isInteger(attempt) || attempt < 0) return err('msg.heatpumpBatch.attempt must be a whole number >= 0');
  if (!Array.isArray(msg.payload)) return err('a reported batch must carry its points in msg.payload');
  const points = msg.payload as InfluxPoint[];
  if (msg.error === undefined || msg.error === null) return ok({ points, attempt, error: undefined, retryIn: undefined, beyondRetention: 0 });
  const error = typeof msg.error === 'object' && 'message' in msg.error ? String((msg.error as { message: unknown }).message) : String(msg.error);
  const beyondRetention = Number(BEYOND_RETENTION.exec(error)?.[1] ?? NaN);
  if (beyondRetention > 0 && beyondRetention <= points.length) return ok({ points, attempt, error: undefined, retryIn: undefined, beyondRetention });
  return ok({ points, attempt, error, retryIn: attempt < retries ? retryDelayMs(attempt + 1) : undefined, beyondRetention: 0 });
}

export interface AddOutcome {
  /** full batches to send now, in order */
  batches: InfluxPoint[][];
  /** oldest points dropped because the buffer went over maxBuffered */
  dropped: number;
  /** the buffer went from empty to holding points: start the maxWaitMs timer */
  startTimer: boolean;
}

export class PointBuffer {
  private points: InfluxPoint[] = [];

  constructor(private readonly options: Pick<BatchOptions, 'maxPoints' | 'maxBuffered'>) {}

  get size(): number {
    return this.points.length;
  }

  add(incoming: readonly InfluxPoint[]): AddOutcome {
    const wasEmpty = this.points.length === 0;
    for (const point of incoming) this.points.push(point);
    const batches: InfluxPoint[][] = [];
    const { maxPoints, maxBuffered } = this.options;
    if (maxPoints > 0) {
      while (this.points.length >= maxPoints) batches.push(this.points.splice(0, maxPoints));
    }
    let dropped = 0;
    if (this.points.length > maxBuffered) {
      dropped = this.points.length - maxBuffered;
      this.points.splice(0, dropped);
    }
    return { batches, dropped, startTimer: wasEmpty && this.points.length > 0 };
  }

  /** The points held, oldest first (not taken). */
  held(): readonly InfluxPoint[] {
    return this.points;
  }

  /** Everything held, for a timer, flush or close; the buffer is empty afterwards. */
  takeAll(): InfluxPoint[] {
    const all = this.points;
    this.points = [];
    return all;
  }
}

/**
 * Options from a node's config: blank or missing values keep the defaults. Returns the problems
 * of values that are set but unusable (they fall back to the default too).
 */
export function batchOptionsFromConfig(config: Partial<Record<keyof BatchOptions, unknown>>): { options: BatchOptions; problems: string[] } {
  const options: BatchOptions = { ...DEFAULT_BATCH_OPTIONS };
  const problems: string[] = [];
  for (const key of ['maxPoints', 'maxWaitMs', 'maxBuffered', 'retries', 'writeTimeoutS'] as const) {
    const raw = config[key];
    if (raw === undefined || raw === null || raw === '') continue;
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : NaN;
    const minimum = key === 'maxBuffered' ? 1 : 0;
    if (Number.isInteger(value) && value >= minimum) options[key] = value;
    else problems.push(`${key}: ${JSON.stringify(raw)}`);
  }
  return { options, problems };
}
