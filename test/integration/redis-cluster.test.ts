// The cluster's shared parts against Debian's redis-server: the lease (one holder, moves when its
// holder stops or dies), the fleet in Redis (concurrent reports on one device from two instances
// all land, once), and a Redis restart (reports held meanwhile arrive afterwards); the shared
// presence (one announcement per transition) and the tracker's run-time timeouts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Redis from 'ioredis';
import { FleetState } from '../../nodes/heatpump-fleet/fleet-state';
import { RedisFleet } from '../../nodes/heatpump-fleet/redis-fleet';
import { RedisLease } from '../../nodes/shared/lease';
import { AlertEngine, type ProcessResult } from '../../nodes/threshold-alert/engine';
import { DEFAULT_RULES } from '../../nodes/threshold-alert/rules';
import { SharedAlertStates } from '../../nodes/threshold-alert/shared-state';
import { SharedHash } from '../../nodes/shared/shared-hash';
import { SharedLimits } from '../../nodes/sms-gateway-bridge/shared-limits';
import type { PresenceTable } from '../../nodes/online-tracker/presence';
import { presenceKeys, SharedPresence } from '../../nodes/online-tracker/shared-presence';
import { SharedTimeouts } from '../../nodes/online-tracker/shared-timeouts';
import { closeRedis, openRedis } from '../../nodes/shared/redis-connection';
import { startRedis, type RunningRedis } from '../../scripts/lib/redis-server';
import { alert, reading } from '../fixtures/fleet-events';
import { eventually } from '../support/wait';
import { requireBinary } from '../support/system';

const T0 = 1_706_600_000_000;

