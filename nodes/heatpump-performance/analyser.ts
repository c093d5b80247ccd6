// Per heat pump: buffers the mapped samples of its readings (and of its electrical source's), and
// closes 5-minute windows into figures and InfluxDB points. Pure: readings and times in, windows
// out; the Node-RED glue decides when (heatpump-performance.ts).
import type { InfluxPoint, MetricsReading } from '../shared/contract';
import { preferredThermalW, copWindow } from './cop';
import { carnotPercent } from './carnot';
import { DailyEnergyAccumulator, type DailyEnergy } from './daily';
import { BOOL_SERIES, emptySeries, gridWindow, windowStartOf, type NumericSeriesName } from './grid';
import { ELECTRICAL_ROLES, type PerformanceOptions, type Role } from './options';
import { combinedQuality, dataQuality } from './quality';
import { thermalFigures, type MeasuredMethod } from './thermal';
import type { BoolSample, PerformanceSeries, Quality, Sample } from './types';

export const MEASUREMENT_THERMAL_MODULATION = 'thermal_power_modulation';
export const MEASUREMENT_THERMAL_DELTA_T = 'thermal_power_delta_t';
export const MEASUREMENT_COP = 'cop';

/** Samples kept per series: 10 s samples over an hour are 360; a flood beyond this drops the oldest. */
export const MAX_SAMPLES_PER_SERIES = 2000;

export type NoCopReason = 'no-electrical' | 'electrical-zero' | 'no-thermal';

/** Output 2: the figures of one window. Powers in W, temperatures in °C, shares 0..1. */
export interface PerformanceWindow {
  device_id: string;
  electrical_device_id: string;
  /** ms since the epoch; the window is [start, end) */
  start: number;
  end: number;
  electrical_power?: number;
  thermal_power_modulation?: number;
  thermal_power_delta_t?: number;
  /** how thermal_power_delta_t was found: flow × ΔT, or a heat meter's own figure */
  thermal_power_delta_t_method?: MeasuredMethod;
  cop_modulation?: number;
  cop_delta_t?: number;
  /** the window's COP (measured heat preferred) when the compressor ran above the start threshold */
  cop_running?: number;
  running: boolean;
  carnot_percent?: number;
  flow_temperature?: number;
  return_temperature?: number;
  outdoor_temperature?: number;
  flow_rate?: number;
  flow_rate_source?: 'measured' | 'configured';
  compressor_running_share?: number;
  defrost_share?: number;
  dhw_share?: number;
  /** share 0..1 of the window covered by the samples the COP needs */
  quality: number;
  sound: boolean;
  /** why there is no COP, when there is none */
  no_cop?: NoCopReason;
}

export interface AddOutcome {
  /** samples taken from the reading */
  taken: number;
  /** samples of a window already closed: too late to count */
  late: number;
}

/** The numeric inputs: each role fills the series of the same name. */
const NUMERIC_INPUTS = ['flow', 'return', 'outdoor', 'flowRate', 'modulation', 'electricalPower', 'electricalEnergy', 'heatPower', 'heatEnergy'] as const satisfies ReadonlyArray<Role & keyof PerformanceSeries>;

export class PerformanceAnalyser {
  private readonly series = emptySeries();
  /** the latest rated power reported as a metric */
  private ratedPowerMetricKw: number | undefined;
  /** windows before this are closed */
  private closedUntil = -Infinity;
  /** starts of the windows holding a sample not yet reported */
  private readonly open = new Set<number>();
  /** samples dropped because a series hit MAX_SAMPLES_PER_SERIES */
  dropped = 0;
  private readonly daily: DailyEnergyAccumulator;
  /** days finished by closed windows, not yet taken */
  private days: DailyEnergy[] = [];

  constructor(private readonly options: PerformanceOptions) {
    this.daily = new DailyEnergyAccumulator(options.deviceId, options.timeZone, options.qualityThreshold);
  }

  /** The days (local, in the configured zone) that the windows closed so far have finished. */
  takeDays(): DailyEnergy[] {
    return this.days.splice(0);
  }

  /** Whether readings of this device feed the analyser. */
  concerns(deviceId: string): boolean {
    return deviceId === this.options.deviceId || deviceId === this.options.electricalDeviceId;
  }

