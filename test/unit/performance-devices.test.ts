// Which analyser a reading feeds: the configured heat pump's, or one per device in "every device"
// mode, bounded; interleaved devices get the same windows as each alone.
import assert from 'node:assert/strict';
import type { MetricsReading } from '../../nodes/shared/contract';
import { PerformanceAnalyser, type PerformanceWindow } from '../../nodes/heatpump-performance/analyser';
import { AnalyserRegistry } from '../../nodes/heatpump-performance/devices';
import { parseOptions, type PerformanceConfig, type PerformanceOptions } from '../../nodes/heatpump-performance/options';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 30, 8, 0);

const options = (config: PerformanceConfig): PerformanceOptions => {
  const parsed = parseOptions(config);
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.error));
  return parsed.value;
};

/** 30 minutes of 1-minute readings of `device`, its own electricity; `scale` makes devices differ. */
function readings(device: string, scale: number): MetricsReading[] {
  const list: MetricsReading[] = [];
  for (let t = T0; t < T0 + 30 * MIN; t += MIN) {
    const running = (t - T0) % (20 * MIN) < 12 * MIN;
    list.push({
      device_id: device,
      timestamp: t,
      metrics: {
        flow_temperature: running ? 35 + scale : 30,
        return_temperature: 30,
        outdoor_temperature: 5,
        flow_rate: 12 * scale,
        compressor_modulation: running ? 40 * scale : 0,
        compressor_rated_power: 6,
        compressor_running: running,
        electrical_power: running ? 900 * scale : 20,
        electrical_energy: 100 + (t - T0) / MIN / 60,
      },
    });
  }
  return list;
}

const windowsOf = (feed: (analyser: PerformanceAnalyser, reading: MetricsReading) => void, list: MetricsReading[], analysers: () => PerformanceAnalyser[]): PerformanceWindow[] => {
  for (const reading of list) for (const analyser of analysers()) feed(analyser, reading);
  return analysers().flatMap((a) => a.closeAll());
};

describe('performance analysers per device', () => {
  it('with a heat pump device id: one analyser, for it and its electricity source only', () => {
    const registry = new AnalyserRegistry(options({ deviceId: 'hp', electricalDeviceId: 'meter' }));
    const hp = registry.route('hp');
    const meter = registry.route('meter');
    assert.ok(typeof hp === 'object' && typeof meter === 'object');
    assert.equal(hp.analyser, meter.analyser);
    assert.equal(hp.deviceId, 'hp');
    assert.equal(meter.deviceId, 'hp', 'the meter feeds the heat pump\'s analyser');
    assert.equal(registry.route('other'), 'not-concerned');
    assert.equal(registry.size, 1);
  });

  it('every device: one analyser per device id, each its own electricity source', () => {
    const registry = new AnalyserRegistry(options({ deviceId: '' }));
    const a = registry.route('a');
    const b = registry.route('b');
    assert.ok(typeof a === 'object' && typeof b === 'object');
    assert.notEqual(a.analyser, b.analyser);
    const again = registry.route('a');
    assert.ok(typeof again === 'object' && again.analyser === a.analyser, 'the same analyser for the same device');
    assert.equal(a.analyser.concerns('a'), true);
    assert.equal(a.analyser.concerns('b'), false);
    assert.deepEqual([...registry.entries()].map(([id]) => id), ['a', 'b']);
  });

  it('every device: refuses and counts readings of devices beyond the limit, keeps serving the known ones', () => {
    const registry = new AnalyserRegistry(options({ deviceId: '', maxDevices: '2' }));
    registry.route('a');
    registry.route('b');
    assert.equal(registry.route('c'), 'full');
    assert.equal(registry.route('d'), 'full');
    assert.equal(typeof registry.route('a'), 'object');
    assert.equal(registry.refused, 2);
    assert.equal(registry.size, 2);
  });

  it('every device: two devices interleaved give the same windows as each alone', () => {
    const a = readings('a', 1);
    const b = readings('b', 1.5);
    const interleaved = a.flatMap((reading, i) => [reading, b[i] as MetricsReading]);
    const both = new AnalyserRegistry(options({ deviceId: '' }));
    const together: PerformanceWindow[] = [];
    for (const reading of interleaved) {
      const route = both.route(reading.device_id);
      assert.ok(typeof route === 'object');
      route.analyser.add(reading);
    }
    for (const [, analyser] of both.entries()) together.push(...analyser.closeAll());

    const alone = (list: MetricsReading[], device: string) => {
      const single = new PerformanceAnalyser(options({ deviceId: device }));
      return windowsOf((analyser, reading) => analyser.add(reading), list, () => [single]);
    };
    const expected = [...alone(a, 'a'), ...alone(b, 'b')];
    assert.equal(expected.length, 12, 'six 5-minute windows per device');
    assert.ok(expected.every((w) => w.cop_running === undefined || w.cop_running > 1), 'the windows carry figures');
    assert.deepEqual(together, expected);
    assert.notDeepEqual(together.filter((w) => w.device_id === 'a').map((w) => w.cop_delta_t), together.filter((w) => w.device_id === 'b').map((w) => w.cop_delta_t));
  });
});
