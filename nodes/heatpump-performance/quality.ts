// Data quality: the share of a period covered by valid samples, gaps under 15 minutes bridged,
// and whether that share is enough for a figure to be shown as sound.
import type { Quality } from './types';

/** Below this share of valid data a figure is marked as not sound: the window figures and the energies. */
export const DEFAULT_QUALITY_THRESHOLD = 0.8;

export interface QualityOptions {
  /** gaps shorter than this count as covered */
  bridgedGapMs: number;
  /** share below which a figure is not sound */
  threshold: number;
}

/**
 * Covered time of [start, end) over its length. Between consecutive sample times a gap shorter
 * than `bridgedGapMs` is covered; before the first sample (when none came before `start`) and after
 * the last, the stretch to the period's edge counts as such a gap.
 */
export function coveredShare(times: readonly number[], start: number, end: number, bridgedGapMs: number): number {
  if (end <= start) return 0;
  const sorted = [...times].sort((a, b) => a - b);
  const inPeriod = sorted.filter((t) => t >= start && t < end);
  const before = sorted.filter((t) => t < start).at(-1);
  const after = sorted.find((t) => t >= end);
  const edges = [before ?? (inPeriod.length > 0 ? start : undefined), ...inPeriod, after ?? (inPeriod.length > 0 || before !== undefined ? end : undefined)];
  const points = edges.filter((t): t is number => t !== undefined);
  let covered = 0;
  for (let i = 1; i < points.length; i++) {
    const from = points[i - 1] as number;
    const to = points[i] as number;
    if (to - from < bridgedGapMs) covered += Math.min(to, end) - Math.max(from, start);
  }
  return Math.max(0, Math.min(1, covered / (end - start)));
}

export function dataQuality(times: readonly number[], start: number, end: number, options: QualityOptions): Quality {
  const share = coveredShare(times, start, end, options.bridgedGapMs);
  return { share, sound: share >= options.threshold };
}

/** A figure needs all its inputs: its quality is that of its weakest input. */
export function combinedQuality(qualities: readonly Quality[], threshold: number): Quality {
  const share = qualities.length === 0 ? 0 : Math.min(...qualities.map((q) => q.share));
  return { share, sound: share >= threshold };
}
