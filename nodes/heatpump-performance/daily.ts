// Energy per day in the installation's time zone, built from the closed windows so that a day
// needs one sample per window, not every 10 s sample: per window the last reading of each
// cumulative counter, and the window's mean power at its middle. The energy and SPF arithmetic is
// energy.ts / spf.ts (counter resets, gaps, meter replacement; power integrated where no counter).
// Defrosts, compressor starts and the mode split need the day's flags: per window only the
// samples where a flag changes plus the window's first and last (so gaps and the state at
// midnight stay exact), and the heat and electricity at window resolution (the window means).
import type { InfluxPoint } from '../shared/contract';
import { summariseCop, type EnergyWindow } from './cop';
import { cyclingSummary } from './cycling';
import { defrostSummary } from './defrost';
import { energyReport, type EnergyReport } from './energy';
import { HOUR_MS, MINUTE_MS, overlapMs, type Span } from './intervals';
import { splitByMode, type ModeEnergy, type OperatingMode } from './modes';
import { periodAt, type Period } from './periods';
import { seasonalPerformanceFactor } from './spf';
import type { BoolSample, Sample } from './types';

/** Flag samples kept per flag and day: 2 per 5-minute window (576) leave room for ~1400 changes. */
export const MAX_FLAG_SAMPLES_PER_DAY = 2000;

export type FlagName = 'compressorRunning' | 'defrost' | 'dhw';
const FLAG_NAMES: readonly FlagName[] = ['compressorRunning', 'defrost', 'dhw'];
const MODES: readonly OperatingMode[] = ['space', 'dhw', 'cooling'];

/** The samples of one window's flag that the day needs: each change, and the first and last. */
export function flagChanges(samples: readonly BoolSample[]): BoolSample[] {
  return samples.filter((sample, i) => i === 0 || i === samples.length - 1 || sample.value !== (samples[i - 1] as BoolSample).value);
}

export const MEASUREMENT_ENERGY_DAILY = 'energy_daily';

/** One closed window's share of the day. */
export interface WindowEnergyInput {
  start: number;
  end: number;
  /** the last electrical energy counter reading (kWh) inside the window */
  electricalCounter?: Sample;
  /** the last heat meter energy counter reading (kWh) inside the window */
  heatCounter?: Sample;
  /** the window's mean electrical power (W) */
  electricalW?: number;
  /** the window's thermal power (W): measured (ΔT or heat meter) where there is one */
  thermalW?: number;
  /** the window counted as running (compressor on, electrical power above the start threshold) */
  running?: boolean;
  /** the window's mean flow and return temperatures (°C): cooling without a flag is negative ΔT */
  flowC?: number;
  returnC?: number;
  /** the window's mean outdoor temperature (°C): the day's mean feeds the degree-day estimate */
  outdoorC?: number;
  /** the window's flag samples in time order (all of them: the day keeps only flagChanges) */
  flags?: Partial<Record<FlagName, readonly BoolSample[]>>;
}

export interface ModeDaily { heat_energy: number; electrical_energy: number; cop: number | null }

/** Output 3: the energy of one finished day. */
export interface DailyEnergy {
  device_id: string;
  /** the local date, e.g. 2024-03-31 */
  day: string;
  /** ms since the epoch: local midnight to local midnight (23 or 25 hours on DST days) */
  start: number;
  end: number;
  electrical_energy: number;
  heat_energy: number;
  electrical_method: EnergyReport['method'];
  heat_method: EnergyReport['method'];
  /** heat ÷ electricity of the day; null without electricity */
  spf: number | null;
  /** the weaker of the two energies' coverage of the day, 0..1 */
  quality: number;
  sound: boolean;
  defrost_count: number;
  defrost_minutes: number;
  /** heat drawn from the circuit by the defrosts, kWh as a positive figure (window resolution) */
  defrost_heat: number;
  /** off → on changes of the compressor that began in the day; null (as the next two) when the
   * source does not report the compressor */
  compressor_starts: number | null;
  /** the most starts within any 60 minutes of the day */
  max_starts_per_hour: number | null;
  /** ≥ 6 space-heating starts in 60 minutes with a median run ≤ 15 minutes */
  short_cycling: boolean | null;
  space: ModeDaily;
  dhw: ModeDaily;
  cooling: ModeDaily;
  /** Σ heat / Σ electricity over the day's windows, standby included; null without electricity */
  cop_combined: number | null;
  /** the same over running windows outside the defrost recovery gate */
  cop_running: number | null;
  /** mean outdoor temperature (°C) of the day's windows that had one; null when none had */
  outdoor_mean: number | null;
}

