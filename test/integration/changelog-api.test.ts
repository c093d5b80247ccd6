// The change log and event log endpoints of the shipped product (`npm start` with the production
// login): notes written, edited and deleted through GET/POST /api/changelog and PUT/DELETE
// /api/changelog/{id}, the event log through GET /api/events, with bad input, filters, the read
// token and the admin, and events the shipped flow records by itself: an alert raised by a reading
// over MQTT and a device that falls silent. The SQLite file lives in the temporary user directory.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import mqtt from 'mqtt';
import { LogDatabase } from '../../nodes/heatpump-database/log-database';
import { DEFAULT_FILE } from '../../nodes/heatpump-database/options';
import type { ChangelogEntry, EventEntry } from '../../nodes/heatpump-database/records';
import { devicePayload } from '../fixtures/payloads';
import { projectRoot } from '../support/node-red';
import { eventually, startProduct, type RunningProduct } from '../support/runtime';

const ADMIN_USER = 'operator';
const ADMIN_PASSWORD = 'change-log-admin';
const READ_TOKEN = 'read-only-changelog-0123456789';
const admin = { authorization: `Basic ${Buffer.from(`${ADMIN_USER}:${ADMIN_PASSWORD}`).toString('base64')}` };
const reader = { authorization: `Bearer ${READ_TOKEN}` };

interface Answer {
  status: number;
  body: unknown;
}
type Listing = { count: number; entries: ChangelogEntry[] };
type EventListing = { count: number; events: EventEntry[] };

/** SQLite files (and their journals and locks) directly in a folder. */
const databaseFilesIn = (dir: string) => fs.readdirSync(dir).filter((name) => /\.db(-journal|\.lock)?$/.test(name));

