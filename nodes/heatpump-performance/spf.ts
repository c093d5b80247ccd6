// Seasonal performance factor (JAZ/SPF) and the yearly estimates: the simple one (average per
// day) and one weighted by heating degree days.
import { overlapMs, type Span } from './intervals';
import { periodAt, periodsBetween, type Period } from './periods';
import type { Sample } from './types';

const DAY_MS = 86_400_000;

/** SPF = Σ heat / Σ electricity over the same span; null when no electricity was used. */
export function seasonalPerformanceFactor(heatKwh: number, electricityKwh: number): number | null {
  return electricityKwh > 0 && Number.isFinite(heatKwh) ? heatKwh / electricityKwh : null;
}

export interface EnergyTotals { heatKwh: number; electricityKwh: number }
export interface SpfResult extends EnergyTotals { spf: number | null }

/** SPF over any run of periods: sums first, then divides (never an average of ratios). */
export function spfOverPeriods(heat: readonly { kWh: number }[], electricity: readonly { kWh: number }[]): SpfResult {
  const heatKwh = heat.reduce((sum, p) => sum + p.kWh, 0);
  const electricityKwh = electricity.reduce((sum, p) => sum + p.kWh, 0);
  return { heatKwh, electricityKwh, spf: seasonalPerformanceFactor(heatKwh, electricityKwh) };
}

export interface YearlyEstimate extends SpfResult { method: 'daily-average' | 'degree-days' }

const withSpf = (heatKwh: number, electricityKwh: number, method: YearlyEstimate['method']): YearlyEstimate =>
  ({ heatKwh, electricityKwh, spf: seasonalPerformanceFactor(heatKwh, electricityKwh), method });

/**
 * The simple estimate: to date + average per day so far × remaining days. `year` is the calendar
 * year in the installation's zone, `now` inside it. Its SPF equals the SPF to date.
 */
export function dailyAverageYearlyEstimate(toDate: EnergyTotals, year: Span, now: number): YearlyEstimate {
  const elapsedDays = (now - year.start) / DAY_MS;
  const remainingDays = Math.max(0, year.end - now) / DAY_MS;
  const extrapolate = (kWh: number): number => (elapsedDays > 0 ? kWh + (kWh / elapsedDays) * remainingDays : kWh);
  return withSpf(extrapolate(toDate.heatKwh), extrapolate(toDate.electricityKwh), 'daily-average');
}

/**
 * Degree days (Kd) of one day from its mean outdoor temperature (°C):
 * - `G20/15` (default), the Gradtagzahl of VDI 3807 / VDI 4710: 20 − mean on heating days, a day
 *   being a heating day when its mean is below 15 °C;
 * - `HDD15`: heating degree days on base 15 °C, 15 − mean below 15 °C (Eurostat style).
 */
export type DegreeDayMethod = 'G20/15' | 'HDD15';
export const DEFAULT_DEGREE_DAY_METHOD: DegreeDayMethod = 'G20/15';
const HEATING_LIMIT_C = 15;

export function degreeDaysOfDay(meanC: number, method: DegreeDayMethod = DEFAULT_DEGREE_DAY_METHOD): number {
  if (!(meanC < HEATING_LIMIT_C)) return 0;
  return (method === 'G20/15' ? 20 : HEATING_LIMIT_C) - meanC;
}

export interface DegreeDayTally { degreeDays: number; days: number; daysWithoutData: number }

/**
 * Degree days of the whole local days in [span.start, span.end) from measured outdoor temperature;
 * a day's mean is the mean of its samples; a day with no sample is counted, not guessed.
 */
export function measuredDegreeDays(outdoor: readonly Sample[], span: Span, timeZone: string, method: DegreeDayMethod = DEFAULT_DEGREE_DAY_METHOD): DegreeDayTally {
  const days = periodsBetween(span.start, span.end, 'day', timeZone).filter((day) => day.start >= span.start && day.end <= span.end);
  const sums = days.map(() => ({ sum: 0, count: 0 }));
  let first = 0;
  for (const sample of [...outdoor].filter((s) => Number.isFinite(s.value) && Number.isFinite(s.t)).sort((a, b) => a.t - b.t)) {
    while (first < days.length && (days[first] as Period).end <= sample.t) first++;
    const day = days[first];
    if (!day || sample.t < day.start) continue;
    const tally = sums[first] as { sum: number; count: number };
    tally.sum += sample.value;
    tally.count += 1;
  }
  let degreeDays = 0;
  let daysWithoutData = 0;
  for (const { sum, count } of sums) {
    if (count === 0) daysWithoutData++;
    else degreeDays += degreeDaysOfDay(sum / count, method);
  }
  return { degreeDays, days: days.length, daysWithoutData };
}

/**
 * Degree days of stored days from each day's mean outdoor temperature (energy_daily's
 * `outdoor_mean`); a day without one is counted in daysWithoutData, not guessed.
 */
export function degreeDaysOfDailyMeans(means: readonly (number | null)[], method: DegreeDayMethod = DEFAULT_DEGREE_DAY_METHOD): DegreeDayTally {
  const measured = means.filter((mean): mean is number => mean !== null && Number.isFinite(mean));
  return { degreeDays: measured.reduce((sum, mean) => sum + degreeDaysOfDay(mean, method), 0), days: means.length, daysWithoutData: means.length - measured.length };
}

