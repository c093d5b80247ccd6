import assert from 'node:assert/strict';
import type { PresenceEvent } from '../../nodes/shared/contract';
import {
  classifyInput,
  DEFAULT_CHECK_INTERVAL_MS,
  parseDeviceTimeouts,
  resolveCheckInterval,
  resolveTimeoutSeconds,
  type InputMessage,
} from '../../nodes/online-tracker/input';
import { PresenceTable, type DeviceStatus, type PersistedDevice } from '../../nodes/online-tracker/presence';

const S = 1000;
const T0 = 1_706_600_000_000;

type Step =
  | { at: number; seen: string; timeout?: number }
  | { at: number; status: DeviceStatus; id: string; retained?: boolean }
  | { at: number; tick: true };

/** Runs steps against a fresh table and returns every transition as "event id reason @s". */
function run(steps: Step[], timeoutMs = 600 * S, deviceTimeouts: Array<[string, number]> = []): string[] {
  const table = new PresenceTable(timeoutMs, deviceTimeouts);
  const log: string[] = [];
  const record = (e: PresenceEvent | undefined) => {
    if (e) log.push(`${e.event} ${e.device_id} ${e.reason} @${(e.timestamp - T0) / S}`);
  };
  for (const step of steps) {
    const now = T0 + step.at * S;
    if ('seen' in step) record(table.seen(step.seen, now, step.timeout));
    else if ('status' in step) record(table.statusMessage(step.id, step.status, now, step.retained));
    else table.expired(now).forEach(record);
  }
  return log;
}

