// heishamon-decode and espaltherma-decode in a Node-RED runtime: the cycle of separate topics ends
// in one reading (by a repeated value, by the quiet timer, at close), presence only on a change,
// HeishaMon's setting changes on output 3 (also across a restart over a file context store), bad
// input to Catch nodes with a red status, readings reported to a real heatpump-fleet.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NodeMessage } from 'node-red';
import { isMetricsReading, type MetricsReading } from '../../nodes/shared/contract';
import type { FleetLink } from '../../nodes/shared/fleet-link';
import { catchModule, collect, flowSuiteHooks, flowWithCatch, helper, nodeById as get, sleep, withCatalog, type NodeInit, type Spied } from '../support/flow-helper';
import { helperInternals as internals, loadContextStores } from '../support/context-stores';
import { nodeModule } from '../support/node-red';
import { attrOf } from '../support/espaltherma';

const heishamon = withCatalog(nodeModule('heishamon-decode') as NodeInit, 'heishamon-decode');
const espaltherma = withCatalog(nodeModule('espaltherma-decode') as NodeInit, 'espaltherma-decode');
const fleetInit = nodeModule('heatpump-fleet') as NodeInit;
const BASE = 'panasonic_heat_pump';

const heishamonFlow = (config: Record<string, unknown> = {}): Array<Record<string, unknown>> => [
  ...flowWithCatch('heishamon-decode', ['readings', 'presence', 'settings'], { base: BASE, deviceId: 'heishamon', raw: false, quiet: '0.3', fleet: 'fleet', ...config }),
  { id: 'fleet', type: 'heatpump-fleet', name: '', store: '', broker: '', influxdb: '' },
];

const statusesOf = (id: string): string[] => {
  const statuses: string[] = [];
  get(id).on('call:status', (call: Spied<{ text?: string }>) => statuses.push(call.args[0]?.text ?? ''));
  return statuses;
};

const fleet = (): FleetLink => (get('fleet') as unknown as { fleet: FleetLink }).fleet;

async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A main-block frame whose checksum is wrong by one. */
function frameWithBadChecksum(): Buffer {
  const frame = Buffer.alloc(203);
  frame.set([0x71, 0xc8, 0x01, 0x10]);
  frame[202] = (0x100 - ((0x71 + 0xc8 + 0x01 + 0x10) & 0xff) + 1) & 0xff;
  return frame;
}

