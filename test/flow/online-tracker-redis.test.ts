// online-tracker with REDIS_URL set: two tracker nodes, each reporting to its own heatpump-fleet
// node, stand for two Node-RED instances on one Redis that each get part of the device stream
// (MQTT shared subscriptions). Every transition is announced by one of them, once; the offline
// sweep runs where the lease is; both show the whole fleet; a Redis restart stops neither. The
// timeouts set at run time are shared by the instances of one tracker node (the same node id).
import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import type { FleetSummary, PresenceEvent } from '../../nodes/shared/contract';
import type { FleetLink } from '../../nodes/shared/fleet-link';
import { closeRedis, openRedis } from '../../nodes/shared/redis-connection';
import { presenceKeys } from '../../nodes/online-tracker/shared-presence';
import { SharedTimeouts } from '../../nodes/online-tracker/shared-timeouts';
import { flowSuiteHooks, helper, nodeById, sleep, withCatalog, type NodeInit } from '../support/flow-helper';
import { nodeModule } from '../support/node-red';
import { redisPerTest } from '../support/redis-suite';
import { eventually } from '../support/wait';

const trackerModule = withCatalog(nodeModule('online-tracker') as NodeInit, 'online-tracker');
const fleetModule = withCatalog(nodeModule('heatpump-fleet') as NodeInit, 'heatpump-fleet');
const ENV = ['REDIS_URL', 'HEATPUMP_REDIS_PREFIX', 'HEATPUMP_INSTANCE_ID'] as const;
const CHECK_INTERVAL_MS = 100;
const WARN = 30;
const DEVICES = Array.from({ length: 100 }, (_, i) => `hp${String(i).padStart(3, '0')}`);
/** Long enough to see that nothing more comes: several check intervals and Redis round trips. */
const SETTLE_MS = 500;

type Side = 1 | 2;

/** Tracker n1 reports to fleet A, n2 to fleet B; each fleet node has its own Redis connections, as a replica has. */
function twoInstances(timeout: string): Array<Record<string, unknown>> {
  const at = { z: 'tab', x: 100, y: 100 };
  const side = (n: Side) => [
    { id: `n${n}`, ...at, type: 'online-tracker', name: '', timeout, store: '', fleet: n === 1 ? 'fleetA' : 'fleetB', wires: [[`events${n}`], [`summary${n}`]] },
    { id: `events${n}`, ...at, type: 'helper', wires: [] },
    { id: `summary${n}`, ...at, type: 'helper', wires: [] },
  ];
  return [
    { id: 'tab', type: 'tab', label: 'presence' },
    { id: 'fleetA', type: 'heatpump-fleet', name: '', store: '' },
    { id: 'fleetB', type: 'heatpump-fleet', name: '', store: '' },
    ...side(1),
    ...side(2),
  ];
}

/** What one instance sends on its outputs, reports to its fleet node and shows as status. */
class Instance {
  readonly events: PresenceEvent[] = [];
  readonly fleetReports: PresenceEvent[] = [];
  summary: FleetSummary | undefined;
  status = '';

  constructor(readonly side: Side) {
    nodeById(`events${side}`).on('input', (msg: NodeMessage) => this.events.push(msg.payload as PresenceEvent));
    nodeById(`summary${side}`).on('input', (msg: NodeMessage) => (this.summary = msg.payload as FleetSummary));
    nodeById(`n${side}`).on('call:status', (call: { args: Array<{ text?: string }> }) => (this.status = call.args[0]?.text ?? ''));
    const fleet = this.fleet;
    const report = fleet.presence.bind(fleet);
    Object.assign(fleet, {
      presence: (event: PresenceEvent) => {
        this.fleetReports.push(event);
        report(event);
      },
    });
  }

  get fleet(): FleetLink {
    const fleet = (nodeById(this.side === 1 ? 'fleetA' : 'fleetB') as unknown as { fleet?: FleetLink }).fleet;
    assert.ok(fleet, `fleet of instance ${this.side}`);
    return fleet;
  }

  send(id: string): void {
    nodeById(`n${this.side}`).receive({ topic: id, payload: { device_id: id, timestamp: Date.now(), voltage: 230 } });
  }