describe('online-tracker PresenceTable', () => {
  const cases: Array<{ name: string; steps: Step[]; timeoutMs?: number; deviceTimeouts?: Array<[string, number]>; expect: string[] }> = [
    { name: 'first seen -> online', steps: [{ at: 0, seen: 'site1' }], expect: ['device_online site1 data @0'] },
    {
      name: 'further data while online -> no transition',
      steps: [{ at: 0, seen: 'site1' }, { at: 100, seen: 'site1' }, { at: 200, tick: true }],
      expect: ['device_online site1 data @0'],
    },
    {
      name: 'silent exactly the timeout -> still online (offline is strictly longer)',
      steps: [{ at: 0, seen: 'site1' }, { at: 600, tick: true }],
      expect: ['device_online site1 data @0'],
    },
    {
      name: 'silent 1 ms longer than the timeout -> offline by timeout',
      steps: [{ at: 0, seen: 'site1' }, { at: 600.001, tick: true }, { at: 700, tick: true }],
      expect: ['device_online site1 data @0', 'device_offline site1 timeout @600.001'],
    },
    {
      name: 'data restarts the silence clock',
      steps: [{ at: 0, seen: 'site1' }, { at: 500, seen: 'site1' }, { at: 1000, tick: true }, { at: 1100.5, tick: true }],
      expect: ['device_online site1 data @0', 'device_offline site1 timeout @1100.5'],
    },
    {
      name: 'last will offline -> offline at once, no later timeout event',
      steps: [{ at: 0, seen: 'site1' }, { at: 10, status: 'offline', id: 'site1' }, { at: 2000, tick: true }],
      expect: ['device_online site1 data @0', 'device_offline site1 status @10'],
    },
    {
      name: 'data after offline -> online again',
      steps: [
        { at: 0, seen: 'site1' },
        { at: 10, status: 'offline', id: 'site1' },
        { at: 20, seen: 'site1' },
        { at: 30, seen: 'site1' },
      ],
      expect: ['device_online site1 data @0', 'device_offline site1 status @10', 'device_online site1 data @20'],
    },
    {
      name: 'data after a timeout -> online again',
      steps: [{ at: 0, seen: 'site1' }, { at: 601, tick: true }, { at: 700, seen: 'site1' }],
      expect: ['device_online site1 data @0', 'device_offline site1 timeout @601', 'device_online site1 data @700'],
    },
    {
      name: 'retained offline for an unknown device -> known offline, nothing announced',
      steps: [{ at: 0, status: 'offline', id: 'site1', retained: true }, { at: 5000, tick: true }],
      expect: [],
    },
    {
      name: 'repeated offline -> one transition',
      steps: [{ at: 0, seen: 'site1' }, { at: 1, status: 'offline', id: 'site1' }, { at: 2, status: 'offline', id: 'site1' }],
      expect: ['device_online site1 data @0', 'device_offline site1 status @1'],
    },
    {
      name: 'retained online with no data following -> online, then offline one timeout later',
      steps: [{ at: 0, status: 'online', id: 'site1', retained: true }, { at: 600, tick: true }, { at: 601, tick: true }],
      expect: ['device_online site1 status @0', 'device_offline site1 timeout @601'],
    },
    {
      name: 'status online while online -> no transition, clock restarted',
      steps: [{ at: 0, seen: 'site1' }, { at: 500, status: 'online', id: 'site1' }, { at: 700, tick: true }, { at: 1101, tick: true }],
      expect: ['device_online site1 data @0', 'device_offline site1 timeout @1101'],
    },
    {
      name: 'per-device timeout from the constructor',
      deviceTimeouts: [['slow', 1800 * S]],
      steps: [{ at: 0, seen: 'slow' }, { at: 0, seen: 'fast' }, { at: 601, tick: true }, { at: 1800, tick: true }, { at: 1801, tick: true }],
      expect: ['device_online slow data @0', 'device_online fast data @0', 'device_offline fast timeout @601', 'device_offline slow timeout @1801'],
    },
    {
      name: 'per-device timeout given to seen() sticks',
      steps: [{ at: 0, seen: 'a', timeout: 10 * S }, { at: 5, seen: 'a' }, { at: 15, tick: true }, { at: 15.5, tick: true }],
      expect: ['device_online a data @0', 'device_offline a timeout @15.5'],
    },
    {
      name: 'several devices expire in one tick, in deadline order',
      steps: [{ at: 0, seen: 'b' }, { at: 1, seen: 'a' }, { at: 2, seen: 'c' }, { at: 3, seen: 'b' }, { at: 1000, tick: true }],
      expect: [
        'device_online b data @0',
        'device_online a data @1',
        'device_online c data @2',
        'device_offline a timeout @1000',
        'device_offline c timeout @1000',
        'device_offline b timeout @1000',
      ],
    },
    {
      name: 'a clock stepping backwards never expires a device early',
      timeoutMs: 100 * S,
      steps: [{ at: 50, seen: 'a' }, { at: 10, seen: 'b' }, { at: 111, tick: true }, { at: 151, tick: true }],
      expect: ['device_online a data @50', 'device_online b data @10', 'device_offline b timeout @111', 'device_offline a timeout @151'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(run(c.steps, c.timeoutMs, c.deviceTimeouts), c.expect));
  }

  it('never flaps a device reporting every 300 s with the 600 s default over 48 simulated hours', () => {
    const table = new PresenceTable(600 * S);
    const events: PresenceEvent[] = [];
    const push = (e: PresenceEvent | undefined) => e && events.push(e);
    // Reports every 300 s with up to 20 s of jitter, checked every second like the node does.
    let nextReport = T0;
    let report = 0;
    for (let now = T0; now <= T0 + 48 * 3600 * S; now += S) {
      if (now >= nextReport) {
        push(table.seen('site1', now));
        report++;
        nextReport = T0 + report * 300 * S + ((report * 7919) % 21) * S;
      }
      table.expired(now).forEach(push);
    }
    assert.deepEqual(
      events.map((e) => e.event),
      ['device_online'],
    );
  });

  it('a device that misses one report (600 s gap) stays online; two missed -> offline', () => {
    const table = new PresenceTable(600 * S);
    table.seen('site1', T0);
    assert.deepEqual(table.expired(T0 + 600 * S), []);
    table.seen('site1', T0 + 600 * S);
    assert.deepEqual(
      table.expired(T0 + 1500 * S).map((e) => e.event),
      ['device_offline'],
    );
  });

  it('changing a per-device timeout moves the deadline of an online device at once', () => {
    const table = new PresenceTable(600 * S);
    table.seen('site1', T0);
    table.setDeviceTimeout('site1', 60 * S);
    assert.equal(table.timeoutFor('site1'), 60 * S);
    assert.deepEqual(
      table.expired(T0 + 61 * S).map((e) => e.device_id),
      ['site1'],
    );
    table.seen('site1', T0 + 100 * S);
    table.setDeviceTimeout('site1', undefined);
    assert.equal(table.timeoutFor('site1'), 600 * S);
    assert.deepEqual(table.expired(T0 + 200 * S), []);
  });

  it('expired(now, limit) hands out a mass expiry in chunks: each device once, in deadline order, across queues', () => {
    const table = new PresenceTable(10 * S, [['slow1', 20 * S], ['slow2', 20 * S]]);
    const ids = Array.from({ length: 7 }, (_, i) => `d${i}`);
    ids.forEach((id, i) => table.seen(id, T0 + i));
    table.seen('slow1', T0);
    table.seen('slow2', T0);
    const late = T0 + 60 * S;
    const chunks: string[][] = [];
    for (let chunk = table.expired(late, 3); ; chunk = table.expired(late, 3)) {
      chunks.push(chunk.map((e) => e.device_id));
      if (chunk.length < 3) break;
    }
    assert.deepEqual(chunks, [['d0', 'd1', 'd2'], ['d3', 'd4', 'd5'], ['d6', 'slow1', 'slow2'], []]);
    assert.equal(table.onlineCount, 0);
  });

  it('a device heard between two chunks of the same check stays online', () => {
    const table = new PresenceTable(10 * S);
    ['a', 'b', 'c'].forEach((id) => table.seen(id, T0));
    const late = T0 + 11 * S;
    assert.deepEqual(table.expired(late, 1).map((e) => e.device_id), ['a']);
    table.seen('c', late);
    assert.deepEqual(table.expired(late, 1).map((e) => e.device_id), ['b']);
    assert.deepEqual(table.expired(late, 1), []);
    assert.equal(table.onlineCount, 1);
  });

  it('last_seen is the last message from the device, since the last change, everywhere', () => {
    const table = new PresenceTable(10 * S);
    table.seen('site1', T0);
    table.seen('site1', T0 + 5 * S);
    const [offline] = table.expired(T0 + 16 * S);
    assert.equal(offline?.last_seen, T0 + 5 * S, 'event: the last reading, not the time it went offline');
    assert.deepEqual(table.summary(T0 + 17 * S).devices[0], { device_id: 'site1', online: false, last_seen: T0 + 5 * S, since: T0 + 16 * S });
    // A retained online (from the broker) brings it online without being a sign of life.
    const online = table.statusMessage('site1', 'online', T0 + 20 * S, true);
    assert.equal(online?.last_seen, T0 + 5 * S);
    assert.deepEqual(table.summary(T0 + 21 * S).devices[0], { device_id: 'site1', online: true, last_seen: T0 + 5 * S, since: T0 + 20 * S });
    // The last will comes from the broker too.
    const gone = table.statusMessage('site1', 'offline', T0 + 25 * S);
    assert.equal(gone?.last_seen, T0 + 5 * S);
    assert.deepEqual(table.summary(T0 + 26 * S).devices[0], { device_id: 'site1', online: false, last_seen: T0 + 5 * S, since: T0 + 25 * S });
  });

  it('rejects timeouts that are not positive finite numbers', () => {
    for (const bad of [0, -1, NaN, Infinity]) {
      assert.throws(() => new PresenceTable(bad), RangeError);
      assert.throws(() => new PresenceTable(1000).setDeviceTimeout('a', bad), RangeError);
    }
  });

  it('events carry last_seen, and a retained online does not fake it', () => {
    const table = new PresenceTable(600 * S);
    assert.deepEqual(table.statusMessage('site1', 'online', T0, true), {
      event: 'device_online',
      device_id: 'site1',
      last_seen: null,
      reason: 'status',
      timestamp: T0,
    });
    table.seen('site1', T0 + 10 * S);
    table.statusMessage('site1', 'online', T0 + 20 * S, true);
    assert.deepEqual(table.statusMessage('site1', 'offline', T0 + 30 * S), {
      event: 'device_offline',
      device_id: 'site1',
      last_seen: T0 + 10 * S,
      reason: 'status',
      timestamp: T0 + 30 * S,
    });
    table.statusMessage('site1', 'online', T0 + 40 * S);
    assert.equal(table.summary(T0 + 40 * S).devices[0]?.last_seen, T0 + 40 * S, 'a live online is a sign of life');
  });

  it('summary counts online and offline devices, sorted by id, with since', () => {
    const table = new PresenceTable(600 * S);
    table.seen('site2', T0);
    table.seen('site1', T0 + S);
    table.seen('site3', T0 + 2 * S);
    table.statusMessage('site3', 'offline', T0 + 3 * S);
    table.statusMessage('site4', 'offline', T0 + 4 * S, true);
    assert.deepEqual(table.summary(T0 + 5 * S), {
      devices: [
        { device_id: 'site1', online: true, last_seen: T0 + S, since: T0 + S },
        { device_id: 'site2', online: true, last_seen: T0, since: T0 },
        { device_id: 'site3', online: false, last_seen: T0 + 2 * S, since: T0 + 3 * S },
        { device_id: 'site4', online: false, last_seen: null, since: T0 + 4 * S },
      ],
      total: 4,
      online: 2,
      offline: 2,
      timestamp: T0 + 5 * S,
    });
    assert.equal(table.onlineCount, 2);
    assert.equal(table.size, 4);
  });

  it('revision grows on new devices and transitions, not on plain data', () => {
    const table = new PresenceTable(600 * S);
    const r0 = table.revision;
    table.seen('a', T0);
    const r1 = table.revision;
    table.seen('a', T0 + S);
    assert.ok(r1 > r0);
    assert.equal(table.revision, r1);
    table.statusMessage('b', 'offline', T0 + S);
    assert.ok(table.revision > r1);
  });

  it('persistence round-trip keeps states and silence clocks, announces nothing', () => {
    const table = new PresenceTable(600 * S);
    table.seen('site1', T0);
    table.seen('site2', T0 + 100 * S);
    table.seen('site3', T0 + 50 * S);
    table.statusMessage('site3', 'offline', T0 + 60 * S);
    table.statusMessage('site4', 'online', T0 + 70 * S, true);
    const saved: unknown = JSON.parse(JSON.stringify(table));
    const restored = PresenceTable.fromJSON(saved, 600 * S);
    assert.ok(restored.ok);
    const copy = restored.value.table;
    assert.equal(restored.value.skipped, 0);
    assert.deepEqual(copy.summary(T0 + 200 * S), table.summary(T0 + 200 * S));
    assert.equal(copy.seen('site1', T0 + 200 * S), undefined, 'an online device is not announced again');
    assert.deepEqual(
      copy.expired(T0 + 671 * S).map((e) => e.device_id),
      ['site4'],
    );
    assert.deepEqual(
      copy.expired(T0 + 701 * S).map((e) => e.device_id),
      ['site2'],
    );
  });

  it('fromJSON applies per-device timeouts and skips malformed entries', () => {
    const state = {
      version: 1,
      devices: [
        ['ok1', 1, T0, T0, T0],
        ['bad id', 1, T0, T0, T0],
        ['ok2', 2, T0, T0, T0],
        ['ok3', 0, 'yesterday', T0, T0],
        ['ok1', 0, T0, T0, T0],
        'garbage',
      ],
    };
    const restored = PresenceTable.fromJSON(state, 600 * S, [['ok1', 10 * S]]);
    assert.ok(restored.ok);
    assert.equal(restored.value.skipped, 5);
    assert.deepEqual(
      restored.value.table.expired(T0 + 11 * S).map((e) => e.device_id),
      ['ok1'],
    );
  });

  for (const bad of [undefined, null, 'x', { version: 2, devices: [] }, { version: 1 }]) {
    it(`fromJSON rejects ${JSON.stringify(bad)}`, () => assert.equal(PresenceTable.fromJSON(bad, 600 * S).ok, false));
  }

  it('last_seen and the silence clock never move back when a message of a device is handled after a later one', () => {
    const table = new PresenceTable(600 * S);
    table.seen('site1', T0 + 10 * S);
    table.seen('site1', T0 + 5 * S);
    table.statusMessage('site1', 'online', T0 + 7 * S);
    assert.deepEqual(table.entry('site1'), ['site1', 1, T0 + 10 * S, T0 + 10 * S, T0 + 10 * S]);
    assert.deepEqual(table.expired(T0 + 610 * S), [], 'silent for 600 s since the latest message, not longer');
  });

  it('overdue() names the devices expired() would take, in the same order, and changes nothing', () => {
    const table = new PresenceTable(100 * S, [['slow', 300 * S]]);
    for (const [id, at] of [['b', 0], ['a', 1], ['slow', 0], ['c', 50]] as const) table.seen(id, T0 + at * S);
    const revision = table.revision;
    assert.deepEqual(table.overdue(T0 + 102 * S), ['b', 'a']);
    assert.deepEqual(table.overdue(T0 + 400 * S, 3), ['b', 'a', 'c']);
    assert.equal(table.revision, revision);
    assert.equal(table.onlineCount, 4);
    assert.deepEqual(table.expired(T0 + 400 * S).map((e) => e.device_id), ['b', 'a', 'c', 'slow']);
    assert.deepEqual(table.overdue(T0 + 400 * S), []);
  });

  const adoptCases: Array<{ name: string; before: Array<[string, number]>; adopt: PersistedDevice; summary: unknown; overdueAt: number; overdue: string[]; newRevision: boolean }> = [
    {
      name: 'an unknown device comes in online, announced by nobody here, with its silence clock',
      before: [],
      adopt: ['site1', 1, T0 + 5 * S, T0, T0 + 5 * S],
      summary: { device_id: 'site1', online: true, last_seen: T0 + 5 * S, since: T0 },
      overdueAt: T0 + 106 * S,
      overdue: ['site1'],
      newRevision: true,
    },
    {
      name: 'an online device another instance took offline',
      before: [['site1', 0]],
      adopt: ['site1', 0, T0, T0 + 200 * S, T0],
      summary: { device_id: 'site1', online: false, last_seen: T0, since: T0 + 200 * S },
      overdueAt: T0 + 1000 * S,
      overdue: [],
      newRevision: true,
    },
    {
      name: 'an online device another instance heard later: only its clock moves',
      before: [['site1', 0]],
      adopt: ['site1', 1, T0 + 90 * S, T0, T0 + 90 * S],
      summary: { device_id: 'site1', online: true, last_seen: T0 + 90 * S, since: T0 },
      overdueAt: T0 + 150 * S,
      overdue: [],
      newRevision: false,
    },
  ];
  for (const c of adoptCases) {
    it(`adopt: ${c.name}`, () => {
      const table = new PresenceTable(100 * S);
      for (const [id, at] of c.before) table.seen(id, T0 + at * S);
      const revision = table.revision;
      table.adopt(c.adopt);
      assert.deepEqual(table.summary(T0).devices, [c.summary]);
      assert.equal(table.onlineCount, c.adopt[1]);
      assert.deepEqual(table.overdue(c.overdueAt), c.overdue);
      assert.equal(table.revision > revision, c.newRevision);
    });
  }
});

describe('online-tracker input', () => {
  const cases: Array<{ name: string; msg: InputMessage; expect: unknown }> = [
    { name: 'decoded reading: topic = id', msg: { topic: 'site1', payload: { device_id: 'site1', timestamp: 1 } }, expect: { kind: 'data', deviceId: 'site1' } },
    { name: 'raw data topic', msg: { topic: 'heatpump/site1/data', payload: '{"device":"site1"}' }, expect: { kind: 'data', deviceId: 'site1' } },
    { name: 'raw alerts topic', msg: { topic: 'heatpump/site1/alerts', payload: {} }, expect: { kind: 'data', deviceId: 'site1' } },
    { name: 'payload device_id only', msg: { payload: { device_id: 'site9' } }, expect: { kind: 'data', deviceId: 'site9' } },
    // what modbus-poll (and every polled source) sends: a MetricsReading without a topic, and
    // {topic: id, payload: 'offline' | 'online'} when a unit stops or starts answering
    {
      name: 'metrics reading, no topic',
      msg: { payload: { device_id: 'nibe1', timestamp: 1, metrics: { flow_temperature: 35 }, info: { source: 'modbus' } } },
      expect: { kind: 'data', deviceId: 'nibe1' },
    },
    { name: 'metrics reading, topic = id', msg: { topic: 'nibe1', payload: { device_id: 'nibe1', timestamp: 1, metrics: {} } }, expect: { kind: 'data', deviceId: 'nibe1' } },
    { name: 'a polled unit stops answering', msg: { topic: 'nibe1', payload: 'offline' }, expect: { kind: 'status', deviceId: 'nibe1', status: 'offline', retained: false } },
    { name: 'a polled unit answers again', msg: { topic: 'nibe1', payload: 'online' }, expect: { kind: 'status', deviceId: 'nibe1', status: 'online', retained: false } },
    {
      name: 'status topic, string',
      msg: { topic: 'heatpump/site1/status/online', payload: 'offline' },
      expect: { kind: 'status', deviceId: 'site1', status: 'offline', retained: false },
    },
    {
      name: 'status topic, retained Buffer',
      msg: { topic: 'heatpump/site1/status/online', payload: Buffer.from('online\n'), retain: true },
      expect: { kind: 'status', deviceId: 'site1', status: 'online', retained: true },
    },
    { name: 'device id topic with payload offline', msg: { topic: 'site1', payload: 'offline' }, expect: { kind: 'status', deviceId: 'site1', status: 'offline', retained: false } },
    { name: 'server command topic ignored', msg: { topic: 'heatpump/site1/cmd', payload: '{"cmd":"STATUS"}' }, expect: { kind: 'ignored', deviceId: 'site1' } },
    { name: 'summary request', msg: { summary: true }, expect: { kind: 'control', timeouts: undefined, summary: true } },
    { name: 'summary request with any topic', msg: { topic: 'site1', summary: true }, expect: { kind: 'control', timeouts: undefined, summary: true } },
    {
      name: 'timeouts control',
      msg: { timeouts: { site1: 1800, site2: null } },
      expect: { kind: 'control', timeouts: new Map<string, number | null>([['site1', 1800], ['site2', null]]), summary: false },
    },
    {
      name: 'timeouts control as JSON text, with a summary request',
      msg: { topic: 'anything', payload: { device_id: 'x' }, timeouts: '{"site1": 60}', summary: true },
      expect: { kind: 'control', timeouts: new Map<string, number | null>([['site1', 60]]), summary: true },
    },
    // No reserved topics: these were requests once, now they are devices like any other.
    { name: 'a device named "fleet"', msg: { topic: 'fleet', payload: { device_id: 'fleet', timestamp: 1 } }, expect: { kind: 'data', deviceId: 'fleet' } },
    { name: 'a device named "timeouts"', msg: { topic: 'timeouts', payload: 'offline' }, expect: { kind: 'status', deviceId: 'timeouts', status: 'offline', retained: false } },
    { name: 'topic "fleet" without payload is a sign of life of device fleet', msg: { topic: 'fleet' }, expect: { kind: 'data', deviceId: 'fleet' } },
    { name: 'summary other than true is no request', msg: { topic: 'site1', summary: 'yes' }, expect: { kind: 'data', deviceId: 'site1' } },
    {
      name: 'an array of decoded readings of the topic device',
      msg: { topic: 'site1', payload: [{ device_id: 'site1', timestamp: 1 }, { device_id: 'site1', timestamp: 2 }] },
      expect: { kind: 'data', deviceId: 'site1' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(classifyInput(c.msg), { ok: true, value: c.expect }));
  }

  const bad: Array<{ name: string; msg: InputMessage; key: string }> = [
    { name: 'no topic, no device_id', msg: { payload: 42 }, key: 'no-device' },
    { name: 'empty message', msg: {}, key: 'no-device' },
    { name: 'unsafe id in topic', msg: { topic: 'site 1', payload: {} }, key: 'bad-device' },
    { name: 'unsafe id in payload', msg: { payload: { device_id: 'a+b' } }, key: 'bad-device' },
    { name: 'non-string device_id', msg: { payload: { device_id: 7 } }, key: 'bad-device' },
    { name: 'payload claims another device', msg: { topic: 'heatpump/site1/data', payload: { device: 'site2' } }, key: 'id-mismatch' },
    { name: 'decoded reading claims another device', msg: { topic: 'site1', payload: { device_id: 'site2' } }, key: 'id-mismatch' },
    { name: 'an element of an array of readings claims another device', msg: { topic: 'site1', payload: [{ device_id: 'site1' }, { device_id: 'site2' }] }, key: 'id-mismatch' },
    { name: 'status payload neither online nor offline', msg: { topic: 'heatpump/site1/status/online', payload: 'maybe' }, key: 'bad-status' },
    { name: 'status payload object', msg: { topic: 'heatpump/site1/status/online', payload: { online: true } }, key: 'bad-status' },
    { name: 'timeouts control with a bad value', msg: { timeouts: { site1: -5 } }, key: 'bad-timeouts' },
    { name: 'timeouts control not an object', msg: { timeouts: 1800 }, key: 'bad-timeouts' },
    { name: 'timeouts control with an unsafe device id', msg: { timeouts: { 'a/b': 10 } }, key: 'bad-timeouts' },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => {
      const result = classifyInput(c.msg);
      assert.equal(result.ok, false);
      if (!result.ok) assert.equal(result.error.key, c.key);
    });
  }
});

describe('online-tracker configuration', () => {
  const timeouts: Array<[unknown, unknown, unknown]> = [
    ['', undefined, { seconds: 600, source: 'default' }],
    [undefined, '', { seconds: 600, source: 'default' }],
    ['', '120', { seconds: 120, source: 'env' }],
    [' ', ' 90 ', { seconds: 90, source: 'env' }],
    ['30', '120', { seconds: 30, source: 'node' }],
    ['0.3', undefined, { seconds: 0.3, source: 'node' }],
    [45, undefined, { seconds: 45, source: 'node' }],
  ];
  for (const [node, env, expect] of timeouts) {
    it(`timeout node=${JSON.stringify(node)} env=${JSON.stringify(env)}`, () => assert.deepEqual(resolveTimeoutSeconds(node, env), { ok: true, value: expect }));
  }
  for (const [node, env, key] of [
    ['abc', undefined, 'bad-timeout'],
    ['-5', '120', 'bad-timeout'],
    ['0', undefined, 'bad-timeout'],
    ['', 'ten', 'bad-env-timeout'],
    ['', '0', 'bad-env-timeout'],
  ] as const) {
    it(`rejects timeout node=${JSON.stringify(node)} env=${JSON.stringify(env)}`, () => {
      const result = resolveTimeoutSeconds(node, env);
      assert.equal(result.ok, false);
      if (!result.ok) assert.equal(result.error.key, key);
    });
  }

  it('per-device timeouts from the editor JSON', () => {
    assert.deepEqual(parseDeviceTimeouts('{"site1": 1800, "site2": 0.5}', false), {
      ok: true,
      value: new Map([['site1', 1800], ['site2', 0.5]]),
    });
    assert.deepEqual(parseDeviceTimeouts('  ', false), { ok: true, value: new Map() });
  });
  for (const bad of ['{', '[1]', '{"site1": "1800"}', '{"site1": null}', '{"a/b": 10}', '{"site1": 0}', 'null']) {
    it(`rejects per-device timeouts ${bad}`, () => assert.equal(parseDeviceTimeouts(bad, false).ok, false));
  }

  it('check interval: a usable number or the 1000 ms default', () => {
    assert.equal(resolveCheckInterval(50), 50);
    assert.equal(resolveCheckInterval(undefined), DEFAULT_CHECK_INTERVAL_MS);
    assert.equal(resolveCheckInterval('50'), DEFAULT_CHECK_INTERVAL_MS);
    assert.equal(resolveCheckInterval(0), DEFAULT_CHECK_INTERVAL_MS);
  });
});
