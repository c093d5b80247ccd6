// Energy per period, from a cumulative counter (kWh) or, where there is none, by integrating power
// (W). Both become segments of energy between two samples; a segment is spread over the periods
// it overlaps in proportion to time (a counter: constant mean power; power: the trapezoid of its
// two samples). A counter segment longer than the maximum gap is still counted (the counter is
// exact over it) and spread proportionally, but it is reported as a gap and lowers quality;
// power is not integrated across a gap at all.
import { byTime, DEFAULT_MAX_GAP_MS, overlapMs, type Span } from './intervals';
import { periodsBetween, type Period, type PeriodKind } from './periods';
import { DEFAULT_QUALITY_THRESHOLD } from './quality';
import type { Quality, Sample } from './types';

const MS_PER_HOUR = 3_600_000;

/** Energy between two samples; with startW/endW the power is linear between them (trapezoid). */
export interface EnergySegment { start: number; end: number; kWh: number; startW?: number; endW?: number; /** longer than the maximum gap */ gap?: boolean }

/**
 * What a counter did besides counting up:
 * - `reset`: it dropped to near zero (a reboot that restarts the counter, or a replaced meter that
 *   starts at zero); the new counter counts from 0, so its value is the energy of that interval.
 * - `new-series`: it dropped to a value above near zero (a replaced meter with its own reading);
 *   the energy of that interval is unknown and counted as 0, the new value is the new baseline.
 * - `jitter`: a drop no larger than the jitter tolerance (rounding, a late sample); ignored, the
 *   highest value stays the baseline so the climb back is not counted twice.
 */
export type CounterEventKind = 'reset' | 'new-series' | 'jitter';
export interface CounterEvent { t: number; kind: CounterEventKind; from: number; to: number }

export interface EnergySeries { segments: EnergySegment[]; gaps: Span[]; events: CounterEvent[] }

export interface CounterOptions {
  maxGapMs?: number;
  /** a drop to this value or below is a reset (default 1 kWh) */
  nearZeroKwh?: number;
  /** a drop this small is jitter (default 0.1 kWh) */
  jitterKwh?: number;
}

const validReadings = (samples: readonly Sample[]): Sample[] => byTime(samples).filter((s) => Number.isFinite(s.value));

/** Segments of a cumulative counter in kWh; never a negative increment. */
export function counterSegments(samples: readonly Sample[], options: CounterOptions = {}): EnergySeries {
  const { maxGapMs = DEFAULT_MAX_GAP_MS, nearZeroKwh = 1, jitterKwh = 0.1 } = options;
  const series: EnergySeries = { segments: [], gaps: [], events: [] };
  const readings = validReadings(samples).filter((s) => s.value >= 0);
  const first = readings[0];
  if (!first) return series;
  let baseline = first.value;
  let previousT = first.t;
  for (const reading of readings.slice(1)) {
    let kWh: number;
    if (reading.value >= baseline) {
      kWh = reading.value - baseline;
      baseline = reading.value;
    } else if (baseline - reading.value <= jitterKwh) {
      kWh = 0;
      series.events.push({ t: reading.t, kind: 'jitter', from: baseline, to: reading.value });
    } else {
      const kind: CounterEventKind = reading.value <= nearZeroKwh ? 'reset' : 'new-series';
      kWh = kind === 'reset' ? reading.value : 0;
      series.events.push({ t: reading.t, kind, from: baseline, to: reading.value });
      baseline = reading.value;
    }
    const gap = reading.t - previousT > maxGapMs;
    series.segments.push(gap ? { start: previousT, end: reading.t, kWh, gap } : { start: previousT, end: reading.t, kWh });
    if (gap) series.gaps.push({ start: previousT, end: reading.t });
    previousT = reading.t;
  }
  return series;
}

/** Segments of power in W integrated by trapezoids; samples further apart than maxGapMs are a gap. */
export function powerSegments(samples: readonly Sample[], maxGapMs = DEFAULT_MAX_GAP_MS): EnergySeries {
  const series: EnergySeries = { segments: [], gaps: [], events: [] };
  const readings = validReadings(samples);
  for (let i = 1; i < readings.length; i++) {
    const from = readings[i - 1] as Sample;
    const to = readings[i] as Sample;
    if (to.t === from.t) continue;
    if (to.t - from.t > maxGapMs) {
      series.gaps.push({ start: from.t, end: to.t });
      continue;
    }
    const kWh = ((to.t - from.t) * (from.value + to.value)) / 2 / MS_PER_HOUR / 1000;
    series.segments.push({ start: from.t, end: to.t, kWh, startW: from.value, endW: to.value });
  }
  return series;
}