  /** Takes the mapped metrics of a (checked) reading of the heat pump or its electrical source. */
  add(reading: MetricsReading): AddOutcome {
    const { mapping, deviceId, electricalDeviceId } = this.options;
    const outcome: AddOutcome = { taken: 0, late: 0 };
    const t = reading.timestamp;
    const late = t < this.closedUntil;
    const fromHeatPump = reading.device_id === deviceId;
    const fromElectrical = reading.device_id === electricalDeviceId;
    const wanted = (role: Role) => (ELECTRICAL_ROLES.includes(role) ? fromElectrical : fromHeatPump);
    const take = () => {
      if (late) outcome.late++;
      else outcome.taken++;
      return !late;
    };
    for (const name of NUMERIC_INPUTS) {
      const value = reading.metrics[mapping[name]];
      if (!wanted(name) || typeof value !== 'number') continue;
      if (take()) this.push<Sample>(this.series[name], { t, value });
    }
    for (const name of BOOL_SERIES) {
      const value = reading.metrics[mapping[name]];
      if (!wanted(name) || typeof value !== 'boolean') continue;
      if (take()) this.push(this.series[name], { t, value });
    }
    const rated = reading.metrics[mapping.ratedPower];
    if (fromHeatPump && typeof rated === 'number' && rated > 0) this.ratedPowerMetricKw = rated;
    if (outcome.taken > 0) this.open.add(windowStartOf(t, this.options.windowMs));
    return outcome;
  }

  /** The newest sample time of any series; undefined before the first. */
  get latest(): number | undefined {
    let latest: number | undefined;
    for (const list of Object.values(this.series) as Array<Array<{ t: number }>>) {
      const last = list.at(-1)?.t;
      if (last !== undefined && (latest === undefined || last > latest)) latest = last;
    }
    return latest;
  }

  /** Closes, in time order, every open window that ends at or before `until`. */
  close(until: number): PerformanceWindow[] {
    const due = [...this.open].filter((start) => start + this.options.windowMs <= until).sort((a, b) => a - b);
    const windows = due.map((start) => {
      this.open.delete(start);
      const window = this.figures(start);
      const inWindow = (list: readonly BoolSample[]) => list.filter((sample) => sample.t >= start && sample.t < window.end);
      const droppedBefore = this.daily.dropped;
      this.days.push(
        ...this.daily.addWindow({
          ...this.counters(start, window.end),
          start,
          end: window.end,
          electricalW: window.electrical_power,
          thermalW: window.thermal_power_delta_t ?? window.thermal_power_modulation,
          running: window.running,
          flowC: window.flow_temperature,
          returnC: window.return_temperature,
          outdoorC: window.outdoor_temperature,
          flags: { compressorRunning: inWindow(this.series.compressorRunning), defrost: inWindow(this.series.defrost), dhw: inWindow(this.series.dhw) },
        }),
      );
      this.dropped += this.daily.dropped - droppedBefore;
      return window;
    });
    if (due.length > 0) {
      this.closedUntil = Math.max(this.closedUntil, (due.at(-1) as number) + this.options.windowMs);
      this.prune();
    }
    return windows;
  }

  /** Every open window, whatever the time: for a flush and after the sources went quiet. */
  closeAll(): PerformanceWindow[] {
    return this.close(Infinity);
  }

  get openWindows(): number {
    return this.open.size;
  }

  private push<T extends { t: number }>(list: T[], sample: T): void {
    // Readings normally arrive in time order; one out of order goes to its place.
    let at = list.length;
    while (at > 0 && (list[at - 1] as T).t > sample.t) at--;
    list.splice(at, 0, sample);
    if (list.length > MAX_SAMPLES_PER_SERIES) {
      list.shift();
      this.dropped++;
    }
  }

  /** Keeps what the open windows need: samples from closedUntil − maxAge, and the last one before. */
  private prune(): void {
    const keepFrom = this.closedUntil - Math.max(this.options.maxAgeMs, this.options.bridgedGapMs);
    for (const list of Object.values(this.series) as Array<Array<{ t: number }>>) {
      const firstKept = list.findIndex((sample) => sample.t >= keepFrom);
      const cut = firstKept === -1 ? list.length - 1 : firstKept - 1;
      if (cut > 0) list.splice(0, cut);
    }
  }

