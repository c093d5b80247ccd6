// heatpump-query and heatpump-response in the real runtime, with the http in / http response
// nodes the shipped API flow uses; InfluxDB is replaced by a function node that returns rows the
// way `influxdb in` does (the end-to-end suite runs the real database).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NodeMessage } from 'node-red';
import { catchModule, helper, withCatalog, type NodeInit } from '../support/flow-helper';
import { nodeModule, nodeRedPath } from '../support/node-red';
import type { FleetLink } from '../../nodes/shared/fleet-link';
import { MAX_READINGS_PAGE } from '../../nodes/heatpump-query/request';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const coreHttpIn = require(require.resolve('@node-red/nodes/core/network/21-httpin.js', { paths: [nodeRedPath] })) as NodeInit;
/** The express app `http in` nodes register their routes on (the helper does not serve it). */
let httpNode: http.RequestListener | undefined;
const httpInModule: NodeInit = (RED) => {
  httpNode = (RED as unknown as { httpNode: http.RequestListener }).httpNode;
  coreHttpIn(RED);
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const functionModule = require(require.resolve('@node-red/nodes/core/function/10-function.js', { paths: [nodeRedPath] })) as NodeInit;

const query = withCatalog(nodeModule('heatpump-query') as NodeInit, 'heatpump-query');
const response = withCatalog(nodeModule('heatpump-response') as NodeInit, 'heatpump-response');
const fleetModule = withCatalog(nodeModule('heatpump-fleet') as NodeInit, 'heatpump-fleet');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const influxModule = require('node-red-contrib-influxdb/influxdb.js') as NodeInit;

/** A fleet with (history on) or without (history off) an InfluxDB node; nothing listens on port 9. */
const fleetNodes = (history: boolean) => [
  { id: 'f', type: 'heatpump-fleet', name: '', store: '', broker: '', influxdb: history ? 'idb' : '' },
  ...(history ? [{ id: 'idb', type: 'influxdb', hostname: '127.0.0.1', port: '9', database: 'heatpump', influxdbVersion: '1.x', usetls: false }] : []),
];

interface FleetNode {
  fleet: FleetLink;
}
const fleetOfTest = () => (helper.getNode('f') as unknown as FleetNode).fleet;

/** Reports apply once the fleet has loaded its stored state: wait until this one shows. */
async function report(apply: (fleet: FleetLink) => void, shows: (fleet: FleetLink) => boolean): Promise<void> {
  apply(fleetOfTest());
  const deadline = Date.now() + 5000;
  while (!shows(fleetOfTest())) {
    if (Date.now() > deadline) throw new Error('the fleet did not take the report');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The rows a stand-in database answers with, keyed by the start of the InfluxQL. */
const fakeInflux = `
const site1 = msg.query.includes('"device_id" = \\'site1\\'');
const nibe1 = msg.query.startsWith('SELECT * FROM "raw"."heatpump_metrics" WHERE "heatpump_id" = \\'nibe1\\'');
const series = site1
  ? [{ name: 'sensor_reading', columns: ['time', 'voltage', 'temp_inlet', 'compressor_running'], values: [[1706600000000, 230.5, 45.2, true]] }]
  : nibe1 ? [{ name: 'heatpump_metrics', columns: ['time', 'heatpump_id', 'model', 'flow_temperature', 'compressor_on'], values: [[1706600000000, 'nibe1', 'NIBE F1255', 35.5, true]] }] : [];
const lookup = site1 ? [{ name: 'sensor_reading', columns: ['key', 'value'], values: [['device_id', 'site1']] }] : [];
// like influxdb in with msg.rawOutput (heatpump-query sets it): InfluxDB's own JSON, one result per
// statement; a statement InfluxDB cannot run carries its error there
if (msg.query.includes("'site3'")) { msg.payload = { results: [{ statement_id: 0, error: 'shard not found' }] }; return msg; }
msg.payload = { results: [{ statement_id: 0, series }, { statement_id: 1, series: lookup }].slice(0, msg.heatpumpRequest.statements) };
return msg;`;

function apiFlow(history = true): Array<Record<string, unknown>> {
  const routes = ['/api/health', '/metrics', '/api/devices/:id/status', '/api/devices/:id/readings', '/api/alerts'];
  return [
    { id: 'tab', type: 'tab' },
    ...fleetNodes(history),
    ...routes.map((url, i) => ({ id: `in${i}`, z: 'tab', type: 'http in', url, method: 'get', wires: [['q']] })),
    { id: 'q', z: 'tab', type: 'heatpump-query', name: '', fleet: 'f', wires: [['db'], ['out']] },
    { id: 'db', z: 'tab', type: 'function', func: fakeInflux, outputs: 1, wires: [['r']] },
    { id: 'r', z: 'tab', type: 'heatpump-response', name: '', fleet: 'f', wires: [['out']] },
    { id: 'out', z: 'tab', type: 'http response', statusCode: '', headers: {} },
  ];
}

const apiModules = [httpInModule, functionModule, fleetModule, influxModule, query, response, catchModule];

describe('heatpump-query and heatpump-response nodes', () => {
  before((done) => {
    helper.init(nodeRedPath);
    helper.startServer(done);
  });
  after((done) => {
    helper.stopServer(done);
  });
  afterEach(() => helper.unload());

  const get = async (path: string) => {
    const server = http.createServer((req, res) => httpNode?.(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`);
      return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  };

  it('should be loaded with correct defaults', async () => {
    await helper.load([query, response], [
      { id: 'q', type: 'heatpump-query', name: 'api' },
      { id: 'r', type: 'heatpump-response', name: '' },
    ]);
    const q = helper.getNode('q') as unknown as { name: string };
    assert.equal(q.name, 'api');
    assert.ok(helper.getNode('r'));
  });

  it('answers health from the fleet, 503 when InfluxDB is down', async () => {
    await helper.load(apiModules, apiFlow());
    // the fleet's first check finds nothing on port 9; the next one is 5 s away
    await report(() => undefined, (fleet) => fleet.state.health.influxdb_connected === false);
    fleetOfTest().state.setHealth({ mqtt_connected: true, influxdb_connected: true });
    const healthy = await get('/api/health');
    assert.equal(healthy.status, 200);
    assert.equal((JSON.parse(healthy.text) as { status: string }).status, 'healthy');
    fleetOfTest().state.setHealth({ influxdb_connected: false });
    const down = await get('/api/health');
    assert.equal(down.status, 503);
    assert.equal((JSON.parse(down.text) as { status: string }).status, 'unhealthy');
  });

  it('serves Prometheus text from the fleet counters with its content type', async () => {
    await helper.load(apiModules, apiFlow());
    await report(
      (fleet) => fleet.reading({ device_id: 'site1', timestamp: 1706600000000, voltage: 230.5 }, []),
      (fleet) => fleet.state.counters.readings_accepted === 1,
    );
    const metrics = await get('/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.type, /^text\/plain/);
    assert.match(metrics.text, /^heatpump_readings_total 1$/m);
    assert.match(metrics.text, /^heatpump_devices_total 1$/m);
  });

  it('answers a device status from the fleet, 404 for an unknown device', async () => {
    await helper.load(apiModules, apiFlow());
    await report(
      (fleet) => fleet.reading({ device_id: 'site1', timestamp: 1706600000000, voltage: 230.5, temp_inlet: 45.2 }, []),
      (fleet) => fleet.state.get('site1') !== undefined,
    );
    const status = await get('/api/devices/site1/status');
    assert.equal(status.status, 200);
    const body = JSON.parse(status.text) as Record<string, unknown>;
    assert.equal(body.device_id, 'site1');
    assert.equal(body.voltage, 230.5);
    assert.equal(body.current, null);
    assert.equal(typeof body.last_seen, 'string');
    assert.equal((await get('/api/devices/ghost/status')).status, 404);
  });

  it('goes through the database for readings and shapes the rows', async () => {
    await helper.load(apiModules, apiFlow());
    const readings = await get('/api/devices/site1/readings?start=1706500000000&end=1706700000000');
    assert.equal(readings.status, 200);
    const body = JSON.parse(readings.text) as { count: number; readings: Record<string, unknown>[] };
    assert.equal(body.count, 1);
    assert.equal(body.readings[0]?.voltage, 230.5);
    assert.equal((await get('/api/devices/ghost/readings')).status, 404);
  });

  it('answers 503 for a statement InfluxDB reports failed in its answer', async () => {
    await helper.load(apiModules, apiFlow());
    const failed = await get('/api/devices/site3/readings?hours=1');
    assert.equal(failed.status, 503);
    assert.deepEqual(JSON.parse(failed.text), { error: 'InfluxDB query failed: shard not found' });
  });

  it('links the next page of a full readings page on the path it was called on, a limit over the page size clamped', async () => {
    await helper.load(apiModules, apiFlow());
    const full = JSON.parse((await get('/api/devices/site1/readings?start=1706500000000&end=1706700000000&limit=1')).text) as Record<string, unknown>;
    assert.deepEqual([full.limit, full.count, full.next], [1, 1, '/api/devices/site1/readings?start=1706500000000&end=1706599999999&limit=1']);
    const clamped = JSON.parse((await get('/api/devices/site1/readings?hours=720&limit=10000')).text) as Record<string, unknown>;
    assert.deepEqual([clamped.limit, clamped.count, clamped.next], [MAX_READINGS_PAGE, 1, null]);
  });

  it('reads a polled source\'s device (fleet.metrics) from heatpump_metrics, and its status from the fleet', async () => {
    await helper.load(apiModules, apiFlow());
    await report(
      (fleet) => fleet.metrics({ device_id: 'nibe1', timestamp: 1706600000000, metrics: { flow_temperature: 35.5 }, units: { flow_temperature: '°C' }, info: { model: 'NIBE F1255', source: 'modbus' } }),
      (fleet) => fleet.state.get('nibe1') !== undefined,
    );
    const readings = await get('/api/devices/nibe1/readings?start=1706500000000&end=1706700000000');
    assert.equal(readings.status, 200);
    assert.deepEqual((JSON.parse(readings.text) as { readings: unknown[] }).readings, [{ timestamp: new Date(1706600000000).toISOString(), flow_temperature: 35.5, compressor_on: true }]);
    const status = JSON.parse((await get('/api/devices/nibe1/status')).text) as Record<string, unknown>;
    assert.deepEqual([status.metrics, status.units, status.info], [{ flow_temperature: 35.5 }, { flow_temperature: '°C' }, { model: 'NIBE F1255', source: 'modbus' }]);
  });

  it('answers history requests with 503 and queries nothing when history is off', async () => {
    await helper.load(apiModules, apiFlow(false));
    const queried: unknown[] = [];
    helper.getNode('db')?.on('input', (msg: unknown) => queried.push(msg));
    const readings = await get('/api/devices/site1/readings');
    assert.equal(readings.status, 503);
    assert.match((JSON.parse(readings.text) as { error: string }).error, /^history is off: /);
    assert.equal((await get('/api/alerts')).status, 503);
    assert.deepEqual(queried, []);
    assert.equal((await get('/api/health')).status, 200, 'degraded, not down');
  });

  it('answers invalid parameters with 400 before any query', async () => {
    await helper.load(apiModules, apiFlow());
    const res = await get('/api/alerts?hours=500');
    assert.equal(res.status, 400);
    assert.match(res.text, /hours must be between 1 and 168/);
  });

  describe('performance and energy (days of heatpump-performance)', () => {
    /** Two Berlin days stored at local midnight, and the COP windows' aggregate. */
    const fakeDays = `
const known = msg.query.includes('"device_id" = \\'hp1\\'');
const days = known ? [
  { time: new Date('2026-03-28T23:00:00Z'), heat_energy: 10, electrical_energy: 2 },
  { time: new Date('2026-03-29T22:00:00Z'), heat_energy: 20, electrical_energy: 5 },
] : [];
const windows = known ? [{ time: new Date(0), carnot_percent: 50, quality: 0.9 }] : [];
msg.payload = msg.heatpumpRequest.statements === 1 ? days : [days, windows];
return msg;`;
    const performanceFlow = (timeZone: string) => [
      { id: 'tab', type: 'tab' },
      ...fleetNodes(true),
      ...['/api/devices/:id/performance', '/api/devices/:id/energy'].map((url, i) => ({ id: `in${i}`, z: 'tab', type: 'http in', url, method: 'get', wires: [['q']] })),
      { id: 'q', z: 'tab', type: 'heatpump-query', name: '', fleet: 'f', timeZone, wires: [['db'], ['out']] },
      { id: 'db', z: 'tab', type: 'function', func: fakeDays, outputs: 1, wires: [['r']] },
      { id: 'r', z: 'tab', type: 'heatpump-response', name: '', fleet: 'f', wires: [['out']] },
      { id: 'out', z: 'tab', type: 'http response', statusCode: '', headers: {} },
    ];

    it('sums the days of a custom range into SPF of sums, and buckets local weeks in the node\'s time zone', async () => {
      await helper.load(apiModules, performanceFlow(''));
      const performance = await get('/api/devices/hp1/performance?period=custom&start=2026-03-23&end=2026-04-06');
      assert.equal(performance.status, 200, performance.text);
      const figures = JSON.parse(performance.text) as Record<string, unknown>;
      assert.deepEqual([figures.start, figures.time_zone, figures.days, figures.heat_kwh, figures.electricity_kwh, figures.spf, figures.carnot_percent, figures.quality], ['2026-03-22T23:00:00.000Z', 'Europe/Berlin', 2, 30, 7, 4.286, 50, 0.9]);
      const weeks = await get('/api/devices/hp1/energy?every=1w&start=2026-03-23&end=2026-04-06');
      assert.equal(weeks.status, 200, weeks.text);
      // 30 March (stored on 29 March in UTC) belongs to week 14 in Berlin
      assert.deepEqual((JSON.parse(weeks.text) as Record<string, unknown>[]).map((week) => [week.period, week.heat_kwh, week.spf]), [['2026-W13', 10, 5], ['2026-W14', 20, 4]]);
    });

    it('answers 404 for an unknown device, 400 for a bad period and an unknown tz', async () => {
      await helper.load(apiModules, performanceFlow('UTC'));
      const weeks = await get('/api/devices/hp1/energy?every=1w&start=2026-03-23&end=2026-04-06');
      // in UTC both days fall in week 13
      assert.deepEqual((JSON.parse(weeks.text) as Record<string, unknown>[]).map((week) => [week.period, week.heat_kwh]), [['2026-W13', 30], ['2026-W14', null]]);
      assert.equal((await get('/api/devices/ghost/performance?period=month')).status, 404);
      const badPeriod = await get('/api/devices/hp1/performance?period=decade');
      assert.equal(badPeriod.status, 400);
      assert.match(badPeriod.text, /period must be one of/);
      assert.equal((await get('/api/devices/hp1/energy?tz=Mars/Olympus')).status, 400);
    });

    it('refuses every request with done(err) and says so in its status when its time zone is unknown', async () => {
      await helper.load([query, catchModule], [
        { id: 'tab', type: 'tab' },
        { id: 'q', z: 'tab', type: 'heatpump-query', name: '', timeZone: 'Mars/Olympus', wires: [[], []] },
        { id: 'c', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['h']] },
        { id: 'h', z: 'tab', type: 'helper' },
      ]);
      const caught = new Promise<NodeMessage & { error?: { message: string } }>((resolve) => helper.getNode('h')?.on('input', resolve));
      const statuses: { text?: string; fill?: string }[] = [];
      helper.getNode('q')?.on('call:status', (call: { args: [{ text?: string; fill?: string }] }) => statuses.push(call.args[0]));
      helper.getNode('q')?.receive({ payload: { kind: 'energy', device_id: 'hp1' } });
      assert.match((await caught).error?.message ?? '', /time zone "Mars\/Olympus" is unknown/);
      assert.deepEqual(statuses.at(-1), { fill: 'red', shape: 'ring', text: 'bad time zone Mars/Olympus' });
    });
  });

  it('fails a bad request object from a flow with done(err), seen by a Catch node', async () => {
    await helper.load([query, catchModule], [
      { id: 'tab', type: 'tab' },
      { id: 'q', z: 'tab', type: 'heatpump-query', name: '', wires: [[], []] },
      { id: 'c', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['h']] },
      { id: 'h', z: 'tab', type: 'helper' },
    ]);
    const caught = new Promise<NodeMessage & { error?: { message: string } }>((resolve) => helper.getNode('h')?.on('input', resolve));
    const statuses: { text?: string; fill?: string }[] = [];
    helper.getNode('q')?.on('call:status', (call: { args: [{ text?: string; fill?: string }] }) => statuses.push(call.args[0]));
    helper.getNode('q')?.receive({ payload: { kind: 'history', device_id: 'site1', range: '1y' } });
    const msg = await caught;
    assert.match(msg.error?.message ?? '', /heatpump-query: range must be one of 1h, 24h, 7d, 30d$/);
    assert.deepEqual(statuses.at(-1), { fill: 'red', shape: 'ring', text: 'bad request' });
  });

  it('turns a dashboard history request into InfluxQL with the request attached', async () => {
    await helper.load([query, fleetModule, influxModule], [
      { id: 'tab', type: 'tab' },
      ...fleetNodes(true),
      { id: 'q', z: 'tab', type: 'heatpump-query', name: '', fleet: 'f', wires: [['h'], []] },
      { id: 'h', z: 'tab', type: 'helper' },
    ]);
    const received = new Promise<NodeMessage & { query?: string; precision?: string; heatpumpRequest?: { statements: number; request: { kind: string } } }>((resolve) =>
      helper.getNode('h')?.on('input', resolve),
    );
    helper.getNode('q')?.receive({ payload: { kind: 'history', device_id: 'site1', range: '24h' } });
    const msg = await received;
    assert.match(msg.query ?? '', /GROUP BY time\(2m\) fill\(none\)$/);
    assert.equal(msg.heatpumpRequest?.statements, 1);
    assert.equal(msg.heatpumpRequest?.request.kind, 'history');
    // influxdb in asks InfluxDB for epoch milliseconds instead of RFC 3339 strings to parse, and
    // passes InfluxDB's JSON on as it is (no row object and Date per point)
    assert.equal(msg.precision, 'ms');
    assert.equal((msg as { rawOutput?: unknown }).rawOutput, true);
  });

  it("drops an answer that a newer choice of the same browser has overtaken, never an HTTP caller's", async () => {
    await helper.load([query, response, fleetModule, influxModule], [
      { id: 'tab', type: 'tab' },
      ...fleetNodes(true),
      { id: 'q', z: 'tab', type: 'heatpump-query', name: '', fleet: 'f', wires: [['asked'], []] },
      { id: 'asked', z: 'tab', type: 'helper' },
      { id: 'r', z: 'tab', type: 'heatpump-response', name: '', fleet: 'f', wires: [['answered']] },
      { id: 'answered', z: 'tab', type: 'helper' },
    ]);
    type Asked = NodeMessage & { name: string };
    const asked: Asked[] = [];
    helper.getNode('asked')?.on('input', (msg: Asked) => asked.push(msg));
    const answered: string[] = [];
    helper.getNode('answered')?.on('input', (msg: Asked) => answered.push(msg.name));
    const ask = (name: string, range: string, socketId?: string, msgid?: string) =>
      helper.getNode('q')?.receive({ name, payload: { kind: 'history', device_id: 'site1', range }, ...(socketId ? { _client: { socketId } } : {}), ...(msgid ? { _msgid: msgid } : {}) } as NodeMessage);
    ask('A 24h', '24h', 'A');
    ask('A 1h', '1h', 'A');
    // one choice of browser B asks twice (copies of one message, as the Performance page's figures)
    ask('B 24h', '24h', 'B', 'choice-of-B');
    ask('B 1h', '1h', 'B', 'choice-of-B');
    ask('http 1', '24h');
    ask('http 2', '1h');
    const until = async (done: () => boolean) => {
      const deadline = Date.now() + 5000;
      while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    // the fleet loads its stored state first
    await until(() => asked.length === 6);
    const byName = (name: string) => asked.find((msg) => msg.name === name) as Asked;
    // InfluxDB answers A's two requests the other way round, and the HTTP callers' too
    for (const name of ['A 1h', 'A 24h', 'B 1h', 'B 24h', 'http 2', 'http 1']) helper.getNode('r')?.receive({ ...byName(name), payload: { results: [{ statement_id: 0 }] } });
    await until(() => answered.length >= 5);
    assert.deepEqual(answered, ['A 1h', 'B 1h', 'B 24h', 'http 2', 'http 1']);
  });

  it('answers a failed or timed-out query with 503 and keeps InfluxDB unhealthy until a query succeeds', async () => {
    // InfluxDB's /ping answers, so only the failed query can make it unhealthy
    const pingServer = http.createServer((_req, res) => res.writeHead(204).end());
    await new Promise<void>((resolve) => pingServer.listen(0, '127.0.0.1', resolve));
    try {
      const flow = apiFlow().map((node) => (node.id === 'idb' ? { ...node, port: String((pingServer.address() as AddressInfo).port) } : node));
      // the stand-in database fails for site2 the way influxdb in does: node.error with the message
      const failing = `if (msg.query.includes("'site2'")) { node.error('timeout of 10000ms exceeded', msg); return null; }\n${fakeInflux}`;
      await helper.load(apiModules, [
        ...flow.map((node) => (node.id === 'db' ? { ...node, func: failing } : node)),
        { id: 'c', z: 'tab', type: 'catch', scope: ['db'], uncaught: false, wires: [['r']] },
      ]);
      await report(() => undefined, (fleet) => fleet.state.health.influxdb_connected === true);
      const failed = await get('/api/devices/site2/readings?hours=1');
      assert.equal(failed.status, 503);
      assert.deepEqual(JSON.parse(failed.text), { error: 'InfluxDB query failed: timeout of 10000ms exceeded' });
      await report(() => undefined, (fleet) => fleet.state.health.influxdb_connected === false);
      assert.equal((await get('/api/health')).status, 503);
      const answered = await get('/api/devices/site1/readings?hours=1');
      assert.equal(answered.status, 200);
      await report(() => undefined, (fleet) => fleet.state.health.influxdb_connected === true);
    } finally {
      await new Promise((resolve) => pingServer.close(resolve));
    }
  });

  it('reports a missing heatpumpRequest on heatpump-response', async () => {
    await helper.load([response, catchModule], [
      { id: 'tab', type: 'tab' },
      { id: 'r', z: 'tab', type: 'heatpump-response', name: '', wires: [[]] },
      { id: 'c', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['h']] },
      { id: 'h', z: 'tab', type: 'helper' },
    ]);
    const caught = new Promise<NodeMessage & { error?: { message: string } }>((resolve) => helper.getNode('h')?.on('input', resolve));
    helper.getNode('r')?.receive({ payload: [] });
    assert.match((await caught).error?.message ?? '', /msg.heatpumpRequest is missing/);
  });
});
