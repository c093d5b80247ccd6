// The shipped profiles (Stiebel Eltron ISG WPM / LWZ, NIBE S / F, the generic example) and the
// real NIBE export files end to end: a pymodbus server holds a known raw value in every register
// of the map, a modbus-poll node reads them over TCP, and every metric comes out scaled, in its
// word and byte order, or left out when outside its range.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { NodeMessage } from 'node-red';
import { catchModule, flowSuiteHooks, helper, nodeById, withCatalog, type NodeInit } from '../support/flow-helper';
import { nodeModule, projectRoot } from '../support/node-red';
import { ModbusServer, requirePymodbus } from '../support/modbus-server';
import { bankFor } from '../fixtures/modbus-bank';
import { waitFor } from '../support/wait';
import { PROFILES, loadProfile } from '../../nodes/modbus-poll/profiles';
import { resolveMap, type MapSource } from '../../nodes/modbus-poll/map-source';

const poll = withCatalog(nodeModule('modbus-poll') as NodeInit, 'modbus-poll');
const connection = withCatalog(nodeModule('modbus-connection') as NodeInit, 'modbus-connection');
const NIBE = path.join(projectRoot, 'test', 'fixtures', 'modbus', 'nibe');

function assertClose(actual: Record<string, unknown>, expected: Record<string, number | boolean>, label: string): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${label}: the metrics`);
  for (const [name, value] of Object.entries(expected)) {
    const got = actual[name];
    if (typeof value === 'boolean') assert.equal(got, value, `${label}: ${name}`);
    else assert.ok(typeof got === 'number' && Math.abs(got - value) <= 1e-9 * Math.max(1, Math.abs(value)), `${label}: ${name} = ${String(got)}, expected ${value}`);
  }
}

const cases: { title: string; source: MapSource }[] = [
  ...PROFILES.map((p) => ({ title: `profile ${p.name}`, source: { kind: 'profile', profile: p.name } as MapSource })),
  { title: 'NIBE F-series ModbusManager export (f1145_f1245.csv)', source: { kind: 'file', file: path.join(NIBE, 'f1145_f1245.csv'), model: 'F1245' } },
  { title: 'NIBE S-series USB export (s1155_s1255.csv)', source: { kind: 'file', file: path.join(NIBE, 's1155_s1255.csv'), model: 'S1255' } },
];

describe('shipped profiles and NIBE exports end to end against pymodbus', function () {
  this.timeout(60_000);
  let server: ModbusServer | undefined;

  before(function () {
    requirePymodbus(this);
  });
  flowSuiteHooks();
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  for (const { title, source } of cases) {
    it(title, async () => {
      const map = resolveMap(source, { loadProfile, readFile: (file) => fs.readFileSync(file) });
      assert.ok(map.ok, JSON.stringify(!map.ok && map.error));
      const { unit, expected } = bankFor(map.value);
      server = await ModbusServer.start([{ name: 'a', tcp: { port: 0 }, units: { 1: unit } }]);
      await helper.load([poll, connection, catchModule], [
        { id: 'tab', type: 'tab', label: 'profiles' },
        { id: 'conn', type: 'modbus-connection', transport: 'tcp', host: '127.0.0.1', port: server.port, timeout: 1000, timeoutUnit: 'ms', retries: 1 },
        {
          id: 'n1', z: 'tab', x: 100, y: 100, type: 'modbus-poll', connection: 'conn', deviceId: 'hp-1', unitId: 1, interval: 2,
          mapSource: source.kind, profile: source.profile ?? '', file: source.file ?? '', model: source.model ?? '', yaml: '',
          wires: [['readings'], [], []],
        },
        { id: 'readings', z: 'tab', x: 300, y: 100, type: 'helper', wires: [] },
      ]);
      const readings: NodeMessage[] = [];
      nodeById('readings').on('input', (msg: NodeMessage) => readings.push(msg));
      await waitFor(() => readings.length >= 1, { timeoutMs: 20_000, what: 'a reading' });
      const payload = readings[0]?.payload as { metrics: Record<string, unknown>; info: { model: string } };
      assertClose(payload.metrics, expected, title);
      assert.equal(payload.info.model, map.value.model);
      const stats = await server.stats();
      console.log(`      ${map.value.registers.length} registers in ${stats.a?.['1']} requests`);
    });
  }
});
