// Pure, seeded model of one air-to-water heat pump as its ESP32 reports it (docs/CONTRACTS.md
// "Device contract") and as its controller and flow meter report it in a metrics reading
// (heatpump/{id}/metrics). No clock and no I/O: `stepDevice(state, now)` advances the physics to
// `now` and returns both readings the device would publish. Same seed + same times = same readings.
//
// The physics, per 5 s step: the building loses heat in proportion to indoor minus outdoor
// temperature; the heating water (one lumped heat capacity) gains the heat pump's heat and gives
// the building's share to the radiators. The compressor switches on the flow temperature's
// hysteresis band around a weather-compensated set point and modulates to the load plus a margin,
// never below its minimum; heat = modulation × rated power, electricity = heat ÷ COP with
// COP = a fraction of the Carnot COP of flow and outdoor temperature (the same Carnot definition as
// heatpump-performance), limited to the current the supply allows. The flow rate is constant
// (the pump runs); the return is the flow minus heat ÷ (flow rate × 1.16 kWh/(m³·K)), so flow ×
// ΔT and modulation × rated power agree. Below 5 °C outside, every 45 to 90 minutes of running
// the coil is defrosted for 5 minutes: heat is taken from the water (negative heat, the flow colder
// than the return). Hot water is made once or twice a day (three-way valve on, flow 50 to 55 °C).
// A device set up with `shortCycling` has too small a water volume and too high a minimum
// modulation for its house: it starts several times an hour and runs a few minutes each time.
import { VALID_FLAGS, type DevicePayload as ContractPayload, type MetricsReading, type ValidFlag } from '../../nodes/shared/contract';
import { idealCop } from '../../nodes/heatpump-performance/carnot';
import { FLUID_HEAT_CAPACITY } from '../../nodes/heatpump-performance/thermal';
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
  /** heating water set point (°C), from the heating curve; the compressor keeps the outlet within ±hysteresis of it */
  setpoint: number;
  /** the heating curve's set point at 15 °C outside (°C) */
  curveBase: number;
  hysteresis: number;
  /** flow (outlet) temperature of the heating water (°C) */
  outlet: number;
  /** rated thermal power (kW) */
  ratedPowerKw: number;
  /** lowest modulation the compressor runs at (%) */
  minModulation: number;
  /** the pump's constant flow rate (l/min) */
  flowRateLpm: number;
  /** COP as a share of the Carnot COP */
  carnotShare: number;
  /** heat capacity of the heating water and buffer (kWh/K) */
  waterKwhPerK: number;
  /** the building's heat loss (kW per K indoor minus outdoor) */
  lossKwPerK: number;
  /** true for the one device that short-cycles */
  shortCycling: boolean;
  /** at the last physics step: defrosting, modulation (%), heat to the water (kW, negative while defrosting), electricity (kW) */
  defrosting: boolean;
  modulation: number;
  heatKw: number;
  electricalKw: number;
  /** hot water: minutes of a charge, the flow temperature it charges at, the next start (ms), the end of the current one */
  dhwMinutes: number;
  dhwFlow: number;
  /** hours of the day (UTC) the hot water charges start */
  dhwHours: number[];
  nextDhwAt: number;
  dhwUntil: number | undefined;
  /** running time in frosting conditions that starts the next defrost (s) */
  frostLimitS: number;
  /** mulberry32 state of the physics' own draws (independent of the publish interval) */
  physicsRng: number;
  /** exact integrals and counts since creation: what the readings should add up to */
  totals: SimulationTotals;
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

export interface SimulationTotals {
  /** electricity drawn (kWh); the published electrical_energy counter */
  electricalKwh: number;
  /** heat delivered to the water, net of the heat taken back by defrosts (kWh) */
  heatKwh: number;
  /** heat taken from the water by defrosts (kWh, positive) */
  defrostHeatKwh: number;
  defrosts: number;
  dhwCycles: number;
  /** compressor starts (off to on; a defrost is no start) */
  starts: number;
}

