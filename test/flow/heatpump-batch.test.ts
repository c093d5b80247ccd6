import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NodeMessage } from 'node-red';
import type { InfluxPoint, Reading } from '../../nodes/shared/contract';
import { catchModule, collect, flowSuiteHooks, flowWithCatch, helper, nodeById as get, sleep, withCatalog, type NodeInit, type Spied, type TestNode } from '../support/flow-helper';
import { nodeModule } from '../support/node-red';
import { readingToPoint } from '../../nodes/shared/points';
import type { FleetLink } from '../../nodes/shared/fleet-link';

const batch = withCatalog(nodeModule('heatpump-batch') as NodeInit, 'heatpump-batch');
const fleetModule = withCatalog(nodeModule('heatpump-fleet') as NodeInit, 'heatpump-fleet');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const influxModule = require('node-red-contrib-influxdb/influxdb.js') as NodeInit;

const reading = (i: number): Reading => ({ device_id: 'site1', timestamp: 1706600000000 + i * 1000, voltage: 230 + i, fan_running: true });

const flow = (config: Record<string, unknown> = {}): Array<Record<string, unknown>> => flowWithCatch('heatpump-batch', ['out'], config);

const points = (msg: NodeMessage | undefined): InfluxPoint[] => msg?.payload as InfluxPoint[];

/** what comes back from influxdb batch: points, with Date timestamps */
const pointOf = (i: number): InfluxPoint => readingToPoint(reading(i));
/** msg.heatpumpBatch without the write's own number (sent, by) and journal segment, which only the node compares */
const tag = (msg: NodeMessage | undefined): unknown => {
  const { sent, by, journal: _journal, ...rest } = (msg as { heatpumpBatch?: Record<string, unknown> } | undefined)?.heatpumpBatch ?? {};
  assert.equal(typeof sent, 'number', 'each write is numbered');
  assert.equal(typeof by, 'number', 'by the instance that sent it');
  return rest;
};
const failed = (msg: NodeMessage | undefined, message = 'connect ECONNREFUSED'): Record<string, unknown> => ({ ...msg, error: { message } });
const written = (msg: NodeMessage | undefined): Record<string, unknown> => ({ ...msg });
const stamps = (msg: NodeMessage | undefined): number[] => points(msg).map((p) => p.timestamp.getTime());