describe('change log and event log API end to end (npm start, SQLite in the user directory)', function () {
  this.timeout(120_000);
  let product: RunningProduct;
  let databaseFile: string;
  const repoFilesBefore = databaseFilesIn(projectRoot);

  const call = async (method: string, pathAndQuery: string, body?: unknown, headers: Record<string, string> = admin): Promise<Answer> => {
    const res = await fetch(`${product.baseUrl}${pathAndQuery}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    assert.match(String(res.headers.get('content-type')), /^application\/json/, `${method} ${pathAndQuery}: ${text}`);
    return { status: res.status, body: JSON.parse(text) as unknown };
  };
  const list = async (query = '') => {
    const answer = await call('GET', `/api/changelog${query}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body as Listing;
  };
  const events = async (query = '') => {
    const answer = await call('GET', `/api/events${query}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body as EventListing;
  };

  before(async function () {
    product = await startProduct(
      {
        LOCAL_INFLUXD: '0',
        DEVICE_ONLINE_TIMEOUT_SECONDS: '4',
        // whatever the calling shell sets: the default file in the (temporary) user directory
        HEATPUMP_DB_PATH: '',
        NODE_RED_ADMIN_USER: ADMIN_USER,
        NODE_RED_ADMIN_PASSWORD_HASH: bcrypt.hashSync(ADMIN_PASSWORD, 8),
        HEATPUMP_READ_TOKEN: READ_TOKEN,
      },
      { ready: async (running) => [200, 503].includes((await fetch(`${running.baseUrl}/api/health`, { headers: reader })).status) },
    );
    databaseFile = path.join(product.home, 'node-red', DEFAULT_FILE);
    await eventually(async () => (fs.existsSync(databaseFile) ? true : undefined), 10_000, `the database ${databaseFile}`);
  });

  after(async () => {
    const code = await product?.stop();
    assert.equal(code, 0, 'npm start exits 0 on SIGTERM');
    assert.deepEqual(databaseFilesIn(projectRoot), repoFilesBefore, 'no database file in the repository');
  });

  it('keeps the SQLite file in the user directory, not in the repository', () => {
    assert.ok(databaseFile.startsWith(product.home), databaseFile);
    assert.deepEqual(databaseFilesIn(projectRoot), repoFilesBefore);
  });

  it('adds, lists, edits and deletes notes (201, 200), each also in the event log', async () => {
    const added = await call('POST', '/api/changelog', { text: '  flow temperature lowered to 35 °C ', device_id: 'cl-site1', author: 'Ann' });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const note = added.body as ChangelogEntry;
    assert.deepEqual(
      { kind: note.kind, text: note.text, device_id: note.device_id, author: note.author, source: note.source, updated: note.updated },
      { kind: 'note', text: 'flow temperature lowered to 35 °C', device_id: 'cl-site1', author: 'Ann', source: 'manual', updated: null },
    );
    const older = await call('POST', '/api/changelog', { text: 'filter cleaned', device_id: 'cl-site2', time: '2026-01-10T08:00:00Z' });
    assert.equal(older.status, 201);
    assert.equal((older.body as ChangelogEntry).time, '2026-01-10T08:00:00.000Z');

    const all = await list('?limit=1000');
    assert.deepEqual(
      all.entries.filter((entry) => entry.device_id?.startsWith('cl-')).map((entry) => entry.text),
      ['flow temperature lowered to 35 °C', 'filter cleaned'],
      'newest first',
    );

    const edited = await call('PUT', `/api/changelog/${note.id}`, { text: 'flow temperature lowered to 34 °C', author: null });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    assert.deepEqual([(edited.body as ChangelogEntry).text, (edited.body as ChangelogEntry).author], ['flow temperature lowered to 34 °C', null]);
    assert.ok((edited.body as ChangelogEntry).updated, 'the edit time is kept');

    const noteEvents = await events('?type=note&device_id=cl-site1');
    assert.deepEqual(
      noteEvents.events.map((event) => [event.type, event.severity, event.message]),
      [['note', 'info', 'flow temperature lowered to 35 °C']],
      'the event log keeps what was written then',
    );

    const deleted = await call('DELETE', `/api/changelog/${note.id}`);
    assert.equal(deleted.status, 200);
    assert.equal((deleted.body as { deleted: ChangelogEntry }).deleted.id, note.id);
    assert.deepEqual(await call('DELETE', `/api/changelog/${note.id}`), { status: 404, body: { error: `no change log entry ${note.id}` } });
    assert.deepEqual(await call('PUT', `/api/changelog/${note.id}`, { text: 'again' }), { status: 404, body: { error: `no change log entry ${note.id}` } });
    assert.deepEqual((await list('?device_id=cl-site1')).entries, []);
  });

  it('refuses to edit or delete a recorded setting change (409), and filters the change log', async () => {
    // another program on the same file (the lock directory makes the two take turns)
    const other = new LogDatabase(databaseFile, { retentionDays: 365, retryMs: 50, maxPending: 100 });
    try {
      other.open();
      assert.equal(other.state.status, 'open', JSON.stringify(other.state));
      other.record([
        { kind: 'setting', change: { device_id: 'cl-site3', setting: 'heating_curve', old_value: 0.6, new_value: 0.5, source: 'modbus', time: Date.parse('2026-02-01T10:00:00Z') } },
        { kind: 'setting', change: { device_id: 'cl-site3', setting: 'dhw_target', old_value: 50, new_value: 48, unit: '°C', source: 'viessmann', time: Date.parse('2026-02-03T10:00:00Z') } },
      ]);
      assert.equal(other.state.pending, 0, 'written');
    } finally {
      other.close();
    }
    const changes = await list('?device_id=cl-site3');
    assert.deepEqual(
      changes.entries.map((entry) => [entry.kind, entry.setting, entry.old_value, entry.new_value, entry.source]),
      [
        ['setting', 'dhw_target', 50, 48, 'viessmann'],
        ['setting', 'heating_curve', 0.6, 0.5, 'modbus'],
      ],
    );
    const recorded = changes.entries[1] as ChangelogEntry;
    const refusal = { error: `entry ${recorded.id} is a recorded setting change: only notes can be edited or deleted` };
    assert.deepEqual(await call('PUT', `/api/changelog/${recorded.id}`, { text: 'rewrite history' }), { status: 409, body: refusal });
    assert.deepEqual(await call('DELETE', `/api/changelog/${recorded.id}`), { status: 409, body: refusal });
    assert.equal((await list('?device_id=cl-site3')).count, 2, 'still there');

    assert.deepEqual((await list('?device_id=cl-site3&source=modbus')).entries.map((entry) => entry.setting), ['heating_curve']);
    assert.deepEqual((await list('?device_id=cl-site3&from=2026-02-02T00:00:00Z')).entries.map((entry) => entry.setting), ['dhw_target']);
    assert.deepEqual((await list(`?device_id=cl-site3&to=${Date.parse('2026-02-03T10:00:00Z')}`)).entries.map((entry) => entry.setting), ['heating_curve'], 'to is exclusive');
    assert.deepEqual((await list('?device_id=cl-site3&limit=1')).entries.map((entry) => entry.setting), ['dhw_target']);
    const settingEvents = await events('?device_id=cl-site3&type=setting_change');
    assert.deepEqual(
      settingEvents.events.map((event) => event.message),
      ['dhw_target changed from 50 °C to 48 °C', 'heating_curve changed from 0.6 to 0.5'],
    );
  });

  it('answers bad input with 400 and the reason, an unknown route or method with 404 / 405', async () => {
    const cases: [method: string, url: string, body: unknown, status: number, error: RegExp][] = [
      ['POST', '/api/changelog', {}, 400, /^text is needed/],
      ['POST', '/api/changelog', { text: '   ' }, 400, /^text is needed/],
      ['POST', '/api/changelog', { text: 'x'.repeat(2001) }, 400, /at most 2000 characters/],
      ['POST', '/api/changelog', { text: 'ok', colour: 'red' }, 400, /^unknown field "colour"/],
      ['POST', '/api/changelog', { text: 'ok', device_id: 'bad id!' }, 400, /^invalid device_id/],
      ['POST', '/api/changelog', { text: 'ok', time: 'yesterday' }, 400, /^time must be/],
      ['POST', '/api/changelog', [{ text: 'ok' }], 400, /^the body must be a JSON object/],
      ['POST', '/api/changelog', '{"text": ', 400, /./],
      ['POST', '/api/changelog', { text: 'x'.repeat(70_000) }, 413, /^request body too large/],
      ['PUT', '/api/changelog/abc', { text: 'x' }, 400, /^the entry id must be a positive whole number, got "abc"/],
      ['PUT', '/api/changelog/0', { text: 'x' }, 400, /^the entry id must be a positive whole number/],
      ['PUT', '/api/changelog/1', {}, 400, /^nothing to change/],
      ['DELETE', '/api/changelog/-4', undefined, 400, /^the entry id must be a positive whole number/],
      ['GET', '/api/changelog?limit=0', undefined, 400, /^limit must be a whole number from 1 to 1000, got "0"/],
      ['GET', '/api/changelog?limit=1001', undefined, 400, /^limit must be/],
      ['GET', '/api/changelog?from=soon', undefined, 400, /^from must be an ISO 8601 time/],
      ['GET', '/api/changelog?device_id=a%20b', undefined, 400, /^invalid device_id/],
      ['GET', '/api/events?type=party', undefined, 400, /type/],
      ['GET', '/api/events?severity=loud', undefined, 400, /severity/],
      ['GET', '/api/events?to=never', undefined, 400, /^to must be/],
      ['GET', '/api/changelog/7', undefined, 405, /./],
      ['POST', '/api/events', { text: 'x' }, 405, /./],
      ['PATCH', '/api/changelog/7', { text: 'x' }, 405, /./],
      ['GET', '/api/changelogs', undefined, 404, /^no API endpoint GET \/api\/changelogs$/],
    ];
    const failures: string[] = [];
    for (const [method, url, body, status, error] of cases) {
      const answer = await call(method, url, body);
      const message = String((answer.body as { error?: unknown }).error);
      if (answer.status !== status || !error.test(message)) failures.push(`${method} ${url}: ${answer.status} ${message}`);
    }
    assert.deepEqual(failures, []);
  });

  it('lets the read token GET both logs but not write them (403); without credentials 401', async () => {
    const note = await call('POST', '/api/changelog', { text: 'read token test', device_id: 'cl-site4' });
    assert.equal(note.status, 201);
    const id = (note.body as ChangelogEntry).id;
    assert.equal((await call('GET', '/api/changelog?device_id=cl-site4', undefined, reader)).status, 200);
    assert.equal((await call('GET', '/api/events?device_id=cl-site4', undefined, reader)).status, 200);
    const readOnly = { status: 403, body: { error: 'the read-only token may only read (GET)' } };
    assert.deepEqual(await call('POST', '/api/changelog', { text: 'sneaky' }, reader), readOnly);
    assert.deepEqual(await call('PUT', `/api/changelog/${id}`, { text: 'sneaky' }, reader), readOnly);
    assert.deepEqual(await call('DELETE', `/api/changelog/${id}`, undefined, reader), readOnly);
    for (const [method, url] of [['GET', '/api/changelog'], ['GET', '/api/events'], ['POST', '/api/changelog'], ['DELETE', `/api/changelog/${id}`]] as const) {
      assert.equal((await call(method, url, method === 'POST' ? { text: 'anonymous' } : undefined, {})).status, 401, `${method} ${url}`);
    }
    assert.deepEqual((await list('?device_id=cl-site4')).entries.map((entry) => entry.text), ['read token test'], 'nothing the read token sent was written');
  });

  it('records an alert raised by a reading over MQTT and the device going offline, with their severities', async () => {
    const device = await mqtt.connectAsync(product.mqttUrl, { clientId: 'changelog-site5' });
    try {
      // 252 V is over the critical voltage threshold
      await device.publishAsync('heatpump/cl-site5/data', JSON.stringify(devicePayload({ device: 'cl-site5', timestamp: Date.now(), electrical: { voltage: 252 } })), { qos: 1 });
    } finally {
      await device.endAsync();
    }
    const alert = await eventually(async () => (await events('?device_id=cl-site5&type=alert_raised')).events[0], 15_000, 'the alert in /api/events');
    assert.equal(alert.severity, 'critical');
    assert.equal((alert.details as { alert_type?: string }).alert_type, 'voltage_high');
    assert.equal((alert.details as { value?: number }).value, 252);
    assert.match(alert.message, /252/);
    assert.deepEqual((await events('?device_id=cl-site5&severity=critical')).events.map((event) => event.id), [alert.id], 'the severity filter');

    // silent for longer than DEVICE_ONLINE_TIMEOUT_SECONDS
    const offline = await eventually(async () => (await events('?device_id=cl-site5&type=device_offline')).events[0], 20_000, 'device_offline in /api/events');
    assert.equal(offline.severity, 'warning');
    assert.match(offline.message, /^cl-site5 is offline/);
    const timeline = (await events('?device_id=cl-site5')).events.map((event) => event.type);
    assert.ok(timeline.indexOf('device_offline') < timeline.indexOf('alert_raised'), `newest first: ${timeline.join(', ')}`);
  });
});
