// Did a change help? COP in equal spans before and after an instant, compared on hours of similar
// outdoor temperature, with an uncertainty and a plain verdict. Pure: hours in, figures out.

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Outdoor temperature bins are this wide (K), from a multiple of it: [−2, 0), [0, 2), ... */
export const BIN_KELVIN = 2;
/** Fewer comparable hours than a day's worth cannot tell a change from the noise of the weather. */
export const MIN_COMPARABLE_HOURS = 24;
/** Each side needs hours on this many different days for the day-block bootstrap to mean anything. */
export const MIN_DAYS_EACH_SIDE = 3;
/** A change smaller than this (in %) is not called a change, even when it is statistically clear. */
export const MEANINGFUL_CHANGE_PERCENT = 2;
export const BOOTSTRAP_RESAMPLES = 1000;
/** The interval is the central 95 % of the resampled changes. */
export const INTERVAL_LEVEL = 0.95;

export type Verdict = 'improved' | 'worse' | 'no clear change' | 'not enough data';

export const VERDICT_RULE =
  `improved: the 95 % interval of the change lies above 0 and the change is at least +${MEANINGFUL_CHANGE_PERCENT} %; ` +
  `worse: the interval lies below 0 and the change is at most −${MEANINGFUL_CHANGE_PERCENT} %; ` +
  `not enough data: fewer than ${MIN_COMPARABLE_HOURS} comparable hours or hours on fewer than ${MIN_DAYS_EACH_SIDE} days on either side; ` +
  'otherwise no clear change';

/** One hour of `cop` windows, as InfluxDB gives its means (GROUP BY time(1h), only windows with electricity). */
export interface HourRow {
  /** ms since the epoch: the hour's start */
  time: number;
  /** windows in the hour with an electrical power */
  windows: number;
  electricalW: number | null;
  /** mean heat by ΔT or heat meter, and how many of the windows had it */
  deltaTW: number | null;
  deltaTWindows: number;
  /** mean heat by compressor modulation, and how many of the windows had it */
  modulationW: number | null;
  modulationWindows: number;
  outdoorC: number | null;
  /** the largest and the last defrost share of the hour's windows; null when the source does not report defrost */
  defrostShareMax: number | null;
  defrostShareLast: number | null;
}

/** An hour fit for comparison: its energy (mean power over the hour) and outdoor temperature. */
export interface Hour {
  time: number;
  heatKwh: number;
  electricityKwh: number;
  outdoorC: number;
}

export interface HoursLeftOut {
  /** windows with heat by different methods, or some without heat */
  incomplete: number;
  /** no outdoor temperature */
  no_outdoor: number;
  /** a defrost in the hour, or one at the end of the hour before (its recovery reaches into this one) */
  defrost: number;
}

/**
 * The hours fit for comparison and what was left out. An hour's energy is its mean power × 1 h:
 * a missing window counts as the mean of the others, independent of the configured window length.
 * Heat is the analyser's preferred figure (ΔT or heat meter, else modulation), taken only when every
 * window of the hour has it, so one hour never mixes two methods.
 */
export function hoursOf(rows: readonly HourRow[]): { hours: Hour[]; measured: Omit<Hour, 'outdoorC'>[]; leftOut: HoursLeftOut } {
  const leftOut: HoursLeftOut = { incomplete: 0, no_outdoor: 0, defrost: 0 };
  const sorted = [...rows].sort((a, b) => a.time - b.time);
  const defrostEnded = new Set(sorted.filter((row) => (row.defrostShareLast ?? 0) > 0).map((row) => row.time + HOUR_MS));
  const hours: Hour[] = [];
  const measured: Omit<Hour, 'outdoorC'>[] = [];
  for (const row of sorted) {
    const heatW = row.deltaTW !== null && row.deltaTWindows === row.windows ? row.deltaTW : row.modulationW !== null && row.modulationWindows === row.windows ? row.modulationW : null;
    if (row.windows === 0 || row.electricalW === null || heatW === null) {
      leftOut.incomplete++;
      continue;
    }
    const hour = { time: row.time, heatKwh: heatW / 1000, electricityKwh: row.electricalW / 1000 };
    measured.push(hour);
    if (row.outdoorC === null) leftOut.no_outdoor++;
    else if ((row.defrostShareMax ?? 0) > 0 || defrostEnded.has(row.time)) leftOut.defrost++;
    else hours.push({ ...hour, outdoorC: row.outdoorC });
  }
  return { hours, measured, leftOut };
}

