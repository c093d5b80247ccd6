import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import type { InfluxPoint, Reading } from '../../nodes/shared/contract';
import { catchModule, collect, flowSuiteHooks, flowWithCatch, helper, nodeById as get, sleep, withCatalog, type NodeInit, type Spied, type TestNode } from '../support/flow-helper';
import { nodeModule } from '../support/node-red';

const batch = withCatalog(nodeModule('heatpump-batch') as NodeInit, 'heatpump-batch');

const reading = (i: number): Reading => ({ device_id: 'site1', timestamp: 1706600000000 + i * 1000, voltage: 230 + i, fan_running: true });

const flow = (config: Record<string, unknown> = {}): Array<Record<string, unknown>> => flowWithCatch('heatpump-batch', ['out'], config);

const points = (msg: NodeMessage | undefined): InfluxPoint[] => msg?.payload as InfluxPoint[];

describe('heatpump-batch node', function () {
  flowSuiteHooks();

  it('should be loaded with correct defaults', async function () {
    await helper.load(batch, [{ id: 'n1', type: 'heatpump-batch', wires: [[]] }]);
    assert.equal((get('n1') as TestNode & { type: string }).type, 'heatpump-batch');
  });

  it('works with an empty config: sends the buffered points once, about 1 s after the first', async function () {
    await helper.load([batch, catchModule], [{ id: 'n1', type: 'heatpump-batch', wires: [['out']] }, { id: 'out', type: 'helper' }]);
    const received = collect('out', 1, 3000);
    const started = Date.now();
    get('n1').receive({ payload: reading(0) });
    get('n1').receive({ payload: [reading(1), reading(2)] });
    const [msg] = await received;
    assert.ok(Date.now() - started >= 900, 'waited for maxWaitMs (default 1000)');
    assert.deepEqual(points(msg).map((p) => [p.measurement, p.fields.voltage, p.timestamp.getTime()]), [
      ['sensor_reading', 230, 1706600000000],
      ['sensor_reading', 231, 1706600001000],
      ['sensor_reading', 232, 1706600002000],
    ]);
  });

  it('sends a full batch at maxPoints without waiting, and the rest after maxWaitMs', async function () {
    await helper.load([batch, catchModule], flow({ maxPoints: 3, maxWaitMs: 150 }));
    const received = collect('out', 3);
    get('n1').receive({ payload: Array.from({ length: 7 }, (_, i) => reading(i)) });
    const msgs = await received;
    assert.deepEqual(msgs.map((m) => points(m).length), [3, 3, 1]);
    assert.deepEqual(msgs.flatMap((m) => points(m).map((p) => p.fields.voltage)), [230, 231, 232, 233, 234, 235, 236]);
  });

  it('accepts alerts and ready-made points (decode points mode) and mixes them into one batch', async function () {
    await helper.load([batch, catchModule], flow({ maxWaitMs: 50 }));
    const received = collect('out', 1);
    const alert = { device_id: 'site1', alert_type: 'current', level: 'critical', value: 16, threshold: 15, message: 'Overcurrent', state: 'raised', timestamp: 1706600000000 };
    const point = { measurement: 'sensor_reading', tags: { device_id: 'site2' }, fields: { voltage: 229 }, timestamp: new Date(1706600000000) };
    get('n1').receive({ payload: alert });
    get('n1').receive({ payload: [point] });
    const [msg] = await received;
    assert.deepEqual(points(msg).map((p) => [p.measurement, p.tags]), [
      ['alert', { device_id: 'site1', alert_type: 'current', level: 'critical', source: 'threshold' }],
      ['sensor_reading', { device_id: 'site2' }],
    ]);
  });

  it('msg.flush sends what it holds at once; an inject timestamp payload is ignored', async function () {
    await helper.load([batch, catchModule], flow({ maxWaitMs: 0 }));
    const received = collect('out', 1);
    get('n1').receive({ payload: [reading(0), reading(1)] });
    get('n1').receive({ flush: true, payload: Date.now() });
    const [msg] = await received;
    assert.equal(points(msg).length, 2);
  });

  it('sends what it holds before it closes', async function () {
    await helper.load([batch, catchModule], flow({ maxWaitMs: 60000 }));
    const received = collect('out', 1);
    get('n1').receive({ payload: reading(0) });
    await sleep(50);
    await get('n1').close(false);
    const [msg] = await received;
    assert.equal(points(msg).length, 1);
  });

  it('shows held and sent points in the status', async function () {
    await helper.load([batch, catchModule], flow({ maxPoints: 2, maxWaitMs: 0 }));
    const statuses: Array<{ fill?: string; text?: string }> = [];
    get('n1').on('call:status', (call: Spied<{ fill?: string; text?: string }>) => statuses.push(call.args[0] ?? {}));
    const received = collect('out', 1);
    get('n1').receive({ payload: reading(0) });
    get('n1').receive({ payload: [reading(1), reading(2)] });
    await received;
    await sleep(300); // statuses are paced: the latest shows when the 250 ms interval is over
    assert.deepEqual(statuses, [
      { fill: 'blue', shape: 'dot', text: '1 held ✓0' },
      { fill: 'blue', shape: 'dot', text: '1 held ✓2' },
    ]);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['a string', 'hello', /payload is not a Reading, AlertEvent, InfluxPoint or an array of these: expected a Reading/],
    ['a reading with a string value', { ...reading(0), voltage: '230' }, /voltage must be a finite number, got "230"/],
    ['an array with a bad element', [reading(0), { foo: 1 }], /\[1\] has neither measurement/],
  ];
  for (const [label, payload, expected] of bad) {
    it(`rejects ${label} with done(err), keeps what it holds`, async function () {
      await helper.load([batch, catchModule], flow({ maxWaitMs: 100 }));
      const caught = collect('caught', 1);
      const received = collect('out', 1);
      get('n1').receive({ payload: reading(9) });
      get('n1').receive({ payload });
      const [error] = await caught;
      assert.match((error?.error as { message: string }).message, expected);
      assert.deepEqual(points((await received)[0]).map((p) => p.fields.voltage), [239]);
    });
  }

  it('drops the oldest points beyond maxBuffered and reports how many with node.error', async function () {
    await helper.load([batch, catchModule], flow({ maxPoints: 0, maxWaitMs: 0, maxBuffered: 3 }));
    const caught = collect('caught', 1);
    const received = collect('out', 1);
    get('n1').receive({ payload: Array.from({ length: 5 }, (_, i) => reading(i)) });
    const [error] = await caught;
    assert.match((error?.error as { message: string }).message, /buffer over 3 points, dropped the 2 oldest points/);
    get('n1').receive({ flush: true });
    assert.deepEqual(points((await received)[0]).map((p) => p.fields.voltage), [232, 233, 234]);
  });

  it('reports unusable settings and uses the defaults', async function () {
    await helper.load([batch, catchModule], flow({ maxPoints: 'many' }));
    const logged = helper.log().args.map((args) => args[0] as { type?: string; msg?: unknown });
    assert.ok(logged.some((entry) => entry.type === 'heatpump-batch' && /Invalid settings, defaults used instead: maxPoints: "many"/.test(String(entry.msg))));
  });

  it('sends a failed batch again after the back-off, with the same points and the next attempt number', async function () {
    await helper.load([batch, catchModule], flow({ maxWaitMs: 0, retries: 2 }));
    const first = collect('out', 1);
    get('n1').receive({ payload: [reading(0), reading(1)] });
    get('n1').receive({ flush: true });
    const [sent] = await first;
    assert.deepEqual((sent as { heatpumpBatch?: unknown }).heatpumpBatch, { attempt: 0 });
    const again = collect('out', 1, 5000);
    const failedAt = Date.now();
    // what a catch node scoped to `influxdb batch` hands back
    get('n1').receive({ ...sent, error: { message: 'connect ECONNREFUSED' } });
    const [retry] = await again;
    assert.ok(Date.now() - failedAt >= 900, 'waited the first back-off (1 s)');
    assert.deepEqual((retry as { heatpumpBatch?: unknown }).heatpumpBatch, { attempt: 1 });
    assert.deepEqual(points(retry).map((p) => p.timestamp.getTime()), points(sent).map((p) => p.timestamp.getTime()), 'same timestamps: a retry never duplicates rows');
  });

  it('reports the points as lost with done(err) when the last retry failed', async function () {
    await helper.load([batch, catchModule], flow({ maxWaitMs: 0, retries: 1 }));
    const caught = collect('caught', 1);
    get('n1').receive({ payload: [reading(0)], heatpumpBatch: { attempt: 1 }, error: { message: 'HTTP 500' } });
    const [error] = await caught;
    assert.match((error?.error as { message: string }).message, /1 points lost, InfluxDB write failed 2 times: HTTP 500/);
  });

  it('sends a batch that waits for a retry when it closes', async function () {
    await helper.load([batch, catchModule], flow({ maxWaitMs: 0, retries: 5 }));
    const received = collect('out', 1);
    get('n1').receive({ payload: [reading(3)], heatpumpBatch: { attempt: 3 }, error: { message: 'timeout' } });
    await sleep(50);
    await get('n1').close(false);
    const [msg] = await received;
    assert.deepEqual((msg as { heatpumpBatch?: unknown }).heatpumpBatch, { attempt: 4 });
  });
});
