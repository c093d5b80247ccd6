// A deterministic year of one heat pump in the style of heatpumpmonitor.org's hourly data: an
// hourly model (seasonal and daily outdoor temperature, space heat from degree hours, two hot
// water hours a day, COP as a fixed fraction of the Carnot COP, on/off cycling when the demand is
// below the smallest output) rendered as metrics readings every `stepMs` (5 min by default: the
// node treats samples more than 15 min apart as a gap, where no start is counted and no power is
// integrated). The generator keeps the totals of every local day, which a test or bench compares
// with what heatpump-performance and the performance API make of the readings.
import type { MetricsReading } from '../../nodes/shared/contract';
import { idealCop } from '../../nodes/heatpump-performance/carnot';
import { localTime, periodAt } from '../../nodes/heatpump-performance/periods';

const HOUR = 3_600_000;
/** heat per kelvin below the heating limit (kW/K): 15 °C − (−10 °C) → 11.25 kW design load */
const LOAD_KW_PER_K = 0.45;
const HEATING_LIMIT_C = 15;
/** the smallest heat output the compressor modulates down to (kW); below it, it cycles */
const MIN_OUTPUT_KW = 1.5;
const DHW_HOURS = [6, 18];
const DHW_KW = 3;
const DHW_FLOW_C = 52;
/** the heat pump reaches this share of the Carnot COP */
const CARNOT_FRACTION = 0.45;
const STANDBY_W = 15;

export interface DayTotals {
  heatKwh: number;
  electricityKwh: number;
  starts: number;
  runningHeatKwh: number;
  runningElectricityKwh: number;
  outdoorSum: number;
  outdoorSamples: number;
}

export interface YearOptions {
  deviceId: string;
  /** first and end (exclusive) instants of the readings */
  start: number;
  end: number;
  timeZone: string;
  stepMs?: number;
}

/** Outdoor temperature: a seasonal cosine (coldest mid-January) and a daily swing (warmest at 15:00). */
export function outdoorAt(t: number, timeZone: string): number {
  const local = localTime(t, timeZone);
  const dayOfYear = (Date.UTC(local.year, local.month - 1, local.day) - Date.UTC(local.year, 0, 1)) / 86_400_000;
  const hour = local.hour + local.minute / 60;
  return 9 - 10 * Math.cos((2 * Math.PI * (dayOfYear - 15)) / 365) - 4 * Math.cos((2 * Math.PI * (hour - 15)) / 24);
}

/** The model of one hour: what runs, its heat output and COP. */
function hourModel(hourStart: number, timeZone: string): { dhw: boolean; heatKw: number; onSlots: number; cop: number; outdoorC: number; flowC: number } {
  const outdoorC = outdoorAt(hourStart, timeZone);
  const dhw = DHW_HOURS.includes(localTime(hourStart, timeZone).hour);
  const demandKw = dhw ? DHW_KW : Math.max(0, (HEATING_LIMIT_C - outdoorC) * LOAD_KW_PER_K);
  const flowC = dhw ? DHW_FLOW_C : 25 + (HEATING_LIMIT_C - outdoorC) * 0.6;
  const cop = CARNOT_FRACTION * (idealCop(flowC, outdoorC) ?? 1);
  // twelve 5-minute slots: all of them at or above the smallest output, else enough to meet the demand
  const onSlots = demandKw >= MIN_OUTPUT_KW ? 12 : Math.ceil((demandKw / MIN_OUTPUT_KW) * 12);
  return { dhw, heatKw: onSlots === 0 ? 0 : (demandKw * 12) / onSlots, onSlots, cop, outdoorC, flowC };
}

/**
 * The readings in time order; `days` (local date → totals) fills as the readings are taken. A
 * reading at t carries the power of [t, t + step) and the counters' energy before t.
 */
export function* heatpumpYear(options: YearOptions, days: Map<string, DayTotals>): Generator<MetricsReading> {
  const step = options.stepMs ?? 5 * 60_000;
  let heatCounter = 10_000;
  let electricityCounter = 3_000;
  let wasOn: boolean | undefined;
  let model = hourModel(Math.floor(options.start / HOUR) * HOUR, options.timeZone);
  let modelHour = Math.floor(options.start / HOUR);
  // the outdoor temperature per 5-minute slot and the local day are looked up once each (Intl is slow)
  const slotMs = HOUR / 12;
  let outdoorSlot = NaN;
  let outdoorC = NaN;
  let day = periodAt(options.start, 'day', options.timeZone);
  for (let t = options.start; t < options.end; t += step) {
    if (Math.floor(t / HOUR) !== modelHour) {
      modelHour = Math.floor(t / HOUR);
      model = hourModel(modelHour * HOUR, options.timeZone);
    }
    if (Math.floor(t / slotMs) !== outdoorSlot) {
      outdoorSlot = Math.floor(t / slotMs);
      outdoorC = outdoorAt(outdoorSlot * slotMs, options.timeZone);
    }
    if (t >= day.end) day = periodAt(t, 'day', options.timeZone);
    const slot = Math.floor((t - modelHour * HOUR) / slotMs);
    const on = slot < model.onSlots;
    const heatW = on ? model.heatKw * 1000 : 0;
    const electricalW = on ? heatW / model.cop : STANDBY_W;
    yield {
      device_id: options.deviceId,
      timestamp: t,
      metrics: {
        outdoor_temperature: outdoorC,
        flow_temperature: on ? model.flowC : 25,
        heat_power: heatW,
        electrical_power: electricalW,
        heat_energy: heatCounter,
        electrical_energy: electricityCounter,
        compressor_running: on,
        dhw_active: on && model.dhw,
      },
    };
    const totals = days.get(day.label) ?? { heatKwh: 0, electricityKwh: 0, starts: 0, runningHeatKwh: 0, runningElectricityKwh: 0, outdoorSum: 0, outdoorSamples: 0 };
    const hours = step / HOUR;
    totals.heatKwh += (heatW / 1000) * hours;
    totals.electricityKwh += (electricalW / 1000) * hours;
    if (on) {
      totals.runningHeatKwh += (heatW / 1000) * hours;
      totals.runningElectricityKwh += (electricalW / 1000) * hours;
    }
    if (on && wasOn === false) totals.starts += 1;
    totals.outdoorSum += outdoorC;
    totals.outdoorSamples += 1;
    days.set(day.label, totals);
    wasOn = on;
    heatCounter += (heatW / 1000) * hours;
    electricityCounter += (electricalW / 1000) * hours;
  }
}
