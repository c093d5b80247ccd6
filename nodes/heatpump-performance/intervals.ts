// Time spans and step-held series shared by the energy, defrost, cycling and mode figures.
import type { BoolSample, Sample } from './types';

/** A half-open time span [start, end) in ms since epoch. */
export interface Span { start: number; end: number }

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
/** Samples further apart than this are a gap: not bridged, not integrated. */
export const DEFAULT_MAX_GAP_MS = 15 * MINUTE_MS;

export function byTime<T extends { t: number }>(samples: readonly T[]): T[] {
  return samples.filter((s) => Number.isFinite(s.t)).sort((a, b) => a.t - b.t);
}

/**
 * The spans where a flag is true. A flag holds its last value until the next sample; across a gap
 * longer than maxHoldMs, or at the end of the data, a span ends at the last sample that saw it true
 * (a silent source is not "still on"), and at `until` at the latest.
 */
export function trueSpans(flag: readonly BoolSample[], until: number, maxHoldMs = DEFAULT_MAX_GAP_MS): Span[] {
  const spans: Span[] = [];
  let openedAt: number | null = null;
  let lastSeen = Number.NEGATIVE_INFINITY;
  const close = (at: number): void => {
    if (openedAt !== null && at > openedAt) spans.push({ start: openedAt, end: at });
    openedAt = null;
  };
  for (const sample of byTime(flag)) {
    if (sample.t > until) {
      // the data goes on: a span still on holds to `until` unless the next sample is too late
      if (openedAt !== null && sample.t - lastSeen <= maxHoldMs) lastSeen = until;
      break;
    }
    if (openedAt !== null && sample.t - lastSeen > maxHoldMs) close(lastSeen);
    if (sample.value && openedAt === null) openedAt = sample.t;
    if (!sample.value) close(sample.t);
    lastSeen = sample.t;
  }
  if (openedAt !== null) close(Math.min(until, lastSeen));
  return spans;
}

/** Index of the last sample at or before t in a sorted series, −1 if none. */
function lastIndexAtOrBefore<T extends { t: number }>(sorted: readonly T[], t: number): number {
  let low = 0;
  let high = sorted.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if ((sorted[mid] as T).t <= t) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}

/** The last value at or before t if it is not older than maxAgeMs (series sorted by time). */
export function valueAt<T extends Sample | BoolSample>(sorted: readonly T[], t: number, maxAgeMs = DEFAULT_MAX_GAP_MS): T['value'] | undefined {
  const sample = sorted[lastIndexAtOrBefore(sorted, t)];
  return sample !== undefined && t - sample.t <= maxAgeMs ? sample.value : undefined;
}

/** Length of the overlap of two spans (0 when apart). */
export function overlapMs(a: Span, b: Span): number {
  return Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
}
