// The node's configuration: which metric is which (defaults: the common metric names), where the
// electrical power comes from, and the figures' parameters. Pure: editor strings in, options or a
// problem out.
import { METRIC_NAME_PATTERN } from '../shared/contract';
import { deviceIdProblem } from '../shared/device-id';
import { err, ok, type Result } from '../shared/result';
import { DEFAULT_MAX_AGE_MS, DEFAULT_WINDOW_MS } from './grid';
import { DEFAULT_START_THRESHOLD_W } from './cop';
import { DEFAULT_MAX_GAP_MS } from './intervals';
import { DEFAULT_QUALITY_THRESHOLD } from './quality';
import { DEFAULT_TIME_ZONE, isTimeZone } from './periods';
import { FLUID_HEAT_CAPACITY, isFluid } from './thermal';

/** Analysers kept at most in "every device" mode; readings of further devices are refused and counted. */
export const DEFAULT_MAX_DEVICES = 500;

/** The inputs of the figures, each read from one metric. */
export const DEFAULT_MAPPING = {
  flow: 'flow_temperature',
  return: 'return_temperature',
  outdoor: 'outdoor_temperature',
  flowRate: 'flow_rate',
  modulation: 'compressor_modulation',
  ratedPower: 'compressor_rated_power',
  electricalPower: 'electrical_power',
  electricalEnergy: 'electrical_energy',
  heatPower: 'heat_power',
  heatEnergy: 'heat_energy',
  compressorRunning: 'compressor_running',
  defrost: 'defrost_active',
  dhw: 'dhw_active',
} as const;

export type Role = keyof typeof DEFAULT_MAPPING;
export type Mapping = Record<Role, string>;

/** Roles read from the electrical source device when one is configured. */
export const ELECTRICAL_ROLES: readonly Role[] = ['electricalPower', 'electricalEnergy'];

export interface PerformanceOptions {
  /** no heat pump device id configured: one analyser per device id seen (devices.ts) */
  everyDevice: boolean;
  /** the heat pump; empty in "every device" mode until an analyser is made for a device */
  deviceId: string;
  /** the device whose readings carry the electrical power (a Shelly); the heat pump itself when equal */
  electricalDeviceId: string;
  mapping: Mapping;
  /** configured rated power (kW); undefined: the ratedPower metric */
  ratedPowerKw: number | undefined;
  /** configured flow rate (l/min); undefined: the flowRate metric */
  flowRateLpm: number | undefined;
  /** kWh/(m³·K) */
  heatCapacity: number;
  windowMs: number;
  maxAgeMs: number;
  startThresholdW: number;
  qualityThreshold: number;
  bridgedGapMs: number;
  /** IANA zone of the installation: the daily energy's days are its local days */
  timeZone: string;
  /** "every device" mode: analysers kept at most */
  maxDevices: number;
}

/** What the editor stores; every field a string as typed. */
export interface PerformanceConfig {
  deviceId?: string;
  electricalDeviceId?: string;
  mapping?: string;
  ratedPowerKw?: string;
  flowRateLpm?: string;
  fluid?: string;
  heatCapacity?: string;
  windowMinutes?: string;
  startThresholdW?: string;
  qualityThreshold?: string;
  timeZone?: string;
  maxDevices?: string;
}

export interface OptionProblem {
  key: string;
  params?: Record<string, string>;
}

const blank = (value: string | undefined): boolean => value === undefined || value.trim() === '';

function positive(value: string | undefined, field: string, fallback: number | undefined, allowZero = false): Result<number | undefined, OptionProblem> {
  if (blank(value)) return ok(fallback);
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0 || (!allowZero && number === 0)) return err({ key: 'bad-number', params: { field, value: String(value) } });
  return ok(number);
}

export function parseMapping(text: string | undefined): Result<Mapping, OptionProblem> {
  const mapping: Mapping = { ...DEFAULT_MAPPING };
  if (blank(text)) return ok(mapping);
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(text));
  } catch {
    return err({ key: 'bad-mapping', params: { problem: 'not JSON' } });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return err({ key: 'bad-mapping', params: { problem: 'not an object' } });
  for (const [role, metric] of Object.entries(parsed)) {
    if (!Object.hasOwn(DEFAULT_MAPPING, role)) return err({ key: 'bad-mapping', params: { problem: `unknown input "${role}" (known: ${Object.keys(DEFAULT_MAPPING).join(', ')})` } });
    if (typeof metric !== 'string' || !METRIC_NAME_PATTERN.test(metric)) return err({ key: 'bad-mapping', params: { problem: `${role}: not a metric name` } });
    mapping[role as Role] = metric;
  }
  return ok(mapping);
}

