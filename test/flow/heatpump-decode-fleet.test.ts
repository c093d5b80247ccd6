// heatpump-decode reporting into the fleet's state owner: a real heatpump-fleet config node (memory
// store), read back through its FleetLink.
import assert from 'node:assert/strict';
import type { FleetLink } from '../../nodes/shared/fleet-link';
import { catchModule as catchInit, collect, flowSuiteHooks, flowWithCatch, helper, nodeById as get, sleep, withCatalog, type NodeInit, type Spied } from '../support/flow-helper';
import { nodeModule } from '../support/node-red';
import { devicePayload, type DevicePayload, type PayloadOverrides } from '../fixtures/payloads';

const decode = withCatalog(nodeModule('heatpump-decode') as NodeInit, 'heatpump-decode');
const fleetInit = nodeModule('heatpump-fleet') as NodeInit;

const seed = (overrides: PayloadOverrides = {}): DevicePayload => devicePayload({ timestamp: Date.now() - 60000, ...overrides });

/** The tab of heatpump-decode (n1) linked to the fleet config node `fleet`. */
const flow = (config: Record<string, unknown> = {}): Array<Record<string, unknown>> => [
  ...flowWithCatch('heatpump-decode', ['readings', 'alerts'], { fleet: 'fleet', ...config }),
  { id: 'fleet', type: 'heatpump-fleet', name: '', store: '', broker: '', influxdb: '' },
];

const fleet = (): FleetLink => (get('fleet') as unknown as { fleet: FleetLink }).fleet;

/** Resolves once `check` holds (the fleet applies reports after its stored state is loaded). */
async function until(check: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('heatpump-decode with a heatpump-fleet', function () {
  flowSuiteHooks();

  it('reports each reading with the fields left out and why, not those the device flagged', async function () {
    await helper.load([decode, fleetInit, catchInit], flow());
    const received = collect('readings', 1);
    const payload = seed({ pressure: { high: 900 }, valid: { voltage: false } });
    get('n1').receive({ topic: 'heatpump/site1/data', payload });
    const [msg] = await received;
    const state = fleet().state;
    await until(() => state.counters.readings_accepted === 1, 'the reading');
    assert.deepEqual(state.get('site1')?.reading, msg?.payload);
    assert.notEqual(state.get('site1')?.reading, msg?.payload, 'a flow changing msg.payload does not change the fleet');
    assert.equal(state.counters.fields_left_out, 1);
    assert.equal(state.counters.payloads_rejected, 0);
    assert.deepEqual(
      state.rejections().map(({ scope, device_id, field, reason }) => ({ scope, device_id, field, reason })),
      [{ scope: 'field', device_id: 'site1', field: 'pressure_high', reason: 'pressure_high = 900 is outside 0..700 PSI' }],
    );
  });

  it('reports every reading of an array, each with its own placed timestamp', async function () {
    await helper.load([decode, fleetInit, catchInit], flow());
    const received = collect('readings', 3);
    get('n1').receive({ topic: 'heatpump/site1/data', payload: [seed({ timestamp: 0 }), seed({ timestamp: 0 }), seed({ timestamp: 0 })] });
    const msgs = await received;
    const state = fleet().state;
    await until(() => state.counters.readings_accepted === 3, 'three readings');
    const times = msgs.map((m) => (m.payload as { timestamp: number }).timestamp);
    assert.equal(state.get('site1')?.reading?.timestamp, times[2], 'the newest reading is the latest');
    assert.deepEqual(state.readingsRange(), [times[0], times[2]]);
    assert.equal(state.counters.fields_left_out, 0);
  });

  it('reports a rejected payload and each rejected reading, one report each, with the error text', async function () {
    await helper.load([decode, fleetInit, catchInit], flow());
    const caught = collect('caught', 2);
    const readings = collect('readings', 1);
    get('n1').receive({ topic: 'heatpump/site1/data', payload: '{"device":' });
    get('n1').receive({ topic: 'heatpump/site1/data', payload: [seed(), seed({ device: 'evil' }), 7] });
    await Promise.all([caught, readings]);
    const state = fleet().state;
    await until(() => state.counters.payloads_rejected === 3, 'three rejections');
    assert.equal(state.counters.readings_accepted, 1);
    const rejections = state.rejections().map(({ scope, device_id, field, reason }) => ({ scope, device_id, field, reason }));
    assert.equal(rejections.length, 3);
    assert.equal(rejections[0]?.scope, 'payload');
    assert.equal(rejections[0]?.device_id, 'site1');
    assert.equal(rejections[0]?.field, null);
    assert.match(rejections[0]?.reason ?? '', /^site1: payload is not JSON/);
    assert.deepEqual(rejections.slice(1), [
      { scope: 'reading', device_id: 'site1', field: 'device', reason: '[1] site1: payload device "evil" differs from the topic\'s device id' },
      { scope: 'reading', device_id: 'site1', field: null, reason: '[2] site1: element is 7, not an object' },
    ]);
  });

  it('sends a metrics reading of heatpump/{id}/metrics on output 1, reports it as the device\'s metrics, and counts a rejected one', async function () {
    await helper.load([decode, fleetInit, catchInit], flow());
    const readings = collect('readings', 1);
    const caught = collect('caught', 1);
    const timestamp = Date.now() - 60000;
    const good = { device_id: 'site1', timestamp, metrics: { flow_rate: 14.2, compressor_modulation: 55, dhw_active: false }, units: { flow_rate: 'l/min' } };
    get('n1').receive({ topic: 'heatpump/site1/metrics', payload: JSON.stringify([good, { ...good, device_id: 'site2' }]) });
    const [[msg], [error]] = await Promise.all([readings, caught]);
    assert.equal(msg?.topic, 'site1');
    assert.deepEqual(msg?.payload, good);
    assert.match(String((error?.error as { message?: string } | undefined)?.message), /payload device "site2" differs from the topic's device id/);
    const state = fleet().state;
    await until(() => state.get('site1')?.metrics !== undefined && state.counters.payloads_rejected === 1, 'the metrics reading and the rejection');
    assert.deepEqual(state.get('site1')?.metrics?.metrics, good.metrics);
    assert.equal(state.counters.readings_accepted, 1);
  });

  it('takes a device alert as a sign of life', async function () {
    await helper.load([decode, fleetInit, catchInit], flow());
    const received = collect('alerts', 1);
    const before = Date.now();
    get('n1').receive({
      topic: 'heatpump/site1/alerts',
      payload: { device: 'site1', timestamp: Date.now() - 1000, alert_type: 'voltage_high', level: 'warning', value: 251.2, threshold: 250 },
    });
    await received;
    const state = fleet().state;
    await until(() => state.get('site1') !== undefined, 'the device');
    assert.ok((state.get('site1')?.last_seen ?? 0) >= before);
    assert.equal(state.counters.readings_accepted, 0);
  });

  it('warns once when the fleet it names does not exist, and still decodes', async function () {
    await helper.load([decode, catchInit], flowWithCatch('heatpump-decode', ['readings', 'alerts'], { fleet: 'nowhere' }));
    const warnings: string[] = [];
    get('n1').on('call:warn', (call: Spied<string>) => warnings.push(call.args[0] as string));
    const received = collect('readings', 2);
    get('n1').receive({ topic: 'heatpump/site1/data', payload: seed() });
    get('n1').receive({ topic: 'heatpump/site1/data', payload: seed() });
    assert.equal((await received).length, 2);
    assert.deepEqual(warnings, ['fleet config node nowhere not found; nothing is reported to the fleet']);
  });
});
