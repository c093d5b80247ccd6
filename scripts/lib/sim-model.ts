// Pure, seeded model of one air-to-water heat pump as its ESP32 reports it (docs/CONTRACTS.md
// "Device contract"). No clock and no I/O: `stepDevice(state, now)` advances the physics to `now`
// and returns the reading the device would publish. Same seed + same times = same readings.
import { VALID_FLAGS, type DevicePayload as ContractPayload, type ValidFlag } from '../../nodes/shared/contract';
import { thresholdOf } from '../../nodes/shared/thresholds';

/** The simulator always sends the firmware's overflow and signal. */
export type DevicePayload = ContractPayload & Required<Pick<ContractPayload, 'overflow' | 'signal'>>;

/** What the device publishes on heatpump/{id}/alerts when one of its own checks goes critical. */
export interface DeviceAlert {
  device: string;
  timestamp: number;
  alert_type: string;
  level: 'warning' | 'critical';
  value: number;
  threshold: number;
  message: string;
}

export type FaultKind = 'over_voltage' | 'compressor_overheat' | 'sensor_invalid';
export const FAULT_KINDS: readonly FaultKind[] = ['over_voltage', 'compressor_overheat', 'sensor_invalid'];
export interface ModelOptions {
  /** chance per reading that a healthy device develops a fault (0..1) */
  faultRate: number;
}

export interface Fault {
  kind: FaultKind;
  until: number;
  /** the sensor that reads invalid, for sensor_invalid */
  sensor?: ValidFlag;
}

export interface DeviceState {
  id: string;
  /** mulberry32 state */
  rng: number;
  /** time the physics was last advanced to (ms) */
  time: number;
  /** per-device climate: daily mean ambient temperature and swing amplitude (°C) */
  ambientMean: number;
  ambientSwing: number;
  /** heating water set point (°C); the compressor keeps the outlet within ±HYSTERESIS of it */
  setpoint: number;
  outlet: number;
  compressorTemp: number;
  pressureHigh: number;
  pressureLow: number;
  mainsVoltage: number;
  compressorOn: boolean;
  /** seconds of compressor running in frosting conditions since the last defrost */
  frostSeconds: number;
  defrostUntil: number | undefined;
  fault: Fault | undefined;
  /** critical device alerts already published, so each is sent once per episode */
  raisedAlerts: string[];
  signal: number;
}

export const HYSTERESIS = 2.5;
/** Below this ambient temperature the outdoor coil frosts while the compressor runs. */
export const FROST_AMBIENT = 5;
/** Compressor running time in frosting conditions that triggers a defrost (s). */
export const FROST_LIMIT_S = 40 * 60;
export const DEFROST_MS = 5 * 60 * 1000;
const STEP_S = 5;
const FIRMWARE_VERSION = '1.0.0';

/** Thresholds of the alert contract, as the firmware checks them (one source: nodes/shared/thresholds.ts). */
const limit = (name: string): { readonly warning: number; readonly critical: number } => {
  const { warning, critical } = thresholdOf(name);
  return Object.freeze({ warning, critical });
};
export const LIMITS = Object.freeze({
  voltageHigh: limit('voltage_high'),
  voltageLow: limit('voltage_low'),
  compressorTemp: limit('compressor_temp'),
  pressureHigh: limit('pressure_high'),
  pressureLow: limit('pressure_low'),
  current: limit('current'),
});

/** mulberry32: small, fast, good enough for a simulation; returns [value in [0,1), next state]. */
function nextRandom(rngState: number): [number, number] {
  const next = (rngState + 0x6d2b79f5) | 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return [((t ^ (t >>> 14)) >>> 0) / 4294967296, next];
}

/** FNV-1a of the device id mixed with the run's seed, so every device gets its own stream. */
export function deviceSeed(seed: number, id: string): number {
  let hash = 0x811c9dc5 ^ seed;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return hash | 0;
}

class Random {
  constructor(public state: number) {}
  next(): number {
    const [value, next] = nextRandom(this.state);
    this.state = next;
    return value;
  }
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }
  /** roughly normal noise (sum of uniforms), standard deviation ≈ sd */
  noise(sd: number): number {
    return (this.next() + this.next() + this.next() - 1.5) * 2 * sd;
  }
}

/** The ambient temperature of the daily swing: coldest around 03:00 UTC, warmest around 15:00. */
export function ambientAt(state: Pick<DeviceState, 'ambientMean' | 'ambientSwing'>, time: number): number {
  const hourOfDay = (time / 3_600_000) % 24;
  return state.ambientMean + state.ambientSwing * Math.sin((2 * Math.PI * (hourOfDay - 9)) / 24);
}

export interface DeviceSetup {
  /** daily mean ambient temperature (°C); random per device in [-5, 15] when absent */
  ambientMean?: number;
}