/**
 * The site's typical annual degree days from earlier years measured in full (every local day of
 * the year with a mean outdoor temperature): the mean of their degree days; undefined when no
 * year was measured in full.
 */
export function typicalYearDegreeDays(days: readonly { t: number; outdoorMeanC: number | null }[], timeZone: string, method: DegreeDayMethod = DEFAULT_DEGREE_DAY_METHOD): number | undefined {
  const byYear = new Map<string, { year: Period; means: Map<string, number> }>();
  for (const { t, outdoorMeanC } of days) {
    if (outdoorMeanC === null || !Number.isFinite(outdoorMeanC)) continue;
    const year = periodAt(t, 'year', timeZone);
    const entry = byYear.get(year.label) ?? { year, means: new Map<string, number>() };
    entry.means.set(periodAt(t, 'day', timeZone).label, outdoorMeanC);
    byYear.set(year.label, entry);
  }
  const complete = [...byYear.values()].filter(({ year, means }) => means.size === periodsBetween(year.start, year.end, 'day', timeZone).length);
  if (complete.length === 0) return undefined;
  return complete.reduce((sum, { means }) => sum + degreeDaysOfDailyMeans([...means.values()], method).degreeDays, 0) / complete.length;
}

/**
 * Share of a typical year's degree days per month, January first: the per-mille Gradtagzahl table
 * German heat-cost billing uses to split a year between readings (HeizkostenV § 9b): Jan 170,
 * Feb 150, Mar 130, Apr 80, May 40, Jun–Aug 40 together, Sep 30, Oct 80, Nov 120, Dec 160.
 * Pass another table for another climate.
 */
export const TYPICAL_MONTHLY_DEGREE_DAY_SHARE: readonly number[] = [170, 150, 130, 80, 40, 40 / 3, 40 / 3, 40 / 3, 30, 80, 120, 160].map((perMille) => perMille / 1000);

export interface DegreeDayEstimateInput {
  /** heat and electricity from the start of the year to now */
  toDate: EnergyTotals;
  /** measured degree days from the start of the year to now (measuredDegreeDays) */
  degreeDaysToDate: number;
  /** the calendar year in the installation's zone; now lies inside it */
  year: Span;
  now: number;
  timeZone: string;
  /** 12 non-negative shares, January first; normalised to sum 1 (default the German table) */
  monthlyShare?: readonly number[];
  /** the site's typical annual degree days; without it the rest of the year is assumed as cold as the year so far */
  typicalYearDegreeDays?: number;
  /** the weather-independent part of toDate (hot water), extrapolated per day, not per degree day */
  baseLoadToDate?: EnergyTotals;
}

/** Share (0..1) of the typical year's degree days that falls in [year.start, now). */
export function elapsedDegreeDayShare(year: Span, now: number, timeZone: string, monthlyShare: readonly number[] = TYPICAL_MONTHLY_DEGREE_DAY_SHARE): number {
  const months = periodsBetween(year.start, year.end, 'month', timeZone);
  const shareSum = monthlyShare.reduce((sum, share) => sum + share, 0);
  if (months.length !== 12 || monthlyShare.length !== 12 || monthlyShare.some((share) => !(share >= 0)) || !(shareSum > 0)) {
    throw new RangeError('monthly degree-day share needs 12 non-negative values, January first, for a calendar year');
  }
  const elapsed = { start: year.start, end: Math.min(now, year.end) };
  return months.reduce((sum, month, i) => sum + ((monthlyShare[i] as number) / shareSum) * (overlapMs(month, elapsed) / (month.end - month.start)), 0);
}

/**
 * The yearly estimate weighted by heating degree days: the weather-dependent energy so far per
 * measured degree day × the degree days still to come (typical share of the rest of the year),
 * plus the base load per day × remaining days.
 */
export function degreeDayYearlyEstimate(input: DegreeDayEstimateInput): YearlyEstimate {
  const { toDate, degreeDaysToDate, year, now, timeZone, typicalYearDegreeDays } = input;
  const baseLoad = input.baseLoadToDate ?? { heatKwh: 0, electricityKwh: 0 };
  const elapsedShare = elapsedDegreeDayShare(year, now, timeZone, input.monthlyShare);
  const remainingShare = 1 - elapsedShare;
  const elapsedDays = (now - year.start) / DAY_MS;
  const remainingDays = Math.max(0, year.end - now) / DAY_MS;
  const remainingDegreeDays = typicalYearDegreeDays !== undefined ? typicalYearDegreeDays * remainingShare
    : elapsedShare > 0 ? (degreeDaysToDate / elapsedShare) * remainingShare : 0;
  const extrapolate = (total: number, base: number): number => {
    const weatherDependent = total - base;
    const perDay = elapsedDays > 0 ? base / elapsedDays : 0;
    // no degree days yet (a mild start): fall back to the typical share of the year so far
    const rest = degreeDaysToDate > 0 ? (weatherDependent / degreeDaysToDate) * remainingDegreeDays
      : elapsedShare > 0 ? (weatherDependent / elapsedShare) * remainingShare : 0;
    return total + perDay * remainingDays + rest;
  };
  return withSpf(extrapolate(toDate.heatKwh, baseLoad.heatKwh), extrapolate(toDate.electricityKwh, baseLoad.electricityKwh), 'degree-days');
}
