// HTTP ingestion end to end through the shipped flows (`npm start` with the production login, into
// Debian's influxd): POST /api/v1/devices/status/update with a device's own token lands its readings
// in InfluxDB and the fleet exactly as MQTT would; the login is not asked for (the device token is
// the authentication), a missing or wrong token is 401, a payload naming another device or a bad
// one 400 with the reasons, a too big one 413.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { tokenDigest } from '../../nodes/heatpump-http-ingest/tokens';
import { startInfluxd, type RunningInfluxd } from '../../scripts/lib/influxd';
import { influxQuery, rowsOf } from '../../scripts/lib/influx-setup';
import { devicePayload } from '../fixtures/payloads';
import { eventually, startProduct, type RunningProduct } from '../support/runtime';
import { requireBinary } from '../support/system';

const ROUTE = '/api/v1/devices/status/update';
const SITE1_TOKEN = 'c0ffee5e1a7e4d2c9b8a7f6e5d4c3b2a01234567';
const SITE2_TOKEN = '5ca1ab1e0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const ADMIN_PASSWORD = 'http-ingest-admin';
const READ_TOKEN = 'read-only-http-ingest-0123456789';
const GUARD_LIMIT = 200_000;
const reader = { authorization: `Bearer ${READ_TOKEN}` };

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

