// Pure core of heatpump-batch: a point buffer that says when to send and what it had to drop.
// The glue owns the timer; nothing here reads the clock.
import type { InfluxPoint } from '../shared/contract';
import type { BatchOptions } from './types';

export const DEFAULT_BATCH_OPTIONS: Readonly<BatchOptions> = Object.freeze({ maxPoints: 5000, maxWaitMs: 1000, maxBuffered: 100000 });

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

  constructor(private readonly options: BatchOptions) {}

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
export function batchOptionsFromConfig(config: Partial<Record<'maxPoints' | 'maxWaitMs' | 'maxBuffered', unknown>>): { options: BatchOptions; problems: string[] } {
  const options: BatchOptions = { ...DEFAULT_BATCH_OPTIONS };
  const problems: string[] = [];
  for (const key of ['maxPoints', 'maxWaitMs', 'maxBuffered'] as const) {
    const raw = config[key];
    if (raw === undefined || raw === null || raw === '') continue;
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : NaN;
    const minimum = key === 'maxBuffered' ? 1 : 0;
    if (Number.isInteger(value) && value >= minimum) options[key] = value;
    else problems.push(`${key}: ${JSON.stringify(raw)}`);
  }
  return { options, problems };
}