export const HYSTERESIS = 2.5;
/** The short-cycling device's narrower band. */
const SHORT_CYCLING_HYSTERESIS = 1.5;
/** Below this ambient temperature the outdoor coil frosts while the compressor runs. */
export const FROST_AMBIENT = 5;
/** Compressor running time in frosting conditions that triggers a defrost: 45 to 90 min (s). */
export const FROST_LIMIT_MIN_S = 45 * 60;
export const FROST_LIMIT_MAX_S = 90 * 60;
export const DEFROST_MS = 5 * 60 * 1000;
/** Indoor temperature the building is kept at (°C). */
const INDOOR_C = 20;
/** kWh/(m³·K) of water: the same figure heatpump-performance uses. */
export const WATER_HEAT_CAPACITY = FLUID_HEAT_CAPACITY.water;
/** The supply limits the electrical power (the inverter's current limit): about 10 A at 230 V and power factor 0.95. */
const MAX_ELECTRICAL_KW = 2.2;
/** Controls, pump and standby while the compressor stands still (kW). */
const STANDBY_KW = 0.015;
const RUNNING_POWER_FACTOR = 0.95;
const STANDBY_POWER_FACTOR = 0.6;
/** Modulation above the load's share, so the water warms up to the end of the band. */
const MODULATION_MARGIN = 20;
/** While defrosting the reversed cycle takes this share of the rated power from the water, and draws this share of it as electricity. */
const DEFROST_HEAT_SHARE = 0.35;
const DEFROST_ELECTRICAL_SHARE = 0.12;
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
  /** the device short-cycles (too little water, too high a minimum modulation for its house) */
  shortCycling?: boolean;
}