describe('HTTP ingestion end to end (npm start with login, influxd)', function () {
  this.timeout(180_000);
  let influx: RunningInfluxd;
  let dataDir: string;
  let product: RunningProduct;

  const post = async (body: unknown, token?: string, contentType = 'application/json'): Promise<Answer> => {
    const res = await fetch(`${product.baseUrl}${ROUTE}`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    assert.match(String(res.headers.get('content-type')), /^application\/json/, text);
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, headers: res.headers };
  };
  const stored = async (device: string) =>
    rowsOf(await influxQuery({ url: influx.url }, `SELECT * FROM sensor_reading WHERE device_id = '${device}'`, 'heatpump'));

  before(async function () {
    const binary = requireBinary(this, 'influxd', 'influxdb');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-http-ingest-'));
    influx = await startInfluxd({ dataDir, port: 0, binary });
    product = await startProduct(
      {
        INFLUXDB_URL: influx.url,
        NODE_RED_ADMIN_PASSWORD_HASH: bcrypt.hashSync(ADMIN_PASSWORD, 8),
        HEATPUMP_READ_TOKEN: READ_TOKEN,
        // above the node's own limit (64 KiB), so that both answer 413 in turn
        HEATPUMP_HTTP_MAX_BODY: String(GUARD_LIMIT),
        HEATPUMP_DEVICE_TOKENS: `http-site1:${tokenDigest(SITE1_TOKEN)},http-site2:${tokenDigest(SITE2_TOKEN)}`,
      },
      { ready: async (running) => [200, 503].includes((await fetch(`${running.baseUrl}/api/health`, { headers: reader })).status) },
    );
  });

  after(async () => {
    if (product) assert.equal(await product.stop(), 0, 'npm start exits 0 on SIGTERM');
    await influx?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores a reading posted with the right token, and the fleet knows the device', async () => {
    const timestamp = Date.now() - 60_000;
    const answer = await post(devicePayload({ device: 'http-site1', timestamp, temperature: { inlet: 41.5 } }), SITE1_TOKEN);
    assert.deepEqual([answer.status, answer.body], [202, { device_id: 'http-site1', accepted: 1, rejected: 0 }]);
    const rows = await eventually(async () => {
      const found = await stored('http-site1');
      return found.length > 0 ? found : undefined;
    }, 60_000, 'the reading in influxd');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.temp_inlet, 41.5);
    // InfluxDB prints RFC 3339 without trailing zeros (…43.66Z for …43.660Z): compare the instants
    assert.equal(Date.parse(String(rows[0]?.time)), timestamp);

    const status = await fetch(`${product.baseUrl}/api/devices/http-site1/status`, { headers: reader });
    const device = (await status.json()) as Record<string, unknown>;
    assert.equal(status.status, 200, JSON.stringify(device));
    assert.equal(device.is_online, true, JSON.stringify(device));
  });

  it('takes a flush as an array: good readings stored, one naming another device rejected with its reason (202)', async () => {
    const now = Date.now();
    const flush = [devicePayload({ device: 'http-site2', timestamp: now - 20_000 }), devicePayload({ device: 'http-site1', timestamp: now - 10_000 }), devicePayload({ timestamp: now })];
    flush[2] = { ...flush[2], device: undefined } as unknown as (typeof flush)[number];
    const answer = await post(flush, SITE2_TOKEN);
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.deepEqual([answer.body.accepted, answer.body.rejected], [2, 1]);
    const problems = answer.body.problems as { index: number; code: string; message: string }[];
    assert.deepEqual(problems.map((problem) => [problem.index, problem.code]), [[1, 'device-mismatch']]);
    assert.match(problems[0]?.message ?? '', /^http-site2: payload device "http-site1" differs from the topic's device id$/);
    await eventually(async () => ((await stored('http-site2')).length === 2 ? true : undefined), 60_000, 'both readings of http-site2 in influxd');
    assert.equal((await stored('http-site1')).length, 1, 'the reading claiming http-site1 was not stored');
  });

  it('401 without a token, with a wrong one and with the logins of people, none of them stored', async () => {
    const payload = devicePayload({ device: 'http-site1', timestamp: Date.now() });
    const missing = await post(payload);
    assert.deepEqual([missing.status, missing.body], [401, { error: 'device token required: Authorization: Bearer <token>' }]);
    assert.match(String(missing.headers.get('www-authenticate')), /^Bearer /);
    const wrong = await post(payload, 'not-a-device-token-0123456789abcdef');
    assert.deepEqual([wrong.status, wrong.body], [401, { error: 'wrong device token' }]);
    const readToken = await post(payload, READ_TOKEN);
    assert.deepEqual([readToken.status, readToken.body], [401, { error: 'wrong device token' }]);
    const digest = await post(payload, tokenDigest(SITE1_TOKEN));
    assert.equal(digest.status, 401, 'the stored digest is not a token');
    const admin = await fetch(`${product.baseUrl}${ROUTE}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` },
      body: JSON.stringify(payload),
    });
    assert.deepEqual([admin.status, await admin.json()], [401, { error: 'the Authorization header must be: Bearer <token>' }]);
    assert.equal((await stored('http-site1')).length, 1);
  });

  it('400 with the reasons for a bad payload or one naming another device', async () => {
    const foreign = await post(devicePayload({ device: 'http-site2', timestamp: Date.now() }), SITE1_TOKEN);
    assert.equal(foreign.status, 400, JSON.stringify(foreign.body));
    assert.match(String(foreign.body.error), /^http-site1: payload device "http-site2" differs from the topic's device id$/);
    const wrongType = await post({ ...devicePayload({ device: 'http-site1' }), temperature: 'hot' }, SITE1_TOKEN);
    assert.equal(wrongType.status, 400);
    assert.deepEqual((wrongType.body.problems as { code: string; field: string }[]).map((p) => [p.code, p.field]), [['wrong-type', 'temperature']]);
    const notJson = await post('{"device": "http-site1", ', SITE1_TOKEN, 'text/plain');
    assert.equal(notJson.status, 400);
    assert.match(String(notJson.body.error), /payload is not JSON/);
    const empty = await post([], SITE1_TOKEN);
    assert.deepEqual([empty.status, (empty.body.problems as { code: string }[])[0]?.code], [400, 'empty-array']);
    assert.equal((await stored('http-site1')).length, 1);
  });

  it('413 for a payload over the node\'s limit, and over the HTTP body limit', async () => {
    const flush = (length: number) => Array.from({ length }, (_, i) => devicePayload({ device: 'http-site1', timestamp: Date.now() - i * 10_000 }));
    const overNode = JSON.stringify(flush(200));
    assert.ok(overNode.length > 65_536 && overNode.length < GUARD_LIMIT, String(overNode.length));
    const byNode = await post(overNode, SITE1_TOKEN);
    assert.equal(byNode.status, 413, JSON.stringify(byNode.body));
    assert.equal(byNode.body.error, `http-site1: payload of ${overNode.length} bytes is larger than the limit of 65536 bytes`);
    const overGuard = JSON.stringify(flush(600));
    assert.ok(overGuard.length > GUARD_LIMIT);
    const byGuard = await post(overGuard, SITE1_TOKEN);
    assert.deepEqual([byGuard.status, byGuard.body], [413, { error: `request body too large (limit ${GUARD_LIMIT} bytes)` }]);
    assert.equal((await stored('http-site1')).length, 1);
  });
});