export interface Energy {
  heat_kwh: number;
  electricity_kwh: number;
  /** Σ heat ÷ Σ electricity; null without electricity */
  cop: number | null;
}

export interface BinFigures {
  /** the bin's outdoor temperatures, [from, to) °C */
  outdoor_from: number;
  outdoor_to: number;
  hours_before: number;
  hours_after: number;
  /** the hours each side counts with in the overall figure */
  comparable_hours: number;
  before: Energy;
  after: Energy;
  change_percent: number | null;
}

export interface Comparison {
  bins: BinFigures[];
  /** bins with hours on one side only, left out */
  bins_one_sided: number;
  comparable_hours: number;
  /** both sides as if each had `comparable_hours` hours, the same number in each bin */
  before: Energy;
  after: Energy;
  change_percent: number | null;
}

interface Sums {
  hours: number;
  heat: number;
  electricity: number;
}

const binOf = (outdoorC: number) => Math.floor(outdoorC / BIN_KELVIN) * BIN_KELVIN;
const cop = (heat: number, electricity: number) => (electricity > 0 ? heat / electricity : null);
const changePercent = (before: number | null, after: number | null) => (before === null || after === null || before <= 0 ? null : (after / before - 1) * 100);

function sumsPerBin(hours: readonly Hour[]): Map<number, Sums> {
  const bins = new Map<number, Sums>();
  for (const hour of hours) {
    const bin = binOf(hour.outdoorC);
    const sums = bins.get(bin) ?? { hours: 0, heat: 0, electricity: 0 };
    sums.hours++;
    sums.heat += hour.heatKwh;
    sums.electricity += hour.electricityKwh;
    bins.set(bin, sums);
  }
  return bins;
}

/**
 * The overall change on common weights: each bin with hours on both sides counts with the smaller
 * of its two hour counts (the hours that pair up one to one), and each side contributes its mean
 * heat and electricity per hour of that bin. So a colder span after the change weighs its cold
 * hours no more than the span before had them: the weather cancels, the change remains.
 */
