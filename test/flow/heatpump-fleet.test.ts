import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FleetChanges, FleetLink } from '../../nodes/shared/fleet-link';
import { startBroker, type RunningBroker } from '../../scripts/lib/broker';
import { startInfluxd, type RunningInfluxd } from '../../scripts/lib/influxd';
import { freePort } from '../../scripts/lib/ports';
import { helperInternals as internals, loadContextStores } from '../support/context-stores';
import { flowSuiteHooks, helper, nodeById, sleep, withCatalog, type NodeInit } from '../support/flow-helper';
import { nodeModule, nodeRedPath } from '../support/node-red';
import { eventually } from '../support/runtime';
import { requireBinary } from '../support/system';
import { alert, reading } from '../fixtures/fleet-events';

const requireFromNodeRed = (request: string): unknown =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(require.resolve(request, { paths: [nodeRedPath] }));

const fleetModule = withCatalog(nodeModule('heatpump-fleet') as NodeInit, 'heatpump-fleet');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const influxModule = require('node-red-contrib-influxdb/influxdb.js') as NodeInit;
const mqttModule = requireFromNodeRed('@node-red/nodes/core/network/10-mqtt.js') as NodeInit;

/** @node-red/util log levels */
const ERROR = 20;
const WARN = 30;
const INFO = 40;

const fleetLink = (id = 'fleet'): FleetLink => {
  const fleet = (nodeById(id) as unknown as { fleet?: FleetLink }).fleet;
  assert.ok(fleet, `${id} has no fleet`);
  return fleet;
};

/** What heatpump-fleet nodes logged at `level` in this load (not the helper's own notes). */
const logged = (level: number): string[] =>
  helper
    .log()
    .args.map(([entry]) => entry as { level?: number; type?: string; msg?: unknown })
    .filter((entry) => entry.level === level && entry.type === 'heatpump-fleet')
    .map((entry) => String(entry.msg));

/** Every delivery to one subscriber, copied when it arrives (the records are live). */
class Deliveries {
  readonly got: FleetChanges[] = [];
  readonly unsubscribe: () => void;
  private wake: (() => void) | undefined;

  constructor(fleet: FleetLink) {
    this.unsubscribe = fleet.subscribe((changes) => {
      this.got.push(structuredClone(changes));
      this.wake?.();
    });
  }