interface DaySeries {
  electricalCounter: Sample[];
  heatCounter: Sample[];
  electricalPower: Sample[];
  thermalPower: Sample[];
  flow: Sample[];
  return: Sample[];
  outdoor: Sample[];
  compressorRunning: BoolSample[];
  defrost: BoolSample[];
  dhw: BoolSample[];
  windows: Array<EnergyWindow & Span>;
}

const emptyDay = (): DaySeries => ({ electricalCounter: [], heatCounter: [], electricalPower: [], thermalPower: [], flow: [], return: [], outdoor: [], compressorRunning: [], defrost: [], dhw: [], windows: [] });

/** The most starts inside any 60 minutes: each window opens at a start. */
function maxStartsPerHour(starts: readonly number[]): number {
  let most = 0;
  let last = 0;
  for (let i = 0; i < starts.length; i++) {
    while (last < starts.length && (starts[last] as number) < (starts[i] as number) + HOUR_MS) last++;
    most = Math.max(most, last - i);
  }
  return most;
}

export class DailyEnergyAccumulator {
  private day: Period | undefined;
  private series = emptyDay();
  /** flag samples dropped because a flag hit MAX_FLAG_SAMPLES_PER_DAY in one day */
  dropped = 0;

  constructor(
    private readonly deviceId: string,
    private readonly timeZone: string,
    private readonly qualityThreshold: number,
  ) {}

  /** Adds a closed window (windows in time order); returns the days it finished. */
  addWindow(window: WindowEnergyInput): DailyEnergy[] {
    const middle = (window.start + window.end) / 2;
    // the new window's samples first: the segment from the day's last sample to them crosses
    // midnight and is split between the two days
    if (window.electricalCounter) this.series.electricalCounter.push(window.electricalCounter);
    if (window.heatCounter) this.series.heatCounter.push(window.heatCounter);
    if (window.electricalW !== undefined) this.series.electricalPower.push({ t: middle, value: window.electricalW });
    if (window.thermalW !== undefined) this.series.thermalPower.push({ t: middle, value: window.thermalW });
    if (window.flowC !== undefined) this.series.flow.push({ t: middle, value: window.flowC });
    if (window.returnC !== undefined) this.series.return.push({ t: middle, value: window.returnC });
    if (window.outdoorC !== undefined) this.series.outdoor.push({ t: middle, value: window.outdoorC });
    for (const name of FLAG_NAMES) {
      const kept = this.series[name];
      kept.push(...flagChanges(window.flags?.[name] ?? []));
      if (kept.length > MAX_FLAG_SAMPLES_PER_DAY) this.dropped += kept.splice(0, kept.length - MAX_FLAG_SAMPLES_PER_DAY).length;
    }
    if (window.electricalW !== undefined && window.thermalW !== undefined) {
      this.series.windows.push({ start: window.start, end: window.end, electricalW: window.electricalW, thermalW: window.thermalW, isRunning: window.running ?? false });
    }
    const finished: DailyEnergy[] = [];
    if (this.day !== undefined && window.start >= this.day.end) {
      finished.push(this.report(this.day));
      this.keepFrom(this.day.end);
    }
    if (this.day === undefined || window.start >= this.day.end) this.day = periodAt(window.start, 'day', this.timeZone);
    return finished;
  }

  /** Drops what the next day does not need: all but the last sample before `t`, per series. */
  private keepFrom(t: number): void {
    const keep = <T extends { t: number }>(samples: T[]): T[] => {
      const firstAfter = samples.findIndex((sample) => sample.t >= t);
      const from = (firstAfter === -1 ? samples.length : firstAfter) - 1;
      return samples.slice(Math.max(0, from));
    };
    const s = this.series;
    this.series = {
      electricalCounter: keep(s.electricalCounter), heatCounter: keep(s.heatCounter), electricalPower: keep(s.electricalPower), thermalPower: keep(s.thermalPower),
      flow: keep(s.flow), return: keep(s.return), outdoor: keep(s.outdoor), compressorRunning: keep(s.compressorRunning), defrost: keep(s.defrost), dhw: keep(s.dhw),
      windows: s.windows.filter((w) => w.start >= t),
    };
  }

