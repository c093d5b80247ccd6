// heatpump-batch writing to InfluxDB itself (an `influxdb` config node chosen, no influxdb batch
// node) into Debian's influxd with logins on: what it stores is what `influxdb batch` stores (the
// same field types and values), it logs in as the config node's user, a refused or unusable server
// is reported and never silently drops points, and a server that never answers is given up at the
// write deadline (the request is cut, the batch spooled).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { NodeMessage } from 'node-red';
import type { AlertEvent, MetricsReading, Reading } from '../../nodes/shared/contract';
import { influxQuery, rowsOf, setupInfluxDb, type InfluxConnection, type Login } from '../../scripts/lib/influx-setup';
import { catchModule, completeModule, helper, nodeById as get, withCatalog, type NodeInit } from '../support/flow-helper';
import { nodeModule } from '../support/node-red';
import { eventually } from '../support/runtime';
import { influxdFlowSuite } from '../support/influxd-flow-suite';

const batch = withCatalog(nodeModule('heatpump-batch') as NodeInit, 'heatpump-batch');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const influxModule = require('node-red-contrib-influxdb/influxdb.js') as NodeInit;

const admin: Login = { username: 'admin', password: 'admin-pw' };
const writer: Login = { username: 'hp-writer', password: 'w "secret", with = signs' };
const reader: Login = { username: 'hp-reader', password: 'reader-pw' };
const at = { z: 'tab', x: 100, y: 100 };
const T0 = Date.now() - 3_600_000;

/** one of each point shape, with the characters line protocol must escape */
function payload(device: string): Array<Reading | AlertEvent | MetricsReading> {
  return [
    { device_id: device, timestamp: T0, temp_inlet: 41.5, voltage: 231, current: -0.25, fan_running: true, compressor_running: false },
    { device_id: device, alert_type: 'temp_high', level: 'warning', value: 61, threshold: 60, message: 'Outlet "hot" at C:\\boiler', state: 'raised', timestamp: T0 + 1000 },
    { device_id: device, timestamp: T0 + 2000, metrics: { flow_temperature: 35.5, compressor_starts: 1234, defrost: false }, units: {}, info: { name: 'Keller, Nord', location: 'Haus = 1', model: 'NIBE F1255' } },
  ];
}

