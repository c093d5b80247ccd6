// Compressor starts and short cycling. A start is the compressor flag going from off to on (a
// run whose first sample follows an "off" sample; a run already on when data begins or after a
// gap is not counted as a start). A cycle is one run, start to stop. Short cycling: at least 6
// starts within 60 minutes AND the median run of those starts at most 15 minutes, counting only
// space-heating runs (runs overlapping hot water or a defrost are left out).
import { byTime, DEFAULT_MAX_GAP_MS, HOUR_MS, MINUTE_MS, overlapMs, trueSpans, valueAt, type Span } from './intervals';
import type { BoolSample } from './types';

export interface CompressorRun extends Span {
  runMs: number;
  /** the run began with an off → on change (not at the start of the data or after a gap) */
  started: boolean;
  /** still on at the end of the data: its run time is a lower bound */
  open: boolean;
  dhw: boolean;
  defrost: boolean;
}

export interface CyclingInput { compressorRunning: readonly BoolSample[]; dhw: readonly BoolSample[]; defrost: readonly BoolSample[] }

export interface CyclingOptions {
  maxGapMs?: number;
  windowMinutes?: number;
  minStarts?: number;
  maxMedianRunMinutes?: number;
}

export interface CyclingSummary {
  runs: CompressorRun[];
  /** every off → on change in the span */
  starts: number;
  startsPerHour: number;
  /** starts of space-heating runs, the ones short cycling looks at */
  heatingStarts: number;
  /** median run of the space-heating runs started in the span, null without one */
  medianRunMs: number | null;
  shortCycling: boolean;
  /** start of the first 60-minute window that short-cycled */
  shortCyclingFrom: number | null;
}

export function median(values: readonly number[]): number | null {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The compressor runs up to `until`, each marked with whether it was a start, hot water or defrost. */
export function compressorRuns(input: CyclingInput, until: number, maxGapMs = DEFAULT_MAX_GAP_MS): CompressorRun[] {
  const running = byTime(input.compressorRunning);
  const lastSample = running[running.length - 1];
  const dhwSpans = trueSpans(input.dhw, until, maxGapMs);
  const defrostSpans = trueSpans(input.defrost, until, maxGapMs);
  const overlapsAny = (run: Span, spans: readonly Span[]): boolean => spans.some((span) => overlapMs(run, span) > 0);
  return trueSpans(running, until, maxGapMs).map((run) => ({
    ...run,
    runMs: run.end - run.start,
    started: valueAt(running, run.start - 1, maxGapMs) === false,
    open: lastSample !== undefined && lastSample.value && run.end === Math.min(until, lastSample.t),
    dhw: overlapsAny(run, dhwSpans),
    defrost: overlapsAny(run, defrostSpans),
  }));
}

/** Starts, starts per hour and the short-cycling flag for the runs that start in span. */
export function cyclingSummary(input: CyclingInput, span: Span, options: CyclingOptions = {}): CyclingSummary {
  const { maxGapMs = DEFAULT_MAX_GAP_MS, windowMinutes = 60, minStarts = 6, maxMedianRunMinutes = 15 } = options;
  // runs that start in the span keep their whole length, even when they end after it
  const runs = compressorRuns(input, Number.POSITIVE_INFINITY, maxGapMs).filter((run) => run.start >= span.start && run.start < span.end);
  const started = runs.filter((run) => run.started);
  const heating = started.filter((run) => !run.dhw && !run.defrost);
  const windowMs = windowMinutes * MINUTE_MS;
  let shortCyclingFrom: number | null = null;
  let last = 0;
  for (let i = 0; i < heating.length; i++) {
    const first = heating[i] as CompressorRun;
    while (last < heating.length && (heating[last] as CompressorRun).start < first.start + windowMs) last++;
    const inWindow = heating.slice(i, last);
    const windowMedian = median(inWindow.map((run) => run.runMs));
    if (inWindow.length >= minStarts && windowMedian !== null && windowMedian <= maxMedianRunMinutes * MINUTE_MS) {
      shortCyclingFrom = first.start;
      break;
    }
  }
  const hours = (span.end - span.start) / HOUR_MS;
  return {
    runs,
    starts: started.length,
    startsPerHour: hours > 0 ? started.length / hours : 0,
    heatingStarts: heating.length,
    medianRunMs: median(heating.map((run) => run.runMs)),
    shortCycling: shortCyclingFrom !== null,
    shortCyclingFrom,
  };
}