describe('heatpump-batch node', function () {
  flowSuiteHooks();
  let userDir: string;
  beforeEach(function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-batch-flow-'));
    helper.settings({ userDir });
  });
  afterEach(function () {
    fs.rmSync(userDir, { recursive: true, force: true });
  });
  after(function () {
    helper.settings({});
  });

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

  it('turns metrics readings into heatpump_metrics points (tags heatpump_id, name, location, model)', async function () {
    await helper.load([batch, catchModule], flow({ maxWaitMs: 50 }));
    const received = collect('out', 1);
    const metrics = {
      device_id: 'nibe1',
      timestamp: 1706600000000,
      metrics: { flow_temperature: 35.5, high_pressure_alarm: false },
      units: { flow_temperature: '°C' },
      info: { name: 'Keller', model: 'NIBE F1255', source: 'modbus' },
    };
    get('n1').receive({ payload: [metrics, reading(0)] });
    const [msg] = await received;
    assert.deepEqual(points(msg), [
      { measurement: 'heatpump_metrics', tags: { heatpump_id: 'nibe1', name: 'Keller', model: 'NIBE F1255' }, fields: { flow_temperature: 35.5, high_pressure_alarm: false }, timestamp: new Date(1706600000000) },
      pointOf(0),
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

  /** a point of a measurement kept longer than readings (shared/retention.ts) */
  const figure = (measurement: string, i: number): InfluxPoint => ({ measurement, tags: { device_id: 'site1' }, fields: { heat_energy: i }, timestamp: new Date(1706600000000 + i * 1000) });
  const policyOf = (msg: NodeMessage | undefined): unknown => (msg as { retentionPolicy?: unknown }).retentionPolicy;
  const hasPolicy = (msg: NodeMessage | undefined): boolean => Object.prototype.hasOwnProperty.call(msg, 'retentionPolicy');

  it('writes a batch per retention policy: energy_daily to daily, the 5-minute windows to hourly, readings without msg.retentionPolicy', async function () {
    await helper.load([batch, catchModule], flow({ maxWaitMs: 0, maxPoints: 0 }));
    const received = collect('out', 3);
    get('n1').receive({
      payload: [reading(0), figure('cop', 1), figure('energy_daily', 2), reading(3), figure('thermal_power_delta_t', 4), figure('thermal_power_modulation', 5)],
      flush: true,
    });
    const msgs = await received;
    assert.deepEqual(
      msgs.map((m) => [hasPolicy(m) ? policyOf(m) : 'no msg.retentionPolicy', stamps(m)]),
      [
        ['no msg.retentionPolicy', [reading(0).timestamp, reading(3).timestamp]],
        ['hourly', [1706600001000, 1706600004000, 1706600005000]],
        ['daily', [1706600002000]],
      ],
    );
  });

  it('cuts full batches by count first, then by policy, and writes msg.retentionPolicy of a message to all its points', async function () {
    await helper.load([batch, catchModule], flow({ maxWaitMs: 0, maxPoints: 2 }));
    const received = collect('out', 4);
    get('n1').receive({ payload: [reading(0), figure('energy_daily', 1), reading(2), reading(3)] });
    get('n1').receive({ payload: [reading(4)], retentionPolicy: 'autogen', flush: true });
    const msgs = await received;
    assert.deepEqual(
      msgs.map((m) => [policyOf(m), stamps(m)]),
      [
        [undefined, [reading(0).timestamp]],
        ['daily', [1706600001000]],
        [undefined, [reading(2).timestamp, reading(3).timestamp]],
        ['autogen', [reading(4).timestamp]],
      ],
    );
  });

  it('rejects a msg.retentionPolicy that is not a name with done(err)', async function () {
    await helper.load([batch, catchModule], flow({ maxWaitMs: 0 }));
    const caught = collect('caught', 1);
    get('n1').receive({ payload: reading(0), retentionPolicy: 7 });
    const [error] = await caught;
    assert.match((error?.error as { message: string }).message, /msg.retentionPolicy must be a retention policy name, got number/);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['a string', 'hello', /payload is not a Reading, MetricsReading, AlertEvent, InfluxPoint or an array of these: expected a Reading/],
    ['a metrics reading with a NaN metric', { device_id: 'nibe1', timestamp: 1706600000000, metrics: { flow_temperature: Number.NaN } }, /MetricsReading nibe1: metric flow_temperature must be a finite number or a boolean, got NaN/],
    ['an array whose metrics reading has a text metric', [reading(0), { device_id: 'nibe1', timestamp: 1706600000000, metrics: { mode: 'heating' } }], /\[1\] MetricsReading nibe1: metric mode must be a finite number or a boolean, got string/],
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
    assert.deepEqual(tag(sent), { attempt: 0 });
    const again = collect('out', 1, 5000);
    const failedAt = Date.now();
    // what a catch node scoped to `influxdb batch` hands back
    get('n1').receive({ ...sent, error: { message: 'connect ECONNREFUSED' } });
    const [retry] = await again;
    assert.ok(Date.now() - failedAt >= 900, 'waited the first back-off (1 s)');
    assert.deepEqual(tag(retry), { attempt: 1 });
    assert.deepEqual(points(retry).map((p) => p.timestamp.getTime()), points(sent).map((p) => p.timestamp.getTime()), 'same timestamps: a retry never duplicates rows');
  });

  it('with the spool off, reports the points as lost with done(err) when the last retry failed', async function () {
    await helper.load([batch, catchModule], flow({ maxWaitMs: 0, retries: 1, spool: false }));
    const caught = collect('caught', 1);
    get('n1').receive({ payload: [reading(0)], heatpumpBatch: { attempt: 1 }, error: { message: 'HTTP 500' } });
    const [error] = await caught;
    assert.match((error?.error as { message: string }).message, /1 points lost, InfluxDB write failed 2 times: HTTP 500/);
  });

  it('with the spool off, sends a batch that waits for a retry when it closes', async function () {
    await helper.load([batch, catchModule], flow({ maxWaitMs: 0, retries: 5, spool: false }));
    const received = collect('out', 1);
    get('n1').receive({ payload: [reading(3)], heatpumpBatch: { attempt: 3 }, error: { message: 'timeout' } });
    await sleep(50);
    await get('n1').close(false);
    const [msg] = await received;
    assert.deepEqual((msg as { heatpumpBatch?: unknown }).heatpumpBatch, { attempt: 4 });
  });

  describe('spool', function () {
    const spoolDir = (): string => path.join(userDir, 'heatpump-spool', 'n1');
    /** the spooled batches (the write-ahead journal's files lie beside them) */
    const spoolFiles = (): string[] => fs.readdirSync(spoolDir()).filter((name) => !name.startsWith('journal-'));
    const journalFiles = (): string[] => (fs.existsSync(spoolDir()) ? fs.readdirSync(spoolDir()).filter((name) => name.startsWith('journal-')) : []);

    it('spools a batch whose last retry failed (no loss, no done(err)), replays it with the same points and timestamps, and queues new batches behind it in order', async function () {
      await helper.load([batch, catchModule], flow({ maxWaitMs: 0, retries: 0 }));
      const caught = collect('caught', 1, 4000).then(
        () => 'caught',
        () => 'none',
      );
      const first = collect('out', 1);
      get('n1').receive({ payload: [reading(0), reading(1)], flush: true });
      const [sent] = await first;
      const replay = collect('out', 1, 5000);
      get('n1').receive(failed(sent));
      await sleep(50);
      assert.equal(spoolFiles().length, 1, 'the batch is on disk');
      const [replayed] = await replay;
      assert.deepEqual(tag(replayed), { attempt: 0, spooled: 1 });
      assert.deepEqual(stamps(replayed), stamps(sent), 'same timestamps: no duplicates in InfluxDB');
      assert.deepEqual(points(replayed), points(sent));

      // a new batch while the spool is not empty goes behind it, not out
      const next = collect('out', 1, 3000);
      get('n1').receive({ payload: [reading(2)], flush: true });
      await sleep(100);
      assert.equal(spoolFiles().length, 2);
      get('n1').receive(written(replayed)); // complete feedback: delete it, send the next
      const [second] = await next;
      assert.deepEqual(tag(second), { attempt: 0, spooled: 2 });
      assert.deepEqual(stamps(second), [reading(2).timestamp]);
      assert.equal(spoolFiles().length, 1);
      get('n1').receive(written(second));
      await sleep(50);
      assert.deepEqual(spoolFiles(), [], 'written batches are deleted');

      // the spool is empty: batches go out directly again
      const direct = collect('out', 1);
      get('n1').receive({ payload: [reading(3)], flush: true });
      assert.deepEqual(tag((await direct)[0]), { attempt: 0 });
      assert.equal(await caught, 'none', 'nothing was reported lost');
    });

    it('keeps a replayed batch whose write failed and tries the same one again after a back-off', async function () {
      await helper.load([batch, catchModule], flow({ maxWaitMs: 0, retries: 0 }));
      get('n1').receive({ payload: [pointOf(5)], heatpumpBatch: { attempt: 0 }, error: { message: 'HTTP 503' } });
      const [replayed] = await collect('out', 1, 5000);
      const again = collect('out', 1, 6000);
      const failedAt = Date.now();
      get('n1').receive(failed(replayed, 'HTTP 503'));
      const [retry] = await again;
      assert.ok(Date.now() - failedAt >= 1900, 'waited the back-off (2 s after the second failure)');
      assert.deepEqual(tag(retry), { attempt: 0, spooled: 1 });
      assert.deepEqual(stamps(retry), [reading(5).timestamp]);
    });

    it('shows the spooled batches in the status', async function () {
      await helper.load([batch, catchModule], flow({ maxWaitMs: 0, retries: 0 }));
      const statuses: string[] = [];
      get('n1').on('call:status', (call: Spied<{ text?: string }>) => statuses.push(call.args[0]?.text ?? ''));
      get('n1').receive({ payload: [pointOf(5)], heatpumpBatch: { attempt: 0 }, error: { message: 'HTTP 503' } });
      await sleep(300);
      assert.ok(
        statuses.some((text) => text.startsWith('spool 1 batches')),
        statuses.join(' | '),
      );
    });

    it('on close spools what waits for a retry, and a new node on the same directory replays it', async function () {
      await helper.load([batch, catchModule], flow({ maxWaitMs: 0, retries: 5 }));
      const out = collect('out', 1, 500).then(
        () => 'sent',
        () => 'none',
      );
      get('n1').receive({ payload: [pointOf(3), pointOf(4)], heatpumpBatch: { attempt: 3 }, error: { message: 'timeout' } });
      get('n1').receive({ payload: [reading(6)] }); // held: follows the spooled batch on close
      await sleep(50);
      await get('n1').close(false);
      assert.equal(await out, 'none', 'nothing sent into a closing flow');
      assert.equal(spoolFiles().length, 2);

      await helper.unload();
      await helper.load([batch, catchModule], flow({ maxWaitMs: 0, retries: 5 }));
      const [first] = await collect('out', 1, 5000);
      assert.deepEqual(tag(first), { attempt: 0, spooled: 1 });
      assert.deepEqual(stamps(first), [reading(3).timestamp, reading(4).timestamp]);
      assert.ok(points(first)[0]?.timestamp instanceof Date);
      const next = collect('out', 1);
      get('n1').receive(written(first));
      const [second] = await next;
      assert.deepEqual(tag(second), { attempt: 0, spooled: 2 });
      assert.deepEqual(stamps(second), [reading(6).timestamp]);
    });

    it('keeps the retention policy of spooled points across a restart and replays a batch per policy', async function () {
      await helper.load([batch, catchModule], flow({ maxWaitMs: 0, retries: 0 }));
      const first = collect('out', 3);
      get('n1').receive({ payload: [figure('energy_daily', 1), reading(2)], flush: true });
      get('n1').receive({ payload: [reading(3)], retentionPolicy: 'autogen', flush: true });
      const sent = await first;
      for (const msg of sent) get('n1').receive(failed(msg)); // every last retry failed: spooled, in order
      await sleep(50);
      get('n1').receive({ payload: [figure('cop', 4)] }); // held while the spool is not empty: spooled on close
      await get('n1').close(false);

      await helper.unload();
      await helper.load([batch, catchModule], flow({ maxWaitMs: 0, retries: 0 }));
      const replays: NodeMessage[] = [];
      for (let i = 0; i < 4; i++) {
        const [replayed] = await collect('out', 1, 5000);
        replays.push(replayed as NodeMessage);
        get('n1').receive(written(replayed));
      }
      assert.deepEqual(
        replays.map((m) => [policyOf(m), stamps(m)]),
        [
          ['daily', [1706600001000]],
          [undefined, [reading(2).timestamp]],
          ['autogen', [reading(3).timestamp]],
          ['hourly', [1706600004000]],
        ],
      );
    });

    it('drops the oldest batches when the spool is full, counts them and reports it once', async function () {
      // one 1-point batch of a reading is ~190 bytes: 0.0005 MB (524 bytes) hold two
      await helper.load([batch, catchModule], flow({ maxWaitMs: 0, retries: 0, spoolMB: 0.0005 }));
      const errors: string[] = [];
      get('caught').on('input', (msg: NodeMessage) => errors.push((msg.error as { message: string }).message));
      for (let i = 0; i < 5; i += 1) get('n1').receive({ payload: [pointOf(i)], heatpumpBatch: { attempt: 0 }, error: { message: 'HTTP 503' } });
      await sleep(100);
      const files = spoolFiles();
      assert.ok(files.length >= 1 && files.length < 5, files.join());
      assert.equal(errors.length, 1, errors.join(' | '));
      assert.match(errors[0] ?? '', /spool over 0.0005 MB, dropped the oldest 1 points/);
      const [replayed] = await collect('out', 1, 5000);
      assert.deepEqual(stamps(replayed), [reading(5 - files.length).timestamp], 'the oldest kept batch comes first');
    });

    /** heatpump-batch linked to a real fleet with history on (an InfluxDB config node nobody answers on) */
    const fleetFlow = (config: Record<string, unknown>): Array<Record<string, unknown>> => [
      ...flow({ fleet: 'fleet', ...config }),
      { id: 'fleet', type: 'heatpump-fleet', name: '', store: '', broker: '', influxdb: 'idb' },
      { id: 'idb', type: 'influxdb', hostname: '127.0.0.1', port: '9', database: 'heatpump', name: '', usetls: false, influxdbVersion: '1.x' },
    ];
    const fleet = (): FleetLink => (get('fleet') as unknown as { fleet: FleetLink }).fleet;

    it('spools a write with no answer within the deadline, ignores its late answer and counts the points written once, by the replay', async function () {
      await helper.load([batch, catchModule, influxModule, fleetModule], fleetFlow({ maxWaitMs: 0, retries: 5, writeTimeoutS: 1 }));
      await fleet().ready;
      const first = collect('out', 1);
      get('n1').receive({ payload: [reading(0), reading(1)], flush: true });
      const [sent] = await first;
      // influxdb batch hangs: neither complete nor catch answers; after the deadline it is on disk and replayed
      const [replayed] = await collect('out', 1, 4000);
      assert.deepEqual(tag(replayed), { attempt: 0, spooled: 1 });
      assert.deepEqual(stamps(replayed), stamps(sent));
      const state = fleet().state;
      assert.equal(state.counters.write_errors, 1, 'the timed-out write counts as failed');
      get('n1').receive(written(sent)); // the hung write answers at last: ignored
      await sleep(50);
      assert.equal(spoolFiles().length, 1, 'the spooled batch stays until its replay is written');
      assert.equal(state.counters.points_written, 0);
      assert.ok(helper.log().args.some((args) => String((args[0] as { msg?: unknown }).msg).includes('came after the 1 s deadline and is ignored')));
      get('n1').receive(written(replayed));
      await sleep(50);
      assert.deepEqual(spoolFiles(), []);
      assert.equal(state.counters.points_written, 2, 'counted once');
      assert.equal(state.counters.points_lost, 0);
    });

    it('a replay without an answer within the deadline is sent again later, the same batch, and counted once', async function () {
      await helper.load([batch, catchModule, influxModule, fleetModule], fleetFlow({ maxWaitMs: 0, retries: 0, writeTimeoutS: 1 }));
      await fleet().ready;
      get('n1').receive({ payload: [pointOf(5)], heatpumpBatch: { attempt: 0 }, error: { message: 'HTTP 503' } });
      const [replayed] = await collect('out', 1, 5000);
      const [again] = await collect('out', 1, 8000); // 1 s deadline, then the back-off
      assert.deepEqual([tag(replayed), tag(again)], [
        { attempt: 0, spooled: 1 },
        { attempt: 0, spooled: 1 },
      ]);
      get('n1').receive(written(replayed)); // late: ignored
      get('n1').receive(written(again));
      await sleep(50);
      assert.deepEqual(spoolFiles(), []);
      assert.equal(fleet().state.counters.points_written, 1);
    });

    it('counts what it gives up by reason in the fleet: spool_full and, with the spool off, buffer_full and retries_exhausted', async function () {
      await helper.load([batch, catchModule, influxModule, fleetModule], fleetFlow({ maxWaitMs: 0, retries: 0, spoolMB: 0.0005 }));
      await fleet().ready;
      for (let i = 0; i < 8; i += 1) get('n1').receive({ payload: [pointOf(i)], heatpumpBatch: { attempt: 0 }, error: { message: 'HTTP 503' } });
      await sleep(100);
      const kept = fleet().state.health.spooled_points;
      assert.ok(kept >= 1 && kept < 8, String(kept));
      assert.equal(fleet().state.dropped().spool_full, 8 - kept);
      await helper.unload();

      await helper.load([batch, catchModule, influxModule, fleetModule], fleetFlow({ maxWaitMs: 0, maxPoints: 0, maxBuffered: 3, retries: 0, spool: false }));
      await fleet().ready;
      get('n1').receive({ payload: [reading(0), reading(1), reading(2), reading(3), reading(4)] });
      get('n1').receive({ payload: [pointOf(9)], heatpumpBatch: { attempt: 0 }, error: { message: 'HTTP 503' } });
      await sleep(50);
      const dropped = fleet().state.dropped();
      assert.deepEqual([dropped.buffer_full, dropped.retries_exhausted, fleet().state.counters.points_lost], [2, 1, 3]);
    });

    it('journals every accepted point before the next message and deletes a segment once InfluxDB confirmed its batches', async function () {
      await helper.load([batch, catchModule], flow({ maxWaitMs: 0, maxPoints: 3 }));
      const journaled = (): number[] =>
        journalFiles()
          .flatMap((name) => fs.readFileSync(path.join(spoolDir(), name), 'utf8').trim().split('\n'))
          .filter((line) => line !== '')
          .flatMap((line) => (JSON.parse(line) as Array<{ timestamp: number }>).map((p) => p.timestamp));
      const out = collect('out', 1);
      get('n1').receive({ payload: [reading(0), reading(1)] });
      await sleep(20);
      assert.deepEqual(journaled(), [reading(0).timestamp, reading(1).timestamp], 'held in the buffer, on disk');
      get('n1').receive({ payload: [reading(2), reading(3)] });
      const [sent] = await out;
      assert.deepEqual(stamps(sent), [0, 1, 2].map((i) => reading(i).timestamp));
      assert.equal(journalFiles().length, 2, 'the cut segment (its batch in flight) and the next one, holding what is still buffered');
      assert.deepEqual(journaled(), [0, 1, 2, 3, 3].map((i) => reading(i).timestamp));
      get('n1').receive(written(sent));
      await sleep(50);
      assert.equal(journalFiles().length, 1, 'the confirmed batch left the journal');
      assert.deepEqual(journaled(), [reading(3).timestamp]);
      await get('n1').close(false);
      assert.deepEqual(journalFiles(), [], 'a close sends or spools what it holds: nothing is left in the journal');
    });

    it('replays at start what a killed run journaled and never saw confirmed, once per point', async function () {
      await helper.load([batch, catchModule], flow({ maxWaitMs: 0, maxPoints: 2, retries: 5 }));
      const out = collect('out', 1);
      get('n1').receive({ payload: [reading(0)] });
      get('n1').receive({ payload: [reading(1), reading(2)] });
      await out; // batch [0, 1] in flight, [2] buffered: a kill now leaves both in the journal
      const killed = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-batch-killed-'));
      try {
        for (const name of journalFiles()) fs.copyFileSync(path.join(spoolDir(), name), path.join(killed, name));
        await helper.unload();
        fs.rmSync(spoolDir(), { recursive: true, force: true });
        fs.cpSync(killed, spoolDir(), { recursive: true });
      } finally {
        fs.rmSync(killed, { recursive: true, force: true });
      }
      await helper.load([batch, catchModule], flow({ maxWaitMs: 0, maxPoints: 2, retries: 5 }));
      assert.deepEqual(journalFiles(), [], 'the journal became spool batches');
      assert.equal(spoolFiles().length, 2);
      const logged = helper.log().args.map((args) => String((args[0] as { msg?: unknown }).msg));
      assert.ok(logged.some((text) => text.includes('3 points a stopped run had not seen confirmed are replayed from the journal (0 unreadable lines)')), logged.join(' | '));
      const [first] = await collect('out', 1, 5000);
      assert.deepEqual(tag(first), { attempt: 0, spooled: 1 });
      assert.deepEqual(stamps(first), [reading(0).timestamp, reading(1).timestamp]);
      const next = collect('out', 1);
      get('n1').receive(written(first));
      const [second] = await next;
      assert.deepEqual(stamps(second), [reading(2).timestamp], 'the buffered point, once although it was in two segments');
    });

    it('with the spool off keeps no journal', async function () {
      await helper.load([batch, catchModule], flow({ maxWaitMs: 0, spool: false }));
      get('n1').receive({ payload: [reading(0)] });
      await sleep(20);
      assert.equal(fs.existsSync(spoolDir()), false);
    });

    it('warns and spools under the temp directory when the Node-RED user directory is unknown', async function () {
      helper.settings({ userDir: '' });
      await helper.load([batch, catchModule], flow({}));
      const logged = helper.log().args.map((args) => args[0] as { type?: string; msg?: unknown });
      assert.ok(logged.some((entry) => entry.type === 'heatpump-batch' && String(entry.msg).includes(`user directory unknown: spooling to ${path.join(os.tmpdir(), 'heatpump-spool', 'n1')}`)));
    });
  });
});