/** The part of a segment's energy that falls inside a span. */
export function energyWithin(segment: EnergySegment, span: Span): number {
  const length = segment.end - segment.start;
  if (length <= 0) return segment.start >= span.start && segment.start < span.end ? segment.kWh : 0;
  const a = Math.max(segment.start, span.start);
  const b = Math.min(segment.end, span.end);
  if (b <= a) return 0;
  if (segment.startW === undefined || segment.endW === undefined) return (segment.kWh * (b - a)) / length;
  const startW = segment.startW;
  const slope = (segment.endW - startW) / length;
  const powerAt = (t: number): number => startW + slope * (t - segment.start);
  return ((b - a) * (powerAt(a) + powerAt(b))) / 2 / MS_PER_HOUR / 1000;
}

/**
 * Energy of segments (sorted by start, not overlapping, as counterSegments and powerSegments give
 * them) within each of the spans (sorted, not overlapping), in one pass.
 */
export function energyWithinSpans(segments: readonly EnergySegment[], spans: readonly Span[]): number[] {
  const totals = spans.map(() => 0);
  let first = 0;
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i] as Span;
    while (first < segments.length && (segments[first] as EnergySegment).end < span.start) first++;
    for (let j = first; j < segments.length && (segments[j] as EnergySegment).start < span.end; j++) {
      totals[i] = (totals[i] as number) + energyWithin(segments[j] as EnergySegment, span);
    }
  }
  return totals;
}

export interface PeriodEnergy extends Period {
  kWh: number;
  /** time of the period (up to `until`) covered by segments that are not gaps */
  coveredMs: number;
  quality: Quality;
}

export interface PeriodEnergyOptions {
  /** the end of observation (now) for a period still running; its share counts up to here */
  until?: number;
  minQualityShare?: number;
}

/** Energy and quality per period (periods in order, as periodsBetween gives them). */
export function energyPerPeriod(series: EnergySeries, periods: readonly Period[], options: PeriodEnergyOptions = {}): PeriodEnergy[] {
  const { until = Number.POSITIVE_INFINITY, minQualityShare = DEFAULT_QUALITY_THRESHOLD } = options;
  const totals = periods.map(() => ({ kWh: 0, coveredMs: 0 }));
  const segments = [...series.segments].sort((a, b) => a.start - b.start);
  let first = 0;
  for (const segment of segments) {
    while (first < periods.length && (periods[first] as Period).end <= segment.start) first++;
    for (let i = first; i < periods.length && (periods[i] as Period).start <= segment.end; i++) {
      const period = periods[i] as Period;
      const total = totals[i] as { kWh: number; coveredMs: number };
      total.kWh += energyWithin(segment, period);
      if (!segment.gap) total.coveredMs += overlapMs(segment, { start: period.start, end: Math.min(period.end, until) });
    }
  }
  return periods.map((period, i) => {
    const { kWh, coveredMs } = totals[i] as { kWh: number; coveredMs: number };
    const observedMs = Math.min(period.end, until) - period.start;
    const share = observedMs > 0 ? Math.min(1, coveredMs / observedMs) : 0;
    return { ...period, kWh, coveredMs, quality: { share, sound: share >= minQualityShare } };
  });
}

export interface EnergySource {
  /** cumulative counter in kWh; used when it has two readings or more */
  counter?: readonly Sample[];
  /** power in W, integrated where there is no counter */
  power?: readonly Sample[];
}

export interface EnergyReport { method: 'counter' | 'power' | 'none'; periods: PeriodEnergy[]; gaps: Span[]; events: CounterEvent[] }

/** Energy per day/week/month/year of [start, end) in a time zone, from the counter if there is one. */
export function energyReport(
  source: EnergySource, span: Span, every: PeriodKind, timeZone: string, options: CounterOptions & PeriodEnergyOptions = {},
): EnergyReport {
  const periods = periodsBetween(span.start, span.end, every, timeZone);
  const counter = source.counter ?? [];
  const method = counter.length >= 2 ? 'counter' : (source.power ?? []).length >= 2 ? 'power' : 'none';
  const series = method === 'counter' ? counterSegments(counter, options)
    : method === 'power' ? powerSegments(source.power ?? [], options.maxGapMs)
      : { segments: [], gaps: [], events: [] };
  return { method, periods: energyPerPeriod(series, periods, options), gaps: series.gaps, events: series.events };
}