describe('heishamon-decode in a flow', function () {
  flowSuiteHooks();

  it('values on separate topics become one reading when the device falls quiet, reported to the fleet; presence online once', async function () {
    await helper.load([heishamon, fleetInit, catchModule], heishamonFlow());
    const statuses = statusesOf('n1');
    const readings = collect('readings', 1);
    const presence = collect('presence', 1);
    for (const [name, value] of [['Main_Outlet_Temp', '35.5'], ['Main_Inlet_Temp', '30'], ['Outside_Temp', '-2'], ['Compressor_Freq', '41']]) {
      get('n1').receive({ topic: `${BASE}/main/${name}`, payload: value });
    }
    const [msg] = await readings;
    const reading = msg!.payload as MetricsReading;
    assert.ok(isMetricsReading(reading));
    assert.equal(msg!.topic, 'heishamon');
    assert.deepEqual(reading.metrics, { flow_temperature: 35.5, return_temperature: 30, outdoor_temperature: -2, compressor_frequency: 41, compressor_running: true });
    assert.deepEqual((await presence).map((m) => m.payload), ['online']);
    assert.ok(statuses.includes('collecting…'), statuses.join(' | '));
    assert.equal(statuses.at(-1), '5 metrics');
    await until(() => fleet().state.get('heishamon')?.metrics !== undefined, 'the fleet to keep the reading');
    assert.deepEqual(fleet().state.get('heishamon')?.metrics?.metrics, reading.metrics);
  });

  it('a repeated value ends the cycle at once; the LWT gives offline once, data online again', async function () {
    await helper.load([heishamon, fleetInit, catchModule], heishamonFlow({ quiet: '60' }));
    const readings = collect('readings', 1);
    const presence = collect('presence', 3);
    const send = (topic: string, payload: string): void => get('n1').receive({ topic: `${BASE}/${topic}`, payload });
    send('main/Main_Outlet_Temp', '35');
    send('main/Heat_Energy_Production', '3000');
    send('main/Heat_Power_Production', '3200');
    const [first] = await readings;
    assert.deepEqual((first!.payload as MetricsReading).metrics, { flow_temperature: 35, heat_power_heating: 3000 });
    send('LWT', 'Offline');
    send('LWT', 'Offline');
    send('LWT', 'Online');
    send('main/Main_Outlet_Temp', '36');
    assert.deepEqual((await presence).map((m) => m.payload), ['online', 'offline', 'online']);
  });

  it('the values collected when the node stops are sent then', async function () {
    await helper.load([heishamon, fleetInit, catchModule], heishamonFlow({ quiet: '60' }));
    const got: NodeMessage[] = [];
    get('readings').on('input', (msg: NodeMessage) => got.push(msg));
    get('n1').receive({ topic: `${BASE}/main/DHW_Temp`, payload: '48' });
    await sleep(50);
    assert.equal(got.length, 0);
    await get('n1').close(false);
    await until(() => got.length > 0, 'the reading sent at close');
    assert.deepEqual(got.map((m) => (m.payload as MetricsReading).metrics), [{ dhw_temperature: 48 }]);
  });

  it('a raw frame with a wrong checksum: red status, the error to a Catch node, no reading', async function () {
    await helper.load([heishamon, fleetInit, catchModule], heishamonFlow({ raw: true }));
    const statuses = statusesOf('n1');
    const caught = collect('caught', 1);
    const got: NodeMessage[] = [];
    get('readings').on('input', (msg: NodeMessage) => got.push(msg));
    get('n1').receive({ topic: `${BASE}/raw/data`, payload: frameWithBadChecksum() });
    const [error] = await caught;
    assert.match(String((error as { error?: { message?: string } }).error?.message), /^Error: panasonic_heat_pump\/raw\/data: raw frame checksum mismatch: last byte [0-9A-F]{2}, the bytes before it need [0-9A-F]{2}$/);
    assert.equal(statuses.at(-1), 'bad input');
    assert.equal(got.length, 0);
  });

  it('a value that is no number goes to a Catch node; the node goes on', async function () {
    await helper.load([heishamon, fleetInit, catchModule], heishamonFlow());
    const caught = collect('caught', 1);
    const readings = collect('readings', 1);
    get('n1').receive({ topic: `${BASE}/main/Outside_Temp`, payload: 'n/a' });
    get('n1').receive({ topic: `${BASE}/main/Outside_Temp`, payload: '3' });
    assert.equal(((await caught)[0] as { error?: { message?: string } }).error?.message, 'Error: main/Outside_Temp: "n/a" is not a number');
    assert.deepEqual(((await readings)[0]!.payload as MetricsReading).metrics, { outdoor_temperature: 3 });
  });

  describe('setting changes (output 3)', function () {
    const sendValue = (name: string, value: string): void => get('n1').receive({ topic: `${BASE}/main/${name}`, payload: value });
    const changeOf = (msg: NodeMessage): unknown => {
      const { timestamp, ...change } = msg.payload as { timestamp: unknown };
      assert.equal(typeof timestamp, 'number');
      return { topic: msg.topic, ...change };
    };

    it('a changed target temperature is one setting change; its repetition none', async function () {
      await helper.load([heishamon, fleetInit, catchModule], heishamonFlow({ quiet: '60' }));
      const settings = collect('settings', 2);
      // each repeated value ends a cycle: readings with 50 (the first value), 48, 48, then 45
      for (const value of ['50', '48', '48', '48', '45', '45']) sendValue('DHW_Target_Temp', value);
      // the messages come in reading order: the 48 repeated in between would show before the 45
      assert.deepEqual((await settings).map(changeOf), [
        { topic: 'heishamon', device_id: 'heishamon', setting: 'dhw_target_temp', old_value: 50, new_value: 48, unit: '°C', source: 'heishamon' },
        { topic: 'heishamon', device_id: 'heishamon', setting: 'dhw_target_temp', old_value: 48, new_value: 45, unit: '°C', source: 'heishamon' },
      ]);
    });

    it('measured values and computed targets that change are no setting change', async function () {
      await helper.load([heishamon, fleetInit, catchModule], heishamonFlow({ quiet: '60' }));
      const settings = collect('settings', 1);
      for (const [name, value] of [['Main_Target_Temp', '35'], ['Outside_Temp', '3'], ['Quiet_Mode_Level', '0'], ['Main_Target_Temp', '37'], ['Outside_Temp', '2'], ['Quiet_Mode_Level', '2'], ['Quiet_Mode_Level', '2']] as const) {
        sendValue(name, value);
      }
      assert.deepEqual((await settings).map(changeOf), [{ topic: 'heishamon', device_id: 'heishamon', setting: 'quiet_mode_level', old_value: 0, new_value: 2, source: 'heishamon' }]);
    });

    it('across a restart with a file context store: the first values are compared with those before it, only a real change goes out', async function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'heishamon-settings-'));
      try {
        helper.settings({ contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem', config: { dir } } } });
        const flow = heishamonFlow({ quiet: '60', store: 'file' });
        await helper.load([heishamon, fleetInit, catchModule, loadContextStores], flow);
        const before: NodeMessage[] = [];
        get('settings').on('input', (msg: NodeMessage) => before.push(msg));
        const readings = collect('readings', 1);
        sendValue('DHW_Target_Temp', '50');
        sendValue('Z1_Heat_Request_Temp', '30');
        await get('n1').close(false); // sends the open cycle and saves its settings
        assert.equal((await readings).length, 1);
        assert.deepEqual(before, [], 'first values are no change');

        // restart: flush the store to disk, detach it so that unload cannot clean the node's context, start from the files
        await internals._redNodes.stopFlows();
        await internals._context.close();
        internals._context.init(internals._settings);
        await helper.unload();
        await helper.load([heishamon, fleetInit, catchModule, loadContextStores], flow);
        const settings = collect('settings', 2);
        sendValue('DHW_Target_Temp', '50');
        sendValue('Z1_Heat_Request_Temp', '32');
        sendValue('DHW_Target_Temp', '47'); // ends the first cycle after the restart
        await get('n1').close(false);
        assert.deepEqual((await settings).map(changeOf), [
          { topic: 'heishamon', device_id: 'heishamon', setting: 'z1_heat_request_temp', old_value: 30, new_value: 32, unit: '°C', source: 'heishamon' },
          { topic: 'heishamon', device_id: 'heishamon', setting: 'dhw_target_temp', old_value: 50, new_value: 47, unit: '°C', source: 'heishamon' },
        ]);
      } finally {
        await helper.unload();
        await internals._context.close();
        helper.settings({ contextStorage: undefined });
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('a settings store missing from settings.js: a warning, memory instead', async function () {
      helper.settings({ contextStorage: { default: { module: 'memory' } } });
      try {
        await helper.load([heishamon, fleetInit, catchModule, loadContextStores], heishamonFlow({ quiet: '60', store: 'file' }));
        const warned = (helper.log().args as unknown[][]).map((args) => args[0] as { level?: number; msg?: unknown }).filter((entry) => entry.level === 30).map((entry) => String(entry.msg));
        assert.ok(warned.some((text) => text.startsWith('context store "file" is not configured in settings.js')), warned.join(' | '));
        const settings = collect('settings', 1);
        for (const value of ['1', '2', '2']) sendValue('Heating_Mode', value);
        assert.deepEqual((await settings).map(changeOf), [{ topic: 'heishamon', device_id: 'heishamon', setting: 'heating_mode', old_value: 1, new_value: 2, source: 'heishamon' }]);
      } finally {
        helper.settings({ contextStorage: undefined });
      }
    });
  });

  it('an invalid device id is a configuration error: logged, and every message refused', async function () {
    await helper.load([heishamon, fleetInit, catchModule], heishamonFlow({ deviceId: 'a/b' }));
    const caught = collect('caught', 1);
    get('n1').receive({ topic: `${BASE}/main/Outside_Temp`, payload: '3' });
    const [error] = await caught;
    assert.match(String((error as { error?: { message?: string } }).error?.message), /^Error: Invalid configuration: device id contains the unsafe character "\/"$/);
  });

  it('a quiet time that is no positive number of seconds is a configuration error', async function () {
    await helper.load([heishamon, fleetInit, catchModule], heishamonFlow({ quiet: '0' }));
    const caught = collect('caught', 1);
    get('n1').receive({ topic: `${BASE}/main/Outside_Temp`, payload: '3' });
    const [error] = await caught;
    assert.equal((error as { error?: { message?: string } }).error?.message, 'Error: Invalid configuration: the quiet time "0" is not a number of seconds above 0 and up to 3600');
  });
});

describe('espaltherma-decode in a flow', function () {
  flowSuiteHooks();

  const flow = (config: Record<string, unknown> = {}): Array<Record<string, unknown>> => [
    ...flowWithCatch('espaltherma-decode', ['readings', 'presence'], { base: 'espaltherma', deviceId: 'espaltherma', family: 'ALTHERMA(LT_CA_CB_04-08KW)', quiet: '0.3', fleet: 'fleet', ...config }),
    { id: 'fleet', type: 'heatpump-fleet', name: '', store: '', broker: '', influxdb: '' },
  ];

  it('an ATTR of the label list is one reading with the texts beside it, reported to the fleet', async function () {
    await helper.load([espaltherma, fleetInit, catchModule], flow());
    const readings = collect('readings', 1);
    get('n1').receive({ topic: 'espaltherma/ATTR', payload: JSON.stringify(attrOf('ALTHERMA(LT_CA_CB_04-08KW)')) });
    const [msg] = await readings;
    const reading = msg!.payload as MetricsReading;
    assert.ok(isMetricsReading(reading));
    assert.deepEqual(reading.info, { source: 'espaltherma', model: 'ALTHERMA(LT_CA_CB_04-08KW)' });
    for (const metric of ['flow_temperature', 'return_temperature', 'outdoor_temperature', 'dhw_temperature', 'flow_rate', 'compressor_frequency', 'defrost_active', 'dhw_active', 'error_code']) {
      assert.ok(metric in reading.metrics, metric);
    }
    assert.equal((msg as { texts?: Record<string, string> }).texts?.['Error type'], 'Normal');
    await until(() => fleet().state.get('espaltherma')?.metrics !== undefined, 'the fleet to keep the reading');
  });

  it('OneATTR values are collected until the device falls quiet; the LWT gives presence', async function () {
    await helper.load([espaltherma, fleetInit, catchModule], flow());
    const readings = collect('readings', 1);
    const presence = collect('presence', 2);
    get('n1').receive({ topic: 'espaltherma/OneATTR/Outdoor air temp.(R1T)', payload: '3.5' });
    get('n1').receive({ topic: 'espaltherma/OneATTR/Flow sensor (l/min)', payload: '12.5' });
    const [msg] = await readings;
    assert.deepEqual((msg!.payload as MetricsReading).metrics, { outdoor_temperature: 3.5, flow_rate: 12.5 });
    get('n1').receive({ topic: 'espaltherma/LWT', payload: 'Offline' });
    assert.deepEqual((await presence).map((m) => m.payload), ['online', 'offline']);
  });

  it('an ATTR that is no JSON object goes to a Catch node', async function () {
    await helper.load([espaltherma, fleetInit, catchModule], flow());
    const caught = collect('caught', 1);
    get('n1').receive({ topic: 'espaltherma/ATTR', payload: 'garbage' });
    assert.match(String(((await caught)[0] as { error?: { message?: string } }).error?.message), /expected a JSON object of label → value/);
  });
});