function standardised(before: Map<number, Sums>, after: Map<number, Sums>) {
  let comparableHours = 0;
  const totals = { before: { heat: 0, electricity: 0 }, after: { heat: 0, electricity: 0 } };
  for (const [bin, b] of before) {
    const a = after.get(bin);
    if (!a) continue;
    const weight = Math.min(b.hours, a.hours);
    comparableHours += weight;
    totals.before.heat += (weight * b.heat) / b.hours;
    totals.before.electricity += (weight * b.electricity) / b.hours;
    totals.after.heat += (weight * a.heat) / a.hours;
    totals.after.electricity += (weight * a.electricity) / a.hours;
  }
  const change = changePercent(cop(totals.before.heat, totals.before.electricity), cop(totals.after.heat, totals.after.electricity));
  return { comparableHours, totals, change };
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;
const energy = (heat: number, electricity: number): Energy => {
  const ratio = cop(heat, electricity);
  return { heat_kwh: round3(heat), electricity_kwh: round3(electricity), cop: ratio === null ? null : round3(ratio) };
};
const roundedChange = (value: number | null) => (value === null ? null : Math.round(value * 100) / 100);

/** Binned comparison of the hours before and after (each side's hours given apart). */
export function compareBinned(before: readonly Hour[], after: readonly Hour[]): Comparison {
  const beforeBins = sumsPerBin(before);
  const afterBins = sumsPerBin(after);
  const edges = [...new Set([...beforeBins.keys(), ...afterBins.keys()])].sort((a, b) => a - b);
  const bins: BinFigures[] = [];
  let oneSided = 0;
  for (const from of edges) {
    const b = beforeBins.get(from);
    const a = afterBins.get(from);
    if (!b || !a) {
      oneSided++;
      continue;
    }
    const [beforeEnergy, afterEnergy] = [energy(b.heat, b.electricity), energy(a.heat, a.electricity)];
    bins.push({
      outdoor_from: from,
      outdoor_to: from + BIN_KELVIN,
      hours_before: b.hours,
      hours_after: a.hours,
      comparable_hours: Math.min(b.hours, a.hours),
      before: beforeEnergy,
      after: afterEnergy,
      change_percent: roundedChange(changePercent(cop(b.heat, b.electricity), cop(a.heat, a.electricity))),
    });
  }
  const overall = standardised(beforeBins, afterBins);
  return {
    bins,
    bins_one_sided: oneSided,
    comparable_hours: overall.comparableHours,
    before: energy(overall.totals.before.heat, overall.totals.before.electricity),
    after: energy(overall.totals.after.heat, overall.totals.after.electricity),
    change_percent: roundedChange(overall.change),
  };
}

/** A small seeded generator (mulberry32): the same data always gives the same interval. */
function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Hours grouped by the day (24 h from the change instant) they fall in. */
function dayBlocks(hours: readonly Hour[], at: number): Hour[][] {
  const blocks = new Map<number, Hour[]>();
  for (const hour of hours) {
    const day = Math.floor((hour.time - at) / DAY_MS);
    const block = blocks.get(day);
    if (block) block.push(hour);
    else blocks.set(day, [hour]);
  }
  return [...blocks.values()];
}

function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const lower = sorted[below] as number;
  const upper = sorted[Math.min(below + 1, sorted.length - 1)] as number;
  return lower + (upper - lower) * (position - below);
}

/**
 * The uncertainty of the overall change: a bootstrap over whole days. Hours of one day are not
 * independent (the same weather, the same hot-water routine), so resampling single hours would
 * claim far more certainty than the data holds; days are the smallest pieces that are roughly
 * independent. Each resample draws each side's days with replacement and recomputes the binned
 * change; the interval is the central 95 % of those changes. With few days it is wide, as it should be.
 */
export function bootstrapInterval(before: readonly Hour[], after: readonly Hour[], at: number, resamples = BOOTSTRAP_RESAMPLES, seed = 1): [number, number] | null {
  const [beforeDays, afterDays] = [dayBlocks(before, at), dayBlocks(after, at)];
  if (beforeDays.length === 0 || afterDays.length === 0) return null;
  // each day binned once into [hours, heat, electricity] per bin; a resample only adds up the days it drew
  const bins = [...new Set([...before, ...after].map((hour) => binOf(hour.outdoorC)))];
  const binIndex = new Map(bins.map((bin, i) => [bin, i]));
  const daySums = (days: Hour[][]) =>
    days.map((day) => {
      const sums = new Float64Array(bins.length * 3);
      for (const hour of day) {
        const i = (binIndex.get(binOf(hour.outdoorC)) as number) * 3;
        sums[i] = (sums[i] as number) + 1;
        sums[i + 1] = (sums[i + 1] as number) + hour.heatKwh;
        sums[i + 2] = (sums[i + 2] as number) + hour.electricityKwh;
      }
      return sums;
    });
  const [beforeSums, afterSums] = [daySums(beforeDays), daySums(afterDays)];
  const random = randomSource(seed);
  const draw = (days: Float64Array[]) => {
    const total = new Float64Array(bins.length * 3);
    for (let d = 0; d < days.length; d++) {
      const day = days[Math.floor(random() * days.length)] as Float64Array;
      for (let i = 0; i < total.length; i++) total[i] = (total[i] as number) + (day[i] as number);
    }
    const perBin = new Map<number, Sums>();
    bins.forEach((bin, b) => {
      if ((total[b * 3] as number) > 0) perBin.set(bin, { hours: total[b * 3] as number, heat: total[b * 3 + 1] as number, electricity: total[b * 3 + 2] as number });
    });
    return perBin;
  };
  const changes: number[] = [];
  for (let i = 0; i < resamples; i++) {
    const change = standardised(draw(beforeSums), draw(afterSums)).change;
    // a resample without a common bin has no change to count
    if (change !== null) changes.push(change);
  }
  if (changes.length === 0) return null;
  changes.sort((a, b) => a - b);
  const tail = (1 - INTERVAL_LEVEL) / 2;
  return [roundedChange(quantile(changes, tail)) as number, roundedChange(quantile(changes, 1 - tail)) as number];
}

