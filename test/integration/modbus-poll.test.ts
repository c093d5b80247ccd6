// modbus-poll against pymodbus over real sockets and a socat pty: isolation of a silent unit from
// a unit on another connection (cadence measured), reconnect after the server restarts, RTU, and
// an HPManager user's heatpumps.yml + registers.yml as HPManager's README prints them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { NodeMessage } from 'node-red';
import { catchModule, flowSuiteHooks, helper, nodeById, withCatalog, type NodeInit } from '../support/flow-helper';
import { nodeModule, nodeRedPath, projectRoot } from '../support/node-red';
import { ModbusServer, PtyPair, requirePymodbus } from '../support/modbus-server';
import { waitFor } from '../support/wait';
import { hpmanagerFlow, METRICS_LINK_IN, PRESENCE_LINK_IN } from '../../scripts/lib/hpmanager-flow';

const poll = withCatalog(nodeModule('modbus-poll') as NodeInit, 'modbus-poll');
const connection = withCatalog(nodeModule('modbus-connection') as NodeInit, 'modbus-connection');
// the core link nodes, for a generated flow's link outs
// eslint-disable-next-line @typescript-eslint/no-require-imports
const linkModule = require(require.resolve('@node-red/nodes/core/common/60-link.js', { paths: [nodeRedPath] })) as NodeInit;

const YAML = [
  'models:',
  '  m:',
  '    registers:',
  '      - {name: flow_temperature, address: 0, register_type: input, data_type: int16, unit: "°C", scale: 0.1}',
  '      - {name: energy_total, address: 4, register_type: input, data_type: uint32, unit: kWh}',
].join('\n');
const BANK = { input: { 0: 351, 4: 0, 5: 77 } };

const at = { z: 'tab', x: 100, y: 100 };
const HPMANAGER = path.join(projectRoot, 'test', 'fixtures', 'modbus', 'hpmanager');

/** One poll node per entry, each with its own connection, outputs to helpers `<id>-readings` / `<id>-presence`. */
function pollNodes(entries: { id: string; conn: Record<string, unknown>; poll: Record<string, unknown> }[]) {
  return [
    { id: 'tab', type: 'tab', label: 'modbus' },
    ...entries.flatMap(({ id, conn, poll: config }) => [
      { id: `${id}-conn`, type: 'modbus-connection', transport: 'tcp', host: '127.0.0.1', timeout: 300, timeoutUnit: 'ms', retries: 1, ...conn },
      {
        id,
        ...at,
        type: 'modbus-poll',
        connection: `${id}-conn`,
        deviceId: id,
        unitId: 1,
        interval: 1,
        mapSource: 'yaml',
        yaml: YAML,
        ...config,
        wires: [[`${id}-readings`], [`${id}-presence`], []],
      },
      { id: `${id}-readings`, ...at, type: 'helper', wires: [] },
      { id: `${id}-presence`, ...at, type: 'helper', wires: [] },
    ]),
  ];
}

