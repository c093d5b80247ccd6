// Bad input end to end: the bad-input corpus (test/fixtures/bad-input.ts) and a few thousand
// seeded random mutations of the device payload published over MQTT into the product as
// `npm start` runs it (shipped flows, embedded broker, Debian's influxd), and random API calls
// against it. The process must not crash, the fleet's rejection counter must account for every
// refused reading, and afterwards every row in InfluxDB must be a reading decode accepts (same
// device, time and fields) or an alert of the alert contract for an accepted device: 0 corrupt,
// 0 injected. The expected outcome of each message comes from heatpump-decode's core, which
// test/unit/fuzz-decode.test.ts checks against the storage contract on 100,000 cases.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { startInfluxd, type RunningInfluxd } from '../../scripts/lib/influxd';
import { influxQuery, rowsOf } from '../../scripts/lib/influx-setup';
import { decodeMessage, defaultOptions } from '../../nodes/heatpump-decode/decode';
import { SENSOR_FIELDS, STATE_FIELDS, type Reading } from '../../nodes/shared/contract';
import { ALERT_THRESHOLDS } from '../../nodes/shared/thresholds';
import { BAD_INPUT_CASES, casePayload } from '../fixtures/bad-input';
import { Random, fuzzCases, fuzzSeed, mutatedMessage, randomApiCall } from '../fixtures/bad-input-fuzz';
import { requireBinary } from '../support/system';
import { eventually, startProduct, type RunningProduct } from '../support/runtime';
import { settled } from '../support/wait';

const DB = 'heatpump';
/**
 * What MQTT lets a client publish on: no wildcard, no NUL, well-formed UTF-16 (UTF-8 on the wire),
 * and no control characters, which MQTT 3.1.1 (4.7.3) allows a peer to treat as malformed: Node-RED's
 * MQTT client drops its connection on one (an outage, and a message lost), seen in this test.
 */
/**
 * The shipped flow's subscriptions heatpump/+/data and heatpump/+/alerts; without an empty level:
 * a message on heatpump//data (which `+` matches) makes the subscribing MQTT.js client drop its
 * connection (seen here with aedes, reported as a known issue), and the messages in flight with it.
 */
