// The per-device analyser and the node's options: mapping, electricity from another device, heat
// meter, late samples, buffer pruning; hand-computed figures.
import assert from 'node:assert/strict';
import type { MetricsReading } from '../../nodes/shared/contract';
import { toPoints } from '../../nodes/shared/points';
import { MAX_SAMPLES_PER_SERIES, PerformanceAnalyser, windowToPoints } from '../../nodes/heatpump-performance/analyser';
import { DEFAULT_MAPPING, parseMapping, parseOptions, type PerformanceConfig, type PerformanceOptions } from '../../nodes/heatpump-performance/options';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 30, 8, 0);

const options = (config: PerformanceConfig = {}): PerformanceOptions => {
  const parsed = parseOptions({ deviceId: 'hp', ...config });
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.error));
  return parsed.value;
};
const reading = (device: string, t: number, metrics: MetricsReading['metrics']): MetricsReading => ({ device_id: device, timestamp: t, metrics });

describe('performance options', () => {
  it('defaults: the common metric names, water, 5-minute windows, 100 W, 0.8, electricity from the heat pump, Europe/Berlin', () => {
    assert.deepEqual(options(), {
      everyDevice: false, deviceId: 'hp', electricalDeviceId: 'hp', mapping: { ...DEFAULT_MAPPING }, ratedPowerKw: undefined, flowRateLpm: undefined,
      heatCapacity: 1.16, windowMs: 5 * MIN, maxAgeMs: 15 * MIN, startThresholdW: 100, qualityThreshold: 0.8, bridgedGapMs: 15 * MIN, timeZone: 'Europe/Berlin',
      maxDevices: 500,
    });
  });

  const good: Array<[string, PerformanceConfig, Partial<PerformanceOptions>]> = [
    ['glycol', { fluid: 'propylene-glycol-30' }, { heatCapacity: 1.05 }],
    ['a fluid of its own', { fluid: 'custom', heatCapacity: '1.08' }, { heatCapacity: 1.08 }],
    ['15-minute windows carry slow values as long', { windowMinutes: '15' }, { windowMs: 15 * MIN, maxAgeMs: 15 * MIN }],
    ['hourly windows carry an hour', { windowMinutes: '60' }, { windowMs: 60 * MIN, maxAgeMs: 60 * MIN }],
    ['configured rated power and flow rate', { ratedPowerKw: '8', flowRateLpm: '20' }, { ratedPowerKw: 8, flowRateLpm: 20 }],
    ['a start threshold of 0 W', { startThresholdW: '0' }, { startThresholdW: 0 }],
    ['electricity from a meter', { electricalDeviceId: ' meter-1 ' }, { electricalDeviceId: 'meter-1' }],
    ['no heat pump device id: every device', { deviceId: ' ' }, { everyDevice: true, deviceId: '', electricalDeviceId: '' }],
    ['at most 20 devices', { deviceId: '', maxDevices: '20' }, { everyDevice: true, maxDevices: 20 }],
  ];
  for (const [name, config, expected] of good) {
    it(name, () => {
      const parsed = options(config);
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(parsed[key as keyof PerformanceOptions], value, key);
    });
  }

  const bad: Array<[string, PerformanceConfig, string]> = [
    ['an unsafe device', { deviceId: 'a+b' }, 'bad-device'],
    ['every device with one electricity source', { deviceId: '', electricalDeviceId: 'meter-1' }, 'every-device-electrical'],
    ['a fractional device limit', { deviceId: '', maxDevices: '2.5' }, 'bad-number'],
    ['a device limit of 0', { deviceId: '', maxDevices: '0' }, 'bad-number'],
    ['an unsafe electricity device', { electricalDeviceId: 'a/b' }, 'bad-electrical-device'],
    ['a window that does not divide the hour', { windowMinutes: '7' }, 'bad-window'],
    ['a negative rated power', { ratedPowerKw: '-8' }, 'bad-number'],
    ['a quality above 1', { qualityThreshold: '1.5' }, 'bad-number'],
    ['an unknown fluid', { fluid: 'oil' }, 'bad-fluid'],
    ['a custom fluid without its figure', { fluid: 'custom' }, 'bad-number'],
    ['a mapping of an unknown input', { mapping: '{"supply": "x"}' }, 'bad-mapping'],
    ['an unknown time zone', { timeZone: 'Mars/Olympus' }, 'bad-time-zone'],
  ];
  for (const [name, config, key] of bad) {
    it(`refuses ${name}`, () => {
      const parsed = parseOptions({ deviceId: 'hp', ...config });
      assert.equal(parsed.ok ? undefined : parsed.error.key, key);
    });
  }

  it('a mapping overrides only the inputs it names', () => {
    const parsed = parseMapping('{"flow": "supply_temp", "electricalPower": "power"}');
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, { ...DEFAULT_MAPPING, flow: 'supply_temp', electricalPower: 'power' });
    const notName = parseMapping('{"flow": "supply temp"}');
    assert.equal(notName.ok, false);
    assert.equal(parseMapping('[1]').ok, false);
    assert.equal(parseMapping('{').ok, false);
  });
});

