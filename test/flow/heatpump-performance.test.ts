// heatpump-performance in a runtime: a Viessmann-like heat pump (5-minute readings) and a
// Shelly-like meter on another device id (10 s readings) into window figures and points.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { NodeMessage } from 'node-red';
import { mock } from 'node:test';
import type { InfluxPoint, MetricsReading } from '../../nodes/shared/contract';
import type { PerformanceWindow } from '../../nodes/heatpump-performance/analyser';
import type { DailyEnergy } from '../../nodes/heatpump-performance/daily';
import { catchModule, collect, flowSuiteHooks, flowWithCatch, helper, nodeById as get, withCatalog, type NodeInit, type Spied } from '../support/flow-helper';
import { nodeModule, projectRoot } from '../support/node-red';

const performance = withCatalog(nodeModule('heatpump-performance') as NodeInit, 'heatpump-performance');

const MIN = 60_000;
/** 2024-01-30 08:00 UTC */
const T0 = Date.UTC(2024, 0, 30, 8, 0);

const config = { deviceId: 'vitocal', electricalDeviceId: 'meter-1', windowMinutes: '5', startThresholdW: '100', qualityThreshold: '0.8' };

const vitocal = (t: number, metrics: MetricsReading['metrics']): MetricsReading => ({ device_id: 'vitocal', timestamp: t, metrics });
const meter = (t: number, watts: number): MetricsReading => ({ device_id: 'meter-1', timestamp: t, metrics: { electrical_power: watts, voltage: 230 } });

/**
 * 08:00-08:05 the compressor runs at 50 % of 8 kW, 20 l/min at 35/30 °C, outdoor 7 °C, the meter
 * reads 1500 and 1700 W by turns (mean 1600 W); 08:05-08:10 it stands still at 50 W standby. The
 * heat pump's own electrical_power (999 W) must be ignored: the meter is the electricity source.
 */
function day(): MetricsReading[] {
  const running = { flow_temperature: 35, return_temperature: 30, outdoor_temperature: 7, compressor_modulation: 50, compressor_rated_power: 8, flow_rate: 20, compressor_running: true, electrical_power: 999 };
  const standing = { flow_temperature: 30, return_temperature: 30, outdoor_temperature: 7, compressor_modulation: 0, flow_rate: 20, compressor_running: false, electrical_power: 999 };
  const readings: MetricsReading[] = [];
  for (let t = T0; t <= T0 + 11 * MIN; t += 10_000) {
    if (t === T0) readings.push(vitocal(t, running));
    if (t === T0 + 5 * MIN || t === T0 + 10 * MIN) readings.push(vitocal(t, standing));
    const i = (t - T0) / 10_000;
    readings.push(meter(t, t < T0 + 5 * MIN ? (i % 2 === 0 ? 1500 : 1700) : 50));
  }
  return readings;
}