  private report(day: Period): DailyEnergy {
    const span = { start: day.start, end: day.end };
    const options = { minQualityShare: this.qualityThreshold };
    const electrical = energyReport({ counter: this.series.electricalCounter, power: this.series.electricalPower }, span, 'day', this.timeZone, options);
    const heat = energyReport({ counter: this.series.heatCounter, power: this.series.thermalPower }, span, 'day', this.timeZone, options);
    const electricalKwh = electrical.periods[0]?.kWh ?? 0;
    const heatKwh = heat.periods[0]?.kWh ?? 0;
    const quality = Math.min(electrical.periods[0]?.quality.share ?? 0, heat.periods[0]?.quality.share ?? 0);
    const s = this.series;
    const defrosts = defrostSummary({ defrost: s.defrost, heatPower: s.thermalPower, electricalPower: s.electricalPower }, span);
    const reportsCompressor = s.compressorRunning.length > 0;
    const cycling = cyclingSummary({ compressorRunning: s.compressorRunning, dhw: s.dhw, defrost: s.defrost }, span);
    const split = splitByMode({ heatPower: s.thermalPower, electricalPower: s.electricalPower, dhw: s.dhw, defrost: s.defrost, flow: s.flow, return: s.return }, span);
    const dayWindows = s.windows.filter((w) => w.start >= day.start && w.start < day.end);
    const outsideGate = dayWindows.map((w) => ({ ...w, isRunning: w.isRunning && !defrosts.recoveryGate.some((gate) => overlapMs(gate, w) > 0) }));
    const combined = summariseCop(dayWindows).combined;
    const running = summariseCop(outsideGate).running;
    const outdoor = s.outdoor.filter((sample) => sample.t >= day.start && sample.t < day.end);
    const modeDaily = (energy: ModeEnergy): ModeDaily => ({ heat_energy: energy.heatKwh, electrical_energy: energy.electricityKwh, cop: energy.cop });
    return {
      device_id: this.deviceId,
      day: day.label,
      start: day.start,
      end: day.end,
      electrical_energy: electricalKwh,
      heat_energy: heatKwh,
      electrical_method: electrical.method,
      heat_method: heat.method,
      spf: seasonalPerformanceFactor(heatKwh, electricalKwh),
      quality,
      sound: quality >= this.qualityThreshold,
      defrost_count: defrosts.count,
      defrost_minutes: defrosts.totalDurationMs / MINUTE_MS,
      defrost_heat: defrosts.heatDrawnKwh,
      compressor_starts: reportsCompressor ? cycling.starts : null,
      max_starts_per_hour: reportsCompressor ? maxStartsPerHour(cycling.runs.filter((run) => run.started).map((run) => run.start)) : null,
      short_cycling: reportsCompressor ? cycling.shortCycling : null,
      space: modeDaily(split.space),
      dhw: modeDaily(split.dhw),
      cooling: modeDaily(split.cooling),
      cop_combined: combined ?? null,
      cop_running: running ?? null,
      outdoor_mean: outdoor.length === 0 ? null : outdoor.reduce((sum, sample) => sum + sample.value, 0) / outdoor.length,
    };
  }
}

/** A day as an `energy_daily` point at local midnight: kWh, SPF where there is one, quality, methods. */
export function dailyToPoint(day: DailyEnergy): InfluxPoint {
  const fields: InfluxPoint['fields'] = {
    electrical_energy: day.electrical_energy,
    heat_energy: day.heat_energy,
    electrical_method: day.electrical_method,
    heat_method: day.heat_method,
    quality: day.quality,
    sound: day.sound,
  };
  if (day.spf !== null) fields.spf = day.spf;
  fields.defrost_count = day.defrost_count;
  fields.defrost_minutes = day.defrost_minutes;
  fields.defrost_heat = day.defrost_heat;
  if (day.compressor_starts !== null) fields.compressor_starts = day.compressor_starts;
  if (day.max_starts_per_hour !== null) fields.max_starts_per_hour = day.max_starts_per_hour;
  if (day.short_cycling !== null) fields.short_cycling = day.short_cycling;
  for (const mode of MODES) {
    fields[`${mode}_heat_energy`] = day[mode].heat_energy;
    fields[`${mode}_electrical_energy`] = day[mode].electrical_energy;
    const modeCop = day[mode].cop;
    if (modeCop !== null) fields[`${mode}_cop`] = modeCop;
  }
  if (day.cop_combined !== null) fields.cop_combined = day.cop_combined;
  if (day.cop_running !== null) fields.cop_running = day.cop_running;
  if (day.outdoor_mean !== null) fields.outdoor_mean = day.outdoor_mean;
  return { measurement: MEASUREMENT_ENERGY_DAILY, tags: { device_id: day.device_id }, fields, timestamp: new Date(day.start) };
}