  /** The delivery number `index` (0: the first), waiting up to `timeoutMs` for it. */
  async nth(index: number, timeoutMs = 3000): Promise<FleetChanges> {
    const deadline = Date.now() + timeoutMs;
    while (this.got.length <= index) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`delivery ${index} did not come within ${timeoutMs} ms (got ${this.got.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.got[index] as FleetChanges;
  }
}


const timeouts = (): number => process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length;

describe('heatpump-fleet node', function () {
  /** a file context store's directory, removed once helper.unload() closed the stores */
  let dir: string | undefined;

  flowSuiteHooks();

  // after flowSuiteHooks' afterEach (same suite, registration order)
  afterEach(function () {
    helper.settings({ contextStorage: undefined });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  describe('persistence', function () {
    it('keeps devices, active alerts and counters over a restart; a new subscriber gets the whole fleet first', async function () {
      const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-fleet-'));
      dir = storeDir;
      helper.settings({ contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem', config: { dir: storeDir } } } });
      const flow = [{ id: 'fleet', type: 'heatpump-fleet', name: '', store: 'file' }];
      await helper.load([loadContextStores, fleetModule], flow);
      const before = fleetLink();
      await new Deliveries(before).nth(0); // the stored state (none) is loaded
      assert.equal(before.state.size, 0);
      assert.deepEqual(logged(WARN), []);

      const t = Date.now();
      before.reading(reading('hp1', t - 60_000), [{ field: 'temp_inlet', reason: 'flagged invalid' }]);
      before.presence({ event: 'device_online', device_id: 'hp1', last_seen: t - 1000, reason: 'data', timestamp: t - 500 });
      before.alert(alert('hp1', 'voltage_high', 'raised', 'warning', t - 400));
      before.alert(alert('hp1', 'voltage_high', 'escalated', 'critical', t - 300));
      before.alert(alert('hp2', 'current', 'raised', 'warning', t - 200));
      before.alert(alert('hp2', 'current', 'cleared', 'warning', t - 100));
      before.seen('hp3', t);
      // what modbus-poll reports once per answered poll
      const polled = { device_id: 'nibe1', timestamp: t - 50, metrics: { flow_temperature: 35.5, compressor_on: true }, units: { flow_temperature: '°C' }, info: { model: 'NIBE F1255', source: 'modbus' } };
      before.metrics(polled);
      before.rejected({ scope: 'payload', device_id: null, field: null, reason: 'not JSON' });
      before.written(12);
      before.writeFailed(3);
      const saved = structuredClone(before.state.toJSON());
      assert.deepEqual(
        saved.devices.map((d) => d.device_id),
        ['hp1', 'hp2', 'hp3', 'nibe1'],
      );

      // Restart: stop the node (it saves on close), flush the store to disk, and detach it so
      // helper.unload() cannot clean the node's context, then start again from the files.
      await internals._redNodes.stopFlows();
      await internals._context.close();
      internals._context.init(internals._settings);
      await helper.unload();
      const files = fs.readdirSync(path.join(storeDir, 'context'), { recursive: true, encoding: 'utf8' }).map((f) => path.join(storeDir, 'context', f));
      assert.ok(
        files.some((f) => fs.statSync(f).isFile() && fs.readFileSync(f, 'utf8').includes('voltage_high')),
        `the fleet was not written to the file store: ${files.join(', ')}`,
      );

      await helper.load([loadContextStores, fleetModule], flow);
      const after = fleetLink();
      assert.notEqual(after, before, 'a new node instance');
      const startedAt = Date.now();
      const subscriber = new Deliveries(after);
      const first = await subscriber.nth(0, 5000);
      assert.ok(Date.now() - startedAt <= 5000);
      assert.deepEqual(first.devices, saved.devices, 'the first delivery carries every restored device');
      assert.deepEqual({ ...first, devices: [] }, { devices: [], counters: true, health: true, rejections: true, alerts: true });

      assert.deepEqual(after.state.get('hp1')?.alerts, {
        voltage_high: { alert_type: 'voltage_high', level: 'critical', value: 251, threshold: 250, message: 'voltage_high escalated', since: t - 400, timestamp: t - 300, source: 'threshold' },
      });
      assert.deepEqual([after.state.get('hp1')?.online, after.state.get('hp1')?.online_since, after.state.get('hp1')?.reading?.timestamp], [true, t - 500, t - 60_000]);
      assert.deepEqual(after.state.get('nibe1')?.metrics, polled, 'the latest metrics reading survives a restart');
      assert.deepEqual(after.state.counters, { readings_accepted: 2, payloads_rejected: 1, fields_left_out: 1, alerts: 3, points_written: 12, write_errors: 1, points_lost: 3, mqtt_outages: 0 });
      assert.deepEqual(after.state.summary(), { total: 4, online: 1, offline: 0, alerting: 1, warning: 0, critical: 1 });
      assert.deepEqual(
        after.state.rejections().map((r) => [r.scope, r.field ?? r.reason]),
        [
          ['field', 'temp_inlet'],
          ['payload', 'not JSON'],
        ],
      );
      assert.deepEqual(after.state.toJSON(), saved);
      assert.deepEqual(logged(WARN), [], 'a clean restore warns about nothing');
    });

    it('Save "changed devices, in files": takes over the state the context store kept, keeps the fleet over restarts in <userDir>/heatpump-state, and deleting the node deletes its files', async function () {
      const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-fleet-userdir-'));
      dir = userDir;
      const storeDir = path.join(userDir, 'context-store');
      helper.settings({ userDir, contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem', config: { dir: storeDir } } } });
      const fleetDir = path.join(userDir, 'heatpump-state', 'fleet-fleet');
      const node = (persist: string) => [{ id: 'fleet', type: 'heatpump-fleet', name: '', store: 'file', persist }];
      /** stops the flow (the fleet saves on close) and closes the context stores, as a Node-RED stop does */
      const restart = async (): Promise<void> => {
        await internals._redNodes.stopFlows();
        await internals._context.close();
        internals._context.init(internals._settings);
        await helper.unload();
      };
      const contextFiles = (): string =>
        fs.existsSync(storeDir) ? fs.readdirSync(storeDir, { recursive: true, encoding: 'utf8' }).map((f) => path.join(storeDir, f)).filter((f) => fs.statSync(f).isFile()).map((f) => fs.readFileSync(f, 'utf8')).join('\n') : '';

      // an earlier run kept the fleet in the context store
      await helper.load([loadContextStores, fleetModule], node('context'));
      await new Deliveries(fleetLink()).nth(0);
      const t = Date.now();
      fleetLink().reading(reading('hp1', t - 60_000), []);
      await restart();
      assert.match(contextFiles(), /hp1/);
      assert.equal(fs.existsSync(fleetDir), false, 'no files in the context mode');

      await helper.load([loadContextStores, fleetModule], node('files'));
      await new Deliveries(fleetLink()).nth(0);
      assert.deepEqual([...fleetLink().state.all()].map((d) => d.device_id), ['hp1'], 'taken over from the context store');
      fleetLink().alert(alert('hp2', 'voltage_high', 'raised', 'critical', t));
      fleetLink().written(7);
      const saved = structuredClone(fleetLink().state.toJSON());
      await restart();
      // the first save after a start writes a snapshot (later ones append the changed devices)
      assert.deepEqual(fs.readdirSync(fleetDir), ['snapshot-000000000001.json']);
      assert.doesNotMatch(contextFiles(), /hp1/, 'removed from the context store once in the files');

      await helper.load([loadContextStores, fleetModule], node('files'));
      await new Deliveries(fleetLink()).nth(0);
      assert.deepEqual(fleetLink().state.toJSON(), saved);
      assert.deepEqual(logged(WARN), []);

      // a deploy that deletes the node closes it with removed = true: its files go with it
      await (nodeById('fleet') as unknown as { close(removed: boolean): Promise<void> }).close(true);
      assert.equal(fs.existsSync(fleetDir), false, 'the fleet files deleted');
    });

    it('falls back to memory when the named store is not configured, says so, and still works', async function () {
      helper.settings({ contextStorage: { default: { module: 'memory' } } });
      await helper.load([loadContextStores, fleetModule], [{ id: 'fleet', type: 'heatpump-fleet', name: '', store: 'file' }]);
      const warned = logged(WARN);
      assert.equal(warned.length, 1, warned.join('\n'));
      assert.match(warned[0] ?? '', /^Context store "file" is not configured in settings\.js \(contextStorage\): the fleet state is kept in memory only/);
      const fleet = fleetLink();
      assert.equal((fleet as FleetLink & { storeNote?: string }).storeNote, 'memory only');

      const subscriber = new Deliveries(fleet);
      await subscriber.nth(0);
      fleet.reading(reading('hp1', Date.now()), []);
      const next = await subscriber.nth(1);
      assert.deepEqual(
        next.devices.map((d) => [d.device_id, d.reading?.voltage]),
        [['hp1', 230]],
      );

      // close saves into the default (memory) store
      const node = nodeById('fleet') as unknown as { context(): { get(key: string): unknown } };
      await internals._redNodes.stopFlows();
      // kept as JSON text, made when a store writes it (saveAsText): what the file store would write
      const written: unknown = JSON.parse(JSON.stringify(node.context().get('fleet')));
      assert.equal(typeof written, 'string');
      const stored = JSON.parse(written as string) as { devices?: Array<{ device_id: string }> } | undefined;
      assert.deepEqual(
        stored?.devices?.map((d) => d.device_id),
        ['hp1'],
      );
    });
  });

  describe('history and health', function () {
    it('history is off without an InfluxDB node; without a broker mqtt_connected stays unknown', async function () {
      await helper.load(fleetModule, [{ id: 'fleet', type: 'heatpump-fleet', name: '', store: '' }]);
      const fleet = fleetLink();
      await new Deliveries(fleet).nth(0); // started: the first health check ran
      assert.equal(fleet.history, false);
      assert.equal(fleet.historyNote, 'history is off: no InfluxDB is set on the fleet node');
      assert.deepEqual([fleet.state.health.history, fleet.state.health.influxdb_connected, fleet.state.health.mqtt_connected], [false, null, null]);
    });

    it('history is off with an InfluxDB node that has no host', async function () {
      await helper.load(
        [influxModule, fleetModule],
        [
          { id: 'fleet', type: 'heatpump-fleet', name: '', store: '', influxdb: 'idb' },
          { id: 'idb', type: 'influxdb', hostname: '', port: '8086', database: 'heatpump', name: '', usetls: false, influxdbVersion: '1.x' },
        ],
      );
      const fleet = fleetLink();
      await new Deliveries(fleet).nth(0);
      assert.equal(fleet.history, false);
      assert.equal(fleet.historyNote, 'history is off: the InfluxDB node has no host (INFLUXDB_URL is not set)');
      assert.deepEqual([fleet.state.health.history, fleet.state.health.influxdb_connected], [false, null]);
      assert.deepEqual(logged(WARN), []);
    });

    describe('with a real influxd', function () {
      let influx: RunningInfluxd | undefined;
      let dataDir: string | undefined;

      before(async function () {
        this.timeout(60_000);
        requireBinary(this, 'influxd', 'influxdb');
        dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-fleet-influx-'));
        influx = await startInfluxd({ dataDir, port: 0 });
      });

      after(async function () {
        await influx?.stop();
        if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      });

      it('history is on, health follows /ping, and an outage is logged once over several checks', async function () {
        this.timeout(60_000);
        assert.ok(influx);
        await helper.load(
          [influxModule, fleetModule],
          [
            { id: 'fleet', type: 'heatpump-fleet', name: '', store: '', influxdb: 'idb' },
            { id: 'idb', type: 'influxdb', hostname: '127.0.0.1', port: String(influx.port), database: 'heatpump', name: '', usetls: false, influxdbVersion: '1.x' },
          ],
        );
        const fleet = fleetLink();
        assert.equal(fleet.history, true);
        assert.equal(fleet.historyNote, '');
        await eventually(async () => fleet.state.health.influxdb_connected === true || undefined, 6000, 'influxdb_connected true');
        assert.equal(fleet.state.health.history, true);

        const unreachable = new RegExp(`^InfluxDB at http://127\\.0\\.0\\.1:${influx.port}/ping is unreachable \\(.+\\)`);
        assert.deepEqual(
          logged(WARN).filter((text) => unreachable.test(text)),
          [],
        );
        await influx.stop();
        const down = Date.now();
        await eventually(async () => fleet.state.health.influxdb_connected === false || undefined, 6500, 'influxdb_connected false');
        // at least two checks (every 5 s) while it stays down
        await sleep(Math.max(0, down + 11_000 - Date.now()));
        assert.equal(fleet.state.health.influxdb_connected, false);
        assert.equal(fleet.history, true, 'an outage does not switch history off');
        const warnings = logged(WARN).filter((text) => unreachable.test(text));
        assert.equal(warnings.length, 1, `one warning per outage, not per check:\n${logged(WARN).join('\n')}`);
        assert.deepEqual(
          logged(INFO).filter((text) => /answers again/.test(text)),
          [],
        );
      });
    });

    describe('with a real MQTT broker', function () {
      let broker: RunningBroker | undefined;

      before(async function () {
        broker = await startBroker({ port: 0 });
      });

      after(async function () {
        await broker?.close();
      });

      it('mqtt_connected follows the named broker config node', async function () {
        this.timeout(20_000);
        assert.ok(broker);
        await helper.load(
          [mqttModule, fleetModule],
          [
            { id: 'tab', type: 'tab', label: 'fleet' },
            { id: 'fleet', type: 'heatpump-fleet', name: '', store: '', broker: 'broker' },
            { id: 'broker', type: 'mqtt-broker', broker: '127.0.0.1', port: String(broker.port), clientid: '', protocolVersion: '4', keepalive: '60', cleansession: true, autoConnect: true },
            { id: 'in', z: 'tab', x: 100, y: 100, type: 'mqtt in', topic: 'heatpump/+/data', qos: '0', datatype: 'json', broker: 'broker', nl: false, rap: false, inputs: 0, wires: [] },
          ],
        );
        const fleet = fleetLink();
        await eventually(async () => fleet.state.health.mqtt_connected === true || undefined, 7000, 'mqtt_connected true');
        assert.equal(fleet.state.counters.mqtt_outages, 0);
        await broker.close();
        await eventually(async () => fleet.state.health.mqtt_connected === false || undefined, 3000, 'mqtt_connected false within the 1 s check');
        assert.equal(fleet.state.counters.mqtt_outages, 1, 'the outage is counted');
        assert.ok(helper.log().args.some((args) => /MQTT broker connection lost \(outage 1/.test(String((args[0] as { msg?: unknown }).msg))), 'one log line says so');
      });
    });
  });

  it('sums the points each heatpump-batch holds in its spool into the health', async function () {
    await helper.load(fleetModule, [{ id: 'fleet', type: 'heatpump-fleet', name: '', store: '' }]);
    const fleet = fleetLink();
    fleet.spooled('batch1', 5000);
    fleet.spooled('batch2', 300);
    await eventually(async () => fleet.state.health.spooled_points === 5300 || undefined, 3000, 'both spools counted');
    fleet.spooled('batch1', 0);
    await eventually(async () => fleet.state.health.spooled_points === 300 || undefined, 3000, 'an emptied spool no longer counts');
  });

  describe('delivery', function () {
    it('fleet.metrics(reading): the device record carries the latest metrics reading to subscribers', async function () {
      await helper.load(fleetModule, [{ id: 'fleet', type: 'heatpump-fleet', name: '', store: '' }]);
      const fleet = fleetLink();
      const subscriber = new Deliveries(fleet);
      await subscriber.nth(0);
      const t = Date.now();
      for (let i = 0; i < 3; i += 1) fleet.metrics({ device_id: 'nibe1', timestamp: t - 30_000 + i * 10_000, metrics: { flow_temperature: 35 + i }, info: { source: 'modbus' } });
      const batch = await subscriber.nth(1, 2500);
      assert.deepEqual(
        batch.devices.map((d) => [d.device_id, d.reading, d.metrics?.metrics, d.metrics?.timestamp]),
        [['nibe1', null, { flow_temperature: 37 }, t - 10_000]],
      );
      assert.equal(fleet.state.counters.readings_accepted, 3);
      assert.ok((fleet.state.get('nibe1')?.last_seen ?? 0) >= t, 'last seen: when it was heard');
      // a source's bug: not kept, counted and listed as a rejected reading
      fleet.metrics({ device_id: 'nibe1', timestamp: t, metrics: { flow_temperature: Number.NaN } });
      assert.equal(fleet.state.get('nibe1')?.metrics?.metrics.flow_temperature, 37);
      assert.equal(fleet.state.counters.payloads_rejected, 1);
      assert.deepEqual(
        fleet.state.rejections().map((r) => [r.scope, r.device_id, r.reason]),
        [['reading', 'nibe1', 'metrics reading: metric flow_temperature must be a finite number or a boolean, got NaN']],
      );
    });

    it('batches changes: 1000 reports on 10 devices reach a subscriber as one delivery of 10 records', async function () {
      await helper.load(fleetModule, [{ id: 'fleet', type: 'heatpump-fleet', name: '', store: '' }]);
      const fleet = fleetLink();
      const subscriber = new Deliveries(fleet);
      const first = await subscriber.nth(0);
      assert.deepEqual(first.devices, []);
      const t = Date.now();
      for (let i = 0; i < 1000; i += 1) fleet.reading(reading(`hp${i % 10}`, t - 1000 + i, { power: i }), []);
      assert.equal(fleet.state.counters.readings_accepted, 1000);
      const batch = await subscriber.nth(1, 2500);
      assert.ok(batch.devices.length <= 10, `${batch.devices.length} records`);
      assert.deepEqual(
        batch.devices.map((d) => [d.device_id, d.reading?.power]).sort(),
        Array.from({ length: 10 }, (_, i) => [`hp${i}`, 990 + i]).sort(),
        'one record per device, with its newest reading',
      );
      assert.equal(batch.counters, true);
      await sleep(1500);
      assert.equal(subscriber.got.length, 2, 'nothing changed after the batch, so nothing more was delivered');
    });

    it('a subscriber that throws is logged and does not stop the others', async function () {
      await helper.load(fleetModule, [{ id: 'fleet', type: 'heatpump-fleet', name: '', store: '' }]);
      const fleet = fleetLink();
      fleet.subscribe(() => {
        throw new Error('view broke');
      });
      const subscriber = new Deliveries(fleet);
      await subscriber.nth(0);
      fleet.seen('hp1', Date.now());
      assert.deepEqual(
        (await subscriber.nth(1)).devices.map((d) => d.device_id),
        ['hp1'],
      );
      assert.ok(
        logged(ERROR).some((text) => text === 'A fleet consumer failed: view broke'),
        logged(ERROR).join('\n'),
      );
    });

    it('an unsubscribed listener gets nothing more', async function () {
      await helper.load(fleetModule, [{ id: 'fleet', type: 'heatpump-fleet', name: '', store: '' }]);
      const fleet = fleetLink();
      const gone = new Deliveries(fleet);
      const staying = new Deliveries(fleet);
      await gone.nth(0);
      await staying.nth(0);
      gone.unsubscribe();
      fleet.seen('hp1', Date.now());
      await staying.nth(1);
      assert.equal(gone.got.length, 1);
    });
  });

  describe('close', function () {
    it('leaves no timer running after unload', async function () {
      // the helper's startServer starts the editor comms heartbeat (a setInterval) a few ticks
      // after its callback: let it, so that the baseline holds it
      await sleep(100);
      const start = timeouts();
      const closedPort = await freePort();
      await helper.load(
        [influxModule, fleetModule],
        [
          { id: 'fleet', type: 'heatpump-fleet', name: '', store: '', influxdb: 'idb' },
          { id: 'idb', type: 'influxdb', hostname: '127.0.0.1', port: String(closedPort), database: 'heatpump', name: '', usetls: false, influxdbVersion: '1.x' },
        ],
      );
      const fleet = fleetLink();
      const subscriber = new Deliveries(fleet);
      await subscriber.nth(0);
      await eventually(async () => fleet.state.health.influxdb_connected === false || undefined, 3000, 'the first health check');
      assert.ok(timeouts() >= start + 3, `the node's three intervals run: ${timeouts()} timers, ${start} before the load`);
      const delivered = subscriber.got.length;
      await helper.unload();
      const deadline = Date.now() + 1000;
      while (timeouts() > start && Date.now() < deadline) await sleep(20);
      assert.equal(timeouts(), start, 'Timeout count back to the count before the load');
      await sleep(1200);
      assert.equal(subscriber.got.length, delivered, 'no delivery after close');
    });
  });
});