const SUBSCRIBED = /^heatpump\/[^/]+\/(?:data|alerts)$/;
// eslint-disable-next-line no-control-regex -- NUL is exactly what MQTT forbids
const MQTT_TOPIC = /^(?:[^+#\u0000-\u001f\u007f-\u009f\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff])+$/;
const RAW_RETENTION_MS = 30 * 24 * 3_600_000;
const STORED_FIELDS: readonly string[] = [...SENSOR_FIELDS, ...STATE_FIELDS];
const ALERT_TYPES = new Set<string>([...ALERT_THRESHOLDS.map((rule) => rule.name), 'sensor_fault']);

describe('bad input end to end (npm start, MQTT, InfluxDB, API)', function () {
  this.timeout(180_000);
  let influx: RunningInfluxd;
  let influxDir: string;
  let product: RunningProduct;
  let device: MqttClient;

  const query = async (q: string): Promise<Record<string, unknown>[]> => rowsOf(await influxQuery({ url: influx.url }, q, DB));
  const metric = async (name: string): Promise<number> => {
    const text = await (await fetch(`${product.baseUrl}/metrics`)).text();
    return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  };

  before(async function () {
    requireBinary(this, 'influxd', 'influxdb');
    influxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-bad-input-influx-'));
    influx = await startInfluxd({ dataDir: influxDir, port: 0 });
    // the API rate limit off: the random calls below come from one client, faster than it allows
    product = await startProduct({ INFLUXDB_URL: influx.url, HEATPUMP_API_RATE: '0' });
    await eventually(async () => ((await (await fetch(`${product.baseUrl}/api/health`)).json()) as { status?: string }).status === 'healthy' || undefined, 30_000, 'healthy');
    device = mqtt.connect(product.mqttUrl, { clientId: 'test-bad-input' });
    await new Promise((resolve, reject) => device.once('connect', resolve).once('error', reject));
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(product?.output().split('\n').filter((line) => /broker|influx|error/i.test(line)).slice(-30).join('\n'));
  });

  after(async () => {
    await device?.endAsync();
    const code = await product?.stop();
    await influx?.stop();
    if (influxDir) fs.rmSync(influxDir, { recursive: true, force: true });
    assert.equal(code, 0, 'npm start exits 0 on SIGTERM after the bad input');
  });

  it(`corpus and fuzz over MQTT: no crash, every rejection counted, 0 corrupt, 0 injected rows`, async () => {
    const seed = fuzzSeed();
    const count = fuzzCases(2000, 'HEATPUMP_FUZZ_E2E_CASES');
    const random = new Random(seed);
    const now = Date.now();
    const messages = [
      ...BAD_INPUT_CASES.map((testCase) => ({ topic: testCase.topic, payload: Buffer.from(casePayload(testCase, now)) })),
      ...Array.from({ length: count }, (_, i) => mutatedMessage(random, `fz-${i}`, now)),
    ];
    const readingsBefore = await metric('heatpump_readings_total');
    const rejectedBefore = await metric('heatpump_readings_rejected_total');

    let unpublishable = 0;
    let unsubscribed = 0;
    let beyondRetention = 0;
    let published = 0;
    let readings = 0;
    let rejected = 0;
    /** per device: readings with their own time (by time, merged as InfluxDB merges one series' points) and readings placed by the server */
    type Expected = { timed: Map<number, Record<string, unknown>>; placed: Record<string, unknown>[] };
    const expected = new Map<string, Expected>();
    const deviceAlertTypes = new Map<string, Set<string>>();
    const started = Date.now();
    for (const message of messages) {
      // a topic MQTT forbids or may refuse (see MQTT_TOPIC) is not sent
      if (!MQTT_TOPIC.test(message.topic)) {
        unpublishable++;
        continue;
      }
      // a device id with a `/` makes a topic heatpump/+/data does not match: it reaches no node
      if (!SUBSCRIBED.test(message.topic)) {
        unsubscribed++;
        continue;
      }
      const result = decodeMessage(message.payload, message.topic, defaultOptions(), Date.now());
      // InfluxDB refuses a point older than the raw retention (30 days): heatpump-batch counts it as
      // beyond_retention (test/integration/write-retry.test.ts) and no row can be expected for it here
      const oldest = Date.now() - RAW_RETENTION_MS;
      if (result.readings.some((r) => !r.timestampReplaced && r.reading.timestamp < oldest) || result.alerts.some((a) => !a.timestampReplaced && a.alert.timestamp < oldest)) {
        beyondRetention++;
        continue;
      }
      await device.publishAsync(message.topic, message.payload, { qos: 1 });
      published++;
      readings += result.readings.length;
      rejected += result.problems.length;
      for (const { reading, timestampReplaced } of result.readings) {
        const fields = storedFields(reading);
        if (Object.keys(fields).length === 0) continue;
        const entry: Expected = expected.get(reading.device_id) ?? { timed: new Map(), placed: [] };
        expected.set(reading.device_id, entry);
        if (timestampReplaced) entry.placed.push(fields);
        else {
          // a fractional ms timestamp is stored as its whole ms (the client writes a Date)
          const ms = Math.floor(reading.timestamp);
          entry.timed.set(ms, { ...entry.timed.get(ms), ...fields });
        }
      }
      for (const { alert } of result.alerts) {
        const types = deviceAlertTypes.get(alert.device_id) ?? new Set();
        deviceAlertTypes.set(alert.device_id, types.add(alert.alert_type));
      }
    }

    // every reading and every rejection is counted in the fleet (the Catch node sees the same done(err))
    let counted = { readings: 0, rejected: 0 };
    await eventually(
      async () => {
        counted = { readings: (await metric('heatpump_readings_total')) - readingsBefore, rejected: (await metric('heatpump_readings_rejected_total')) - rejectedBefore };
        return (counted.readings === readings && counted.rejected === rejected) || undefined;
      },
      60_000,
      () => `the fleet's counters: readings ${counted.readings} of ${readings}, rejected ${counted.rejected} of ${rejected}`,
    );
    const expectedRows = [...expected.values()].reduce((sum, entry) => sum + entry.timed.size + entry.placed.length, 0);
    // the last writes may still be applying: read until two reads agree (see settled)
    const rows = await settled(async () => {
      const found = await query('SELECT * FROM "raw"."sensor_reading"');
      return found.length >= expectedRows ? found : undefined;
    }, 60_000, `${expectedRows} sensor_reading rows, the same in two reads`);

    let corrupt = 0;
    let injected = 0;
    const problems: string[] = [];
    const note = (kind: 'corrupt' | 'injected', text: string) => {
      if (kind === 'corrupt') corrupt++;
      else injected++;
      if (problems.length < 10) problems.push(`${kind}: ${text}`);
    };
    const measurements = (await query('SHOW MEASUREMENTS')).map((row) => row.name);
    for (const name of measurements) if (name !== 'sensor_reading' && name !== 'alert') note('injected', `measurement ${String(name)}`);
    for (const row of rows) {
      const { time, device_id: id, ...rest } = row;
      const entry = expected.get(String(id));
      if (entry === undefined) {
        note('injected', `a row for device ${JSON.stringify(id)}, which has no accepted reading`);
        continue;
      }
      const fields = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== null));
      const extra = Object.keys(fields).filter((key) => !STORED_FIELDS.includes(key));
      if (extra.length > 0) note('injected', `fields ${extra.join(', ')} in ${JSON.stringify(row)}`);
      const ms = Date.parse(String(time));
      const timed = entry.timed.get(ms);
      if (timed !== undefined) {
        if (!sameFields(fields, timed)) note('corrupt', `${JSON.stringify(row)} is not ${JSON.stringify(timed)}`);
        entry.timed.delete(ms);
        continue;
      }
      const at = entry.placed.findIndex((placed) => sameFields(fields, placed));
      if (at === -1) note('corrupt', `${JSON.stringify(row)} matches no accepted reading of ${String(id)}`);
      else entry.placed.splice(at, 1);
    }
    const missing = [...expected.values()].reduce((sum, entry) => sum + entry.timed.size + entry.placed.length, 0);

    const alertRows = await settled(() => query('SELECT * FROM "raw"."alert"'), 60_000, 'alert rows, the same in two reads');
    for (const row of alertRows) {
      const id = String(row.device_id);
      const known = ALERT_TYPES.has(String(row.alert_type)) || (deviceAlertTypes.get(id)?.has(String(row.alert_type)) ?? false);
      const accepted = expected.has(id) || deviceAlertTypes.has(id);
      if (!accepted || !known) note('injected', `alert row ${JSON.stringify(row)}`);
      else if (!['warning', 'critical'].includes(String(row.level)) || !['device', 'threshold'].includes(String(row.source)) || typeof row.value !== 'number' || typeof row.message !== 'string')
        note('corrupt', `alert row ${JSON.stringify(row)}`);
    }
    const tagKeys = (await query('SHOW TAG KEYS')).map((row) => String(row.tagKey)).sort();
    for (const key of tagKeys) if (!['alert_type', 'device_id', 'level', 'source'].includes(key)) note('injected', `tag key ${key}`);

    console.log(
      `      cases ${published}, seed ${seed}, crashes ${product.child.exitCode === null ? 0 : 1}, corrupt ${corrupt}, injected ${injected}, rejected ${rejected}` +
        ` (readings ${readings}, rows ${rows.length}, missing ${missing}, not publishable over MQTT ${unpublishable}, on topics no node subscribes to ${unsubscribed}, held back as older than the raw retention ${beyondRetention}; ${((Date.now() - started) / 1000).toFixed(1)} s; replay: HEATPUMP_FUZZ_SEED=${seed})`,
    );
    assert.equal(product.child.exitCode, null, 'the product is still running');
    assert.deepEqual(problems, [], `seed ${seed}`);
    assert.equal(missing, 0, 'every accepted reading with a field is stored');
  });

  it('random API calls: never a 5xx, errors are JSON without a stack; quoted device ids read their rows', async function () {
    const seed = fuzzSeed();
    const random = new Random(seed);
    const devices = ['bi-ok', "bi-o'r;1", 'bi-wärme-😀', 'fz-1'];
    const statuses: Record<number, number> = {};
    const bad: string[] = [];
    let calls = 0;
    for (let i = 0; i < 300; i++) {
      const call = randomApiCall(random, Date.now(), devices);
      const id = String([call.params.id].flat()[0]);
      if (!MQTT_TOPIC.test(id)) continue; // a lone surrogate cannot be put in a URL at all
      const url = new URL(product.baseUrl + call.route.replace(':id', encodeURIComponent(id)));
      for (const [key, value] of Object.entries(call.query)) for (const each of [value].flat()) if (each !== undefined && each !== null && typeof each !== 'object' && MQTT_TOPIC.test(String(each))) url.searchParams.append(key, String(each));
      calls++;
      const res = await fetch(url);
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      const body = await res.text();
      if (res.status >= 500 || /at \w+ \(|node_modules|\/work\//.test(body)) bad.push(`${res.status} ${url.pathname}${url.search}: ${body.slice(0, 200)}`);
    }
    console.log(`      API calls ${calls}, seed ${seed}, statuses ${JSON.stringify(statuses)}`);
    assert.deepEqual(bad, []);
    const res = await fetch(`${product.baseUrl}/api/devices/${encodeURIComponent("bi-o'r;1")}/readings?hours=1`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { device_id: string; readings: Array<Record<string, unknown>> };
    assert.equal(body.device_id, "bi-o'r;1");
    assert.equal(body.readings.length, 1);
    assert.equal(body.readings[0]?.temp_inlet, 45.2);
  });
});

function storedFields(reading: Reading): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const field of STORED_FIELDS) if (reading[field as keyof Reading] !== undefined) fields[field] = reading[field as keyof Reading];
  return fields;
}

function sameFields(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