export function parseOptions(config: PerformanceConfig): Result<PerformanceOptions, OptionProblem> {
  const deviceId = (config.deviceId ?? '').trim();
  // blank: every device, each its own electricity source
  const everyDevice = deviceId === '';
  const idProblem = everyDevice ? undefined : deviceIdProblem(deviceId);
  if (idProblem !== undefined) return err({ key: 'bad-device', params: { problem: idProblem } });
  if (everyDevice && !blank(config.electricalDeviceId)) return err({ key: 'every-device-electrical' });
  const electricalDeviceId = blank(config.electricalDeviceId) ? deviceId : String(config.electricalDeviceId).trim();
  const electricalProblem = everyDevice ? undefined : deviceIdProblem(electricalDeviceId);
  if (electricalProblem !== undefined) return err({ key: 'bad-electrical-device', params: { problem: electricalProblem } });
  const maxDevices = positive(config.maxDevices, 'max. devices', DEFAULT_MAX_DEVICES);
  if (!maxDevices.ok) return maxDevices;
  if (!Number.isInteger(maxDevices.value)) return err({ key: 'bad-number', params: { field: 'max. devices', value: String(config.maxDevices) } });
  const mapping = parseMapping(config.mapping);
  if (!mapping.ok) return mapping;
  const fluid = blank(config.fluid) ? 'water' : String(config.fluid);
  let heatCapacity: number;
  if (fluid === 'custom') {
    const custom = positive(config.heatCapacity, 'heat capacity', undefined);
    if (!custom.ok) return custom;
    if (custom.value === undefined) return err({ key: 'bad-number', params: { field: 'heat capacity', value: '' } });
    heatCapacity = custom.value;
  } else if (isFluid(fluid)) heatCapacity = FLUID_HEAT_CAPACITY[fluid];
  else return err({ key: 'bad-fluid', params: { value: fluid } });
  const ratedPowerKw = positive(config.ratedPowerKw, 'rated power', undefined);
  if (!ratedPowerKw.ok) return ratedPowerKw;
  const flowRateLpm = positive(config.flowRateLpm, 'flow rate', undefined);
  if (!flowRateLpm.ok) return flowRateLpm;
  const windowMinutes = positive(config.windowMinutes, 'window', DEFAULT_WINDOW_MS / 60_000);
  if (!windowMinutes.ok) return windowMinutes;
  const startThresholdW = positive(config.startThresholdW, 'start threshold', DEFAULT_START_THRESHOLD_W, true);
  if (!startThresholdW.ok) return startThresholdW;
  const qualityThreshold = positive(config.qualityThreshold, 'quality threshold', DEFAULT_QUALITY_THRESHOLD, true);
  if (!qualityThreshold.ok) return qualityThreshold;
  const windowMs = (windowMinutes.value ?? DEFAULT_WINDOW_MS / 60_000) * 60_000;
  // windows tile the hour, so every installation's windows start at the same clock times
  if (!Number.isInteger(windowMs) || 3_600_000 % windowMs !== 0) return err({ key: 'bad-window', params: { value: String(config.windowMinutes) } });
  const timeZone = blank(config.timeZone) ? DEFAULT_TIME_ZONE : String(config.timeZone).trim();
  if (!isTimeZone(timeZone)) return err({ key: 'bad-time-zone', params: { value: timeZone } });
  if ((qualityThreshold.value ?? 0) > 1) return err({ key: 'bad-number', params: { field: 'quality threshold', value: String(config.qualityThreshold) } });
  return ok({
    everyDevice,
    deviceId,
    electricalDeviceId,
    mapping: mapping.value,
    ratedPowerKw: ratedPowerKw.value,
    flowRateLpm: flowRateLpm.value,
    heatCapacity,
    windowMs,
    maxAgeMs: Math.max(DEFAULT_MAX_AGE_MS, windowMs),
    startThresholdW: startThresholdW.value ?? DEFAULT_START_THRESHOLD_W,
    qualityThreshold: qualityThreshold.value ?? DEFAULT_QUALITY_THRESHOLD,
    bridgedGapMs: DEFAULT_MAX_GAP_MS,
    timeZone,
    maxDevices: maxDevices.value ?? DEFAULT_MAX_DEVICES,
  });
}