export function createDevice(id: string, seed: number, now: number, setup: DeviceSetup = {}): DeviceState {
  const random = new Random(deviceSeed(seed, id));
  const curveBase = random.between(30, 34);
  const ambientMean = setup.ambientMean ?? random.between(-5, 15);
  const ambientSwing = random.between(4, 7);
  const compressorOn = random.next() < 0.5;
  const shortCycling = setup.shortCycling === true;
  const ratedPowerKw = round(random.between(4, 5), 1);
  const hysteresis = shortCycling ? SHORT_CYCLING_HYSTERESIS : HYSTERESIS;
  const setpoint = heatingCurve(curveBase, ambientAt({ ambientMean, ambientSwing }, now));
  // the design flow carries the rated power at 5 K
  const flowRateLpm = round(((ratedPowerKw / (WATER_HEAT_CAPACITY * 5)) * 1000) / 60, 1);
  const dhwHours = random.next() < 0.5 ? [Math.floor(random.between(5, 8))] : [Math.floor(random.between(5, 8)), Math.floor(random.between(17, 20))];
  const state: DeviceState = {
    id,
    rng: 0,
    time: now,
    ambientMean,
    ambientSwing,
    setpoint,
    curveBase,
    hysteresis,
    ratedPowerKw,
    minModulation: shortCycling ? 70 : 30,
    flowRateLpm,
    carnotShare: random.between(0.45, 0.55),
    waterKwhPerK: shortCycling ? 0.03 : random.between(0.2, 0.3),
    // the heat loss at -10 °C outside: 90 % of the rated power, the short-cycling device's house 45 %
    lossKwPerK: ((shortCycling ? 0.45 : 0.9) * ratedPowerKw) / (INDOOR_C + 10),
    shortCycling,
    defrosting: false,
    modulation: 0,
    heatKw: 0,
    electricalKw: STANDBY_KW,
    dhwMinutes: Math.round(random.between(30, 45)),
    dhwFlow: random.between(50, 55),
    dhwHours,
    nextDhwAt: nextHourAt(now, dhwHours),
    dhwUntil: undefined,
    frostLimitS: random.between(FROST_LIMIT_MIN_S, FROST_LIMIT_MAX_S),
    physicsRng: random.state ^ 0x5bd1e995,
    totals: { electricalKwh: 0, heatKwh: 0, defrostHeatKwh: 0, defrosts: 0, dhwCycles: 0, starts: 0 },
    outlet: setpoint + random.between(-hysteresis, hysteresis),
    compressorTemp: compressorOn ? 70 : 30,
    pressureHigh: compressorOn ? 280 : 150,
    pressureLow: compressorOn ? 70 : 150,
    mainsVoltage: random.between(226, 234),
    compressorOn,
    frostSeconds: random.between(0, FROST_LIMIT_MIN_S),
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

/** Space-heating flow set point of the heating curve (°C): warmer water when it is colder outside. */
function heatingCurve(base: number, ambient: number): number {
  return Math.min(50, Math.max(25, base + 0.4 * (15 - ambient)));
}

/** The first of `hours` (of the UTC day) after `time` (ms). */
function nextHourAt(time: number, hours: readonly number[]): number {
  const day = Math.floor(time / 86_400_000) * 86_400_000;
  const candidates = [0, 1].flatMap((d) => hours.map((hour) => day + d * 86_400_000 + hour * 3_600_000));
  return Math.min(...candidates.filter((t) => t > time));
}

/** COP of the running compressor at the given flow and outdoor temperatures. */
export function copAt(state: Pick<DeviceState, 'carnotShare'>, flowC: number, ambientC: number): number {
  const ideal = idealCop(flowC, ambientC) ?? 10;
  return Math.max(1.2, Math.min(7, state.carnotShare * ideal));
}

/** Advances the thermal and refrigerant state by `seconds` (one small step). */
function advancePhysics(state: DeviceState, time: number, seconds: number): void {
  const ambient = ambientAt(state, time);
  const defrosting = state.defrostUntil !== undefined && time < state.defrostUntil;
  if (state.defrostUntil !== undefined && !defrosting) {
    state.defrostUntil = undefined;
    state.frostSeconds = 0;
    const random = new Random(state.physicsRng);
    state.frostLimitS = random.between(FROST_LIMIT_MIN_S, FROST_LIMIT_MAX_S);
    state.physicsRng = random.state;
  }
  if (state.dhwUntil !== undefined && time >= state.dhwUntil) state.dhwUntil = undefined;
  if (time >= state.nextDhwAt) {
    state.dhwUntil = time + state.dhwMinutes * 60_000;
    state.nextDhwAt = nextHourAt(time, state.dhwHours);
    state.totals.dhwCycles++;
  }
  const dhw = state.dhwUntil !== undefined;
  state.setpoint = heatingCurve(state.curveBase, ambient);

  // Hysteresis on the outlet temperature; a hot water charge runs the compressor; during defrost it runs reversed.
  const wasOn = state.compressorOn;
  if (!defrosting) {
    if (dhw) state.compressorOn = true;
    else if (state.compressorOn && state.outlet > state.setpoint + state.hysteresis) state.compressorOn = false;
    else if (!state.compressorOn && state.outlet < state.setpoint - state.hysteresis) state.compressorOn = true;
  }
  if (state.compressorOn && !wasOn) state.totals.starts++;

  const loadKw = Math.max(0, state.lossKwPerK * (INDOOR_C - ambient));
  state.defrosting = defrosting;
  if (defrosting) {
    state.modulation = DEFROST_HEAT_SHARE * 100;
    state.heatKw = -DEFROST_HEAT_SHARE * state.ratedPowerKw;
    state.electricalKw = DEFROST_ELECTRICAL_SHARE * state.ratedPowerKw;
  } else if (state.compressorOn) {
    const wanted = dhw ? 100 : (loadKw / state.ratedPowerKw) * 100 + MODULATION_MARGIN;
    let heatKw = (Math.min(100, Math.max(state.minModulation, wanted)) / 100) * state.ratedPowerKw;
    const cop = copAt(state, state.outlet, ambient);
    if (heatKw / cop > MAX_ELECTRICAL_KW) heatKw = MAX_ELECTRICAL_KW * cop;
    state.heatKw = heatKw;
    state.modulation = (heatKw / state.ratedPowerKw) * 100;
    state.electricalKw = heatKw / cop;
  } else {
    state.modulation = 0;
    state.heatKw = 0;
    state.electricalKw = STANDBY_KW;
  }

  if (dhw && !defrosting) {
    // the valve sends the heat to the hot water tank: the flow follows the tank's charging temperature
    state.outlet = approach(state.outlet, state.dhwFlow, seconds, 600);
  } else {
    // the radiators give off the building's load at the set point, less when the water is cooler
    const emittedKw = loadKw * Math.max(0, (state.outlet - INDOOR_C) / Math.max(1, state.setpoint - INDOOR_C));
    state.outlet += ((state.heatKw - emittedKw) * seconds) / 3600 / state.waterKwhPerK;
  }
  state.totals.electricalKwh += (state.electricalKw * seconds) / 3600;
  state.totals.heatKwh += (state.heatKw * seconds) / 3600;
  if (defrosting) state.totals.defrostHeatKwh -= (state.heatKw * seconds) / 3600;

  if (state.compressorOn && !defrosting && ambient < FROST_AMBIENT) {
    state.frostSeconds += seconds;
    if (state.frostSeconds >= state.frostLimitS) {
      state.defrostUntil = time + DEFROST_MS;
      state.totals.defrosts++;
    }
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
  /** what the controller and the flow meter report at the same moment (heatpump/{id}/metrics) */
  metrics: MetricsReading;
  /** device-raised critical alerts that start with this reading */
  deviceAlerts: DeviceAlert[];
}

/** Advances `previous` to `now` and returns the new state and the reading taken at `now`. */
export function stepDevice(previous: DeviceState, now: number, options: ModelOptions): StepResult {
  const state: DeviceState = {
    ...previous,
    fault: previous.fault && { ...previous.fault },
    raisedAlerts: [...previous.raisedAlerts],
    totals: { ...previous.totals },
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

  // the state of the last physics step, so flags, temperatures and powers describe the same moment
  const defrosting = state.defrosting;
  const running = state.compressorOn || defrosting;
  const ambient = ambientAt(state, now) + random.noise(0.2);
  const voltage =
    state.fault?.kind === 'over_voltage' ? random.between(251, 256) : state.mainsVoltage + random.noise(1.2);
  const powerFactor = running ? RUNNING_POWER_FACTOR : STANDBY_POWER_FACTOR;
  const current = (state.electricalKw * 1000) / (voltage * powerFactor) + random.noise(running ? 0.02 : 0.002);
  // heat = flow × c × ΔT: the return is colder than the flow by what the heat pump adds (warmer while defrosting)
  const deltaT = state.heatKw / (((state.flowRateLpm * 60) / 1000) * WATER_HEAT_CAPACITY);
  state.signal = Math.min(100, Math.max(5, Math.round(state.signal + random.noise(1.5))));

  const valid = Object.fromEntries(VALID_FLAGS.map((flag) => [flag, true])) as DevicePayload['valid'];
  const values = {
    temp_inlet: round(state.outlet - deltaT + random.noise(0.05), 1),
    temp_outlet: round(state.outlet + random.noise(0.05), 1),
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

  const metrics: MetricsReading = {
    device_id: state.id,
    timestamp: now,
    metrics: {
      flow_temperature: values.temp_outlet,
      return_temperature: values.temp_inlet,
      outdoor_temperature: values.temp_ambient,
      flow_rate: round(state.flowRateLpm + random.noise(0.05), 2),
      compressor_modulation: round(state.modulation, 1),
      compressor_rated_power: state.ratedPowerKw,
      electrical_power: power,
      electrical_energy: round(state.totals.electricalKwh, 4),
      compressor_running: running,
      defrost_active: defrosting,
      dhw_active: state.dhwUntil !== undefined,
    },
    units: { flow_temperature: '°C', return_temperature: '°C', outdoor_temperature: '°C', flow_rate: 'l/min', compressor_modulation: '%', compressor_rated_power: 'kW', electrical_power: 'W', electrical_energy: 'kWh' },
    info: { model: 'simulated', source: 'simulator' },
  };
  // a probe flagged invalid is left out of the metrics (the metrics reading has no validity flags)
  if (!valid.temp_outlet) delete metrics.metrics.flow_temperature;
  if (!valid.temp_inlet) delete metrics.metrics.return_temperature;
  if (!valid.temp_ambient) delete metrics.metrics.outdoor_temperature;
  if (!valid.voltage || !valid.current) delete metrics.metrics.electrical_power;

  const deviceAlerts = criticalDeviceAlerts(state, reading);
  state.rng = random.state;
  return { state, reading, metrics, deviceAlerts };
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

export interface SeriesOptions {
  id: string;
  seed: number;
  /** ms since the epoch: the device is created here; the first reading is one interval later */
  start: number;
  end: number;
  intervalMs: number;
  setup?: DeviceSetup;
  faultRate?: number;
}

/**
 * Every step of one device from `start` to `end` at `intervalMs`, without MQTT or a clock: a whole
 * simulated day in a fraction of a second. Each step's state carries the running totals.
 */
export function simulateSeries(options: SeriesOptions): StepResult[] {
  let state = createDevice(options.id, options.seed, options.start, options.setup);
  const steps: StepResult[] = [];
  for (let t = options.start + options.intervalMs; t <= options.end; t += options.intervalMs) {
    const step = stepDevice(state, t, { faultRate: options.faultRate ?? 0 });
    state = step.state;
    steps.push(step);
  }
  return steps;
}
