// heatpump-query and heatpump-response in the real runtime, with the http in / http response
// nodes the shipped API flow uses; InfluxDB is replaced by a function node that returns rows the
// way `influxdb in` does (the end-to-end suite runs the real database).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NodeMessage } from 'node-red';
import { catchModule, helper, withCatalog, type NodeInit } from '../support/flow-helper';
import { nodeModule, nodeRedPath } from '../support/node-red';

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

/** The rows a stand-in database answers with, keyed by the start of the InfluxQL. */
const fakeInflux = `
const rows = msg.query.startsWith('SELECT * FROM "raw"."sensor_reading" WHERE "device_id" = \\'site1\\'')
  ? [{ time: new Date(1706600000000), device_id: 'site1', voltage: 230.5, temp_inlet: 45.2, compressor_running: true }]
  : [];
msg.payload = rows;
return msg;`;

function apiFlow(): Array<Record<string, unknown>> {
  const routes = ['/api/health', '/metrics', '/api/devices/:id/status', '/api/alerts'];
  return [
    { id: 'tab', type: 'tab' },
    ...routes.map((url, i) => ({ id: `in${i}`, z: 'tab', type: 'http in', url, method: 'get', wires: [['q']] })),
    { id: 'q', z: 'tab', type: 'heatpump-query', name: '', fleetKey: 'heatpump_fleet', healthKey: 'heatpump_health', metricsKey: 'heatpump_metrics', wires: [['db'], ['out']] },
    { id: 'db', z: 'tab', type: 'function', func: fakeInflux, outputs: 1, wires: [['r']] },
    { id: 'r', z: 'tab', type: 'heatpump-response', name: '', fleetKey: 'heatpump_fleet', wires: [['out']] },
    { id: 'out', z: 'tab', type: 'http response', statusCode: '', headers: {} },
  ];
}

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

  it('answers health from global context, 503 when InfluxDB is down', async () => {
    await helper.load([httpInModule, functionModule, query, response], apiFlow());
    const node = helper.getNode('q') as unknown as { context(): { global: { set(k: string, v: unknown): void } } };
    node.context().global.set('heatpump_health', { mqtt_connected: true, influxdb_connected: true });
    const healthy = await get('/api/health');
    assert.equal(healthy.status, 200);
    assert.equal((JSON.parse(healthy.text) as { status: string }).status, 'healthy');
    node.context().global.set('heatpump_health', { mqtt_connected: true, influxdb_connected: false });
    const down = await get('/api/health');
    assert.equal(down.status, 503);
    assert.equal((JSON.parse(down.text) as { status: string }).status, 'unhealthy');
  });

  it('serves Prometheus text with its content type', async () => {
    await helper.load([httpInModule, functionModule, query, response], apiFlow());
    const node = helper.getNode('q') as unknown as { context(): { global: { set(k: string, v: unknown): void } } };
    node.context().global.set('heatpump_metrics', { readings_total: 42 });
    const metrics = await get('/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.type, /^text\/plain/);
    assert.match(metrics.text, /^heatpump_readings_total 42$/m);
  });

  it('goes through the database for a device status and shapes the row', async () => {
    await helper.load([httpInModule, functionModule, query, response], apiFlow());
    const status = await get('/api/devices/site1/status');
    assert.equal(status.status, 200);
    const body = JSON.parse(status.text) as Record<string, unknown>;
    assert.equal(body.device_id, 'site1');
    assert.equal(body.voltage, 230.5);
    assert.equal(body.current, null);
    assert.equal(body.last_seen, '2024-01-30T07:33:20.000Z');
    assert.equal((await get('/api/devices/ghost/status')).status, 404);
  });

  it('answers invalid parameters with 400 before any query', async () => {
    await helper.load([httpInModule, functionModule, query, response], apiFlow());
    const res = await get('/api/alerts?hours=500');
    assert.equal(res.status, 400);
    assert.match(res.text, /hours must be between 1 and 168/);
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
    await helper.load([query], [
      { id: 'tab', type: 'tab' },
      { id: 'q', z: 'tab', type: 'heatpump-query', name: '', wires: [['h'], []] },
      { id: 'h', z: 'tab', type: 'helper' },
    ]);
    const received = new Promise<NodeMessage & { query?: string; heatpumpRequest?: { statements: number; request: { kind: string } } }>((resolve) =>
      helper.getNode('h')?.on('input', resolve),
    );
    helper.getNode('q')?.receive({ payload: { kind: 'history', device_id: 'site1', range: '24h' } });
    const msg = await received;
    assert.match(msg.query ?? '', /GROUP BY time\(2m\) fill\(none\)$/);
    assert.equal(msg.heatpumpRequest?.statements, 1);
    assert.equal(msg.heatpumpRequest?.request.kind, 'history');
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