/** Lets the runtime deliver what is under way (message delivery goes through setImmediate). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

const near = (actual: unknown, expected: number, what: string) => assert.ok(typeof actual === 'number' && Math.abs(actual - expected) < 1e-6, `${what}: expected ${expected}, got ${String(actual)}`);

describe('heatpump-performance node', function () {
  flowSuiteHooks();

  it('joins 10 s meter readings and 5-minute heat pump readings into window figures and points', async () => {
    await helper.load([performance, catchModule], flowWithCatch('heatpump-performance', ['points', 'figures', 'daily'], config));
    const statuses: string[] = [];
    get('n1').on('call:status', (call: Spied<{ text?: string }>) => statuses.push(call.args[0]?.text ?? ''));
    const figures = collect('figures', 2);
    const points = collect('points', 2);
    for (const reading of day()) get('n1').receive({ payload: reading });
    const [first, second] = (await figures).map((msg) => msg.payload as PerformanceWindow);
    assert.ok(first && second);

    const carnot = (4.35 / (310.15 / 36)) * 100;
    assert.deepEqual(Object.keys(first).sort(), [
      'carnot_percent', 'compressor_running_share', 'cop_delta_t', 'cop_modulation', 'cop_running', 'device_id', 'electrical_device_id', 'electrical_power', 'end',
      'flow_rate', 'flow_rate_source', 'flow_temperature', 'outdoor_temperature', 'quality', 'return_temperature', 'running', 'sound', 'start',
      'thermal_power_delta_t', 'thermal_power_delta_t_method', 'thermal_power_modulation',
    ]);
    assert.equal(first.start, T0);
    assert.equal(first.end, T0 + 5 * MIN);
    near(first.electrical_power, 1600, 'mean of the meter, not the heat pump');
    near(first.thermal_power_modulation, 4000, '8 kW × 50 %');
    near(first.thermal_power_delta_t, 6960, '1.2 m³/h × 1.16 × 5 K');
    assert.equal(first.thermal_power_delta_t_method, 'delta_t');
    near(first.cop_modulation, 2.5, '4000 / 1600');
    near(first.cop_delta_t, 4.35, '6960 / 1600');
    near(first.cop_running, 4.35, 'running: measured heat');
    near(first.carnot_percent, carnot, '% of Carnot');
    assert.equal(first.running, true);
    assert.equal(first.flow_rate_source, 'measured');
    assert.equal(first.compressor_running_share, 1);
    assert.equal(first.quality, 1);
    assert.equal(first.sound, true);

    assert.equal(second.start, T0 + 5 * MIN);
    near(second.electrical_power, 50, 'standby');
    near(second.cop_modulation, 0, 'no heat');
    near(second.cop_delta_t, 0, 'no spread');
    assert.equal(second.running, false);
    assert.equal(second.cop_running, undefined, 'standby has no running COP');
    assert.equal(second.carnot_percent, undefined);
    assert.equal(second.compressor_running_share, 0);

    // each window goes out once a reading a minute past its end arrived: 08:06, then 08:11
    const [atSix, atEleven] = (await points).map((msg) => msg.payload as InfluxPoint[]);
    assert.equal(atSix?.length, 3);
    const batch = [...(atSix ?? []), ...(atEleven ?? [])];
    assert.deepEqual(
      batch.map((p) => [p.measurement, p.tags, p.timestamp.getTime()]),
      [
        ['thermal_power_modulation', { device_id: 'vitocal' }, T0],
        ['thermal_power_delta_t', { device_id: 'vitocal' }, T0],
        ['cop', { device_id: 'vitocal' }, T0],
        ['thermal_power_modulation', { device_id: 'vitocal' }, T0 + 5 * MIN],
        ['thermal_power_delta_t', { device_id: 'vitocal' }, T0 + 5 * MIN],
        ['cop', { device_id: 'vitocal' }, T0 + 5 * MIN],
      ],
    );
    near(batch[1]?.fields.value, 6960, 'thermal_power_delta_t value');
    const cop = batch[2]?.fields ?? {};
    assert.deepEqual(Object.keys(cop).sort(), ['carnot_percent', 'cop_delta_t', 'cop_modulation', 'cop_running', 'electrical_power', 'flow_temperature', 'outdoor_temperature', 'quality', 'sound', 'thermal_power_delta_t', 'thermal_power_delta_t_method', 'thermal_power_modulation']);
    near(cop.cop_delta_t, 4.35, 'cop field');
    assert.equal(statuses.at(-1), 'COP 0.00 (ΔT)');
    assert.ok(statuses.includes('COP 4.35 (ΔT)'), statuses.join(' | '));
  });

  it('on msg.flush closes the open window; a window without electricity says why it has no COP', async () => {
    await helper.load([performance, catchModule], flowWithCatch('heatpump-performance', ['points', 'figures', 'daily'], config));
    const statuses: string[] = [];
    get('n1').on('call:status', (call: Spied<{ text?: string }>) => statuses.push(call.args[0]?.text ?? ''));
    const figures = collect('figures', 1);
    get('n1').receive({ payload: vitocal(T0, { flow_temperature: 35, return_temperature: 30, flow_rate: 20 }) });
    get('n1').receive({ payload: { device_id: 'elsewhere', timestamp: T0, metrics: { electrical_power: 500 } } });
    get('n1').receive({ flush: true });
    const window = (await figures)[0]?.payload as PerformanceWindow;
    assert.equal(window.no_cop, 'no-electrical');
    near(window.thermal_power_delta_t, 6960, 'heat without electricity');
    assert.equal(statuses.at(-1), 'no COP: no electrical power');
  });

  it('bad input: red status and done(err) naming the problem; nothing of the message is taken', async () => {
    await helper.load([performance, catchModule], flowWithCatch('heatpump-performance', ['points', 'figures', 'daily'], config));
    const statuses: string[] = [];
    get('n1').on('call:status', (call: Spied<{ text?: string }>) => statuses.push(call.args[0]?.text ?? ''));
    const caught = collect('caught', 1);
    get('n1').receive({ payload: [meter(T0, 1000), { device_id: 'meter-1', timestamp: T0, metrics: { electrical_power: null } }] });
    const error = (await caught)[0] as NodeMessage & { error?: { message?: string } };
    assert.match(error.error?.message ?? '', /Not a metrics reading: \[1\] metric electrical_power must be a finite number or a boolean, got null$/);
    assert.equal(statuses.at(-1), 'bad input');
    // the valid 1000 W reading beside the bad one was refused with it: the window has no electricity
    const figures = collect('figures', 1);
    get('n1').receive({ payload: vitocal(T0, { flow_temperature: 35, return_temperature: 30, flow_rate: 20 }) });
    get('n1').receive({ flush: true });
    assert.equal(((await figures)[0]?.payload as PerformanceWindow).no_cop, 'no-electrical');
  });

  it('refuses a reading stamped far ahead of the clock, which would close the windows early', async () => {
    await helper.load([performance, catchModule], flowWithCatch('heatpump-performance', ['points', 'figures', 'daily'], config));
    const caught = collect('caught', 1);
    get('n1').receive({ payload: meter(Date.now() + 60 * MIN, 1000) });
    const error = (await caught)[0] as NodeMessage & { error?: { message?: string } };
    assert.match(error.error?.message ?? '', /Reading of meter-1 stamped .* more than 10 minutes ahead of this server's clock/);
  });

  it('computes the figures of example 14 from its demo readings with its configuration', async () => {
    const example = JSON.parse(fs.readFileSync(path.join(projectRoot, 'examples', '14 - Heat pump performance (COP).json'), 'utf8')) as Array<Record<string, unknown>>;
    const demo = example.find((n) => n.id === 'pf_demo');
    const { id: _id, type: _type, x: _x, y: _y, wires: _wires, ...settings } = example.find((n) => n.type === 'heatpump-performance') ?? {};
    // the function node's body, run as the function node would
    const readings = (new Function('msg', String(demo?.func)) as (msg: Record<string, unknown>) => { payload: MetricsReading[] })({}).payload;
    await helper.load([performance, catchModule], flowWithCatch('heatpump-performance', ['points', 'figures', 'daily'], settings));
    const figures = collect('figures', 2);
    get('n1').receive({ payload: readings });
    const [running, standing] = (await figures).map((msg) => msg.payload as PerformanceWindow);
    near(running?.cop_modulation, 2.5, '4000 W / 1600 W');
    near(running?.cop_delta_t, 4.35, '6960 W / 1600 W');
    assert.equal(running?.flow_rate_source, 'configured');
    assert.equal(standing?.running, false);
  });

  it('sends a finished local day on output 3, in the configured time zone', async () => {
    await helper.load([performance, catchModule], flowWithCatch('heatpump-performance', ['points', 'figures', 'daily'], { ...config, timeZone: 'UTC', ratedPowerKw: '8' }));
    const daily = collect('daily', 1);
    const midnight = Date.UTC(2024, 3, 1);
    const readings: MetricsReading[] = [];
    for (let t = midnight; t <= midnight + 24 * 60 * MIN + 10 * MIN; t += MIN) readings.push(vitocal(t, { compressor_modulation: 25 }), meter(t, 500));
    get('n1').receive({ payload: readings });
    const day = (await daily)[0] as NodeMessage & { payload: DailyEnergy };
    assert.equal(day.topic, 'vitocal');
    assert.equal(day.payload.day, '2024-04-01');
    assert.equal(day.payload.start, midnight);
    // from the first window middle (00:02:30): 0.5 kW and 8 kW × 25 % = 2 kW
    near(day.payload.electrical_energy, 0.5 * (24 - 2.5 / 60), 'kWh');
    near(day.payload.heat_energy, 2 * (24 - 2.5 / 60), 'heat kWh');
    near(day.payload.spf ?? undefined, 4, 'SPF');
  });

  it('the day on output 3 counts defrosts, compressor starts, the hot water share and both COPs from the flags', async () => {
    await helper.load([performance, catchModule], flowWithCatch('heatpump-performance', ['points', 'figures', 'daily'], { ...config, timeZone: 'UTC', ratedPowerKw: '8' }));
    const daily = collect('daily', 1);
    const points = collect('points', 1);
    const midnight = Date.UTC(2024, 3, 1);
    const at = (h: number, m = 0) => midnight + h * 60 * MIN + m * MIN;
    const between = (t: number, from: number, to: number) => t >= from && t < to;
    const readings: MetricsReading[] = [];
    for (let t = midnight; t <= at(24, 10); t += MIN) {
      // the compressor stops 06:00–06:10 and 07:00–07:10; hot water 10:00–10:30; a defrost 14:00–14:05
      const compressor = !between(t, at(6), at(6, 10)) && !between(t, at(7), at(7, 10));
      readings.push(vitocal(t, { compressor_modulation: 25, compressor_running: compressor, dhw_active: between(t, at(10), at(10, 30)), defrost_active: between(t, at(14), at(14, 5)) }), meter(t, 500));
    }
    get('n1').receive({ payload: readings });
    const day = ((await daily)[0] as NodeMessage & { payload: DailyEnergy }).payload;
    assert.equal(day.defrost_count, 1);
    near(day.defrost_minutes, 5, 'defrost minutes');
    // the modulation estimate never turns negative: no heat drawn
    near(day.defrost_heat, 0, 'defrost heat');
    assert.equal(day.compressor_starts, 2);
    assert.equal(day.max_starts_per_hour, 1);
    assert.equal(day.short_cycling, false);
    // 30 minutes of 0.5 kW and 2 kW
    near(day.dhw.electrical_energy, 0.25, 'DHW kWh');
    near(day.dhw.heat_energy, 1, 'DHW heat');
    near(day.dhw.cop ?? undefined, 4, 'DHW COP');
    near(day.space.cop ?? undefined, 4, 'space COP');
    near(day.cop_combined ?? undefined, 4, 'combined COP');
    near(day.cop_running ?? undefined, 4, 'running COP');
    const point = ((await points)[0]?.payload as InfluxPoint[]).find((p) => p.measurement === 'energy_daily');
    assert.equal(point?.fields.compressor_starts, 2);
    assert.equal(point?.fields.defrost_count, 1);
    near(point?.fields.dhw_electrical_energy, 0.25, 'dhw_electrical_energy field');
  });

  it('a bad configuration is reported and every message refused', async () => {
    await helper.load([performance, catchModule], flowWithCatch('heatpump-performance', ['points', 'figures', 'daily'], { ...config, windowMinutes: '7' }));
    const caught = collect('caught', 1);
    get('n1').receive({ payload: meter(T0, 1000) });
    const error = (await caught)[0] as NodeMessage & { error?: { message?: string } };
    assert.match(error.error?.message ?? '', /Window "7" minutes must divide the hour/);
  });

  describe('every device (Heat pump blank)', () => {
    const every = { deviceId: '', windowMinutes: '5', startThresholdW: '100', qualityThreshold: '0.8' };
    /** 20 minutes of 1-minute readings of `device` with its own electricity; `scale` makes devices differ */
    const ownReadings = (device: string, scale: number): MetricsReading[] => {
      const list: MetricsReading[] = [];
      for (let t = T0; t <= T0 + 20 * MIN; t += MIN) {
        const running = t < T0 + 12 * MIN;
        list.push({
          device_id: device,
          timestamp: t,
          metrics: {
            flow_temperature: running ? 35 + scale : 30, return_temperature: 30, outdoor_temperature: 5, flow_rate: 12 * scale,
            compressor_modulation: running ? 40 * scale : 0, compressor_rated_power: 6, compressor_running: running, electrical_power: running ? 900 * scale : 20,
          },
        });
      }
      return list;
    };
    const windowsFor = async (nodeConfig: Record<string, unknown>, readings: MetricsReading[], count: number): Promise<PerformanceWindow[]> => {
      await helper.load([performance, catchModule], flowWithCatch('heatpump-performance', ['points', 'figures', 'daily'], nodeConfig));
      const figures = collect('figures', count);
      for (const reading of readings) get('n1').receive({ payload: reading });
      get('n1').receive({ flush: true });
      const windows = (await figures).map((msg) => msg.payload as PerformanceWindow);
      await helper.unload();
      return windows;
    };

    it('two devices interleaved give the same windows as each alone, each with its own electricity', async () => {
      const a = ownReadings('hp-a', 1);
      const b = ownReadings('hp-b', 1.5);
      const aloneA = await windowsFor({ ...config, deviceId: 'hp-a', electricalDeviceId: '' }, a, 5);
      const aloneB = await windowsFor({ ...config, deviceId: 'hp-b', electricalDeviceId: '' }, b, 5);
      const together = await windowsFor(every, a.flatMap((reading, i) => [reading, b[i] as MetricsReading]), 10);
      const byStart = (x: PerformanceWindow, y: PerformanceWindow) => x.start - y.start;
      assert.deepEqual(together.filter((w) => w.device_id === 'hp-a').sort(byStart), aloneA);
      assert.deepEqual(together.filter((w) => w.device_id === 'hp-b').sort(byStart), aloneB);
      assert.ok(aloneA[0]?.cop_delta_t !== undefined && aloneA[0].cop_delta_t !== aloneB[0]?.cop_delta_t, 'the devices differ');
      assert.equal(aloneB[0]?.electrical_power, 1350, 'hp-b its own electricity source');
    });

    it('lets an ESP32 reading pass without effect, refuses and reports devices beyond Max. devices', async () => {
      await helper.load([performance, catchModule], flowWithCatch('heatpump-performance', ['points', 'figures', 'daily'], { ...every, maxDevices: '1' }));
      const warnings: string[] = [];
      get('n1').on('call:warn', (call: Spied<string>) => warnings.push(String(call.args[0])));
      const figures = collect('figures', 1);
      get('n1').receive({ payload: { device_id: 'site1', timestamp: T0, temp_inlet: 30, temp_outlet: 35 } });
      for (const reading of [...ownReadings('hp-a', 1).slice(0, 7), ...ownReadings('hp-b', 1).slice(0, 7)]) get('n1').receive({ payload: reading });
      const [window] = (await figures).map((msg) => msg.payload as PerformanceWindow);
      assert.equal(window?.device_id, 'hp-a');
      assert.ok(warnings.some((text) => /Readings of \d+ device\(s\) refused: this node analyses at most 1 devices/.test(text)), warnings.join('\n'));
    });

    it('closes a quiet device\'s windows a window and 60 s after its last reading', async () => {
      await helper.load([performance, catchModule], flowWithCatch('heatpump-performance', ['points', 'figures', 'daily'], every));
      // no collect(): its time-out timer would be cleared by the mocked clearTimeout and leak
      const figures = new Promise<NodeMessage>((resolve) => get('figures').on('input', resolve));
      // Node's own mock timers (setTimeout / clearTimeout only; setImmediate, which delivers messages, stays real)
      mock.timers.enable({ apis: ['setTimeout'] });
      try {
        let closed = false;
        void figures.then(() => (closed = true));
        // 08:00-08:03: the 08:00 window stays open, no later reading closes it
        const statuses: string[] = [];
        get('n1').on('call:status', (call: Spied<{ text?: string }>) => statuses.push(call.args[0]?.text ?? ''));
        for (const reading of ownReadings('hp-a', 1).slice(0, 4)) get('n1').receive({ payload: reading });
        await settle();
        mock.timers.tick(5 * MIN + 60_000 - 1);
        await settle();
        assert.equal(closed, false, 'not before a window and 60 s');
        mock.timers.tick(1);
        const window = (await figures).payload as PerformanceWindow;
        assert.equal(window.device_id, 'hp-a');
        assert.equal(window.start, T0);
        assert.match(statuses.at(-1) ?? '', /^COP /);
      } finally {
        mock.timers.reset();
      }
    });
  });
});
