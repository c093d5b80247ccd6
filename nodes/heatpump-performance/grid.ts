// Joins series that arrive at different rates (a Shelly every 10 s, Viessmann every 5 min) on one
// time grid of windows aligned to the epoch. Pure: samples in, window values out; no Node-RED.
import type { BoolSample, PerformanceSeries, Sample } from './types';

export const DEFAULT_WINDOW_MS = 5 * 60_000;
/** A slow series' last value is carried into a window only while it is at most this old. */
export const DEFAULT_MAX_AGE_MS = 15 * 60_000;

export type NumericSeriesName = 'flow' | 'return' | 'outdoor' | 'flowRate' | 'modulation' | 'electricalPower' | 'heatPower';
export type BoolSeriesName = 'compressorRunning' | 'defrost' | 'dhw';

export const NUMERIC_SERIES: readonly NumericSeriesName[] = ['flow', 'return', 'outdoor', 'flowRate', 'modulation', 'electricalPower', 'heatPower'];
export const BOOL_SERIES: readonly BoolSeriesName[] = ['compressorRunning', 'defrost', 'dhw'];

/** How a window value came about: the mean of samples inside, or a value carried in from before. */
export interface WindowValue {
  value: number;
  source: 'mean' | 'carried';
  /** samples inside the window (0 when carried) */
  samples: number;
}

export interface GridWindow {
  start: number;
  end: number;
  values: Partial<Record<NumericSeriesName, WindowValue>>;
  /** share 0..1 of the window's known time the flag was true */
  shares: Partial<Record<BoolSeriesName, number>>;
}

export interface GridOptions {
  windowMs: number;
  maxAgeMs: number;
}

/** Start of the window that holds `t`, windows aligned to the epoch. */
export function windowStartOf(t: number, windowMs: number): number {
  return Math.floor(t / windowMs) * windowMs;
}

/**
 * The mean of the samples in [start, end); without one, the last sample before `start` if it is
 * at most `maxAgeMs` older than `start`; else undefined.
 */
export function windowValue(samples: readonly Sample[], start: number, end: number, maxAgeMs: number): WindowValue | undefined {
  let sum = 0;
  let count = 0;
  let before: Sample | undefined;
  for (const sample of samples) {
    if (sample.t >= start && sample.t < end) {
      sum += sample.value;
      count++;
    } else if (sample.t < start && (before === undefined || sample.t >= before.t)) before = sample;
  }
  if (count > 0) return { value: sum / count, source: 'mean', samples: count };
  if (before !== undefined && start - before.t <= maxAgeMs) return { value: before.value, source: 'carried', samples: 0 };
  return undefined;
}

/**
 * Share of [start, end) a flag was true: each sample holds until the next; the state at `start`
 * comes from the last sample before it (at most `maxAgeMs` old). Time with no known state counts
 * neither way; undefined when no time is known.
 */
export function trueShare(samples: readonly BoolSample[], start: number, end: number, maxAgeMs: number): number | undefined {
  const sorted = [...samples].sort((a, b) => a.t - b.t);
  let known = 0;
  let truth = 0;
  for (let i = 0; i < sorted.length; i++) {
    const sample = sorted[i] as BoolSample;
    const next = sorted[i + 1];
    if (next !== undefined && next.t <= start) continue;
    if (sample.t >= end) break;
    if (sample.t < start && start - sample.t > maxAgeMs) continue;
    const from = Math.max(sample.t, start);
    const to = Math.min(next?.t ?? end, end);
    known += to - from;
    if (sample.value) truth += to - from;
  }
  return known > 0 ? truth / known : undefined;
}

/** All series of one device on the window [start, start + windowMs). */
export function gridWindow(series: PerformanceSeries, start: number, options: GridOptions): GridWindow {
  const end = start + options.windowMs;
  const window: GridWindow = { start, end, values: {}, shares: {} };
  for (const name of NUMERIC_SERIES) {
    const value = windowValue(series[name], start, end, options.maxAgeMs);
    if (value !== undefined) window.values[name] = value;
  }
  for (const name of BOOL_SERIES) {
    const share = trueShare(series[name], start, end, options.maxAgeMs);
    if (share !== undefined) window.shares[name] = share;
  }
  return window;
}

/** An empty PerformanceSeries, to fill series by series. */
export function emptySeries(): PerformanceSeries {
  return {
    flow: [], return: [], outdoor: [], flowRate: [], modulation: [],
    electricalPower: [], electricalEnergy: [], heatPower: [], heatEnergy: [],
    compressorRunning: [], defrost: [], dhw: [],
  };
}