describe('performance analyser', () => {
  it('takes electricity only from the meter, the rest only from the heat pump, under mapped names', () => {
    const analyser = new PerformanceAnalyser(options({ electricalDeviceId: 'meter', mapping: '{"flow": "supply"}', ratedPowerKw: '10' }));
    assert.equal(analyser.concerns('meter'), true);
    assert.equal(analyser.concerns('other'), false);
    analyser.add(reading('hp', T0, { supply: 40, flow_temperature: 99, return_temperature: 35, flow_rate: 30, compressor_modulation: 30, electrical_power: 5000 }));
    analyser.add(reading('meter', T0 + MIN, { electrical_power: 900, supply: 1 }));
    const [window] = analyser.closeAll();
    assert.equal(window?.flow_temperature, 40);
    assert.equal(window?.electrical_power, 900);
    // 10 kW × 30 % = 3000 W; 1.8 m³/h × 1.16 × 5 K = 10.44 kW
    assert.equal(window?.thermal_power_modulation, 3000);
    assert.ok(Math.abs((window?.thermal_power_delta_t ?? 0) - 10440) < 1e-6);
  });

  it('prefers a heat meter, and its quality follows the heat meter series', () => {
    const analyser = new PerformanceAnalyser(options());
    analyser.add(reading('hp', T0, { flow_temperature: 35, return_temperature: 30, flow_rate: 20, heat_power: 5000, electrical_power: 1250 }));
    const [window] = analyser.closeAll();
    assert.equal(window?.thermal_power_delta_t, 5000);
    assert.equal(window?.thermal_power_delta_t_method, 'heat_meter');
    assert.equal(window?.cop_delta_t, 4);
    assert.equal(window?.quality, 1);
  });

  it('counts samples of a closed window as late and leaves them out', () => {
    const analyser = new PerformanceAnalyser(options());
    analyser.add(reading('hp', T0, { electrical_power: 1000 }));
    analyser.add(reading('hp', T0 + 6 * MIN, { electrical_power: 1000 }));
    assert.equal(analyser.close(T0 + 5 * MIN).length, 1);
    assert.deepEqual(analyser.add(reading('hp', T0 + MIN, { electrical_power: 3000, flow_temperature: 30 })), { taken: 0, late: 2 });
    assert.equal(analyser.openWindows, 1);
  });

  it('a window without heat says why it has no COP; quality drops over a gap and the figures are not sound', () => {
    const analyser = new PerformanceAnalyser(options({ flowRateLpm: '20' }));
    // electricity at 08:00, 08:01, then not before 08:21: the 20-minute gap is not bridged, so 1 of 5 minutes is covered
    analyser.add(reading('hp', T0, { electrical_power: 1000, flow_temperature: 35, return_temperature: 30 }));
    analyser.add(reading('hp', T0 + MIN, { electrical_power: 1000 }));
    analyser.add(reading('hp', T0 + 21 * MIN, { electrical_power: 1000 }));
    const [first] = analyser.close(T0 + 5 * MIN);
    assert.ok(Math.abs((first?.quality ?? 0) - 0.2) < 1e-9, String(first?.quality));
    assert.equal(first?.sound, false);
    assert.ok(Math.abs((first?.cop_delta_t ?? 0) - 6.96) < 1e-9, 'the figure is there, marked as not sound');
    const none = new PerformanceAnalyser(options());
    none.add(reading('hp', T0, { electrical_power: 1000 }));
    assert.equal(none.closeAll()[0]?.no_cop, 'no-thermal');
    const zero = new PerformanceAnalyser(options({ ratedPowerKw: '8' }));
    zero.add(reading('hp', T0, { electrical_power: 0, compressor_modulation: 0 }));
    assert.equal(zero.closeAll()[0]?.no_cop, 'electrical-zero');
  });

  it('keeps its buffers bounded: old samples go once their windows are closed', () => {
    const analyser = new PerformanceAnalyser(options());
    for (let t = T0; t < T0 + 120 * MIN; t += 10_000) {
      analyser.add(reading('hp', t, { electrical_power: 1000 }));
      analyser.close(t - MIN);
    }
    // 15 minutes of 10 s samples are kept for carrying and quality, plus the open window's
    const kept = (analyser as unknown as { series: { electricalPower: unknown[] } }).series.electricalPower.length;
    assert.ok(kept <= (20 * MIN) / 10_000 + 1, `kept ${kept}`);
    assert.equal(analyser.dropped, 0);
    assert.ok(MAX_SAMPLES_PER_SERIES >= (60 * MIN) / 10_000);
  });

  it('points: only what could be computed, at the window start; no heat inputs, no quality', () => {
    const analyser = new PerformanceAnalyser(options());
    analyser.add(reading('hp', T0 + MIN, { electrical_power: 1000 }));
    const [window] = analyser.closeAll();
    assert.ok(window);
    assert.deepEqual(windowToPoints(window), [{ measurement: 'cop', tags: { device_id: 'hp' }, fields: { quality: 0, sound: false, electrical_power: 1000 }, timestamp: new Date(T0) }]);
  });

  it('points pass the storage check of heatpump-batch (nodes/shared/points.ts) unchanged', () => {
    const analyser = new PerformanceAnalyser(options({ ratedPowerKw: '8', flowRateLpm: '20' }));
    analyser.add(reading('hp', T0, { flow_temperature: 35, return_temperature: 30, outdoor_temperature: 7, compressor_modulation: 50, electrical_power: 1600 }));
    const points = analyser.closeAll().flatMap(windowToPoints);
    assert.deepEqual(points.map((p) => p.measurement), ['thermal_power_modulation', 'thermal_power_delta_t', 'cop']);
    // the temperatures go with the COP, so a comparison can match hours by weather
    assert.deepEqual([points[2]?.fields.outdoor_temperature, points[2]?.fields.flow_temperature], [7, 35]);
    const checked = toPoints(points);
    assert.ok(checked.ok, !checked.ok ? checked.error : '');
    assert.deepEqual(checked.value.points, points);
  });
});