  count(event: PresenceEvent['event']): number {
    return this.events.filter((e) => e.event === event).length;
  }
}

/** Three messages per device, spread over both instances as a shared subscription would. */
function interleave(instances: readonly Instance[], ids: readonly string[]): void {
  for (let round = 0; round < 3; round += 1) ids.forEach((id, i) => instances[(i + round) % instances.length]?.send(id));
}

/** Waits until the instances together sent `count` events of a kind, then a while longer, and returns them per device. */
async function settledEvents(instances: readonly Instance[], event: PresenceEvent['event'], count: number): Promise<Map<string, number>> {
  const total = () => instances.reduce((sum, instance) => sum + instance.count(event), 0);
  await eventually(() => (total() >= count ? true : undefined), 20_000, () => `${count} ${event} events (got ${total()})`);
  await sleep(SETTLE_MS);
  const perDevice = new Map<string, number>();
  for (const instance of instances) for (const e of instance.events) if (e.event === event) perDevice.set(e.device_id, (perDevice.get(e.device_id) ?? 0) + 1);
  return perDevice;
}

function assertOncePerDevice(perDevice: Map<string, number>, ids: readonly string[], what: string): void {
  assert.deepEqual([...perDevice.keys()].sort(), [...ids], `${what}: every device`);
  const twice = [...perDevice].filter(([, times]) => times !== 1);
  assert.deepEqual(twice, [], `${what}: once each`);
}

function summaryShows(instance: Instance, total: number, online: number): Promise<true> {
  return eventually(
    () => (instance.summary?.total === total && instance.summary.online === online ? true : undefined),
    20_000,
    () => `summary of instance ${instance.side}: ${total} devices, ${online} online (got ${JSON.stringify({ total: instance.summary?.total, online: instance.summary?.online })})`,
  );
}

/** The instance id in the online-tracker's lease key. */
async function leaseHolder(): Promise<string | null> {
  const client = openRedis(String(process.env.REDIS_URL));
  try {
    return await client.get(presenceKeys(String(process.env.HEATPUMP_REDIS_PREFIX)).lease);
  } finally {
    await closeRedis(client);
  }
}

function logged(level: number, text: string): string[] {
  return helper
    .log()
    .args.map(([entry]) => entry as { level?: number; msg?: unknown })
    .filter((entry) => entry.level === level && String(entry.msg).includes(text))
    .map((entry) => String(entry.msg));
}

/** One tracker n1 (as each replica runs it), optionally on the context store `store`. */
function oneTracker(store = ''): Array<Record<string, unknown>> {
  const at = { z: 'tab', x: 100, y: 100 };
  return [
    { id: 'tab', type: 'tab', label: 'presence' },
    { id: 'n1', ...at, type: 'online-tracker', name: '', timeout: '600', store, fleet: '', wires: [['events1'], ['summary1']] },
    { id: 'events1', ...at, type: 'helper', wires: [] },
    { id: 'summary1', ...at, type: 'helper', wires: [] },
  ];
}

/** The events n1 sends from now on, as "event device reason". */
function eventsOfN1(): string[] {
  const events: string[] = [];
  nodeById('events1').on('input', (msg: NodeMessage) => {
    const event = msg.payload as PresenceEvent;
    events.push(`${event.event} ${event.device_id} ${event.reason}`);
  });
  return events;
}

function hear(id: string): void {
  nodeById('n1').receive({ topic: id, payload: { device_id: id, timestamp: Date.now(), voltage: 230 } });
}

function eventOf(events: readonly string[], event: string, from = 0): Promise<true> {
  return eventually(() => (events.slice(from).includes(event) ? true : undefined), 20_000, () => `${event} (got ${JSON.stringify(events)})`);
}