describe('heatpump-batch writes to InfluxDB 1.x itself (influxd with logins)', function () {
  this.timeout(120_000);
  const as = (login: Login, database?: string): InfluxConnection & { database?: string } => ({ url: suite.influx.url, username: login.username, password: login.password, database });
  const suite = influxdFlowSuite(
    'hp-direct-write',
    async (influx) => {
      await influxQuery({ url: influx.url }, `CREATE USER "${admin.username}" WITH PASSWORD '${admin.password}' WITH ALL PRIVILEGES`);
      for (const database of ['direct', 'through_node']) await setupInfluxDb({ url: influx.url, username: admin.username, password: admin.password, database, writer, reader });
    },
    { authEnabled: true },
  );

  const server = (id: string, database: string, login: Login, extra: Record<string, unknown> = {}) => ({
    id,
    type: 'influxdb',
    hostname: '127.0.0.1',
    port: String(suite.influx.port),
    database,
    name: '',
    usetls: false,
    influxdbVersion: '1.x',
    credentials: { username: login.username, password: login.password },
    ...extra,
  });
  const batchNode = (config: Record<string, unknown>) => ({ id: 'batch', ...at, type: 'heatpump-batch', maxPoints: 5000, maxWaitMs: 50, maxBuffered: 100000, retries: 0, spool: false, writeTimeoutS: 30, fleet: '', ...config });
  /** the catch node's messages: every error heatpump-batch reports */
  const caught = (): Array<NodeMessage & { error: { message: string } }> => {
    const seen: Array<NodeMessage & { error: { message: string } }> = [];
    get('errors').on('input', (msg: NodeMessage) => seen.push(msg as NodeMessage & { error: { message: string } }));
    return seen;
  };
  const rows = async (database: string, q: string) => rowsOf(await influxQuery(as(admin), q, database));

  it('stores what influxdb batch stores: the same rows, field types and tag values, written as the config node’s user', async function () {
    await helper.load(
      [batch, influxModule, completeModule, catchModule],
      [
        { id: 'tab', type: 'tab', label: 'direct' },
        batchNode({ id: 'direct', influxdb: 'idb-direct', outputs: 0, wires: [] }),
        server('idb-direct', 'direct', writer),
        // the same points the old way: heatpump-batch -> influxdb batch, answers back through complete / catch
        batchNode({ id: 'through', wires: [['write']] }),
        { id: 'write', ...at, type: 'influxdb batch', influxdb: 'idb-node', precision: '', retentionPolicy: '', database: 'database', precisionV18FluxV20: 'ms', retentionPolicyV18Flux: '', org: 'o', bucket: 'b' },
        server('idb-node', 'through_node', writer),
        { id: 'written', ...at, type: 'complete', scope: ['write'], uncaught: false, wires: [['through']] },
        { id: 'failed', ...at, type: 'catch', scope: ['write'], uncaught: false, wires: [['through']] },
      ],
      { 'idb-direct': { username: writer.username, password: writer.password }, 'idb-node': { username: writer.username, password: writer.password } },
    );
    get('direct').receive({ payload: payload('pump-1') });
    get('through').receive({ payload: payload('pump-1') });
    const measurements = ['sensor_reading', 'alert', 'heatpump_metrics'];
    await eventually(async () => {
      const counts = await Promise.all(['direct', 'through_node'].map(async (db) => (await rows(db, 'SHOW MEASUREMENTS')).length));
      return counts.every((n) => n === measurements.length) ? true : undefined;
    }, 20_000, 'both databases hold the three measurements');
    for (const measurement of measurements) {
      const [direct, through] = await Promise.all(['direct', 'through_node'].map((db) => rows(db, `SELECT * FROM "${measurement}"`)));
      assert.equal(direct?.length, 1, `one ${measurement} row`);
      assert.deepEqual(direct, through, `${measurement}: the same row both ways`);
      const [directTypes, throughTypes] = await Promise.all(['direct', 'through_node'].map((db) => rows(db, `SHOW FIELD KEYS FROM "${measurement}"`)));
      assert.deepEqual(directTypes, throughTypes, `${measurement}: the same field types both ways`);
    }
    const [metrics] = await rows('direct', 'SELECT * FROM "heatpump_metrics"');
    assert.equal(metrics?.name, 'Keller, Nord');
    assert.equal(metrics?.location, 'Haus = 1');
    const [alert] = await rows('direct', 'SELECT * FROM "alert"');
    assert.equal(alert?.message, 'Outlet "hot" at C:\\boiler');
    // (one catch node per flow here: the test helper loads the catch module once per catch node)
    const errors = (helper.log().args as unknown[][]).map((args) => args[0] as { level?: number; id?: string }).filter((entry) => entry.level === 20 && entry.id === 'direct');
    assert.deepEqual(errors, []);
  });

  it('a server that refuses the login: the write fails with InfluxDB’s reason, reported (retries 0, spool off: lost)', async function () {
    await helper.load(
      [batch, influxModule, catchModule],
      [{ id: 'tab', type: 'tab', label: 'refused' }, batchNode({ influxdb: 'idb', outputs: 0, wires: [] }), server('idb', 'direct', reader), { id: 'errors', ...at, type: 'catch', scope: ['batch'], uncaught: false, wires: [] }],
      { idb: { username: reader.username, password: reader.password } },
    );
    const errors = caught();
    get('batch').receive({ payload: payload('pump-2') });
    await eventually(async () => (errors.length > 0 ? true : undefined), 10_000, 'the loss is reported');
    assert.match(errors[0]?.error.message ?? '', /3 points lost, InfluxDB write failed 1 times: InfluxDB answered 403 Forbidden: .*not authorized to write/);
    assert.deepEqual(await rows('direct', `SELECT * FROM "sensor_reading" WHERE "device_id" = 'pump-2'`), []);
  });

  it('an InfluxDB 2.x server: reported at the start, and every write fails with that reason instead of vanishing', async function () {
    await helper.load(
      [batch, influxModule, catchModule],
      [
        { id: 'tab', type: 'tab', label: 'v2' },
        batchNode({ influxdb: 'idb', outputs: 0, wires: [] }),
        { id: 'idb', type: 'influxdb', name: '', influxdbVersion: '2.0', url: 'http://127.0.0.1:9', timeout: '10' },
        { id: 'errors', ...at, type: 'catch', scope: ['batch'], uncaught: false, wires: [] },
      ],
      { idb: { token: 't' } },
    );
    const logged = (helper.log().args as unknown[][]).map((args) => String((args[0] as { msg?: unknown }).msg));
    assert.ok(logged.some((text) => /cannot write to the chosen InfluxDB server \(writes through the InfluxDB 1\.x API only .*, the server is set to 2\.0/.test(text)), 'reported at the start');
    const errors = caught();
    get('batch').receive({ payload: payload('pump-3') });
    await eventually(async () => (errors.length > 0 ? true : undefined), 10_000, 'the loss is reported');
    assert.match(errors[0]?.error.message ?? '', /3 points lost, .*writes through the InfluxDB 1\.x API only .*, the server is set to 2\.0/);
  });

  /** a server that takes connections and never answers; `cut` counts the requests the client ended */
  async function silentServer(): Promise<{ port: number; requests: () => number; cut: () => number; close: () => Promise<void> }> {
    const sockets: net.Socket[] = [];
    let cut = 0;
    const silent = net.createServer((socket) => {
      sockets.push(socket);
      socket.on('end', () => (cut += 1));
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    return {
      port: (silent.address() as net.AddressInfo).port,
      requests: () => sockets.length,
      cut: () => cut,
      close: async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      },
    };
  }
  /** heatpump-batch `id` (its own spool directory) writing to `port` */
  const loadAgainst = (id: string, port: number, writeTimeoutS: number) =>
    helper.load(
      [batch, influxModule, catchModule],
      [{ id: 'tab', type: 'tab', label: 'hung' }, batchNode({ id, influxdb: 'idb', outputs: 0, wires: [], spool: true, writeTimeoutS }), server('idb', 'direct', writer, { port: String(port) }), { id: 'errors', ...at, type: 'catch', scope: [id], uncaught: false, wires: [] }],
      { idb: { username: writer.username, password: writer.password } },
    );
  const spooledFiles = (id: string): string[] => {
    const dir = path.join(suite.userDir, 'heatpump-spool', id);
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((file) => /^\d{12}-\d+\.json\.gz$/.test(file)) : [];
  };

  it('a server that never answers: cut at the write deadline, the batch spooled, nothing lost', async function () {
    const silent = await silentServer();
    try {
      await loadAgainst('batch', silent.port, 1);
      const errors = caught();
      const warnings: string[] = [];
      const node = get('batch') as unknown as { warn: (text: unknown) => void };
      const warn = node.warn.bind(node);
      node.warn = (text: unknown) => {
        warnings.push(String(text));
        warn(text);
      };
      get('batch').receive({ payload: payload('pump-4') });
      await eventually(async () => (warnings.some((w) => /spooled on disk/.test(w)) ? true : undefined), 10_000, 'spooled after the deadline');
      assert.match(warnings.find((w) => /spooled on disk/.test(w)) ?? '', /no answer from InfluxDB within 1 s/);
      await eventually(async () => (silent.requests() > 0 && silent.cut() === silent.requests() ? true : undefined), 5_000, 'the hung request is cut');
      assert.ok(spooledFiles('batch').some((file) => file.endsWith('-3.json.gz')), 'the batch is on disk');
      assert.deepEqual(errors, [], 'nothing lost');
    } finally {
      await silent.close();
    }
  });

  it('closed (redeploy, shutdown) while its write waits: the request is cut and the batch kept in the spool for the next start', async function () {
    const silent = await silentServer();
    try {
      await loadAgainst('closing', silent.port, 30);
      get('closing').receive({ payload: payload('pump-5') });
      await eventually(async () => (silent.requests() > 0 ? true : undefined), 5_000, 'the write is under way');
      assert.deepEqual(spooledFiles('closing'), [], 'nothing spooled while the write waits');
      await helper.unload();
      await eventually(async () => (silent.cut() === silent.requests() ? true : undefined), 5_000, 'the waiting request is cut');
      assert.ok(spooledFiles('closing').some((file) => file.endsWith('-3.json.gz')), 'the batch is on disk for the next start');
    } finally {
      await silent.close();
    }
  });
});