  private figures(start: number): PerformanceWindow {
    const o = this.options;
    const grid = gridWindow(this.series, start, { windowMs: o.windowMs, maxAgeMs: o.maxAgeMs });
    const value = (name: NumericSeriesName) => grid.values[name]?.value;
    const flowRate = o.flowRateLpm ?? value('flowRate');
    const ratedPowerKw = o.ratedPowerKw ?? this.ratedPowerMetricKw;
    const thermal = thermalFigures(
      {
        modulationPercent: value('modulation'),
        ratedPowerKw,
        flowC: value('flow'),
        returnC: value('return'),
        flowRateLitresPerMinute: flowRate,
        heatMeterW: value('heatPower'),
      },
      o.heatCapacity,
    );
    const electricalW = value('electricalPower');
    const copFigures = copWindow({ thermal, electricalW, compressorRunningShare: grid.shares.compressorRunning }, o.startThresholdW);
    const quality = this.quality(start, grid.end, thermal.deltaT?.method);
    const window: PerformanceWindow = {
      device_id: o.deviceId,
      electrical_device_id: o.electricalDeviceId,
      start,
      end: grid.end,
      running: copFigures.isRunning,
      quality: quality.share,
      sound: quality.sound,
    };
    const set = <K extends keyof PerformanceWindow>(key: K, v: PerformanceWindow[K] | undefined) => {
      if (v !== undefined) window[key] = v;
    };
    set('electrical_power', electricalW);
    set('thermal_power_modulation', thermal.modulation?.watts);
    set('thermal_power_delta_t', thermal.deltaT?.watts);
    set('thermal_power_delta_t_method', thermal.deltaT?.method);
    set('cop_modulation', copFigures.modulation);
    set('cop_delta_t', copFigures.deltaT);
    set('cop_running', copFigures.running);
    const flowC = value('flow');
    const outdoorC = value('outdoor');
    if (copFigures.running !== undefined && flowC !== undefined && outdoorC !== undefined) set('carnot_percent', carnotPercent(copFigures.running, flowC, outdoorC));
    set('flow_temperature', flowC);
    set('return_temperature', value('return'));
    set('outdoor_temperature', outdoorC);
    set('flow_rate', flowRate);
    if (flowRate !== undefined) window.flow_rate_source = o.flowRateLpm === undefined ? 'measured' : 'configured';
    set('compressor_running_share', grid.shares.compressorRunning);
    set('defrost_share', grid.shares.defrost);
    set('dhw_share', grid.shares.dhw);
    if (window.cop_modulation === undefined && window.cop_delta_t === undefined) {
      window.no_cop = electricalW === undefined ? 'no-electrical' : preferredThermalW(thermal) === undefined ? 'no-thermal' : 'electrical-zero';
    }
    return window;
  }

  /** The last reading of each energy counter inside [start, end). */
  private counters(start: number, end: number): { electricalCounter?: Sample; heatCounter?: Sample } {
    const lastIn = (samples: readonly Sample[]) => samples.filter((s) => s.t >= start && s.t < end).at(-1);
    const counters: { electricalCounter?: Sample; heatCounter?: Sample } = {};
    const electrical = lastIn(this.series.electricalEnergy);
    if (electrical) counters.electricalCounter = electrical;
    const heat = lastIn(this.series.heatEnergy);
    if (heat) counters.heatCounter = heat;
    return counters;
  }

  /** The weakest coverage of the series the COP needs: electrical power and the heat's inputs. */
  private quality(start: number, end: number, deltaTMethod: MeasuredMethod | undefined): Quality {
    const o = this.options;
    const needed: NumericSeriesName[] = ['electricalPower'];
    if (deltaTMethod === 'heat_meter') needed.push('heatPower');
    else if (deltaTMethod === 'delta_t') needed.push('flow', 'return', ...(o.flowRateLpm === undefined ? (['flowRate'] as const) : []));
    else needed.push('modulation');
    const qualities = needed.map((name) =>
      dataQuality(
        this.series[name].map((s) => s.t),
        start,
        end,
        { bridgedGapMs: o.bridgedGapMs, threshold: o.qualityThreshold },
      ),
    );
    return combinedQuality(qualities, o.qualityThreshold);
  }
}

/** A window as InfluxDB points: the two thermal powers (field value) and cop, tag device_id. */
export function windowToPoints(window: PerformanceWindow): InfluxPoint[] {
  const tags = { device_id: window.device_id };
  const timestamp = new Date(window.start);
  const points: InfluxPoint[] = [];
  if (window.thermal_power_modulation !== undefined) points.push({ measurement: MEASUREMENT_THERMAL_MODULATION, tags, fields: { value: window.thermal_power_modulation }, timestamp });
  if (window.thermal_power_delta_t !== undefined) points.push({ measurement: MEASUREMENT_THERMAL_DELTA_T, tags, fields: { value: window.thermal_power_delta_t }, timestamp });
  const fields: InfluxPoint['fields'] = { quality: window.quality, sound: window.sound };
  // the temperatures and the defrost share let a before / after comparison match hours by weather (before-after.ts)
  for (const key of ['cop_modulation', 'cop_delta_t', 'cop_running', 'electrical_power', 'thermal_power_modulation', 'thermal_power_delta_t', 'carnot_percent', 'outdoor_temperature', 'flow_temperature', 'defrost_share'] as const) {
    const v = window[key];
    if (v !== undefined) fields[key] = v;
  }
  if (window.thermal_power_delta_t_method !== undefined) fields.thermal_power_delta_t_method = window.thermal_power_delta_t_method;
  points.push({ measurement: MEASUREMENT_COP, tags: { ...tags }, fields, timestamp });
  return points;
}