function gather(id: string): NodeMessage[] {
  const got: NodeMessage[] = [];
  nodeById(id).on('input', (msg: NodeMessage) => got.push(msg));
  return got;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('modbus-poll against pymodbus (integration)', function () {
  this.timeout(120_000);
  let server: ModbusServer | undefined;

  before(function () {
    requirePymodbus(this);
  });
  flowSuiteHooks();
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('a unit that stops answering mid-run does not slow a unit on another connection (cadence measured)', async () => {
    server = await ModbusServer.start([
      { name: 'a', tcp: { port: 0 }, units: { 1: BANK } },
      { name: 'b', tcp: { port: 0 }, units: { 1: BANK } },
    ]);
    // a long time-out with retries: the silent unit holds its own connection 3 x 1 s per attempt
    await helper.load([poll, connection, catchModule], pollNodes([
      { id: 'hp-a', conn: { port: server.ports[0], timeout: 1000, retries: 2 }, poll: {} },
      { id: 'hp-b', conn: { port: server.ports[1] }, poll: {} },
    ]));
    const readingsB = gather('hp-b-readings');
    const presenceA = gather('hp-a-presence');
    await waitFor(() => presenceA.length === 1 && readingsB.length >= 2, { timeoutMs: 10_000, what: 'both polling' });
    await server.silence('a', 1);
    const silencedAt = Date.now();
    await waitFor(() => presenceA.length === 2, { timeoutMs: 15_000, what: 'hp-a offline' });
    assert.equal(presenceA[1]?.payload, 'offline');
    await sleep(Math.max(0, 8000 - (Date.now() - silencedAt)));
    const during = readingsB.map((m) => (m.payload as { timestamp: number }).timestamp).filter((t) => t >= silencedAt);
    const gaps = during.slice(1).map((t, i) => t - during[i]!);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    console.log(`      hp-b cadence while hp-a was silent: ${during.length} readings in ${Date.now() - silencedAt} ms, gaps mean ${mean.toFixed(0)} ms, max ${Math.max(...gaps)} ms (interval 1000 ms)`);
    assert.ok(during.length >= 5, `hp-b kept polling: ${during.length} readings in 8 s`);
    assert.ok(Math.max(...gaps) < 2500, `no gap near the silent unit's 3 s of time-outs: ${gaps.join(', ')}`);
    await server.answer('a', 1);
    await waitFor(() => presenceA.length === 3, { timeoutMs: 20_000, what: 'hp-a online again' });
  });

  it('polling resumes by itself after the server restarts', async () => {
    server = await ModbusServer.start([{ name: 'a', tcp: { port: 0 }, units: { 1: BANK } }]);
    const port = server.port;
    await helper.load([poll, connection, catchModule], pollNodes([{ id: 'hp-a', conn: { port }, poll: {} }]));
    const readings = gather('hp-a-readings');
    const presence = gather('hp-a-presence');
    await waitFor(() => readings.length >= 1, { timeoutMs: 10_000, what: 'a reading' });
    await server.stop();
    await waitFor(() => presence.some((m) => m.payload === 'offline'), { timeoutMs: 15_000, what: 'offline after the server stopped' });
    server = await ModbusServer.start([{ name: 'a', tcp: { port }, units: { 1: { input: { 0: 400 } } } }]);
    await waitFor(() => readings.some((m) => (m.payload as { metrics: Record<string, number> }).metrics.flow_temperature === 40), {
      timeoutMs: 40_000,
      what: 'a reading from the restarted server',
    });
    assert.deepEqual(presence.map((m) => m.payload), ['online', 'offline', 'online']);
  });

  it('RTU over a socat pty pair: two heat pumps on one bus', async function () {
    const pty = await PtyPair.start(this);
    try {
      server = await ModbusServer.start([{ name: 'r', rtu: { device: pty.server, baudrate: 19200 }, units: { 1: BANK, 2: { input: { 0: 222 } } } }]);
      const conn = { transport: 'rtu', serialPort: pty.client, baudRate: 19200, parity: 'none', dataBits: 8, stopBits: 1, timeout: 500 };
      const flow = pollNodes([{ id: 'hp-1', conn, poll: {} }]);
      // the second heat pump shares the first one's connection (one bus)
      flow.push({ id: 'hp-2', ...at, type: 'modbus-poll', connection: 'hp-1-conn', deviceId: 'hp-2', unitId: 2, interval: 1, mapSource: 'yaml', yaml: YAML, wires: [['hp-2-readings'], [], []] });
      flow.push({ id: 'hp-2-readings', ...at, type: 'helper', wires: [] });
      await helper.load([poll, connection, catchModule], flow);
      const one = gather('hp-1-readings');
      const two = gather('hp-2-readings');
      await waitFor(() => one.length >= 2 && two.length >= 2, { timeoutMs: 15_000, what: 'readings of both units' });
      assert.equal((one[0]?.payload as { metrics: Record<string, number> }).metrics.energy_total, 77);
      assert.equal((two[0]?.payload as { metrics: Record<string, number> }).metrics.flow_temperature, 22.2);
      await helper.unload();
    } finally {
      await server?.stop();
      server = undefined;
      await pty.stop();
    }
  });

  it("an HPManager user's heatpumps.yml and registers.yml, as HPManager's README prints them, turned into a flow", async () => {
    // HPManager's README, "Heat Pump Configuration" and "Register Mapping", as printed (test/fixtures/modbus/hpmanager)
    const heatpumpsYml = fs.readFileSync(path.join(HPMANAGER, 'heatpumps.yml'), 'utf8');
    const registersYml = fs.readFileSync(path.join(HPMANAGER, 'registers.yml'), 'utf8');
    const generated = hpmanagerFlow(heatpumpsYml, registersYml, { intervalS: 1 });
    assert.ok(generated.ok, JSON.stringify(!generated.ok && generated.error));
    server = await ModbusServer.start([{ name: 'a', tcp: { port: 0 }, units: { 1: { holding: { 100: 456 } } } }]);
    // the generated flow as it is, except the host and port of the test server; the ingest tab's link ins lead to helpers
    const flow: Record<string, unknown>[] = generated.value.map((node) => (node.type === 'modbus-connection' ? { ...node, host: '127.0.0.1', port: server!.port } : node));
    flow.push(
      { id: METRICS_LINK_IN, type: 'link in', z: 'hpm_tab', links: ['hpm_readings_out'], x: 700, y: 60, wires: [['readings']] },
      { id: PRESENCE_LINK_IN, type: 'link in', z: 'hpm_tab', links: ['hpm_presence_out'], x: 700, y: 120, wires: [['presence']] },
      { id: 'readings', type: 'helper', z: 'hpm_tab', x: 850, y: 60, wires: [] },
      { id: 'presence', type: 'helper', z: 'hpm_tab', x: 850, y: 120, wires: [] },
    );
    await helper.load([poll, connection, linkModule, catchModule], flow);
    const readings = gather('readings');
    const presence = gather('presence');
    await waitFor(() => readings.length >= 1 && presence.length >= 1, { timeoutMs: 10_000, what: 'a reading and online' });
    assert.deepEqual(readings[0]?.payload && { ...(readings[0].payload as object), timestamp: 0 }, {
      device_id: 'hp1',
      timestamp: 0,
      metrics: { supply_temperature: 45.6 },
      units: { supply_temperature: 'celsius' },
      info: { name: 'Main Heat Pump', location: 'Basement', model: 'your_model_name', source: 'modbus' },
    });
    assert.deepEqual([presence[0]?.topic, presence[0]?.payload], ['hp1', 'online']);
  });
});
