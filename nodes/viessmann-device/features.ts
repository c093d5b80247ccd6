// The features of one Viessmann device (one answer of the features endpoint) as the metrics and
// settings this package keeps: readings become MetricsReading metrics, the configuration features
// become settings whose changes from one poll to the next are reported. Features the device does
// not have, has disabled, or whose sensor is not connected are left out without an error. Pure.
import { err, ok, type Result } from '../shared/result';
import { changedSettings, type SettingChange, type SettingValue } from '../shared/setting-changes';

export type { SettingChange, SettingValue };


export interface DecodedFeatures {
  metrics: Record<string, number | boolean>;
  units: Record<string, string>;
  settings: Record<string, SettingValue>;
  settingUnits: Record<string, string>;
}

type Property = { type?: unknown; value?: unknown; unit?: unknown };
type Properties = Record<string, Property | undefined>;

/** Viessmann's unit names -> ours; '' (older firmware) falls back to the metric's own unit. */
const UNIT_NAMES: Record<string, string> = {
  celsius: '°C',
  fahrenheit: '°F',
  kelvin: 'K',
  percent: '%',
  kilowatt: 'kW',
  watt: 'W',
  kilowattHour: 'kWh',
  bar: 'bar',
};

interface NumberRule {
  metric: string;
  property: string;
  unit: string;
}

/** Number readings of a feature (by its exact name): the temperatures and compressor figures of the performance analytics. */
const NUMBER_READINGS: Record<string, NumberRule> = {
  'heating.sensors.temperature.outside': { metric: 'outdoor_temperature', property: 'value', unit: '°C' },
  'heating.sensors.temperature.return': { metric: 'return_temperature', property: 'value', unit: '°C' },
  'heating.dhw.sensors.temperature.hotWaterStorage': { metric: 'dhw_temperature', property: 'value', unit: '°C' },
  'heating.compressors.0.sensors.power': { metric: 'compressor_modulation', property: 'value', unit: '%' },
  'heating.compressors.0.power': { metric: 'compressor_rated_power', property: 'value', unit: 'kW' },
};

const CIRCUIT_SUPPLY = /^heating\.circuits\.(\d+)\.sensors\.temperature\.supply$/;
const CIRCUIT_PUMP = /^heating\.circuits\.(\d+)\.circulation\.pump$/;
const CIRCUIT_SCHEDULE = /^heating\.circuits\.(\d+)\.heating\.schedule$/;
// newer controllers (E3) name the heating programs comfortHeating, normalHeating, reducedHeating
const CIRCUIT_PROGRAM = /^heating\.circuits\.(\d+)\.operating\.programs\.(comfort|normal|reduced)(Heating)?$/;

const SCHEDULES: Record<string, string> = {
  'heating.dhw.schedule': 'dhw_schedule',
  'heating.dhw.pumps.circulation.schedule': 'circulation_schedule',
};

const recordOf = (value: unknown): Record<string, unknown> | undefined => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);

function unitOf(property: Property, fallback: string): string {
  return typeof property.unit === 'string' && property.unit !== '' ? (UNIT_NAMES[property.unit] ?? property.unit) : fallback;
}

function numberOf(property: Property | undefined): number | undefined {
  return typeof property?.value === 'number' && Number.isFinite(property.value) ? property.value : undefined;
}

/** 'on' / 'off' of a pump's status property; anything else is not a state we know. */
function pumpStateOf(property: Property | undefined): boolean | undefined {
  return property?.value === 'on' ? true : property?.value === 'off' ? false : undefined;
}

function scheduleOf(properties: Properties): SettingValue | undefined {
  const entries = recordOf(properties.entries?.value);
  if (entries === undefined) return undefined;
  const active = properties.active?.value;
  return { ...(typeof active === 'boolean' ? { active } : {}), entries };
}

/** Decodes the body of the features endpoint ({data: [feature, ...]}). */
export function decodeFeatures(body: unknown): Result<DecodedFeatures, string> {
  const data = recordOf(body)?.data;
  if (!Array.isArray(data)) return err('the features answer has no data array');
  const decoded: DecodedFeatures = { metrics: {}, units: {}, settings: {}, settingUnits: {} };
  const number = (metric: string, property: Property | undefined, unit: string) => {
    const value = numberOf(property);
    if (value === undefined || property === undefined) return;
    decoded.metrics[metric] = value;
    decoded.units[metric] = unitOf(property, unit);
  };
  const setting = (name: string, value: SettingValue | undefined, unit?: string) => {
    if (value === undefined) return;
    decoded.settings[name] = value;
    if (unit !== undefined) decoded.settingUnits[name] = unit;
  };
  for (const entry of data) {
    const feature = recordOf(entry);
    const name = feature?.feature;
    const properties = recordOf(feature?.properties) as Properties | undefined;
    if (typeof name !== 'string' || properties === undefined || feature?.isEnabled === false) continue;
    const reading = NUMBER_READINGS[name];
    if (reading) number(reading.metric, properties[reading.property], reading.unit);
    else if (name === 'heating.compressors.0' && typeof properties.active?.value === 'boolean') decoded.metrics.compressor_running = properties.active.value;
    else if (name === 'heating.dhw.pumps.circulation') {
      const state = pumpStateOf(properties.status);
      if (state !== undefined) decoded.metrics.dhw_circulation_pump = state;
    } else if (name === 'heating.dhw.temperature.main') {
      const value = numberOf(properties.value);
      if (value !== undefined && properties.value) setting('dhw_target_temperature', value, unitOf(properties.value, '°C'));
    } else if (SCHEDULES[name]) setting(SCHEDULES[name], scheduleOf(properties));
    else {
      const supply = CIRCUIT_SUPPLY.exec(name);
      const pump = CIRCUIT_PUMP.exec(name);
      const schedule = CIRCUIT_SCHEDULE.exec(name);
      const program = CIRCUIT_PROGRAM.exec(name);
      // the first circuit's supply is the heat pump's flow temperature
      if (supply) number(supply[1] === '0' ? 'flow_temperature' : `flow_temperature_circuit_${supply[1]}`, properties.value, '°C');
      else if (pump) {
        const state = pumpStateOf(properties.status);
        if (state !== undefined) decoded.metrics[`circulation_pump_circuit_${pump[1]}`] = state;
      } else if (schedule) setting(`heating_schedule_circuit_${schedule[1]}`, scheduleOf(properties));
      else if (program) {
        const temperature = properties.temperature;
        const value = numberOf(temperature);
        if (value !== undefined && temperature) setting(`target_temperature_${program[2]}_circuit_${program[1]}`, value, unitOf(temperature, '°C'));
      }
    }
  }
  return ok(decoded);
}

/**
 * The settings that differ from the last known ones (the comparison in ../shared/setting-changes).
 * A setting missing from this poll keeps its last value (a feature the API left out once is no
 * change); one seen for the first time is the baseline, not a change.
 */
export function settingChanges(known: Record<string, SettingValue>, current: DecodedFeatures): { changes: SettingChange[]; known: Record<string, SettingValue> } {
  return changedSettings(known, current.settings, current.settingUnits);
}