/** A context store (settings.js contextStorage) that starts with `persisted` as the tracker's state and keeps what the tracker saves. */
function keptState(persisted: unknown): { module: () => object; saved: () => unknown } {
  let state = persisted;
  return {
    // kept as a store that writes JSON keeps it: the tracker saves its state as text (saveAsText)
    saved: () => (typeof state === 'string' ? (JSON.parse(state) as unknown) : state),
    module: () => ({
      open: () => Promise.resolve(),
      close: () => Promise.resolve(),
      get: (_scope: string, key: string, callback: (err: null, value: unknown) => void) => callback(null, key === 'presence' ? state : undefined),
      set: (_scope: string, key: string, value: unknown, callback: (err: null) => void) => {
        if (key === 'presence') state = JSON.parse(JSON.stringify(value)) as unknown;
        callback(null);
      },
      keys: (_scope: string, callback: (err: null, keys: string[]) => void) => callback(null, []),
      delete: () => Promise.resolve(),
      clean: () => Promise.resolve(),
    }),
  };
}

/** Opens the context stores of the settings (a "module" for helper.load, as the persistent-store tests do). */
const loadStores = (() => (helper as unknown as { _redNodes: { loadContextsPlugin(): Promise<void> } })._redNodes.loadContextsPlugin()) as unknown as NodeInit;

