import assert from 'node:assert/strict';
import type { AlertEvent, AlertLevel, MetricsReading, PresenceEvent } from '../../nodes/shared/contract';
import { alert, reading } from '../fixtures/fleet-events';
import { COUNTER_NAMES, FleetState, MAX_REJECTIONS, type Counters, type DeviceRecord, type FleetSummaryCounts, type PersistedFleet } from '../../nodes/heatpump-fleet/fleet-state';

const S = 1000;
const T0 = 1_706_600_000_000;


const presence = (deviceId: string, online: boolean, at: number, lastSeen: number | null): PresenceEvent => ({
  event: online ? 'device_online' : 'device_offline',
  device_id: deviceId,
  last_seen: lastSeen,
  reason: online ? 'data' : 'timeout',
  timestamp: at,
});

const zeroCounters = (): Counters => Object.fromEntries(COUNTER_NAMES.map((name) => [name, 0])) as Counters;
const counters = (values: Partial<Counters>): Counters => ({ ...zeroCounters(), ...values });

/** The summary counted the slow way, from every device record. */
function recount(state: FleetState): FleetSummaryCounts {
  const counts: FleetSummaryCounts = { total: 0, online: 0, offline: 0, alerting: 0, warning: 0, critical: 0 };
  for (const device of state.all()) {
    counts.total += 1;
    if (device.online === true) counts.online += 1;
    if (device.online === false) counts.offline += 1;
    const alerts = Object.values(device.alerts);
    if (alerts.length > 0) counts.alerting += 1;
    for (const active of alerts) counts[active.level] += 1;
  }
  return counts;
}