export function verdictOf(comparison: Comparison, interval: [number, number] | null, daysBefore: number, daysAfter: number): Verdict {
  const change = comparison.change_percent;
  if (comparison.comparable_hours < MIN_COMPARABLE_HOURS || Math.min(daysBefore, daysAfter) < MIN_DAYS_EACH_SIDE || change === null || interval === null) return 'not enough data';
  if (interval[0] > 0 && change >= MEANINGFUL_CHANGE_PERCENT) return 'improved';
  if (interval[1] < 0 && change <= -MEANINGFUL_CHANGE_PERCENT) return 'worse';
  return 'no clear change';
}

export interface SideTotals {
  hours: number;
  heat_kwh: number;
  electricity_kwh: number;
  /** Σ heat ÷ Σ electricity over every hour of the side with heat and electricity, defrosts included, whatever its weather */
  spf: number | null;
}

export interface BeforeAfter {
  /** the plain comparison of all measured hours (the SPF of each span): what the weather distorts */
  unbinned: { before: SideTotals; after: SideTotals; change_percent: number | null };
  binned: Comparison & { interval_percent: [number, number] | null; days_before: number; days_after: number };
  left_out: { before: HoursLeftOut; after: HoursLeftOut };
  verdict: Verdict;
}

function totalsOf(hours: readonly Omit<Hour, 'outdoorC'>[]): SideTotals & { ratio: number | null } {
  const heat = hours.reduce((sum, hour) => sum + hour.heatKwh, 0);
  const electricity = hours.reduce((sum, hour) => sum + hour.electricityKwh, 0);
  const ratio = cop(heat, electricity);
  return { hours: hours.length, heat_kwh: round3(heat), electricity_kwh: round3(electricity), spf: ratio === null ? null : round3(ratio), ratio };
}

/** The whole answer for hourly rows around `at`: rows before it are the "before" side. */
export function beforeAfter(rows: readonly HourRow[], at: number): BeforeAfter {
  const before = hoursOf(rows.filter((row) => row.time < at));
  const after = hoursOf(rows.filter((row) => row.time >= at));
  const comparison = compareBinned(before.hours, after.hours);
  // only hours of the bins both sides share tell anything about the change
  const shared = new Set(comparison.bins.map((bin) => bin.outdoor_from));
  const inShared = (hours: Hour[]) => hours.filter((hour) => shared.has(binOf(hour.outdoorC)));
  const [comparableBefore, comparableAfter] = [inShared(before.hours), inShared(after.hours)];
  const interval = bootstrapInterval(comparableBefore, comparableAfter, at);
  const [daysBefore, daysAfter] = [dayBlocks(comparableBefore, at).length, dayBlocks(comparableAfter, at).length];
  const { ratio: spfBefore, ...unbinnedBefore } = totalsOf(before.measured);
  const { ratio: spfAfter, ...unbinnedAfter } = totalsOf(after.measured);
  return {
    unbinned: { before: unbinnedBefore, after: unbinnedAfter, change_percent: roundedChange(changePercent(spfBefore, spfAfter)) },
    binned: { ...comparison, interval_percent: interval, days_before: daysBefore, days_after: daysAfter },
    left_out: { before: before.leftOut, after: after.leftOut },
    verdict: verdictOf(comparison, interval, daysBefore, daysAfter),
  };
}