describe('online-tracker sharing presence in Redis (REDIS_URL)', function () {
  this.timeout(90_000);
  const redis = redisPerTest('presence', ENV);
  flowSuiteHooks();
  beforeEach(() => helper.settings({ onlineTrackerCheckInterval: CHECK_INTERVAL_MS }));
  afterEach(() => helper.settings({}));

  /** Instance 1 starts first (as replica-1), instance 2 joins it (as replica-2), so Redis tells their leases apart. */
  async function start(timeout: string): Promise<[Instance, Instance]> {
    const flow = twoInstances(timeout);
    process.env.HEATPUMP_INSTANCE_ID = 'replica-1';
    await helper.load(
      [fleetModule, trackerModule],
      flow.filter((node) => !String(node.id).endsWith('2') && node.id !== 'fleetB'),
    );
    process.env.HEATPUMP_INSTANCE_ID = 'replica-2';
    await helper.setFlows(flow, 'nodes');
    const instances: [Instance, Instance] = [new Instance(1), new Instance(2)];
    await Promise.all(instances.map((instance) => instance.fleet.ready));
    return instances;
  }

  it('100 devices heard by both instances: each comes online once in total; both summaries, statuses and fleets show the whole fleet', async () => {
    const instances = await start('600');
    interleave(instances, DEVICES);
    assertOncePerDevice(await settledEvents(instances, 'device_online', DEVICES.length), DEVICES, 'device_online');
    for (const instance of instances) {
      await summaryShows(instance, 100, 100);
      await eventually(() => (instance.status === '100/100 online · shared' ? true : undefined), 10_000, () => `status of ${instance.side}: ${instance.status}`);
      await eventually(() => (instance.fleet.state.summary().online === 100 ? true : undefined), 10_000, `fleet of instance ${instance.side}: 100 online`);
    }
    assert.equal(instances[0].fleetReports.length + instances[1].fleetReports.length, 100, 'each transition reported to the fleet once');
    assert.equal(logged(WARN, 'Redis').length, 0, 'Redis never failed');
  });

  it('silence: one offline event per device, all from the lease holder; with the holder gone the other sweeps', async () => {
    const instances = await start('1');
    interleave(instances, DEVICES);
    assertOncePerDevice(await settledEvents(instances, 'device_online', DEVICES.length), DEVICES, 'device_online');
    assertOncePerDevice(await settledEvents(instances, 'device_offline', DEVICES.length), DEVICES, 'device_offline');
    const sweepers = instances.filter((instance) => instance.count('device_offline') > 0);
    assert.equal(sweepers.length, 1, 'one instance swept');
    const holder = sweepers[0] as Instance;
    const other = instances.find((instance) => instance !== holder) as Instance;
    assert.equal(await leaseHolder(), `replica-${holder.side}`, 'the instance that swept holds the lease');
    assert.ok(holder.events.filter((e) => e.event === 'device_offline').every((e) => e.reason === 'timeout'));
    await summaryShows(other, 100, 0);
    await eventually(() => (other.fleet.state.summary().offline === 100 ? true : undefined), 10_000, 'the other fleet: 100 offline');

    // the holder's Node-RED goes away: its tracker is removed, the lease is given up on close
    const gone = new Set([`n${holder.side}`, `events${holder.side}`, `summary${holder.side}`]);
    await helper.setFlows(
      twoInstances('1').filter((node) => !gone.has(String(node.id))),
      'nodes',
    );
    const before = other.events.length;
    for (const id of DEVICES) other.send(id);
    const after = () => other.events.slice(before);
    await eventually(() => (after().filter((e) => e.event === 'device_offline').length >= 100 ? true : undefined), 30_000, () => `offline events from the remaining instance (got ${after().length - 100})`);
    await sleep(SETTLE_MS);
    assert.equal(after().filter((e) => e.event === 'device_online').length, 100, 'online again, once each');
    assert.equal(after().filter((e) => e.event === 'device_offline').length, 100, 'offline once each, swept by the remaining instance');
    assert.equal(await leaseHolder(), `replica-${other.side}`, 'the lease moved to the remaining instance');
  });

  it('Redis stopped: both track alone and say so; started again on the same data: both share again and go on', async () => {
    const instances = await start('600');
    const [first, second] = instances;
    const known = DEVICES.slice(0, 50);
    interleave(instances, known);
    assertOncePerDevice(await settledEvents(instances, 'device_online', known.length), known, 'device_online before the outage');

    await redis.stop();
    for (const instance of instances) await eventually(() => (instance.status.endsWith('not shared') ? true : undefined), 10_000, () => `status of ${instance.side}: ${instance.status}`);
    // while Redis is away: the known devices go on, ten new ones are heard by the first instance only
    interleave(instances, known);
    const heardAlone = DEVICES.slice(50, 60);
    for (const id of heardAlone) first.send(id);
    await eventually(() => (first.count('device_online') === 60 ? true : undefined), 10_000, 'the first instance announces what it hears alone');
    assert.ok(logged(WARN, 'Redis does not answer').length >= 2, 'each instance warns that it tracks alone');

    await redis.restart();
    for (const instance of instances) await eventually(() => (instance.status.endsWith('· shared') ? true : undefined), 20_000, () => `status of ${instance.side}: ${instance.status}`);
    // what the first instance decided alone reached Redis: the second knows those devices online
    await summaryShows(second, 60, 60);
    for (const id of heardAlone) second.send(id);
    const fresh = DEVICES.slice(60);
    interleave(instances, fresh);
    const online = await settledEvents(instances, 'device_online', 100);
    assertOncePerDevice(online, DEVICES, 'device_online across the outage');
    for (const instance of instances) await summaryShows(instance, 100, 100);
  });

  describe('run-time timeouts (msg.timeouts) shared by the instances of one tracker', function () {
    const timeoutsKey = () => presenceKeys(String(process.env.HEATPUMP_REDIS_PREFIX)).timeouts('n1');
    const connections: Array<ReturnType<typeof openRedis>> = [];
    const connect = () => {
      const client = openRedis(redis.url());
      connections.push(client);
      return client;
    };
    afterEach(async () => {
      for (const client of connections.splice(0)) await closeRedis(client);
    });

    it('set on the other instance: the device goes offline here after it; cleared there: the default again; set or cleared here: the other gets it', async () => {
      await helper.load(trackerModule, oneTracker());
      const events = eventsOfN1();
      // the other replica's tracker n1, as its own msg.timeouts shares them
      const other = new SharedTimeouts(connect(), connect(), timeoutsKey());
      await other.start();
      hear('site1');
      await eventOf(events, 'device_online site1 data');
      await other.share([['site1', 0.5]], true);
      await eventOf(events, 'device_offline site1 timeout');

      // the clear is announced before site2's timeout: once site2 timed out, site1's clear was taken in too
      await other.share([['site1', null]], true);
      await other.share([['site2', 0.5]], true);
      const from = events.length;
      hear('site1');
      hear('site2');
      await eventOf(events, 'device_offline site2 timeout', from);
      await sleep(SETTLE_MS);
      assert.deepEqual(events.slice(from).filter((event) => event.includes('site1')), ['device_online site1 data'], 'site1 back on the default 600 s');

      nodeById('n1').receive({ timeouts: { site3: 0.5, site2: null } } as never);
      const theirs = new Map<string, number>([['site2', 0.5]]);
      await eventually(
        async () => {
          for (const [id, seconds] of (await other.sync(theirs, false)).changes) {
            if (seconds === null) theirs.delete(id);
            else theirs.set(id, seconds);
          }
          return theirs.has('site3') && !theirs.has('site2') ? true : undefined;
        },
        10_000,
        () => `the other instance to take site3 and lose site2 (has ${JSON.stringify([...theirs])})`,
      );
      assert.deepEqual(await connect().hgetall(timeoutsKey()), { site3: '0.5' });
    });

    it('the first instance brings the timeouts it kept along; a later one takes the shared ones, not its stale copy', async () => {
      const first = keptState({ presence: { version: 1, devices: [] }, timeouts: { site1: 0.5 } });
      helper.settings({ onlineTrackerCheckInterval: CHECK_INTERVAL_MS, contextStorage: { keep: { module: first.module } } });
      process.env.HEATPUMP_INSTANCE_ID = 'replica-1';
      await helper.load([trackerModule, loadStores], oneTracker('keep'));
      await eventually(async () => ((await connect().hget(timeoutsKey(), 'site1')) === '0.5' ? true : undefined), 10_000, 'site1 in Redis');
      await helper.unload();

      // the other replica, with a stale copy of its own: site2 instead of site1
      const later = keptState({ presence: { version: 1, devices: [] }, timeouts: { site2: 0.5 } });
      helper.settings({ onlineTrackerCheckInterval: CHECK_INTERVAL_MS, contextStorage: { keep: { module: later.module } } });
      process.env.HEATPUMP_INSTANCE_ID = 'replica-2';
      await helper.load([trackerModule, loadStores], oneTracker('keep'));
      const events = eventsOfN1();
      hear('site1');
      await eventOf(events, 'device_offline site1 timeout');
      assert.deepEqual(await connect().hgetall(timeoutsKey()), { site1: '0.5' }, 'the later copy did not reach Redis');
      await helper.unload();
      assert.deepEqual((later.saved() as { timeouts: unknown }).timeouts, { site1: 0.5 }, 'kept locally: the shared ones');
    });

    it('a change announced while the subscriber was cut off is read after its reconnect', async () => {
      await helper.load(trackerModule, oneTracker());
      const events = eventsOfN1();
      hear('site1');
      await eventOf(events, 'device_online site1 data');
      const admin = connect();
      // stored as another instance would, but its announcement never reaches this one
      await admin.hset(timeoutsKey(), 'site1', '0.5');
      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await eventOf(events, 'device_offline site1 timeout');
    });

    it('set while Redis is away: applied here at once, stored in Redis when it answers again', async () => {
      await helper.load(trackerModule, oneTracker());
      const events = eventsOfN1();
      let status = '';
      nodeById('n1').on('call:status', (call: { args: Array<{ text?: string }> }) => (status = call.args[0]?.text ?? ''));
      await redis.stop();
      await eventually(() => (status.endsWith('not shared') ? true : undefined), 10_000, () => `status: ${status}`);
      nodeById('n1').receive({ timeouts: { site1: 0.5 } } as never);
      hear('site1');
      await eventOf(events, 'device_offline site1 timeout');
      await redis.restart();
      await eventually(() => (status.endsWith('· shared') ? true : undefined), 20_000, () => `status: ${status}`);
      await eventually(async () => ((await connect().hgetall(timeoutsKey())).site1 === '0.5' ? true : undefined), 10_000, 'site1 in Redis');
    });
  });

  it('a REDIS_URL that cannot work: an error on the node, which tracks alone as before', async () => {
    process.env.REDIS_URL = 'http://127.0.0.1:6379';
    const instances = await start('600');
    instances[0].send('hp1');
    await eventually(() => (instances[0].count('device_online') === 1 ? true : undefined), 5000, 'hp1 online on the first instance');
    await eventually(() => (instances[0].status === '1/1 online' ? true : undefined), 5000, () => `status: ${instances[0].status}`);
    const errors = logged(20, 'Cluster settings cannot work (REDIS_URL must start with redis:// or rediss://): presence is kept by this instance alone');
    assert.equal(errors.length, 2, 'each tracker says so');
  });
});