export function createDevice(id: string, seed: number, now: number, setup: DeviceSetup = {}): DeviceState {
  const random = new Random(deviceSeed(seed, id));
  const setpoint = Math.round(random.between(45, 52));
  const ambientMean = setup.ambientMean ?? random.between(-5, 15);
  const compressorOn = random.next() < 0.5;
  const state: DeviceState = {
    id,
    rng: 0,
    time: now,
    ambientMean,
    ambientSwing: random.between(4, 7),
    setpoint,
    outlet: setpoint + random.between(-HYSTERESIS, HYSTERESIS),
    compressorTemp: compressorOn ? 70 : 30,
    pressureHigh: compressorOn ? 280 : 150,
    pressureLow: compressorOn ? 70 : 150,
    mainsVoltage: random.between(226, 234),
    compressorOn,
    frostSeconds: random.between(0, FROST_LIMIT_S),
    defrostUntil: undefined,
    fault: undefined,
    raisedAlerts: [],
    signal: Math.round(random.between(45, 95)),
  };
  state.rng = random.state;
  return state;
}

/** First-order lag of `value` toward `target` over `seconds` with time constant `tau`. */
function approach(value: number, target: number, seconds: number, tau: number): number {
  return target + (value - target) * Math.exp(-seconds / tau);
}

