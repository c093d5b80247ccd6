// The alert rules API of the shipped product (`npm start` with the production login):
// GET/PUT/DELETE /api/devices/{id}/rules. A lower voltage threshold put for site1 raises an alert
// for a reading over MQTT that only the new threshold catches; the change is in the change log and
// the event log with its author; it survives a restart on the same user directory; DELETE brings
// the flow's rule back; bad bodies are answered 400 and the read token 403.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import mqtt from 'mqtt';
import type { ChangelogEntry, EventEntry } from '../../nodes/heatpump-database/records';
import type { RulesAnswer } from '../../nodes/threshold-alert/rules-api';
import { devicePayload } from '../fixtures/payloads';
import { eventually, startProduct, type RunningProduct } from '../support/runtime';

const ADMIN_USER = 'operator';
const ADMIN_PASSWORD = 'rules-api-admin';
const READ_TOKEN = 'read-only-rules-api-0123456789';
const admin = { authorization: `Basic ${Buffer.from(`${ADMIN_USER}:${ADMIN_PASSWORD}`).toString('base64')}` };
const reader = { authorization: `Bearer ${READ_TOKEN}` };
const RULES = '/api/devices/site1/rules';

interface Answer {
  status: number;
  body: unknown;
}

describe('alert rules API end to end (npm start, login, restart on the same user directory)', function () {
  this.timeout(180_000);
  let product: RunningProduct | undefined;
  let home: string;

  const start = async () =>
    startProduct(
      {
        LOCAL_INFLUXD: '0',
        HEATPUMP_DB_PATH: '',
        NODE_RED_ADMIN_USER: ADMIN_USER,
        NODE_RED_ADMIN_PASSWORD_HASH: bcrypt.hashSync(ADMIN_PASSWORD, 8),
        HEATPUMP_READ_TOKEN: READ_TOKEN,
      },
      { home, ready: async (running) => [200, 503].includes((await fetch(`${running.baseUrl}/api/health`, { headers: reader })).status) },
    );

  const call = async (method: string, url: string, body?: unknown, headers: Record<string, string> = admin): Promise<Answer> => {
    if (product === undefined) throw new Error('not started');
    const res = await fetch(`${product.baseUrl}${url}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    assert.match(String(res.headers.get('content-type')), /^application\/json/, `${method} ${url}: ${text}`);
    return { status: res.status, body: JSON.parse(text) as unknown };
  };
  const rules = async (): Promise<RulesAnswer> => {
    const answer = await call('GET', RULES, undefined, reader);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body as RulesAnswer;
  };
  const voltageLow = async () => {
    const rule = (await rules()).rules.find((r) => r.name === 'voltage_low');
    return rule && { warning: rule.warning, critical: rule.critical, origin: rule.origin };
  };
  const ruleChangesLogged = async () => {
    const answer = await call('GET', '/api/changelog?device_id=site1&source=api');
    assert.equal(answer.status, 200);
    return (answer.body as { entries: ChangelogEntry[] }).entries.filter((e) => e.setting === 'rule:voltage_low');
  };

  before(async function () {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-rules-api-'));
    product = await start();
  });

  after(async () => {
    const code = await product?.stop();
    fs.rmSync(home, { recursive: true, force: true });
    assert.equal(code, 0, 'npm start exits 0 on SIGTERM');
  });

  it('shows the flow rules for a device without overrides', async () => {
    assert.deepEqual(await voltageLow(), { warning: 215, critical: 210, origin: 'flow' });
    assert.equal((await rules()).overrides, null);
  });

  it('answers bad bodies with 400 and the reason, and changes nothing', async () => {
    const cases: [body: unknown, error: RegExp][] = [
      [{ voltage_low: { warning: 'low' } }, /^voltage_low: warning must be a number/],
      [{ voltage_low: { warning: 205 } }, /^voltage_low: warning 205 must not be below critical 210/],
      [{ voltage_lowest: { warning: 220 } }, /^unknown rule "voltage_lowest"/],
      [{ voltage_low: { metric: 'current' } }, /^voltage_low: unknown property "metric"/],
      [[{ voltage_low: { warning: 220 } }], /^rules must be an object keyed by rule name/],
      ['{"voltage_low": ', /./],
    ];
    const failures: string[] = [];
    for (const [body, error] of cases) {
      const answer = await call('PUT', RULES, body);
      const message = String((answer.body as { error?: unknown }).error);
      if (answer.status !== 400 || !error.test(message)) failures.push(`${JSON.stringify(body)}: ${answer.status} ${message}`);
    }
    assert.deepEqual(failures, []);
    assert.equal((await call('PUT', '/api/devices/bad%20id/rules', { voltage_low: { warning: 220 } })).status, 400);
    assert.deepEqual(await voltageLow(), { warning: 215, critical: 210, origin: 'flow' });
  });

  it('refuses writes with the read token (403) and without credentials (401)', async () => {
    const readOnly = { status: 403, body: { error: 'the read-only token may only read (GET)' } };
    assert.deepEqual(await call('PUT', RULES, { voltage_low: { warning: 225 } }, reader), readOnly);
    assert.deepEqual(await call('DELETE', RULES, undefined, reader), readOnly);
    assert.equal((await call('GET', RULES, undefined, {})).status, 401);
    assert.deepEqual(await voltageLow(), { warning: 215, critical: 210, origin: 'flow' });
  });

  it('puts a lower voltage threshold for site1: the next reading that crosses only it raises the alert, and the change is logged with its author', async () => {
    const put = await call('PUT', RULES, { voltage_low: { warning: 225, critical: 220 } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual((put.body as RulesAnswer).overrides, { voltage_low: { warning: 225, critical: 220 } });
    assert.deepEqual(await voltageLow(), { warning: 225, critical: 220, origin: 'device_override' });

    const device = await mqtt.connectAsync(String(product?.mqttUrl), { clientId: 'rules-api-site1' });
    try {
      // 223 V: inside the flow rule (warning below 215 V), below the new warning threshold
      await device.publishAsync('heatpump/site1/data', JSON.stringify(devicePayload({ device: 'site1', timestamp: Date.now(), electrical: { voltage: 223 } })), { qos: 1 });
    } finally {
      await device.endAsync();
    }
    const alert = await eventually(
      async () => ((await call('GET', '/api/events?device_id=site1&type=alert_raised')).body as { events: EventEntry[] }).events[0],
      15_000,
      'the alert in /api/events',
    );
    assert.deepEqual([alert.severity, (alert.details as { alert_type?: string }).alert_type, (alert.details as { threshold?: number }).threshold], ['warning', 'voltage_low', 225]);

    const logged = await eventually(async () => (await ruleChangesLogged())[0], 10_000, 'the rule change in /api/changelog');
    assert.deepEqual(
      { device_id: logged.device_id, old_value: logged.old_value, new_value: logged.new_value, source: logged.source, author: logged.author },
      { device_id: 'site1', old_value: { warning: 215, critical: 210 }, new_value: { warning: 225, critical: 220 }, source: 'api', author: ADMIN_USER },
    );
    const event = ((await call('GET', '/api/events?device_id=site1&type=setting_change')).body as { events: EventEntry[] }).events[0];
    assert.equal(event?.message, 'rule:voltage_low changed from {"warning":215,"critical":210} to {"warning":225,"critical":220}');
  });

  it('keeps the override over a restart on the same user directory', async () => {
    assert.equal(await product?.stop(), 0);
    product = await start();
    assert.deepEqual(await voltageLow(), { warning: 225, critical: 220, origin: 'device_override' });
    assert.equal((await ruleChangesLogged()).length, 1, 'a restart without a deploy logs no change');
  });

  it('DELETE brings the flow rule back and logs that too', async () => {
    const removed = await call('DELETE', RULES);
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.equal((removed.body as RulesAnswer).overrides, null);
    assert.deepEqual(await voltageLow(), { warning: 215, critical: 210, origin: 'flow' });
    const logged = await eventually(async () => {
      const entries = await ruleChangesLogged();
      return entries.length === 2 ? entries : undefined;
    }, 10_000, 'the second rule change');
    assert.deepEqual([logged[0]?.old_value, logged[0]?.new_value, logged[0]?.author], [{ warning: 225, critical: 220 }, { warning: 215, critical: 210 }, ADMIN_USER]);
  });
});
