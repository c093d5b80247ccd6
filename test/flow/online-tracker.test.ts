import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FleetSummary, PresenceEvent } from '../../nodes/shared/contract';
import { fleetOf, type FleetLink } from '../../nodes/shared/fleet-link';
import { nodeModule, nodeRedPath } from '../support/node-red';
import { sleep, withCatalog, type NodeInit } from '../support/flow-helper';

interface Msg {
  topic?: unknown;
  payload?: unknown;
  [key: string]: unknown;
}
interface SpyCall {
  args: unknown[];
}
interface TestNode {
  name?: string;
  receive(msg: Msg): void;
  on(event: 'input', listener: (msg: Msg) => void): void;
  on(event: 'call:status' | 'call:error' | 'call:warn', listener: (call: SpyCall) => void): void;
}
/** The part of node-red-node-test-helper (untyped) these tests use. */
interface FlowHelper {
  init(runtimePath: string): void;
  settings(userSettings: Record<string, unknown>): void;
  load(modules: unknown[], flow: object[]): Promise<void>;
  unload(): Promise<void>;
  clearFlows(): Promise<void>;
  getNode(id: string): TestNode;
  log(): { args: Array<[{ level: number; msg: unknown }]> };
  /** internal: the runtime's node module, which opens and closes context stores */
  _redNodes: { loadContextsPlugin(): Promise<void>; closeContextsPlugin(): Promise<void> };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const helper: FlowHelper = require('node-red-node-test-helper');

const tracker = nodeModule('online-tracker');
const fleetModule = nodeModule('heatpump-fleet');
const WARN = 30;
const CHECK_INTERVAL_MS = 20;
const ENV = 'DEVICE_ONLINE_TIMEOUT_SECONDS';


async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 3000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function trackerFlow(props: Record<string, unknown> = {}, extra: object[] = []): object[] {
  return [
    { id: 'f1', type: 'tab', label: 'tracker' },
    { id: 'n1', z: 'f1', type: 'online-tracker', name: 'tracker', wires: [['events'], ['fleet']], ...props },
    { id: 'events', z: 'f1', type: 'helper' },
    { id: 'fleet', z: 'f1', type: 'helper' },
    ...extra,
  ];
}

/** Warnings logged since the flow was loaded whose text contains `text`. */
function warnings(text: string): string[] {
  return helper
    .log()
    .args.map(([entry]) => entry)
    .filter((entry) => entry.level === WARN && String(entry.msg).includes(text))
    .map((entry) => String(entry.msg));
}

/** Everything the tracker sends, per output, and what it reports through error/status. */
class Recorder {
  readonly events: PresenceEvent[] = [];
  readonly eventTopics: unknown[] = [];
  readonly fleet: Msg[] = [];
  readonly errors: unknown[][] = [];
  readonly statuses: unknown[] = [];
  constructor() {
    helper.getNode('events').on('input', (msg) => {
      this.events.push(msg.payload as PresenceEvent);
      this.eventTopics.push(msg.topic);
    });
    helper.getNode('fleet').on('input', (msg) => this.fleet.push(msg));
    const node = helper.getNode('n1');
    node.on('call:error', (call) => this.errors.push(call.args));
    node.on('call:status', (call) => this.statuses.push(call.args[0]));
  }
  get n1(): TestNode {
    return helper.getNode('n1');
  }
  event(device: string, event: PresenceEvent['event']): Promise<PresenceEvent> {
    return waitFor(`${event} of ${device}`, () => this.events.find((e) => e.device_id === device && e.event === event));
  }
  lastSummary(): FleetSummary | undefined {
    return this.fleet.at(-1)?.payload as FleetSummary | undefined;
  }
}

const reading = (id: string) => ({ topic: id, payload: { device_id: id, timestamp: Date.now(), voltage: 230 } });

function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

describe('online-tracker node', function () {
  before(() => helper.init(nodeRedPath));
  beforeEach(() => helper.settings({ onlineTrackerCheckInterval: CHECK_INTERVAL_MS }));
  afterEach(async () => {
    delete process.env[ENV];
    await helper.unload();
    helper.settings({});
  });

  it('should be loaded with correct defaults', async () => {
    await helper.load([tracker], [{ id: 'n1', type: 'online-tracker', name: 'tracker' }]);
    const n1 = helper.getNode('n1');
    assert.equal(n1.name, 'tracker');
  });

  it('an empty config uses 600 s: a device is still online long after a short timeout would have expired', async () => {
    await helper.load([tracker], trackerFlow());
    const rec = new Recorder();
    rec.n1.receive(reading('site1'));
    await rec.event('site1', 'device_online');
    await sleep(400);
    assert.deepEqual(
      rec.events.map((e) => e.event),
      ['device_online'],
    );
  });

  it('honours env DEVICE_ONLINE_TIMEOUT_SECONDS when the node has no timeout', async () => {
    process.env[ENV] = '0.1';
    await helper.load([tracker], trackerFlow());
    const rec = new Recorder();
    rec.n1.receive(reading('site1'));
    const offline = await rec.event('site1', 'device_offline');
    assert.equal(offline.reason, 'timeout');
  });

  it("the node's timeout wins over the env", async () => {
    process.env[ENV] = '0.05';
    await helper.load([tracker], trackerFlow({ timeout: '600' }));
    const rec = new Recorder();
    rec.n1.receive(reading('site1'));
    await sleep(300);
    assert.deepEqual(
      rec.events.map((e) => e.event),
      ['device_online'],
    );
  });

  it('announces a device online on data, with the device id as topic and a fleet summary', async () => {
    await helper.load([tracker], trackerFlow());
    const rec = new Recorder();
    const before = Date.now();
    rec.n1.receive(reading('site1'));
    const online = await rec.event('site1', 'device_online');
    assert.equal(online.reason, 'data');
    assert.ok(online.last_seen !== null && online.last_seen >= before);
    assert.equal(rec.eventTopics[0], 'site1');
    const summary = await waitFor('summary', () => rec.lastSummary());
    assert.deepEqual([summary.total, summary.online, summary.offline], [1, 1, 0]);
    assert.equal(rec.fleet[0]?.topic, 'fleet');
    const status = await waitFor('blue status', () => rec.statuses.find((s) => (s as { fill?: string }).fill === 'blue'));
    assert.deepEqual(status, { fill: 'blue', shape: 'dot', text: 'online-tracker.status.tracking' });
  });

  it('takes a silent device offline by its own timer, with no further input', async () => {
    await helper.load([tracker], trackerFlow({ timeout: '0.2' }));
    const rec = new Recorder();
    const sentAt = Date.now();
    rec.n1.receive({ topic: 'heatpump/site1/data', payload: '{"device":"site1"}' });
    const offline = await rec.event('site1', 'device_offline');
    assert.equal(offline.reason, 'timeout');
    assert.ok(offline.timestamp - sentAt > 200, 'not before the timeout');
    const summary = await waitFor('offline summary', () => (rec.lastSummary()?.offline === 1 ? rec.lastSummary() : undefined));
    assert.equal(summary.online, 0);
  });

  it('takes a device offline on its last will, and online again on data', async () => {
    await helper.load([tracker], trackerFlow());
    const rec = new Recorder();
    rec.n1.receive(reading('site1'));
    rec.n1.receive({ topic: 'heatpump/site1/status/online', payload: Buffer.from('offline'), retain: true });
    const offline = await rec.event('site1', 'device_offline');
    assert.equal(offline.reason, 'status');
    rec.n1.receive(reading('site1'));
    await waitFor('second online', () => (rec.events.length === 3 ? true : undefined));
    assert.deepEqual(
      rec.events.map((e) => `${e.event}/${e.reason}`),
      ['device_online/data', 'device_offline/status', 'device_online/data'],
    );
  });

  it('a polled source (modbus-poll): a metrics reading is data, {topic: id, payload: offline | online} a status', async () => {
    await helper.load([tracker], trackerFlow());
    const rec = new Recorder();
    const metrics = { payload: { device_id: 'nibe1', timestamp: Date.now(), metrics: { flow_temperature: 35.5 }, info: { source: 'modbus' } } };
    rec.n1.receive(metrics);
    await rec.event('nibe1', 'device_online');
    rec.n1.receive({ topic: 'nibe1', payload: 'offline' });
    const offline = await rec.event('nibe1', 'device_offline');
    assert.equal(offline.reason, 'status');
    rec.n1.receive({ topic: 'nibe1', payload: 'online' });
    await waitFor('online again', () => (rec.events.length === 3 ? true : undefined));
    assert.deepEqual(
      rec.events.map((e) => `${e.device_id} ${e.event}/${e.reason}`),
      ['nibe1 device_online/data', 'nibe1 device_offline/status', 'nibe1 device_online/status'],
    );
  });

  it('answers msg.summary = true on output 2 in the request message itself', async () => {
    await helper.load([tracker], trackerFlow());
    const rec = new Recorder();
    rec.n1.receive(reading('site1'));
    rec.n1.receive({ topic: 'heatpump/site2/status/online', payload: 'offline' });
    await sleep(3 * CHECK_INTERVAL_MS);
    rec.fleet.length = 0;
    rec.n1.receive({ summary: true, res: 'response-handle' });
    const reply = await waitFor('fleet reply', () => rec.fleet.find((m) => m.res === 'response-handle'));
    const summary = reply.payload as FleetSummary;
    assert.deepEqual(
      summary.devices.map((d) => [d.device_id, d.online]),
      [
        ['site1', true],
        ['site2', false],
      ],
    );
    assert.deepEqual([summary.total, summary.online, summary.offline], [2, 1, 1]);
    assert.equal(rec.events.length, 1, 'no event for a summary request');
  });

  it('devices named "fleet" and "timeouts" are devices like any other: online, then offline', async () => {
    await helper.load([tracker], trackerFlow({ timeout: '0.1' }));
    const rec = new Recorder();
    rec.n1.receive(reading('fleet'));
    rec.n1.receive({ topic: 'timeouts', payload: 'online' });
    for (const device of ['fleet', 'timeouts']) assert.equal((await rec.event(device, 'device_offline')).reason, 'timeout');
    assert.deepEqual(
      rec.events.map((e) => `${e.event} ${e.device_id} ${e.reason}`).sort(),
      ['device_offline fleet timeout', 'device_offline timeouts timeout', 'device_online fleet data', 'device_online timeouts status'],
    );
    assert.deepEqual(rec.eventTopics.slice(0, 2).sort(), ['fleet', 'timeouts']);
    assert.equal(rec.errors.length, 0);
    // Their messages were no requests: output 2 only carries the paced summaries.
    const summary = await waitFor('summary of both', () => (rec.lastSummary()?.offline === 2 ? rec.lastSummary() : undefined));
    assert.deepEqual(summary.devices.map((d) => d.device_id), ['fleet', 'timeouts']);
  });

  const badInputs: Array<[string, Msg, string]> = [
    ['no device id', { payload: 42 }, 'online-tracker.errors.no-device'],
    ['unsafe device id', { topic: 'site 1', payload: {} }, 'online-tracker.errors.bad-device'],
    ['bad status payload', { topic: 'heatpump/site1/status/online', payload: 'maybe' }, 'online-tracker.errors.bad-status'],
    ['payload naming another device', { topic: 'site1', payload: { device_id: 'site2' } }, 'online-tracker.errors.id-mismatch'],
  ];
  for (const [name, msg, key] of badInputs) {
    it(`fails ${name} through done(err) with a red ring`, async () => {
      await helper.load([tracker], trackerFlow());
      const rec = new Recorder();
      rec.n1.receive(msg);
      const args = await waitFor('error', () => rec.errors[0]);
      assert.equal(String(args[0]).replace(/^Error: /, ''), key);
      const status = await waitFor('red status', () => rec.statuses.find((s) => (s as { fill?: string }).fill === 'red'));
      assert.deepEqual(status, { fill: 'red', shape: 'ring', text: 'online-tracker.status.bad-input' });
      assert.equal(rec.events.length, 0);
    });
  }

  it('refuses a control message for a device whose timeout the config fixes', async () => {
    await helper.load([tracker], trackerFlow({ deviceTimeouts: '{"site1": 1800}' }));
    const rec = new Recorder();
    rec.n1.receive({ timeouts: { site1: 10 } });
    const args = await waitFor('error', () => rec.errors[0]);
    assert.equal(String(args[0]).replace(/^Error: /, ''), 'online-tracker.errors.timeout-fixed');
  });

  it('msg.timeouts sets a per-device timeout, whatever the topic', async () => {
    await helper.load([tracker], trackerFlow({ timeout: '600' }));
    const rec = new Recorder();
    rec.n1.receive({ topic: 'site2', timeouts: { site1: 0.1 } });
    rec.n1.receive(reading('site1'));
    rec.n1.receive(reading('site2'));
    await rec.event('site1', 'device_offline');
    await sleep(100);
    assert.equal(rec.events.filter((e) => e.event === 'device_offline').length, 1, 'site2 keeps the 600 s default');
    assert.deepEqual(rec.events.filter((e) => e.device_id === 'site2').map((e) => e.event), ['device_online'], 'the control message was no sign of life of site2');
  });

  it('reports transitions and what the device itself sent to the heatpump-fleet node, not what the broker sent', async () => {
    const fleetNode = { id: 'fleet1', type: 'heatpump-fleet', name: 'fleet' };
    await helper.load([fleetModule, tracker], trackerFlow({ timeout: '0.3', fleet: 'fleet1' }, [fleetNode]));
    const rec = new Recorder();
    const fleet = fleetOf(helper, 'fleet1');
    assert.ok(fleet, 'the heatpump-fleet node is deployed');
    const record = (id: string) => (fleet as FleetLink).state.get(id);
    rec.n1.receive(reading('site1'));
    rec.n1.receive({ topic: 'heatpump/site2/status/online', payload: 'online' });
    rec.n1.receive({ topic: 'heatpump/site3/status/online', payload: 'online', retain: true });
    const online1 = await rec.event('site1', 'device_online');
    await rec.event('site3', 'device_online');
    const first = await waitFor('site1..3 in the fleet', () => (record('site3')?.online ? record('site1') : undefined));
    assert.deepEqual([first.online, first.last_seen, first.online_since], [true, online1.last_seen, online1.timestamp]);
    assert.equal(record('site2')?.online, true);
    assert.equal(record('site3')?.last_seen, null, 'a retained online is the broker speaking');

    // A reading while online: no transition, but the fleet's last seen moves on.
    await sleep(20);
    rec.n1.receive(reading('site1'));
    const again = await waitFor('newer last_seen', () => ((record('site1')?.last_seen ?? 0) > (online1.last_seen ?? 0) ? record('site1') : undefined));
    // The last will takes site2 offline without counting as seen.
    const seen2 = record('site2')?.last_seen;
    rec.n1.receive({ topic: 'heatpump/site2/status/online', payload: 'offline' });
    await waitFor('site2 offline in the fleet', () => (record('site2')?.online === false ? true : undefined));
    assert.equal(record('site2')?.last_seen, seen2);
    // Silence: offline by timeout, last seen stays the last reading.
    const offline1 = await rec.event('site1', 'device_offline');
    await waitFor('site1 offline in the fleet', () => (record('site1')?.online === false ? true : undefined));
    assert.deepEqual([record('site1')?.last_seen, record('site1')?.online_since], [again.last_seen, offline1.timestamp]);
    assert.equal(offline1.last_seen, again.last_seen, 'the event says the same');
  });

  it('works on without a fleet node when the configured one is not deployed', async () => {
    await helper.load([tracker], trackerFlow({ fleet: 'no-such-node' }));
    const rec = new Recorder();
    rec.n1.receive(reading('site1'));
    await rec.event('site1', 'device_online');
    assert.equal(rec.errors.length, 0);
  });

  it('a store settings.js lacks: memory only, one warning at start and on the status', async () => {
    await helper.load([withCatalog(tracker as NodeInit, 'online-tracker')], trackerFlow({ store: 'file' }));
    const rec = new Recorder();
    rec.n1.receive(reading('site1'));
    await rec.event('site1', 'device_online');
    // from the start, before any device: 0/0
    assert.deepEqual(rec.statuses.find((s) => (s as { fill?: string }).fill === 'blue'), { fill: 'blue', shape: 'dot', text: '0/0 online · memory only' });
    await waitFor('status 1/1', () => rec.statuses.find((s) => (s as { text?: string }).text === '1/1 online · memory only'));
    const missing = 'Context store "file" is not configured in settings.js';
    assert.equal(warnings(missing).length, 1);
    rec.n1.receive(reading('site2'));
    await rec.event('site2', 'device_online');
    assert.equal(warnings(missing).length, 1, 'warned once, not per message');
  });

  it('reports an invalid configuration once and fails every input', async () => {
    process.env[ENV] = 'ten';
    await helper.load([tracker], trackerFlow());
    const rec = new Recorder();
    rec.n1.receive(reading('site1'));
    await waitFor('input error', () => rec.errors[0]);
    assert.equal(String(rec.errors[0]?.[0]).replace(/^Error: /, ''), 'online-tracker.errors.bad-env-timeout');
    assert.equal(rec.events.length, 0);
  });

  it('close clears its timer and status: nothing is sent after unload', async () => {
    await sleep(1); // lets mocha arm its own test timer before counting
    const timersBefore = activeTimeouts();
    await helper.load([tracker], trackerFlow({ timeout: '0.1' }));
    const rec = new Recorder();
    rec.n1.receive(reading('site1'));
    await rec.event('site1', 'device_online');
    assert.ok(activeTimeouts() > timersBefore, 'the check timer runs while deployed');
    await helper.clearFlows(); // stops the flows like a redeploy, while the status spy still listens
    await sleep(10);
    assert.deepEqual(rec.statuses.at(-1), {}, 'status cleared on close');
    assert.equal(activeTimeouts(), timersBefore, 'no timer left behind');
    await sleep(300);
    assert.deepEqual(
      rec.events.map((e) => e.event),
      ['device_online'],
      'no timeout event after unload',
    );
  });
});

/** A context store module whose `presence` key holds `persisted` from the start. */
function lastingStoreWith(persisted: unknown): () => object {
  return () => ({
    open: () => Promise.resolve(),
    close: () => Promise.resolve(),
    get: (_scope: string, key: string, callback: (err: null, value: unknown) => void) => callback(null, key === 'presence' ? persisted : undefined),
    set: (_scope: string, _key: string, _value: unknown, callback: (err: null) => void) => callback(null),
    keys: (_scope: string, callback: (err: null, keys: string[]) => void) => callback(null, []),
    delete: () => Promise.resolve(),
    clean: () => Promise.resolve(),
  });
}

describe('online-tracker node with a persistent context store', function () {
  let dir: string;
  const loadStores = () => helper._redNodes.loadContextsPlugin();

  before(() => helper.init(nodeRedPath));
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'online-tracker-'));
  });
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('after a restart does not re-announce online devices and later takes them offline by timer', async () => {
    helper.settings({
      onlineTrackerCheckInterval: CHECK_INTERVAL_MS,
      contextStorage: { file: { module: 'localfilesystem', config: { dir, flushInterval: 30 } } },
    });
    const flow = trackerFlow({ timeout: '1.5', store: 'file' });
    await helper.load([tracker, loadStores], flow);
    let rec = new Recorder();
    rec.n1.receive(reading('site1'));
    const online = await rec.event('site1', 'device_online');

    // Restart: stop the flows (the node saves), flush the store to disk, start again from the files.
    await helper.clearFlows();
    await helper._redNodes.closeContextsPlugin();
    const saved = path.join(dir, 'context');
    assert.ok(fs.readdirSync(saved, { recursive: true }).some((f) => String(f) === path.join('f1', 'n1.json')), 'state written to disk');
    const backup = `${dir}-backup`;
    fs.cpSync(saved, backup, { recursive: true });
    await helper.unload(); // also deletes the node's context files, hence the backup
    fs.rmSync(saved, { recursive: true, force: true });
    fs.cpSync(backup, saved, { recursive: true });
    fs.rmSync(backup, { recursive: true, force: true });

    await helper.load([tracker, loadStores], flow);
    rec = new Recorder();
    rec.n1.receive({ summary: true });
    const restored = await waitFor('restored summary', () => rec.lastSummary());
    assert.deepEqual(
      restored.devices.map((d) => [d.device_id, d.online, d.last_seen]),
      [['site1', true, online.last_seen]],
    );
    rec.n1.receive(reading('site2'));
    await rec.event('site2', 'device_online');
    const offline = await rec.event('site1', 'device_offline');
    assert.equal(offline.reason, 'timeout');
    assert.equal(offline.last_seen, online.last_seen, 'silence counted from the persisted last_seen');
    assert.ok(offline.timestamp - (online.last_seen ?? 0) < 1500 + 1000, 'timeout kept counting across the restart');
    assert.equal(rec.events.filter((e) => e.device_id === 'site1' && e.event === 'device_online').length, 0, 'no duplicate online');
    assert.equal(warnings('online-tracker.errors.no-store').length, 0, 'a configured store is used, no fallback');
  });

  it('after a restart the restored fleet summary goes out at the first check, unasked', async () => {
    const persisted = { presence: { version: 1, devices: [['site1', 1, 1, 1, Date.now()], ['site2', 0, 1, 1, 1]] }, timeouts: {} };
    helper.settings({ onlineTrackerCheckInterval: CHECK_INTERVAL_MS, contextStorage: { keep: { module: lastingStoreWith(persisted) } } });
    await helper.load([tracker, loadStores], trackerFlow({ store: 'keep' }));
    const rec = new Recorder();
    const summary = await waitFor('restored summary', () => rec.lastSummary());
    assert.deepEqual(summary.devices.map((d) => [d.device_id, d.online]), [['site1', true], ['site2', false]]);
    assert.equal(rec.events.length, 0, 'nothing announced again');
  });

  it('queues messages that arrive while the state loads and handles them in order', async () => {
    const persisted = { presence: { version: 1, devices: [['site1', 1, 1, 1, Date.now()]] }, timeouts: {} };
    const slowStore = {
      open: () => Promise.resolve(),
      close: () => Promise.resolve(),
      get: (_scope: string, key: string, callback: (err: null, value: unknown) => void) =>
        setTimeout(() => callback(null, key === 'presence' ? persisted : undefined), 200),
      set: (_scope: string, _key: string, _value: unknown, callback: (err: null) => void) => callback(null),
      keys: (_scope: string, callback: (err: null, keys: string[]) => void) => callback(null, []),
      delete: () => Promise.resolve(),
      clean: () => Promise.resolve(),
    };
    helper.settings({ onlineTrackerCheckInterval: CHECK_INTERVAL_MS, contextStorage: { slow: { module: () => slowStore } } });
    await helper.load([tracker, loadStores], trackerFlow({ store: 'slow' }));
    const rec = new Recorder();
    rec.n1.receive(reading('site2'));
    rec.n1.receive({ topic: 'heatpump/site1/status/online', payload: 'offline' });
    rec.n1.receive(reading('site1'));
    await sleep(50);
    assert.equal(rec.events.length, 0, 'nothing handled before the state has loaded');
    await waitFor('three events', () => (rec.events.length >= 3 ? true : undefined));
    assert.deepEqual(
      rec.events.map((e) => `${e.event} ${e.device_id}`),
      ['device_online site2', 'device_offline site1', 'device_online site1'],
    );
  });
});