/** Advances the thermal and refrigerant state by `seconds` (one small step). */
function advancePhysics(state: DeviceState, time: number, seconds: number): void {
  const ambient = ambientAt(state, time);
  const defrosting = state.defrostUntil !== undefined && time < state.defrostUntil;
  if (state.defrostUntil !== undefined && !defrosting) {
    state.defrostUntil = undefined;
    state.frostSeconds = 0;
  }

  // Hysteresis on the outlet temperature; during defrost the compressor runs reversed.
  if (!defrosting) {
    if (state.compressorOn && state.outlet > state.setpoint + HYSTERESIS) state.compressorOn = false;
    else if (!state.compressorOn && state.outlet < state.setpoint - HYSTERESIS) state.compressorOn = true;
  }

  if (defrosting) {
    // heat is taken from the water circuit to melt the coil: the outlet cools quickly
    state.outlet -= 0.01 * seconds;
  } else if (state.compressorOn) {
    // heating: faster when it is mild outside (higher COP)
    state.outlet += (0.012 + 0.0004 * Math.max(-10, ambient)) * seconds;
  } else {
    // standby: the building draws heat, more when it is cold
    state.outlet = approach(state.outlet, ambient + 15, seconds, 6 * 3600);
  }

  if (state.compressorOn && !defrosting && ambient < FROST_AMBIENT) {
    state.frostSeconds += seconds;
    if (state.frostSeconds >= FROST_LIMIT_S) state.defrostUntil = time + DEFROST_MS;
  }

  const running = state.compressorOn || defrosting;
  const overheating = state.fault?.kind === 'compressor_overheat' && time < state.fault.until;
  const compressorTarget = overheating ? 100 : running ? 62 + 0.3 * (state.outlet - ambient) * 0.5 : ambient + 8;
  state.compressorTemp = approach(state.compressorTemp, compressorTarget, seconds, overheating ? 60 : 240);
  const highTarget = running ? 200 + 2 * state.outlet + (defrosting ? -40 : 0) : 150;
  const lowTarget = running ? Math.max(45, 68 + 0.9 * ambient - (defrosting ? 15 : 0)) : 150;
  state.pressureHigh = approach(state.pressureHigh, highTarget, seconds, 45);
  state.pressureLow = approach(state.pressureLow, lowTarget, seconds, 45);
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** Firmware-side alert level per group: 0 ok, 1 warning, 2 critical. */
function levelAbove(value: number, limit: { warning: number; critical: number }): number {
  return value > limit.critical ? 2 : value > limit.warning ? 1 : 0;
}
function levelBelow(value: number, limit: { warning: number; critical: number }): number {
  return value < limit.critical ? 2 : value < limit.warning ? 1 : 0;
}

export interface StepResult {
  state: DeviceState;
  reading: DevicePayload;
  /** device-raised critical alerts that start with this reading */
  deviceAlerts: DeviceAlert[];
}

/** Advances `previous` to `now` and returns the new state and the reading taken at `now`. */
export function stepDevice(previous: DeviceState, now: number, options: ModelOptions): StepResult {
  const state: DeviceState = {
    ...previous,
    fault: previous.fault && { ...previous.fault },
    raisedAlerts: [...previous.raisedAlerts],
  };
  const random = new Random(state.rng);

  // integrate in small steps so the hysteresis works whatever the publish interval is
  const elapsedS = Math.min(Math.max(0, (now - state.time) / 1000), 6 * 3600);
  const steps = Math.ceil(elapsedS / STEP_S);
  for (let i = 1; i <= steps; i++) {
    const seconds = elapsedS / steps;
    advancePhysics(state, state.time + (i * elapsedS * 1000) / steps, seconds);
  }
  state.time = now;

  if (state.fault && now >= state.fault.until) state.fault = undefined;
  if (!state.fault && random.next() < options.faultRate) {
    const kind = FAULT_KINDS[Math.floor(random.next() * FAULT_KINDS.length)] ?? 'sensor_invalid';
    const fault: Fault = { kind, until: now + random.between(2, 6) * 60_000 };
    if (kind === 'sensor_invalid') fault.sensor = VALID_FLAGS[Math.floor(random.next() * VALID_FLAGS.length)];
    if (kind === 'compressor_overheat') state.compressorTemp = Math.max(state.compressorTemp, 96.5);
    state.fault = fault;
  }

  const defrosting = state.defrostUntil !== undefined && now < state.defrostUntil;
  const running = state.compressorOn || defrosting;
  const ambient = ambientAt(state, now) + random.noise(0.2);
  const voltage =
    state.fault?.kind === 'over_voltage' ? random.between(251, 256) : state.mainsVoltage + random.noise(1.2);
  const current = running
    ? 6.5 + 0.06 * (state.outlet - ambient) + random.noise(0.15)
    : 0.25 + random.noise(0.02);
  const powerFactor = running ? 0.95 : 0.6;
  const deltaT = running && !defrosting ? 5 : defrosting ? -2 : 0.8;
  state.signal = Math.min(100, Math.max(5, Math.round(state.signal + random.noise(1.5))));

  const valid = Object.fromEntries(VALID_FLAGS.map((flag) => [flag, true])) as DevicePayload['valid'];
  const values = {
    temp_inlet: round(state.outlet - deltaT + random.noise(0.1), 1),
    temp_outlet: round(state.outlet + random.noise(0.1), 1),
    temp_ambient: round(ambient, 1),
    temp_compressor: round(state.compressorTemp + random.noise(0.3), 1),
    voltage: round(voltage, 1),
    current: round(Math.max(0, current), 2),
    pressure_high: round(state.pressureHigh + random.noise(1), 1),
    pressure_low: round(state.pressureLow + random.noise(0.5), 1),
  };
  if (state.fault?.kind === 'sensor_invalid' && state.fault.sensor) {
    // what the firmware reports for a disconnected probe: a sentinel value flagged invalid
    valid[state.fault.sensor] = false;
    values[state.fault.sensor] = state.fault.sensor.startsWith('temp_') ? -127 : 0;
  }
  const power = valid.voltage && valid.current ? round(values.voltage * values.current * powerFactor, 2) : 0;

  const alerts: DevicePayload['alerts'] = {
    voltage: valid.voltage
      ? Math.max(levelAbove(values.voltage, LIMITS.voltageHigh), levelBelow(values.voltage, LIMITS.voltageLow))
      : 0,
    compressor_temp: valid.temp_compressor ? levelAbove(values.temp_compressor, LIMITS.compressorTemp) : 0,
    pressure_high: valid.pressure_high ? levelAbove(values.pressure_high, LIMITS.pressureHigh) : 0,
    pressure_low: valid.pressure_low ? levelBelow(values.pressure_low, LIMITS.pressureLow) : 0,
    current: valid.current ? levelAbove(values.current, LIMITS.current) : 0,
  };

  const reading: DevicePayload = {
    device: state.id,
    timestamp: now,
    version: FIRMWARE_VERSION,
    temperature: {
      inlet: values.temp_inlet,
      outlet: values.temp_outlet,
      ambient: values.temp_ambient,
      compressor: values.temp_compressor,
    },
    electrical: { voltage: values.voltage, current: values.current, power },
    pressure: { high: values.pressure_high, low: values.pressure_low },
    status: { compressor: running, fan: state.compressorOn && !defrosting, defrost: defrosting },
    alerts,
    valid,
    overflow: 0,
    signal: state.signal,
  };

  const deviceAlerts = criticalDeviceAlerts(state, reading);
  state.rng = random.state;
  return { state, reading, deviceAlerts };
}

/** The firmware publishes a critical alert once when it starts; it may start again after clearing. */
function criticalDeviceAlerts(state: DeviceState, reading: DevicePayload): DeviceAlert[] {
  const candidates: { type: string; value: number; threshold: number; critical: boolean }[] = [
    {
      type: 'voltage_high',
      value: reading.electrical.voltage,
      threshold: LIMITS.voltageHigh.critical,
      critical: reading.valid.voltage && reading.electrical.voltage > LIMITS.voltageHigh.critical,
    },
    {
      type: 'compressor_temp',
      value: reading.temperature.compressor,
      threshold: LIMITS.compressorTemp.critical,
      critical: reading.valid.temp_compressor && reading.temperature.compressor > LIMITS.compressorTemp.critical,
    },
  ];
  const raised: DeviceAlert[] = [];
  for (const candidate of candidates) {
    const already = state.raisedAlerts.includes(candidate.type);
    if (candidate.critical && !already) {
      state.raisedAlerts.push(candidate.type);
      raised.push({
        device: state.id,
        timestamp: reading.timestamp,
        alert_type: candidate.type,
        level: 'critical',
        value: candidate.value,
        threshold: candidate.threshold,
        message: `${candidate.type} critical: ${candidate.value} > ${candidate.threshold}`,
      });
    } else if (!candidate.critical && already) {
      state.raisedAlerts = state.raisedAlerts.filter((type) => type !== candidate.type);
    }
  }
  return raised;
}

/** `sim-001`, `sim-002`, ... */
export function simulatedDeviceIds(count: number, prefix = 'sim-'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(3, '0')}`);
}