describe('cluster parts on a real redis-server', function () {
  this.timeout(60_000);
  let redis: RunningRedis;
  let dataDir: string;
  const clients: Redis[] = [];
  let prefix = '';
  let round = 0;

  const connect = (): Redis => {
    const client = openRedis(redis.url);
    clients.push(client);
    return client;
  };

  before(async function () {
    const binary = requireBinary(this, 'redis-server', 'redis-server');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-redis-'));
    redis = await startRedis({ dataDir, binary });
  });

  beforeEach(() => {
    round += 1;
    prefix = `test${round}:`;
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) await closeRedis(client);
  });

  after(async () => {
    await redis?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  describe('RedisLease', function () {
    it('one of two contenders holds it; it moves at once when the holder stops', async () => {
      const changes: string[] = [];
      const a = new RedisLease(connect(), { key: `${prefix}lease`, holder: 'a', ttlMs: 3000, onChange: (held) => changes.push(`a ${held}`) });
      const b = new RedisLease(connect(), { key: `${prefix}lease`, holder: 'b', ttlMs: 3000, onChange: (held) => changes.push(`b ${held}`) });
      assert.equal(await a.tick(), true);
      assert.equal(await b.tick(), false);
      assert.equal(await a.tick(), true, 'the holder renews');
      assert.equal(await b.tick(), false, 'a renewed lease stays with its holder');
      await a.stop();
      assert.equal(await b.tick(), true, 'released: the other takes it without waiting for the expiry');
      assert.deepEqual(changes, ['a true', 'a false', 'b true']);
      await b.stop();
    });

    it('moves when its holder dies (stops renewing): after the lease time, not before', async () => {
      const key = `${prefix}lease`;
      const dead = new RedisLease(connect(), { key, holder: 'dead', ttlMs: 1500 });
      const taken = Date.now();
      assert.equal(await dead.tick(), true);
      const survivor = new RedisLease(connect(), { key, holder: 'survivor', ttlMs: 1500 });
      assert.equal(await survivor.tick(), false);
      const moved = await eventually(async () => ((await survivor.tick()) ? Date.now() : undefined), 10_000, 'the survivor to take the lease', 100);
      assert.ok(moved >= taken + 1400, `moved ${moved - taken} ms after it was taken, before its 1500 ms ran out`);
      assert.equal(dead.isHeld, false, 'the dead holder counts itself out once its lease ran out');
      assert.equal(await connect().get(key), 'survivor');
      await survivor.stop();
    });

    it('a holder does not renew a lease another took after it ran out', async () => {
      const key = `${prefix}lease`;
      const client = connect();
      const slow = new RedisLease(client, { key, holder: 'slow', ttlMs: 2000 });
      assert.equal(await slow.tick(), true);
      // its lease ran out in Redis and another took it
      await client.set(key, 'other', 'PX', 10_000);
      assert.equal(await slow.tick(), false);
      assert.equal(await client.get(key), 'other');
      await slow.stop();
      assert.equal(await client.get(key), 'other', 'stop() releases only its own lease');
    });
  });

  describe('RedisFleet', function () {
    it('two instances reporting on the same devices at once: every reading and alert lands once', async () => {
      const instanceA = new RedisFleet(connect(), prefix);
      const instanceB = new RedisFleet(connect(), prefix);
      const devices = ['hp-1', 'hp-2', 'hp-3'];
      for (let i = 0; i < 200; i += 1) {
        const fleet = i % 2 === 0 ? instanceA : instanceB;
        const deviceId = devices[i % devices.length] as string;
        const at = T0 + i * 1000;
        fleet.queue(deviceId, (state) => state.reading(reading(deviceId, at, { voltage: 200 + i }), [], at));
      }
      instanceA.queue('hp-1', (state) => state.alert(alert('hp-1', 'voltage_high', 'raised', 'warning', T0)));
      instanceB.queue('hp-1', (state) => state.alert(alert('hp-1', 'temp_high', 'raised', 'critical', T0 + 1)));
      await Promise.all([instanceA.flush(), instanceB.flush(), instanceA.flush(), instanceB.flush()]);
      const loaded = new FleetState(0, false);
      loaded.restore(await instanceA.load());
      assert.equal(loaded.counters.readings_accepted, 200);
      assert.equal(loaded.counters.alerts, 2);
      assert.deepEqual(Object.keys(loaded.get('hp-1')?.alerts ?? {}).sort(), ['temp_high', 'voltage_high'], 'neither alert overwrote the other');
      assert.deepEqual(loaded.summary(), { total: 3, online: 0, offline: 0, alerting: 1, warning: 1, critical: 1 });
      // the newest reading of each device wins, whichever instance sent it
      assert.equal(loaded.get('hp-3')?.reading?.voltage, 200 + 197);
      assert.equal(loaded.get('hp-1')?.reading?.voltage, 200 + 198);
      assert.deepEqual(loaded.readingsRange(), [T0, T0 + 199_000]);
    });

    it('announces each changed device on its channel; another instance adopts exactly that record', async () => {
      const subscriber = connect();
      const announced: string[] = [];
      subscriber.on('message', (_channel: string, id: string) => announced.push(id));
      const writer = new RedisFleet(connect(), prefix);
      await subscriber.subscribe(writer.keys.channel);
      writer.queue('hp-7', (state) => state.presence({ device_id: 'hp-7', event: 'device_online', reason: 'data', timestamp: T0, last_seen: T0 }));
      await writer.flush();
      await eventually(() => (announced.includes('hp-7') ? true : undefined), 5000, 'the announcement of hp-7');
      const reader = new FleetState(0, false);
      const [record] = await writer.fetch(['hp-7']);
      assert.equal(reader.adopt('hp-7', record), true);
      assert.equal(reader.get('hp-7')?.online, true);
      assert.equal(reader.summary().online, 1);
      assert.equal(reader.adopt('hp-7', { ...(record as object), online: false }), true);
      assert.deepEqual([reader.summary().online, reader.summary().offline], [0, 1], 'adopting keeps the summary counts right');
    });

    it('keeps reports while Redis restarts and writes them once it is back; the state survived the restart', async () => {
      const fleet = new RedisFleet(connect(), prefix);
      fleet.queue('hp-9', (state) => state.reading(reading('hp-9', T0), [], T0));
      await fleet.flush();
      await redis.stop();
      fleet.queue('hp-9', (state) => state.reading(reading('hp-9', T0 + 1000, { voltage: 240 }), [], T0 + 1000));
      const flushed = fleet.flush();
      await redis.restart();
      await flushed;
      assert.equal(fleet.pending, 0);
      const loaded = new FleetState(0, false);
      loaded.restore(await fleet.load());
      assert.equal(loaded.counters.readings_accepted, 2);
      assert.equal(loaded.get('hp-9')?.reading?.voltage, 240);
    });
  });

  describe('threshold-alert states shared by two instances (SharedAlertStates)', function () {
    const engineOf = () => new AlertEngine({ rules: DEFAULT_RULES, overrides: new Map(), cooldownSeconds: 300, faultAfterSeconds: 600 });
    const voltage = (deviceId: string, seconds: number, value: number) => ({ deviceId, timestamp: T0 + seconds * 1000, values: { voltage: value }, invalid: new Set<never>() });

    it('readings of 100 devices split over two instances at once: each transition is announced once, by one of them', async () => {
      const instances = [0, 1].map(() => ({ engine: engineOf(), states: new SharedAlertStates(connect(), `${prefix}alerts:n1:`), events: [] as string[] }));
      const devices = Array.from({ length: 100 }, (_, i) => `hp-${i}`);
      // per device: normal, warning, critical, critical again, back to normal; readings alternate between the instances
      const series: Array<[number, number]> = [[0, 230], [10, 247], [20, 252], [30, 253], [40, 230]];
      const runs: Array<Promise<void>> = [];
      for (const [seconds, value] of series) {
        for (const [index, deviceId] of devices.entries()) {
          const instance = instances[(index + seconds / 10) % 2] as (typeof instances)[number];
          runs.push(
            instance.states.update(instance.engine, deviceId, () => instance.engine.process(voltage(deviceId, seconds, value))).then((result: ProcessResult) => {
              for (const event of result.events) instance.events.push(`${event.device_id} ${event.alert_type} ${event.state} ${event.level}`);
            }),
          );
        }
        // a device's readings keep their order (an MQTT session delivers them in order); devices run concurrently
        await Promise.all(runs.splice(0));
      }
      const all = [...(instances[0]?.events ?? []), ...(instances[1]?.events ?? [])].sort();
      const expected = devices.flatMap((id) => [`${id} voltage_high cleared critical`, `${id} voltage_high escalated critical`, `${id} voltage_high raised warning`]).sort();
      assert.deepEqual(all, expected);
      assert.ok((instances[0]?.events.length ?? 0) > 0 && (instances[1]?.events.length ?? 0) > 0, 'both instances announced some');
    });

    it('the same reading evaluated by both instances at once is announced once', async () => {
      const [a, b] = [0, 1].map(() => ({ engine: engineOf(), states: new SharedAlertStates(connect(), `${prefix}alerts:n1:`) })) as [{ engine: AlertEngine; states: SharedAlertStates }, { engine: AlertEngine; states: SharedAlertStates }];
      const results = await Promise.all(
        [a, b, a, b].map((instance, i) => instance.states.update(instance.engine, 'hp-x', () => instance.engine.process(voltage('hp-x', i, 255)))),
      );
      assert.deepEqual(
        results.flatMap((result) => result.events.map((event) => event.state)),
        ['raised'],
      );
      await a.states.reset('hp-x');
      const afterReset = await b.states.update(b.engine, 'hp-x', () => b.engine.process(voltage('hp-x', 10, 255)));
      assert.deepEqual(afterReset.events.map((event) => event.state), ['raised'], 'a reset forgets the shared episode');
    });
  });

  describe('run-time rule overrides shared by two instances (SharedHash)', function () {
    it('the first instance brings its own along; a later one takes the shared ones, not its stale copy', async () => {
      const first = new SharedHash(connect(), `${prefix}alerts:n1:overrides`);
      const later = new SharedHash(connect(), `${prefix}alerts:n1:overrides`);
      assert.deepEqual(await first.all([['site1', { voltage_high: { warning: 240 } }]]), [['site1', { voltage_high: { warning: 240 } }]]);
      await first.set('site1', null);
      await first.set('site2', { current_high: { enabled: false } });
      assert.deepEqual(await later.all([['site1', { voltage_high: { warning: 240 } }]]), [['site2', { current_high: { enabled: false } }]]);
      assert.equal(await later.get('site1'), undefined);
    });

    it('announces each change with the device id', async () => {
      const shared = new SharedHash(connect(), `${prefix}alerts:n1:overrides`);
      const listener = connect();
      const heard: string[] = [];
      listener.on('message', (_channel: string, deviceId: string) => heard.push(deviceId));
      await listener.subscribe(shared.channel);
      await shared.set('site1', { voltage_high: { warning: 240 } });
      await shared.set('site1', null);
      await eventually(() => (heard.length === 2 ? true : undefined), 5000, 'two announcements');
      assert.deepEqual(heard, ['site1', 'site1']);
    });
  });

  describe('SMS limits shared by two instances (SharedLimits)', function () {
    const limits = { ratePerRecipient: 5, rateWindowMs: 3_600_000, dailyCap: 50, dedupWindowMs: 1_800_000 };

    it('40 alerts to one recipient from two instances at once (20 each): the rate limit lets 5 through in all, the rest are held once', async () => {
      const a = new SharedLimits(connect(), `${prefix}sms:b1:limits`, limits);
      const b = new SharedLimits(connect(), `${prefix}sms:b1:limits`, limits);
      // each instance decides one SMS after the other (as the bridge does), both at the same time
      const decide = async (limitsOf: SharedLimits, offset: number) => {
        const decisions: string[] = [];
        for (let i = 0; i < 20; i += 1) decisions.push((await limitsOf.admit('+491701234567', `alert ${offset + i}`, T0 + i, 'alert')).verdict.verdict);
        return decisions;
      };
      const verdicts = (await Promise.all([decide(a, 0), decide(b, 100)])).flat();
      const tally = (name: string) => verdicts.filter((verdict) => verdict === name).length;
      assert.deepEqual([tally('send'), tally('held')], [5, 35]);
      // an hour later one instance takes the summary of the 35; the other finds none
      const later = T0 + 3_600_000 + 1000;
      const [first, second] = await Promise.all([a.dueSummaries(later), b.dueSummaries(later)]);
      assert.deepEqual(
        [...first.due, ...second.due].map((held) => [held.to, held.count]),
        [['+491701234567', 35]],
      );
    });

    it('the same alert text sent by both instances goes out once (de-duplication across instances)', async () => {
      const a = new SharedLimits(connect(), `${prefix}sms:b1:limits`, limits);
      const b = new SharedLimits(connect(), `${prefix}sms:b1:limits`, limits);
      const [one, other] = await Promise.all([a.admit('+491701234567', 'hp-1 offline', T0, 'alert'), b.admit('+491701234567', 'hp-1 offline', T0 + 5, 'alert')]);
      assert.deepEqual([one.verdict.verdict, other.verdict.verdict].sort(), ['duplicate', 'send']);
    });
  });

  describe('online-tracker presence shared by two instances (SharedPresence)', function () {
    const seen = (id: string, at: number) => (table: PresenceTable) => table.seen(id, at);

    it('one device heard by both at once: one online event in all; only new devices and transitions are announced', async () => {
      const a = new SharedPresence(connect(), connect(), prefix);
      const b = new SharedPresence(connect(), connect(), prefix);
      await Promise.all([a.start([]), b.start([])]);
      const announced: string[] = [];
      const listener = connect();
      listener.on('message', (_channel: string, id: string) => announced.push(id));
      await listener.subscribe(a.keys.channel);
      const changes = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).update('hp-1', 600_000, seen('hp-1', T0 + i))));
      assert.deepEqual(
        changes.flatMap((change) => (change.event ? [change.event.event] : [])),
        ['device_online'],
      );
      const silent = await a.update('hp-1', 600_000, (table) => table.expired(T0 + 600_019)[0]);
      assert.equal(silent.event, undefined, 'heard at T0 + 19 ms: not silent for longer than 600 s yet');
      const offline = await b.update('hp-1', 600_000, (table) => table.expired(T0 + 600_020)[0]);
      assert.equal(offline.event?.event, 'device_offline');
      assert.equal(offline.event?.last_seen, T0 + 19, 'last seen is the latest message, whichever instance took it');
      const again = await a.update('hp-1', 600_000, (table) => table.expired(T0 + 700_000)[0]);
      assert.equal(again.event, undefined, 'an offline device is not taken offline twice');
      await eventually(() => (announced.length >= 2 ? true : undefined), 5000, 'the announcements');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(announced, ['hp-1', 'hp-1'], 'online and offline, not the 19 plain updates');
      // an instance that starts later loads the device as stored
      const later = new SharedPresence(connect(), connect(), prefix);
      await later.start([]);
      const { devices } = await later.sync(() => undefined);
      assert.deepEqual(devices, [['hp-1', 0, T0 + 19, T0 + 600_020, T0 + 19]]);
    });
  });

  describe('online-tracker run-time timeouts shared by two instances (SharedTimeouts)', function () {
    it('the first brings its own along, a later one takes the shared ones; a change or clear on one reaches the other', async () => {
      const key = presenceKeys(prefix).timeouts('n1');
      const first = new SharedTimeouts(connect(), connect(), key);
      const later = new SharedTimeouts(connect(), connect(), key);
      await Promise.all([first.start(), later.start()]);
      assert.deepEqual(await first.sync(new Map([['site1', 1800]]), false), { changes: [], bad: [] }, 'the first keeps its own');
      assert.deepEqual(await later.sync(new Map([['site2', 60]]), false), { changes: [['site1', 1800], ['site2', null]], bad: [] }, 'a later one takes the shared ones, not its stale copy');
      assert.deepEqual(await connect().hgetall(key), { site1: '1800' });

      await first.share([['site3', 0.5], ['site1', null]], true);
      const later1 = new Map([['site1', 1800]]);
      const seen = await eventually(async () => {
        const { changes } = await later.sync(later1, false);
        for (const [id, seconds] of changes) {
          if (seconds === null) later1.delete(id);
          else later1.set(id, seconds);
        }
        return later1.has('site3') && !later1.has('site1') ? [...later1] : undefined;
      }, 5000, 'the change announced to the other');
      assert.deepEqual(seen, [['site3', 0.5]]);
      assert.deepEqual(await connect().hgetall(key), { site3: '0.5' });
    });
  });
});
