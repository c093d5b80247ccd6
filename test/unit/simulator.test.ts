import assert from 'node:assert/strict';
import {
  ambientAt,
  createDevice,
  DEFROST_MS,
  HYSTERESIS,
  LIMITS,
  simulatedDeviceIds,
  stepDevice,
  type DevicePayload,
  type DeviceState,
} from '../../scripts/lib/sim-model';

const START = Date.UTC(2026, 0, 15, 0, 0, 0);
const TEN_S = 10_000;

/** Runs one device for `hours` at a 10 s interval and returns its readings (and states). */
function run(options: { hours: number; faultRate?: number; seed?: number; ambientMean?: number; id?: string }) {
  let state: DeviceState = createDevice(options.id ?? 'sim-001', options.seed ?? 7, START, { ambientMean: options.ambientMean });
  const readings: DevicePayload[] = [];
  const states: DeviceState[] = [];
  const deviceAlerts = [];
  for (let t = START + TEN_S; t <= START + options.hours * 3_600_000; t += TEN_S) {
    const step = stepDevice(state, t, { faultRate: options.faultRate ?? 0 });
    state = step.state;
    readings.push(step.reading);
    states.push(state);
    deviceAlerts.push(...step.deviceAlerts);
  }
  return { readings, states, deviceAlerts };
}

