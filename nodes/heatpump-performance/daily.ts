// Energy per day in the installation's time zone, built from the closed windows so that a day
// needs one sample per window, not every 10 s sample: per window the last reading of each
// cumulative counter, and the window's mean power at its middle. The energy and SPF arithmetic is
// energy.ts / spf.ts (counter resets, gaps, meter replacement; power integrated where no counter).
import type { InfluxPoint } from '../shared/contract';
import { energyReport, type EnergyReport } from './energy';
import { periodAt, type Period } from './periods';
import { seasonalPerformanceFactor } from './spf';
import type { Sample } from './types';

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
}

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
}

interface DaySeries {
  electricalCounter: Sample[];
  heatCounter: Sample[];
  electricalPower: Sample[];
  thermalPower: Sample[];
}

const emptyDay = (): DaySeries => ({ electricalCounter: [], heatCounter: [], electricalPower: [], thermalPower: [] });

export class DailyEnergyAccumulator {
  private day: Period | undefined;
  private series = emptyDay();

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
    const keep = (samples: Sample[]): Sample[] => {
      const firstAfter = samples.findIndex((sample) => sample.t >= t);
      const from = (firstAfter === -1 ? samples.length : firstAfter) - 1;
      return samples.slice(Math.max(0, from));
    };
    const s = this.series;
    this.series = { electricalCounter: keep(s.electricalCounter), heatCounter: keep(s.heatCounter), electricalPower: keep(s.electricalPower), thermalPower: keep(s.thermalPower) };
  }

  private report(day: Period): DailyEnergy {
    const span = { start: day.start, end: day.end };
    const options = { minQualityShare: this.qualityThreshold };
    const electrical = energyReport({ counter: this.series.electricalCounter, power: this.series.electricalPower }, span, 'day', this.timeZone, options);
    const heat = energyReport({ counter: this.series.heatCounter, power: this.series.thermalPower }, span, 'day', this.timeZone, options);
    const electricalKwh = electrical.periods[0]?.kWh ?? 0;
    const heatKwh = heat.periods[0]?.kWh ?? 0;
    const quality = Math.min(electrical.periods[0]?.quality.share ?? 0, heat.periods[0]?.quality.share ?? 0);
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
  return { measurement: MEASUREMENT_ENERGY_DAILY, tags: { device_id: day.device_id }, fields, timestamp: new Date(day.start) };
}