/** Deterministic PRNG (mulberry32), so a failing sequence can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const metricsReading = (deviceId: string, timestamp: number, metrics: Record<string, number | boolean> = { flow_temperature: 35.5 }): MetricsReading => ({
  device_id: deviceId,
  timestamp,
  metrics,
  units: { flow_temperature: '°C' },
  info: { name: 'Keller', model: 'NIBE F1255', source: 'modbus' },
});

describe('heatpump-fleet FleetState', () => {
  describe('reading()', () => {
    // each report: [reading timestamp (s after T0), report time (s after T0)]
    const cases: Array<{ name: string; reports: Array<[number, number]>; latest: number; lastSeen: number; range: [number, number] }> = [
      { name: 'a newer reading replaces the latest', reports: [[0, 1], [60, 61]], latest: 60, lastSeen: 61, range: [0, 60] },
      { name: 'an older buffered reading does not replace a newer one', reports: [[60, 61], [0, 62]], latest: 60, lastSeen: 62, range: [0, 60] },
      { name: 'last_seen is the report time, not the hour-old timestamp of a buffered reading', reports: [[-3600, 5]], latest: -3600, lastSeen: 5, range: [-3600, -3600] },
      { name: 'last_seen does not go back when a report time is earlier', reports: [[10, 100], [20, 50]], latest: 20, lastSeen: 100, range: [10, 20] },
    ];
    for (const { name, reports, latest, lastSeen, range } of cases) {
      it(name, () => {
        const state = new FleetState(T0, false);
        for (const [at, now] of reports) state.reading(reading('hp1', T0 + at * S, { power: at }), [], T0 + now * S);
        const device = state.get('hp1');
        assert.equal(device?.reading?.timestamp, T0 + latest * S);
        assert.equal(device?.reading?.power, latest, 'the latest reading is the whole reading of that timestamp');
        assert.equal(device?.last_seen, T0 + lastSeen * S);
        assert.deepEqual(state.readingsRange(), [T0 + range[0] * S, T0 + range[1] * S]);
        assert.equal(state.counters.readings_accepted, reports.length, 'every reading is counted, older ones too');
      });
    }

    it('counts fields left out and puts one field rejection per field into the ring', () => {
      const state = new FleetState(T0, false);
      state.reading(reading('hp1', T0), [], T0 + S);
      state.reading(
        reading('hp1', T0 + 10 * S),
        [
          { field: 'voltage', reason: 'above 300' },
          { field: 'temp_inlet', reason: 'flagged invalid' },
        ],
        T0 + 11 * S,
      );
      state.reading(reading('hp2', T0 + 20 * S), [{ field: 'current', reason: 'negative' }], T0 + 21 * S);
      assert.deepEqual(state.counters, counters({ readings_accepted: 3, fields_left_out: 3 }));
      assert.deepEqual(state.rejections(), [
        { time: T0 + 11 * S, scope: 'field', device_id: 'hp1', field: 'voltage', reason: 'above 300' },
        { time: T0 + 11 * S, scope: 'field', device_id: 'hp1', field: 'temp_inlet', reason: 'flagged invalid' },
        { time: T0 + 21 * S, scope: 'field', device_id: 'hp2', field: 'current', reason: 'negative' },
      ]);
    });
  });

  describe('metrics()', () => {
    // each report: [reading timestamp (s after T0), report time (s after T0)]
    const cases: Array<{ name: string; reports: Array<[number, number]>; latest: number; lastSeen: number; range: [number, number] }> = [
      { name: 'a newer metrics reading replaces the latest', reports: [[0, 1], [10, 11]], latest: 10, lastSeen: 11, range: [0, 10] },
      { name: 'an older one does not replace a newer one, but counts and moves last_seen', reports: [[10, 11], [0, 12]], latest: 10, lastSeen: 12, range: [0, 10] },
      { name: 'last_seen is the report time and never goes back', reports: [[10, 100], [20, 50]], latest: 20, lastSeen: 100, range: [10, 20] },
    ];
    for (const { name, reports, latest, lastSeen, range } of cases) {
      it(name, () => {
        const state = new FleetState(T0, false);
        for (const [at, now] of reports) state.metrics(metricsReading('nibe1', T0 + at * S, { flow_temperature: at }), T0 + now * S);
        const device = state.get('nibe1');
        assert.deepEqual(device?.metrics, metricsReading('nibe1', T0 + latest * S, { flow_temperature: latest }));
        assert.equal(device?.reading, null, 'the ESP32 reading stays apart');
        assert.equal(device?.last_seen, T0 + lastSeen * S);
        assert.deepEqual(state.readingsRange(), [T0 + range[0] * S, T0 + range[1] * S]);
        assert.equal(state.counters.readings_accepted, reports.length);
      });
    }

    it('keeps a copy: the caller reusing its objects does not change the state', () => {
      const state = new FleetState(T0, false);
      const polled = metricsReading('nibe1', T0);
      state.metrics(polled, T0);
      polled.metrics.flow_temperature = 99;
      (polled.info ?? {}).model = 'other';
      assert.equal(state.get('nibe1')?.metrics?.metrics.flow_temperature, 35.5);
      assert.equal(state.get('nibe1')?.metrics?.info?.model, 'NIBE F1255');
    });

    it('marks the device changed and counts it in the summary; an unsafe id is ignored', () => {
      const state = new FleetState(T0, false);
      state.metrics(metricsReading('nibe1', T0), T0);
      state.metrics(metricsReading('a/b', T0), T0);
      assert.deepEqual(state.takeChanges().devices.map((d) => d.device_id), ['nibe1']);
      assert.equal(state.summary().total, 1);
    });
  });

  describe('metrics() of several sources of one device', () => {
    const viessmann = (at: number, metrics: Record<string, number | boolean>): MetricsReading => ({
      device_id: 'vitocal',
      timestamp: T0 + at * S,
      metrics,
      units: Object.fromEntries(Object.keys(metrics).map((name) => [name, name.endsWith('temperature') ? '°C' : '%'])),
      info: { source: 'viessmann', model: 'E3_Vitocal' },
    });
    const shelly = (at: number, power: number): MetricsReading => ({ device_id: 'vitocal', timestamp: T0 + at * S, metrics: { electrical_power: power }, units: { electrical_power: 'W' }, info: { source: 'shelly' } });
    // each case: the readings in report order, and the merged metrics, units, times (s), info and timestamp (s)
    const cases: Array<{
      name: string;
      reports: MetricsReading[];
      metrics: Record<string, number | boolean>;
      units: Record<string, string>;
      times: Record<string, number>;
      info: Record<string, string>;
      timestamp: number;
    }> = [
      {
        name: 'a meter beside the controller: both sets side by side, each metric with its own time',
        reports: [viessmann(0, { outdoor_temperature: 5, compressor_modulation: 40 }), shelly(10, 1200), shelly(20, 1300)],
        metrics: { outdoor_temperature: 5, compressor_modulation: 40, electrical_power: 1300 },
        units: { outdoor_temperature: '°C', compressor_modulation: '%', electrical_power: 'W' },
        times: { outdoor_temperature: 0, compressor_modulation: 0, electrical_power: 20 },
        info: { source: 'shelly', model: 'E3_Vitocal' },
        timestamp: 20,
      },
      {
        name: 'a later poll of one source updates its metrics only',
        reports: [shelly(10, 1200), viessmann(0, { outdoor_temperature: 5 }), viessmann(300, { outdoor_temperature: 6 })],
        metrics: { electrical_power: 1200, outdoor_temperature: 6 },
        units: { electrical_power: 'W', outdoor_temperature: '°C' },
        times: { electrical_power: 10, outdoor_temperature: 300 },
        info: { source: 'viessmann', model: 'E3_Vitocal' },
        timestamp: 300,
      },
      {
        name: 'an older reading fills metrics not known yet but does not overwrite newer values or info',
        reports: [shelly(20, 1300), viessmann(5, { outdoor_temperature: 5, electrical_power: 999 })],
        metrics: { electrical_power: 1300, outdoor_temperature: 5 },
        units: { electrical_power: 'W', outdoor_temperature: '°C' },
        times: { electrical_power: 20, outdoor_temperature: 5 },
        info: { source: 'shelly', model: 'E3_Vitocal' },
        timestamp: 20,
      },
    ];
    for (const { name, reports, metrics, units, times, info, timestamp } of cases) {
      it(name, () => {
        const state = new FleetState(T0, false);
        for (const report of reports) state.metrics(report, T0 + 400 * S);
        const device = state.get('vitocal');
        assert.deepEqual(device?.metrics, { device_id: 'vitocal', timestamp: T0 + timestamp * S, metrics, units, info });
        assert.deepEqual(device?.metric_times, Object.fromEntries(Object.entries(times).map(([metric, at]) => [metric, T0 + at * S])));
        assert.equal(state.counters.readings_accepted, reports.length);
      });
    }

    it('a metric reported without a unit loses the unit it had', () => {
      const state = new FleetState(T0, false);
      state.metrics(shelly(0, 1200), T0);
      state.metrics({ device_id: 'vitocal', timestamp: T0 + S, metrics: { electrical_power: 1 } }, T0 + S);
      assert.deepEqual(state.get('vitocal')?.metrics?.units, {});
    });

    it('the merged set and its times survive a restart', () => {
      const state = new FleetState(T0, false);
      state.metrics(viessmann(0, { outdoor_temperature: 5 }), T0);
      state.metrics(shelly(10, 1200), T0 + 10 * S);
      const restored = new FleetState(T0 + 3600 * S, false);
      assert.deepEqual(restored.restore(roundTrip(state.toJSON())), { skipped: 0 });
      assert.deepEqual(restored.get('vitocal'), state.get('vitocal'));
      restored.metrics(viessmann(300, { outdoor_temperature: 6 }), T0 + 300 * S);
      assert.deepEqual(restored.get('vitocal')?.metrics?.metrics, { outdoor_temperature: 6, electrical_power: 1200 });
    });
  });

  describe('rejected()', () => {
    it(`counts every rejected payload and keeps the last ${MAX_REJECTIONS} rejections, oldest dropped`, () => {
      const state = new FleetState(T0, false);
      const total = MAX_REJECTIONS + 70;
      for (let i = 0; i < total; i += 1) {
        state.rejected({ time: T0 + i, scope: i % 2 === 0 ? 'payload' : 'reading', device_id: i % 3 === 0 ? null : `hp${i}`, field: null, reason: `r${i}` });
      }
      assert.equal(state.counters.payloads_rejected, total);
      const ring = state.rejections();
      assert.equal(ring.length, MAX_REJECTIONS);
      assert.deepEqual(
        ring.map((r) => r.reason),
        Array.from({ length: MAX_REJECTIONS }, (_, i) => `r${total - MAX_REJECTIONS + i}`),
      );
      assert.deepEqual(ring[ring.length - 1], { time: T0 + total - 1, scope: 'reading', device_id: `hp${total - 1}`, field: null, reason: `r${total - 1}` });
      assert.equal(state.size, 0, 'a rejection creates no device');
    });

    it('shares the ring with the field rejections of readings', () => {
      const state = new FleetState(T0, false);
      for (let i = 0; i < MAX_REJECTIONS; i += 1) state.rejected({ time: T0 + i, scope: 'payload', device_id: null, field: null, reason: `r${i}` });
      state.reading(reading('hp1', T0), [{ field: 'voltage', reason: 'above 300' }], T0 + 999);
      const ring = state.rejections();
      assert.equal(ring.length, MAX_REJECTIONS);
      assert.equal(ring[0]?.reason, 'r1');
      assert.deepEqual(ring[ring.length - 1], { time: T0 + 999, scope: 'field', device_id: 'hp1', field: 'voltage', reason: 'above 300' });
      assert.equal(state.counters.payloads_rejected, MAX_REJECTIONS, 'a field left out is not a rejected payload');
    });
  });

  describe('alert()', () => {
    it('keeps one active sensor_fault per sensor, and restores them under the same keys', () => {
      const state = new FleetState(T0, true);
      state.alert(alert('hp1', 'sensor_fault', 'raised', 'warning', T0, { field: 'voltage' }));
      state.alert(alert('hp1', 'sensor_fault', 'raised', 'warning', T0 + S, { field: 'temp_inlet' }));
      assert.deepEqual(Object.keys(state.get('hp1')?.alerts ?? {}).sort(), ['sensor_fault:temp_inlet', 'sensor_fault:voltage']);
      assert.equal(state.summary().warning, 2);
      state.alert(alert('hp1', 'sensor_fault', 'cleared', 'warning', T0 + 2 * S, { field: 'voltage' }));
      assert.deepEqual(Object.keys(state.get('hp1')?.alerts ?? {}), ['sensor_fault:temp_inlet']);
      const restored = new FleetState(T0, true);
      restored.restore(roundTrip(state.toJSON()));
      assert.deepEqual(restored.get('hp1')?.alerts, state.get('hp1')?.alerts);
    });

    const cases: Array<{ name: string; events: AlertEvent[]; active: DeviceRecord['alerts']; alerts: number }> = [
      {
        name: 'raised -> active, since = its time',
        events: [alert('hp1', 'voltage_high', 'raised', 'warning', T0)],
        active: { voltage_high: { alert_type: 'voltage_high', level: 'warning', value: 251, threshold: 250, message: 'voltage_high raised', since: T0, timestamp: T0, source: 'threshold' } },
        alerts: 1,
      },
      {
        name: 'raised by the device -> source device',
        events: [alert('hp1', 'compressor_temp', 'raised', 'critical', T0, { source: 'device', value: 96, threshold: 95 })],
        active: { compressor_temp: { alert_type: 'compressor_temp', level: 'critical', value: 96, threshold: 95, message: 'compressor_temp raised', since: T0, timestamp: T0, source: 'device' } },
        alerts: 1,
      },
      {
        name: 'escalated keeps since and source of the episode',
        events: [alert('hp1', 'voltage_high', 'raised', 'warning', T0), alert('hp1', 'voltage_high', 'escalated', 'critical', T0 + 60 * S, { value: 256, threshold: 255, source: 'device' })],
        active: { voltage_high: { alert_type: 'voltage_high', level: 'critical', value: 256, threshold: 255, message: 'voltage_high escalated', since: T0, timestamp: T0 + 60 * S, source: 'threshold' } },
        alerts: 2,
      },
      {
        name: 'cleared removes only that alert; the alerts counter counts raised and escalated only',
        events: [
          alert('hp1', 'voltage_high', 'raised', 'warning', T0),
          alert('hp1', 'current', 'raised', 'warning', T0 + S),
          alert('hp1', 'voltage_high', 'escalated', 'critical', T0 + 2 * S),
          alert('hp1', 'voltage_high', 'cleared', 'critical', T0 + 3 * S),
        ],
        active: { current: { alert_type: 'current', level: 'warning', value: 251, threshold: 250, message: 'current raised', since: T0 + S, timestamp: T0 + S, source: 'threshold' } },
        alerts: 3,
      },
      {
        name: 'raised again after a clear starts a new episode',
        events: [alert('hp1', 'current', 'raised', 'warning', T0), alert('hp1', 'current', 'cleared', 'warning', T0 + S), alert('hp1', 'current', 'raised', 'critical', T0 + 2 * S)],
        active: { current: { alert_type: 'current', level: 'critical', value: 251, threshold: 250, message: 'current raised', since: T0 + 2 * S, timestamp: T0 + 2 * S, source: 'threshold' } },
        alerts: 2,
      },
    ];
    for (const { name, events, active, alerts } of cases) {
      it(name, () => {
        const state = new FleetState(T0, false);
        for (const event of events) state.alert(event);
        assert.deepEqual(state.get('hp1')?.alerts, active);
        assert.equal(state.counters.alerts, alerts);
        assert.deepEqual(state.summary(), recount(state));
      });
    }
  });

  describe('presence()', () => {
    it('sets online and online_since; moves last_seen only forward', () => {
      const state = new FleetState(T0, false);
      state.reading(reading('hp1', T0), [], T0 + 100 * S);
      state.presence(presence('hp1', true, T0 + 101 * S, T0 + 50 * S));
      assert.deepEqual(
        [state.get('hp1')?.online, state.get('hp1')?.online_since, state.get('hp1')?.last_seen],
        [true, T0 + 101 * S, T0 + 100 * S],
        'an older last_seen of the event does not move last_seen back',
      );
      state.presence(presence('hp1', false, T0 + 800 * S, T0 + 200 * S));
      assert.deepEqual([state.get('hp1')?.online, state.get('hp1')?.online_since, state.get('hp1')?.last_seen], [false, T0 + 800 * S, T0 + 200 * S]);
      state.presence(presence('hp1', true, T0 + 900 * S, null));
      assert.deepEqual([state.get('hp1')?.online, state.get('hp1')?.online_since, state.get('hp1')?.last_seen], [true, T0 + 900 * S, T0 + 200 * S], 'null last_seen keeps it');
      assert.deepEqual(state.summary(), { total: 1, online: 1, offline: 0, alerting: 0, warning: 0, critical: 0 });
    });

    it('a device first known by presence starts with that presence; seen() moves last_seen only forward', () => {
      const state = new FleetState(T0, false);
      state.presence(presence('hp2', false, T0 + 10 * S, null));
      assert.deepEqual(state.get('hp2'), { device_id: 'hp2', online: false, online_since: T0 + 10 * S, last_seen: null, reading: null, alerts: {} });
      state.seen('hp2', T0 + 20 * S);
      state.seen('hp2', T0 + 15 * S);
      assert.equal(state.get('hp2')?.last_seen, T0 + 20 * S);
      assert.deepEqual(state.summary(), { total: 1, online: 0, offline: 1, alerting: 0, warning: 0, critical: 0 });
    });
  });

  describe('device ids and the fleet bound', () => {
    const unsafe = ['', 'a/b', 'a+b', 'a#', '_hidden', 'a b', 'a\tb', 'a\nb', 'a,b', 'a=b', 'a"b', 'a\\b', 'x'.repeat(65)];
    for (const id of unsafe) {
      it(`ignores the unsafe device id ${JSON.stringify(id.length > 20 ? `${id.slice(0, 5)}... (${id.length})` : id)}`, () => {
        const state = new FleetState(T0, false);
        state.reading(reading(id, T0), [{ field: 'voltage', reason: 'x' }], T0);
        state.alert(alert(id, 'current', 'raised', 'critical', T0));
        state.presence(presence(id, true, T0, T0));
        state.seen(id, T0);
        assert.equal(state.size, 0);
        assert.equal(state.get(id), undefined);
        assert.deepEqual(state.counters, zeroCounters());
        assert.deepEqual(state.summary(), { total: 0, online: 0, offline: 0, alerting: 0, warning: 0, critical: 0 });
        assert.deepEqual(state.takeChanges().devices, []);
        assert.deepEqual(state.rejections(), []);
      });
    }

    it('accepts the longest safe id', () => {
      const state = new FleetState(T0, false);
      state.seen('x'.repeat(64), T0);
      assert.equal(state.size, 1);
    });

    it('keeps at most maxDevices devices; known devices still take reports', () => {
      const state = new FleetState(T0, false, 3);
      for (const id of ['a', 'b', 'c', 'd', 'e']) state.presence(presence(id, true, T0, T0));
      assert.deepEqual([...state.all()].map((d) => d.device_id), ['a', 'b', 'c']);
      state.alert(alert('e', 'current', 'raised', 'warning', T0));
      state.alert(alert('b', 'current', 'raised', 'warning', T0));
      state.reading(reading('d', T0), [], T0);
      state.reading(reading('c', T0), [], T0);
      assert.equal(state.size, 3);
      assert.deepEqual(Object.keys(state.get('b')?.alerts ?? {}), ['current']);
      assert.equal(state.get('c')?.reading?.timestamp, T0);
      assert.deepEqual(state.summary(), { total: 3, online: 3, offline: 0, alerting: 1, warning: 1, critical: 0 });
      state.reset('a');
      state.seen('e', T0 + S);
      assert.deepEqual([...state.all()].map((d) => d.device_id), ['b', 'c', 'e'], 'a removed device frees its place');
    });
  });

  describe('summary counts', () => {
    it('stay exact through 5000 random presence / alert / reading / reset operations over 50 devices', () => {
      const random = prng(20240131);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
      const ids = Array.from({ length: 50 }, (_, i) => `hp${i}`);
      const types = ['voltage_high', 'current', 'pressure_low'];
      const levels: AlertLevel[] = ['warning', 'critical'];
      const state = new FleetState(T0, false);
      const seenMax: FleetSummaryCounts = { total: 0, online: 0, offline: 0, alerting: 0, warning: 0, critical: 0 };
      const ops: Record<string, number> = {};
      for (let step = 0; step < 5000; step += 1) {
        const now = T0 + step * S;
        const id = pick(ids);
        const roll = random();
        let op: string;
        if (roll < 0.2) {
          op = 'presence';
          state.presence(presence(id, random() < 0.6, now, random() < 0.2 ? null : now - 1000));
        } else if (roll < 0.45) {
          op = 'raised';
          state.alert(alert(id, pick(types), 'raised', pick(levels), now));
        } else if (roll < 0.55) {
          op = 'escalated';
          state.alert(alert(id, pick(types), 'escalated', pick(levels), now));
        } else if (roll < 0.8) {
          op = 'cleared';
          state.alert(alert(id, pick(types), 'cleared', pick(levels), now));
        } else if (roll < 0.9) {
          op = 'reading';
          state.reading(reading(id, now), [], now);
        } else if (roll < 0.995) {
          op = 'reset one';
          state.reset(id);
        } else {
          op = 'reset all';
          state.reset();
        }
        ops[op] = (ops[op] ?? 0) + 1;
        const expected = recount(state);
        assert.deepEqual(state.summary(), expected, `after step ${step} (${op} ${id})`);
        assert.equal(expected.total, state.size);
        for (const key of Object.keys(seenMax) as Array<keyof FleetSummaryCounts>) seenMax[key] = Math.max(seenMax[key], expected[key]);
        if (step % 500 === 0) state.takeChanges();
      }
      // the sequence must have exercised every count and every kind of operation
      for (const [key, max] of Object.entries(seenMax)) assert.ok(max >= 5, `${key} never rose above ${max}: ${JSON.stringify(seenMax)}`);
      for (const op of ['presence', 'raised', 'escalated', 'cleared', 'reading', 'reset one', 'reset all']) assert.ok((ops[op] ?? 0) > 0, `no ${op}: ${JSON.stringify(ops)}`);
      // and a restored copy counts the same
      const copy = new FleetState(T0, false);
      assert.deepEqual(copy.restore(roundTrip(state.toJSON())), { skipped: 0 });
      assert.deepEqual(copy.summary(), state.summary());
      assert.deepEqual(copy.summary(), recount(copy));
    });

    it('reset() of the whole fleet zeroes devices, counters, rejections and the readings range', () => {
      const state = new FleetState(T0, false);
      state.reading(reading('hp1', T0), [{ field: 'voltage', reason: 'x' }], T0);
      state.presence(presence('hp1', true, T0, T0));
      state.alert(alert('hp2', 'current', 'raised', 'critical', T0));
      state.rejected({ time: T0, scope: 'payload', device_id: null, field: null, reason: 'not JSON' });
      state.written(5);
      state.takeChanges();
      state.reset();
      assert.equal(state.size, 0);
      assert.deepEqual(state.summary(), { total: 0, online: 0, offline: 0, alerting: 0, warning: 0, critical: 0 });
      assert.deepEqual(state.counters, zeroCounters());
      assert.deepEqual(state.rejections(), []);
      assert.equal(state.readingsRange(), null);
      const changes = state.takeChanges();
      assert.deepEqual(
        changes.devices.map((d) => d.device_id),
        ['hp1', 'hp2'],
        'views learn that both devices are gone',
      );
      assert.deepEqual(changes.devices[0], { device_id: 'hp1', online: null, online_since: null, last_seen: null, reading: null, alerts: {} });
      assert.deepEqual([changes.counters, changes.rejections, changes.alerts], [true, true, true]);
    });
  });

  describe('takeChanges()', () => {
    it('returns each changed device once, then nothing until the next change', () => {
      const state = new FleetState(T0, false);
      assert.equal(state.hasChanges(), false);
      state.reading(reading('hp1', T0), [], T0);
      state.reading(reading('hp2', T0), [], T0);
      state.reading(reading('hp1', T0 + S), [], T0 + S);
      state.alert(alert('hp3', 'current', 'raised', 'warning', T0));
      assert.equal(state.hasChanges(), true);
      const first = state.takeChanges();
      assert.deepEqual(
        first.devices.map((d) => [d.device_id, d.reading?.timestamp ?? null]),
        [
          ['hp1', T0 + S],
          ['hp2', T0],
          ['hp3', null],
        ],
      );
      assert.deepEqual({ ...first, devices: [] }, { devices: [], counters: true, health: false, rejections: false, alerts: true });

      assert.equal(state.hasChanges(), false);
      assert.deepEqual(state.takeChanges(), { devices: [], counters: false, health: false, rejections: false, alerts: false });

      state.presence(presence('hp2', true, T0 + 2 * S, T0));
      assert.deepEqual(
        state.takeChanges().devices.map((d) => d.device_id),
        ['hp2'],
      );
    });

    it('flags health, rejections and counters on their own', () => {
      const state = new FleetState(T0, false);
      assert.equal(state.setHealth({ mqtt_connected: true, history: false }), true, 'mqtt_connected changed from null');
      assert.deepEqual(state.takeChanges(), { devices: [], counters: false, health: true, rejections: false, alerts: false });
      assert.equal(state.setHealth({ mqtt_connected: true, history: false }), false, 'nothing changed');
      assert.equal(state.hasChanges(), false);
      state.rejected({ time: T0, scope: 'payload', device_id: null, field: null, reason: 'not JSON' });
      assert.deepEqual(state.takeChanges(), { devices: [], counters: true, health: false, rejections: true, alerts: false });
      state.written(3);
      assert.deepEqual(state.takeChanges(), { devices: [], counters: true, health: false, rejections: false, alerts: false });
    });

    it('bumps the revision on every change and not otherwise', () => {
      const state = new FleetState(T0, false);
      const revisions = [state.revision];
      state.reading(reading('hp1', T0), [], T0);
      revisions.push(state.revision);
      state.seen('hp1', T0 - S); // older: no change
      revisions.push(state.revision);
      state.setHealth({ influxdb_connected: false });
      revisions.push(state.revision);
      state.setHealth({ influxdb_connected: false });
      revisions.push(state.revision);
      state.takeChanges();
      revisions.push(state.revision);
      assert.deepEqual(
        revisions.map((r, i) => (i === 0 ? 0 : Math.sign(r - (revisions[i - 1] ?? 0)))),
        [0, 1, 0, 1, 0, 0],
      );
    });
  });

  describe('written() / writeFailed()', () => {
    const cases: Array<{ name: string; run: (state: FleetState) => void; expect: Partial<Counters> }> = [
      { name: 'written adds the points', run: (s) => [10, 5].forEach((n) => s.written(n)), expect: { points_written: 15 } },
      { name: 'a failed write that keeps its points counts an error only', run: (s) => s.writeFailed(0), expect: { write_errors: 1 } },
      { name: 'a failed write that gives its points up counts them lost', run: (s) => [0, 7, 3].forEach((n) => s.writeFailed(n)), expect: { write_errors: 3, points_lost: 10 } },
      {
        name: 'mixed',
        run: (s) => {
          s.written(100);
          s.writeFailed(20);
          s.written(1);
        },
        expect: { points_written: 101, write_errors: 1, points_lost: 20 },
      },
    ];
    for (const { name, run, expect } of cases) {
      it(name, () => {
        const state = new FleetState(T0, true);
        run(state);
        assert.deepEqual(state.counters, counters(expect));
        assert.equal(state.takeChanges().counters, true);
      });
    }

    // table: drops reported, then the points lost and the drops by reason
    const drops: Array<{ name: string; run: (state: FleetState) => void; lost: number; dropped: Partial<ReturnType<FleetState['dropped']>> }> = [
      { name: 'nothing dropped: every reason at 0', run: () => undefined, lost: 0, dropped: {} },
      { name: 'a write error that keeps its points drops nothing', run: (s) => s.writeFailed(0, 'spool_full'), lost: 0, dropped: {} },
      { name: 'lost points without a reason: retries exhausted', run: (s) => s.writeFailed(4), lost: 4, dropped: { retries_exhausted: 4 } },
      {
        name: 'each reason on its own, points lost is their sum',
        run: (s) => {
          s.writeFailed(5000, 'spool_full');
          s.writeFailed(5000, 'spool_full');
          s.writeFailed(10, 'buffer_full');
          s.writeFailed(1, 'spool_failed');
        },
        lost: 10011,
        dropped: { spool_full: 10000, buffer_full: 10, spool_failed: 1 },
      },
      {
        name: 'rejected payloads count as payload_rejected, not as points lost',
        run: (s) => s.rejected({ time: T0, scope: 'reading', device_id: 'hp1', field: null, reason: 'no timestamp' }),
        lost: 0,
        dropped: { payload_rejected: 1 },
      },
    ];
    for (const { name, run, lost, dropped } of drops) {
      it(`drops by reason: ${name}`, () => {
        const state = new FleetState(T0, true);
        run(state);
        assert.equal(state.counters.points_lost, lost);
        assert.deepEqual(state.dropped(), { payload_rejected: 0, buffer_full: 0, retries_exhausted: 0, spool_full: 0, spool_failed: 0, beyond_retention: 0, ...dropped });
      });
    }
  });

  describe('takeUnsaved() (what a save of changed devices writes)', () => {
    const cases: Array<[string, (state: FleetState) => void, { devices: string[]; removed: string[] }]> = [
      ['nothing changed since the last call', () => undefined, { devices: [], removed: [] }],
      ['a reading, an alert and a presence change, each device once', (state) => {
        state.reading(reading('b', T0 + S), [], T0 + S);
        state.alert(alert('c', 'voltage_high', 'raised', 'critical', T0 + S));
        state.presence(presence('b', true, T0 + S, T0 + S));
      }, { devices: ['b', 'c'], removed: [] }],
      ['a device forgotten (msg.reset)', (state) => state.reset('a'), { devices: [], removed: ['a'] }],
      ['the whole fleet reset', (state) => state.reset(), { devices: [], removed: ['a', 'b'] }],
      ['counters only (a write): no device', (state) => state.written(10), { devices: [], removed: [] }],
      ['a device forgotten and back: its new record', (state) => {
        state.reset('a');
        state.seen('a', T0 + S);
      }, { devices: ['a'], removed: [] }],
    ];
    for (const [title, change, expected] of cases) {
      it(title, () => {
        const state = new FleetState(T0, true);
        state.reading(reading('a', T0), [], T0);
        // the first call gives every device: nothing was saved before it
        assert.deepEqual(state.takeUnsaved().devices.map((device) => device.device_id), ['a']);
        state.reading(reading('b', T0), [], T0);
        state.takeUnsaved();
        change(state);
        const taken = state.takeUnsaved();
        assert.deepEqual({ devices: taken.devices.map((device) => device.device_id), removed: taken.removed }, expected);
        assert.deepEqual(state.takeUnsaved(), { devices: [], removed: [] }, 'taken once');
      });
    }
  });

  describe('toJSON() / restore()', () => {
    function busyState(): FleetState {
      const state = new FleetState(T0, false);
      state.reading(reading('hp1', T0, { temp_inlet: 35.5, compressor_running: true, firmware_version: '1.2.0' }), [{ field: 'voltage', reason: 'above 300' }], T0 + S);
      state.presence(presence('hp1', true, T0 + 2 * S, T0 + S));
      state.alert(alert('hp1', 'voltage_high', 'raised', 'warning', T0 + 3 * S));
      state.alert(alert('hp1', 'voltage_high', 'escalated', 'critical', T0 + 4 * S));
      state.alert(alert('hp2', 'compressor_temp', 'raised', 'warning', T0 + 5 * S, { source: 'device' }));
      state.presence(presence('hp3', false, T0 + 6 * S, null));
      state.metrics(metricsReading('nibe1', T0 + 6 * S), T0 + 6 * S);
      state.rejected({ time: T0 + 7 * S, scope: 'payload', device_id: null, field: null, reason: 'not JSON' });
      state.written(40);
      state.writeFailed(2);
      return state;
    }

    it('round-trips through JSON: devices, counters, rejections, range and summary are equal', () => {
      const original = busyState();
      const saved = roundTrip(original.toJSON());
      const restored = new FleetState(T0 + 3600 * S, false);
      assert.deepEqual(restored.restore(saved), { skipped: 0 });
      assert.deepEqual(restored.toJSON(), original.toJSON());
      assert.deepEqual(restored.summary(), { total: 4, online: 1, offline: 1, alerting: 2, warning: 1, critical: 1 });
      assert.deepEqual(restored.summary(), original.summary());
      assert.deepEqual(restored.get('nibe1')?.metrics, metricsReading('nibe1', T0 + 6 * S), 'the latest metrics reading survives a restart');
      assert.deepEqual(restored.counters, counters({ readings_accepted: 2, fields_left_out: 1, payloads_rejected: 1, alerts: 3, points_written: 40, write_errors: 1, points_lost: 2 }));
      // consumers learn the whole restored fleet
      const changes = restored.takeChanges();
      assert.deepEqual(
        changes.devices.map((d) => d.device_id),
        ['hp1', 'hp2', 'hp3', 'nibe1'],
      );
      assert.deepEqual({ ...changes, devices: [] }, { devices: [], counters: true, health: true, rejections: true, alerts: true });
      // and it goes on from there: an escalation keeps the restored episode's since
      restored.alert(alert('hp2', 'compressor_temp', 'escalated', 'critical', T0 + 60 * S));
      assert.deepEqual([restored.get('hp2')?.alerts.compressor_temp?.since, restored.get('hp2')?.alerts.compressor_temp?.source], [T0 + 5 * S, 'device']);
      assert.equal(restored.counters.alerts, 4);
    });

    it('keeps the drops by reason across a restart, and a reset clears them', () => {
      const original = busyState();
      original.writeFailed(5000, 'spool_full');
      const restored = new FleetState(T0, false);
      restored.restore(roundTrip(original.toJSON()));
      assert.deepEqual(restored.dropped(), { payload_rejected: 1, buffer_full: 0, retries_exhausted: 2, spool_full: 5000, spool_failed: 0, beyond_retention: 0 });
      restored.reset();
      assert.deepEqual(restored.dropped(), { payload_rejected: 0, buffer_full: 0, retries_exhausted: 0, spool_full: 0, spool_failed: 0, beyond_retention: 0 });
    });

    it('restores a 0.1.x state without drops by reason: its points lost stay counted as unattributed', () => {
      const saved: Partial<PersistedFleet> = roundTrip(busyState().toJSON());
      delete saved.dropped;
      const restored = new FleetState(T0, false);
      assert.deepEqual(restored.restore(saved), { skipped: 0 });
      assert.equal(restored.counters.points_lost, 2);
      assert.deepEqual(restored.dropped(), { payload_rejected: 1, buffer_full: 0, retries_exhausted: 0, spool_full: 0, spool_failed: 0, beyond_retention: 0, unattributed: 2 });
      restored.writeFailed(3, 'buffer_full');
      const again = new FleetState(T0, false);
      again.restore(roundTrip(restored.toJSON()));
      assert.deepEqual(again.dropped(), { payload_rejected: 1, buffer_full: 3, retries_exhausted: 0, spool_full: 0, spool_failed: 0, beyond_retention: 0, unattributed: 2 });
    });

    const unusable: Array<[string, unknown]> = [
      ['a string', 'fleet'],
      ['an array', []],
      ['another version', { version: 2, devices: [], counters: {} }],
      ['devices not an array', { version: 1, devices: {}, counters: {} }],
      ['no counters', { version: 1, devices: [] }],
    ];
    for (const [name, raw] of unusable) {
      it(`reports a problem and keeps nothing for ${name}`, () => {
        const state = new FleetState(T0, false);
        const result = state.restore(raw);
        assert.equal(result.skipped, 0);
        assert.match(result.problem ?? '', /unknown shape/);
        assert.equal(state.size, 0);
        assert.deepEqual(state.counters, zeroCounters());
      });
    }

    for (const raw of [undefined, null]) {
      it(`takes ${String(raw)} (nothing stored yet) as an empty fleet without a problem`, () => {
        const state = new FleetState(T0, false);
        assert.deepEqual(state.restore(raw), { skipped: 0 });
        assert.equal(state.size, 0);
      });
    }

    it('skips malformed device entries and keeps the good parts of the rest', () => {
      const good = (id: string, extra: Record<string, unknown> = {}) => ({ device_id: id, online: true, online_since: T0, last_seen: T0, reading: null, alerts: {}, ...extra });
      const active = { alert_type: 'current', level: 'critical', value: 31, threshold: 30, message: 'current', since: T0, timestamp: T0, source: 'threshold' };
      const raw = {
        version: 1,
        devices: [
          good('ok1', { reading: { device_id: 'ok1', timestamp: T0, voltage: 231 }, alerts: { current: active, voltage_high: { ...active, alert_type: 'voltage_high', level: 'fatal' }, pressure_low: { ...active } } }),
          null,
          42,
          'hp9',
          good('bad/id'),
          good('_hidden'),
          { device_id: 'no-fields' },
          good('bad-online', { online: 'yes' }),
          good('bad-last-seen', { last_seen: '2024-01-30' }),
          good('bad-since', { online_since: {} }),
          good('ok2', { online: false, reading: { device_id: 'someone-else', timestamp: T0 }, alerts: 'none' }),
          good('ok3', { online: null, online_since: null, last_seen: null, reading: { device_id: 'ok3', timestamp: 'yesterday' } }),
        ],
        counters: { readings_accepted: 12, payloads_rejected: -1, fields_left_out: '3', alerts: 2, points_written: null },
        rejections: [{ time: T0, scope: 'payload', device_id: null, field: null, reason: 'not JSON' }, { time: T0, scope: 'everything', device_id: null, field: null, reason: 'x' }, null, { time: 'now', scope: 'field', device_id: 'ok1', field: 'voltage', reason: 'x' }],
        readings_range: [T0, 'later'],
      };
      const state = new FleetState(T0, false);
      assert.deepEqual(state.restore(raw), { skipped: 9 });
      assert.deepEqual([...state.all()].map((d) => d.device_id), ['ok1', 'ok2', 'ok3']);
      assert.deepEqual(state.get('ok1'), { device_id: 'ok1', online: true, online_since: T0, last_seen: T0, reading: { device_id: 'ok1', timestamp: T0, voltage: 231 }, alerts: { current: active } }, 'alerts with a wrong level or a mismatched type are dropped');
      assert.deepEqual([state.get('ok2')?.reading, state.get('ok2')?.alerts, state.get('ok3')?.reading], [null, {}, null], "another device's reading or a bad timestamp is dropped");
      assert.deepEqual(state.counters, counters({ readings_accepted: 12, alerts: 2 }));
      assert.deepEqual(state.rejections(), [{ time: T0, scope: 'payload', device_id: null, field: null, reason: 'not JSON' }]);
      assert.equal(state.readingsRange(), null);
      assert.deepEqual(state.summary(), { total: 3, online: 1, offline: 1, alerting: 1, warning: 0, critical: 1 });
      assert.deepEqual(state.summary(), recount(state));
    });

    it('restores metrics readings that pass the shape check and drops the others, keeping their devices', () => {
      const device = (id: string, metrics: unknown) => ({ device_id: id, online: true, online_since: T0, last_seen: T0, reading: null, alerts: {}, metrics });
      const cases: Array<[string, unknown, boolean]> = [
        ['a metrics reading', metricsReading('m1', T0), true],
        ['a NaN (null after JSON) metric', { ...metricsReading('m2', T0), metrics: { flow_temperature: null } }, false],
        ["another device's", metricsReading('someone-else', T0), false],
        ['a string', 'flow 35', false],
        ['an unknown info key', { ...metricsReading('m5', T0), info: { owner: 'x' } }, false],
      ];
      const state = new FleetState(T0, false);
      assert.deepEqual(state.restore({ version: 1, devices: cases.map(([, metrics], i) => device(`m${i + 1}`, metrics)), counters: {} }), { skipped: 0 });
      for (const [i, [name, metrics, kept]] of cases.entries()) {
        assert.deepEqual(state.get(`m${i + 1}`)?.metrics, kept ? metrics : undefined, name);
      }
    });

    it('gives a state saved before per-metric times each metric its reading time; a bad or unknown time is replaced or dropped', () => {
      const saved = { ...metricsReading('m1', T0, { flow_temperature: 35, return_temperature: 30, outdoor_temperature: 2 }) };
      const cases: Array<[string, unknown, Record<string, number>]> = [
        ['no metric_times (saved before they existed)', undefined, { flow_temperature: T0, return_temperature: T0, outdoor_temperature: T0 }],
        ['metric_times as saved', { flow_temperature: T0 - S, return_temperature: T0 - 2 * S, outdoor_temperature: T0 }, { flow_temperature: T0 - S, return_temperature: T0 - 2 * S, outdoor_temperature: T0 }],
        ['a bad time, a missing one and one of an unknown metric', { flow_temperature: 'soon', return_temperature: T0 - S, gone: T0 }, { flow_temperature: T0, return_temperature: T0 - S, outdoor_temperature: T0 }],
      ];
      for (const [name, metricTimes, expected] of cases) {
        const state = new FleetState(T0, false);
        const entry = { device_id: 'm1', online: true, online_since: T0, last_seen: T0, reading: null, alerts: {}, metrics: saved, ...(metricTimes === undefined ? {} : { metric_times: metricTimes }) };
        assert.deepEqual(state.restore({ version: 1, devices: [entry], counters: {} }), { skipped: 0 }, name);
        assert.deepEqual(state.get('m1')?.metrics, saved, name);
        assert.deepEqual(state.get('m1')?.metric_times, expected, name);
      }
    });

    it('loads a state saved before metrics readings existed (no metrics member) unchanged', () => {
      const entry = { device_id: 'hp1', online: true, online_since: T0, last_seen: T0, reading: { device_id: 'hp1', timestamp: T0, voltage: 230 }, alerts: {} };
      const state = new FleetState(T0, false);
      assert.deepEqual(state.restore({ version: 1, devices: [entry], counters: { readings_accepted: 5 } }), { skipped: 0 });
      assert.deepEqual(state.get('hp1'), entry);
      assert.deepEqual(roundTrip(state.toJSON()).devices, [entry]);
    });

    it('skips a repeated device id instead of counting it twice', () => {
      const entry = { device_id: 'hp1', online: true, online_since: T0, last_seen: T0, reading: null, alerts: { current: { alert_type: 'current', level: 'warning', value: 1, threshold: 1, message: '', since: T0, timestamp: T0, source: 'threshold' } } };
      const state = new FleetState(T0, false);
      assert.deepEqual(state.restore({ version: 1, devices: [entry, { ...entry, online: false }], counters: {} }), { skipped: 1 });
      assert.equal(state.size, 1);
      assert.deepEqual(state.summary(), recount(state));
      assert.deepEqual(state.summary(), { total: 1, online: 1, offline: 0, alerting: 1, warning: 1, critical: 0 });
      state.reset('hp1');
      assert.deepEqual(state.summary(), { total: 0, online: 0, offline: 0, alerting: 0, warning: 0, critical: 0 });
    });

    it('keeps at most maxDevices restored devices and the last rejections only', () => {
      const devices = Array.from({ length: 5 }, (_, i) => ({ device_id: `hp${i}`, online: i % 2 === 0, online_since: T0, last_seen: T0, reading: null, alerts: {} }));
      const rejections = Array.from({ length: MAX_REJECTIONS + 5 }, (_, i) => ({ time: T0 + i, scope: 'payload', device_id: null, field: null, reason: `r${i}` }));
      const state = new FleetState(T0, false, 3);
      assert.deepEqual(state.restore({ version: 1, devices, counters: {}, rejections, readings_range: [T0, T0 + S] }), { skipped: 2 });
      assert.deepEqual([...state.all()].map((d) => d.device_id), ['hp0', 'hp1', 'hp2']);
      assert.deepEqual(state.summary(), { total: 3, online: 2, offline: 1, alerting: 0, warning: 0, critical: 0 });
      assert.equal(state.rejections().length, MAX_REJECTIONS);
      assert.equal(state.rejections()[0]?.reason, 'r5');
      assert.deepEqual(state.readingsRange(), [T0, T0 + S]);
    });
  });
});