describe('simulator model (scripts/lib/sim-model)', function () {
  it('publishes exactly the reading shape of the device contract, overflow and signal included', function () {
    const [reading] = run({ hours: 0.01 }).readings;
    assert.ok(reading);
    assert.deepEqual(Object.keys(reading).sort(), [
      'alerts', 'device', 'electrical', 'overflow', 'pressure', 'signal', 'status', 'temperature', 'timestamp', 'valid', 'version',
    ]);
    assert.deepEqual(Object.keys(reading.temperature), ['inlet', 'outlet', 'ambient', 'compressor']);
    assert.deepEqual(Object.keys(reading.electrical), ['voltage', 'current', 'power']);
    assert.deepEqual(Object.keys(reading.pressure), ['high', 'low']);
    assert.deepEqual(Object.keys(reading.status), ['compressor', 'fan', 'defrost']);
    assert.deepEqual(Object.keys(reading.alerts), ['voltage', 'compressor_temp', 'pressure_high', 'pressure_low', 'current']);
    assert.deepEqual(Object.keys(reading.valid), [
      'temp_inlet', 'temp_outlet', 'temp_ambient', 'temp_compressor', 'voltage', 'current', 'pressure_high', 'pressure_low',
    ]);
    assert.equal(reading.device, 'sim-001');
    assert.equal(reading.timestamp, START + TEN_S);
    assert.equal(reading.overflow, 0);
    assert.ok(reading.signal >= 0 && reading.signal <= 100);
    for (const value of [...Object.values(reading.temperature), ...Object.values(reading.electrical), ...Object.values(reading.pressure)]) {
      assert.equal(typeof value, 'number');
      assert.ok(Number.isFinite(value));
    }
  });

  it('names devices sim-001, sim-002, ...', function () {
    assert.deepEqual(simulatedDeviceIds(3), ['sim-001', 'sim-002', 'sim-003']);
    assert.equal(simulatedDeviceIds(120)[119], 'sim-120');
  });

  it('is deterministic for a seed and differs between seeds', function () {
    const a = run({ hours: 2, faultRate: 0.01, seed: 42 }).readings;
    const b = run({ hours: 2, faultRate: 0.01, seed: 42 }).readings;
    const c = run({ hours: 2, faultRate: 0.01, seed: 43 }).readings;
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('cycles the compressor with hysteresis on the outlet temperature', function () {
    const { states } = run({ hours: 12, ambientMean: 10 });
    let switches = 0;
    for (let i = 1; i < states.length; i++) {
      const before = states[i - 1];
      const after = states[i];
      assert.ok(before && after);
      if (before.compressorOn === after.compressorOn || after.defrostUntil !== undefined) continue;
      switches++;
      // it switches only past the edges of the band, never inside it
      if (after.compressorOn) assert.ok(after.outlet < after.setpoint - HYSTERESIS + 0.5, `on at ${after.outlet}`);
      else assert.ok(after.outlet > after.setpoint + HYSTERESIS - 0.5, `off at ${after.outlet}`);
    }
    assert.ok(switches >= 6, `expected several cycles in 12 h, got ${switches} switches`);
  });

  it('makes power = V x I x power factor and keeps pressures following the compressor', function () {
    const { readings } = run({ hours: 6, ambientMean: 10 });
    const on = readings.filter((r) => r.status.compressor);
    const off = readings.filter((r) => !r.status.compressor);
    assert.ok(on.length > 0 && off.length > 0);
    for (const r of readings) {
      const pf = r.electrical.power / (r.electrical.voltage * r.electrical.current);
      assert.ok(pf > 0.5 && pf <= 1, `power factor ${pf}`);
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    assert.ok(mean(on.map((r) => r.pressure.high)) > mean(off.map((r) => r.pressure.high)) + 50);
    // mild weather (10 °C): the compressor draws about 1 kW at a COP near 4; standby about 15 W
    assert.ok(mean(on.map((r) => r.electrical.current)) > 2, `on: ${mean(on.map((r) => r.electrical.current))} A`);
    assert.ok(mean(off.map((r) => r.electrical.current)) < 0.2, `off: ${mean(off.map((r) => r.electrical.current))} A`);
  });

  it('defrosts when it is cold outside, and never when it is warm', function () {
    const cold = run({ hours: 24, ambientMean: -5 }).readings;
    const warm = run({ hours: 24, ambientMean: 18 }).readings;
    const starts = (readings: DevicePayload[]) =>
      readings.filter((r, i) => r.status.defrost && !readings[i - 1]?.status.defrost).length;
    assert.ok(starts(cold) >= 3, `cold: ${starts(cold)} defrosts`);
    assert.equal(starts(warm), 0);
    // during defrost the compressor runs and the fan stops; it lasts DEFROST_MS
    const during = cold.filter((r) => r.status.defrost);
    assert.ok(during.every((r) => r.status.compressor && !r.status.fan));
    assert.ok(during.length <= (starts(cold) * DEFROST_MS) / TEN_S + starts(cold));
  });

  it('swings the ambient temperature daily: coldest at night, warmest in the afternoon', function () {
    const climate = { ambientMean: 5, ambientSwing: 6 };
    const at = (hour: number) => ambientAt(climate, Date.UTC(2026, 0, 15, hour));
    assert.ok(Math.abs(at(15) - 11) < 0.01);
    assert.ok(Math.abs(at(3) - -1) < 0.01);
    const readings = run({ hours: 24, ambientMean: 5 }).readings;
    const ambients = readings.map((r) => r.temperature.ambient);
    assert.ok(Math.max(...ambients) - Math.min(...ambients) > 7);
  });

  it('stays inside every warning threshold when there are no faults', function () {
    for (const ambientMean of [-8, 5, 20]) {
      for (const r of run({ hours: 24, ambientMean }).readings) {
        assert.deepEqual(Object.values(r.alerts), [0, 0, 0, 0, 0]);
        assert.ok(r.electrical.voltage < LIMITS.voltageHigh.warning && r.electrical.voltage > LIMITS.voltageLow.warning);
        assert.ok(r.temperature.compressor < LIMITS.compressorTemp.warning);
        assert.ok(r.pressure.high < LIMITS.pressureHigh.warning && r.pressure.low > LIMITS.pressureLow.warning);
        assert.ok(r.electrical.current < LIMITS.current.warning);
        assert.ok(Object.values(r.valid).every(Boolean));
      }
    }
  });

  it('raises faults beyond the critical thresholds, flags invalid sensors and publishes device alerts', function () {
    const { readings, deviceAlerts } = run({ hours: 24, faultRate: 0.01, seed: 3 });
    const overVoltage = readings.filter((r) => r.electrical.voltage > LIMITS.voltageHigh.critical);
    const overheated = readings.filter((r) => r.temperature.compressor > LIMITS.compressorTemp.critical);
    const invalid = readings.filter((r) => Object.values(r.valid).some((valid) => !valid));
    assert.ok(overVoltage.length > 0, 'no over-voltage');
    assert.ok(overheated.length > 0, 'no compressor overheating');
    assert.ok(invalid.length > 0, 'no invalid sensor');
    assert.ok(overVoltage.every((r) => r.alerts.voltage === 2));
    assert.ok(overheated.every((r) => r.alerts.compressor_temp === 2));
    // a sensor flagged invalid carries a sentinel, never a plausible value, and raises nothing
    for (const r of invalid) {
      if (!r.valid.temp_compressor) assert.equal(r.temperature.compressor, -127);
      if (!r.valid.voltage) assert.equal(r.alerts.voltage, 0);
    }
    assert.ok(deviceAlerts.length > 0);
    for (const alert of deviceAlerts) {
      assert.equal(alert.level, 'critical');
      assert.ok(['voltage_high', 'compressor_temp'].includes(alert.alert_type));
      assert.ok(alert.value > alert.threshold);
      assert.equal(alert.device, 'sim-001');
    }
    // each fault episode raises its device alert once, not with every reading
    assert.ok(deviceAlerts.length < overVoltage.length + overheated.length);
  });

  it('never faults at rate 0 and is independent of the publish interval', function () {
    const slow = createDevice('sim-002', 1, START);
    const oneStep = stepDevice(slow, START + 60_000, { faultRate: 0 }).state;
    let fine = slow;
    for (let t = START + TEN_S; t <= START + 60_000; t += TEN_S) fine = stepDevice(fine, t, { faultRate: 0 }).state;
    assert.ok(Math.abs(oneStep.outlet - fine.outlet) < 0.2);
    assert.equal(oneStep.compressorOn, fine.compressorOn);
  });
});
