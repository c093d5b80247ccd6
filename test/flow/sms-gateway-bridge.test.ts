import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nodeModule, nodeRedPath } from '../support/node-red';
import { Collector, bridgeModule, configModule, helper, logged, wait, type NodeInit, type TestNode } from '../support/sms-flow';
import { helperInternals as internals, lastingStore, loadContextStores } from '../support/context-stores';
import { withCatalog, type NodeInit as RuntimeNodeInit } from '../support/flow-helper';
import { fleetOf } from '../../nodes/shared/fleet-link';

const fleetModule = nodeModule('heatpump-fleet') as NodeInit;
/** The bridge with the real en-US texts instead of the helper's i18n keys (both init types describe the same module). */
const bridgeWithTexts = withCatalog(nodeModule('sms-gateway-bridge') as RuntimeNodeInit, 'sms-gateway-bridge') as unknown as NodeInit;
const WARN = 30;

const T0 = Date.now();
const ADMIN = '+491711234567';
const SETTINGS = { smsGatewayBridgeSummaryInterval: 50, smsGatewayBridgeRetryDelay: 10 };

function flow(bridge: Record<string, unknown> = {}, config: Record<string, unknown> = {}, extra: Record<string, unknown>[] = []) {
  return [
    ...extra,
    { id: 'cfg', type: 'sms-gateway-config', transport: 'device-mqtt', defaultCountry: '+49', ackTimeout: 1, ...config },
    { id: 'b', type: 'sms-gateway-bridge', gateway: 'cfg', recipients: '0171 1234567', wires: [['results'], ['commands'], ['transport'], ['inbound']], ...bridge },
    { id: 'results', type: 'helper' },
    { id: 'commands', type: 'helper' },
    { id: 'transport', type: 'helper' },
    { id: 'inbound', type: 'helper' },
  ];
}

const alert = (over: Record<string, unknown> = {}) => ({
  device_id: 'site1',
  alert_type: 'compressor_temp',
  level: 'critical',
  value: 97.3,
  threshold: 95,
  message: 'hot',
  state: 'raised',
  timestamp: T0,
  ...over,
});

describe('sms-gateway-bridge node', function () {
  let b: TestNode;
  let results: Collector;
  let commands: Collector;
  let transport: Collector;
  let inbound: Collector;

  before(function () {
    helper.init(nodeRedPath, SETTINGS);
  });
  afterEach(async function () {
    await helper.unload();
    helper.settings(SETTINGS);
  });

  async function load(bridge: Record<string, unknown> = {}, config: Record<string, unknown> = {}, modules: NodeInit[] = [], extra: Record<string, unknown>[] = [], bridgeInit = bridgeModule) {
    await helper.load([...modules, configModule, bridgeInit], flow(bridge, config, extra));
    b = helper.getNode('b');
    results = new Collector(helper.getNode('results'));
    commands = new Collector(helper.getNode('commands'));
    transport = new Collector(helper.getNode('transport'));
    inbound = new Collector(helper.getNode('inbound'));
  }

  /** Answer the device-modem publish number `n` like the firmware does. */
  async function ack(n: number, body: Record<string, unknown> = { ok: true, ref: 12 }) {
    const publish = await transport.next(n);
    const payload = publish.payload as { id: string };
    b.receive({ topic: String(publish.topic).replace('/send', '/sent'), payload: JSON.stringify({ id: payload.id, ...body }) });
    return publish;
  }

  it('should be loaded with correct defaults', async function () {
    await helper.load([configModule, bridgeModule], [{ id: 'b', type: 'sms-gateway-bridge' }]);
    const node = helper.getNode('b');
    assert.equal(node.type, 'sms-gateway-bridge');
    assert.ok(logged('sms-gateway-bridge.errors.missing-config').length >= 1);
  });

  it('sends a critical alert through the device modem and reports it sent', async function () {
    await load();
    b.receive({ payload: alert() });
    const publish = await ack(1);
    assert.equal(publish.topic, 'heatpump/site1/sms/send');
    const payload = publish.payload as Record<string, unknown>;
    assert.equal(payload.to, ADMIN);
    assert.match(String(payload.text), /^CRITICAL site1: compressor_temp 97.3C > 95C\. /);
    assert.equal(typeof payload.id, 'string');
    const result = (await results.next(1)).payload as Record<string, unknown>;
    assert.equal(result.status, 'sent');
    assert.equal(result.ref, '12');
    assert.equal(result.segments, 1);
    assert.equal(result.encoding, 'GSM-7');
  });

  it('skips warnings unless levels is "all"; sends offline presence when asked', async function () {
    await load({ levels: 'critical', presence: 'offline' });
    b.receive({ payload: alert({ level: 'warning' }) });
    b.receive({ payload: { event: 'device_online', device_id: 'site1', last_seen: T0, reason: 'data', timestamp: T0 } });
    b.receive({ payload: { event: 'device_offline', device_id: 'site1', last_seen: T0, reason: 'timeout', timestamp: T0 } });
    const publish = await transport.next(1);
    assert.match(String((publish.payload as Record<string, unknown>).text), /^OFFLINE site1/);
    await wait(50);
    assert.equal(transport.messages.length, 1);
  });

  it('a permanent modem error is reported failed without retry, a transient one is retried', async function () {
    await load();
    b.receive({ payload: alert() });
    await ack(1, { ok: false, error: '+CMS ERROR: 304 Invalid PDU mode parameter' });
    const failed = (await results.next(1)).payload as Record<string, unknown>;
    assert.equal(failed.status, 'failed');
    assert.equal(failed.attempts, 1);
    assert.match(String(failed.error), /304/);
    b.receive({ payload: alert({ alert_type: 'current', value: 16, threshold: 15 }) });
    const first = await ack(2, { ok: false, error: '+CMS ERROR: 500' });
    const second = await ack(3);
    assert.equal((first.payload as { id: string }).id, (second.payload as { id: string }).id, 'a retry reuses the id');
    const sent = (await results.next(2)).payload as Record<string, unknown>;
    assert.equal(sent.status, 'sent');
    assert.equal(sent.attempts, 2);
  });

  it('no answer from the device times out, is retried, and the flow goes on', async function () {
    await load({ retries: 1 });
    b.receive({ payload: alert() });
    const result = (await results.next(1, 5000)).payload as Record<string, unknown>;
    assert.equal(result.status, 'failed');
    assert.equal(result.attempts, 2);
    assert.equal(transport.messages.length, 2);
    assert.ok(logged('sms-gateway-bridge.errors.send-failed').length >= 1);
  });

  it('holds back over the rate limit and drops duplicates, no summary while the limit holds', async function () {
    await load({ ratePerHour: 1, dedupMinutes: 30 });
    b.receive({ payload: alert() });
    b.receive({ payload: alert() });
    b.receive({ payload: alert({ alert_type: 'current', value: 16, threshold: 15 }) });
    await ack(1);
    const statuses = (await Promise.all([results.next(1), results.next(2), results.next(3)])).map((m) => (m.payload as Record<string, unknown>).status);
    assert.deepEqual(statuses.sort(), ['duplicate', 'held', 'sent']);
    assert.equal(transport.messages.length, 1, 'no summary while the limit holds');
  });

  describe('limits over a restart', function () {
    /** result statuses, held ones with their reason */
    const statuses = () => results.payloads().map((p) => (p.status === 'held' ? `held ${String(p.reason)}` : String(p.status)));

    it('with a file context store: the rate limit and de-duplication hold after a restart', async function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sms-limits-'));
      try {
        helper.settings({ ...SETTINGS, contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem', config: { dir } } } });
        const bridge = { ratePerHour: 1, dailyCap: 0, dedupMinutes: 30, store: 'file' };
        await load(bridge, {}, [loadContextStores]);
        b.receive({ payload: alert() });
        await ack(1);
        await results.next(1);
        assert.deepEqual(statuses(), ['sent']);

        // Restart: stop the node (it finishes its save), flush the store to disk, and detach it
        // so helper.unload() cannot clean the node's context, then start from the files.
        await internals._redNodes.stopFlows();
        await internals._context.close();
        internals._context.init(internals._settings);
        await helper.unload();
        assert.ok(fs.readdirSync(path.join(dir, 'context'), { recursive: true }).length > 0, 'nothing was written to the file store');
        await load(bridge, {}, [loadContextStores]);

        b.receive({ payload: alert() });
        b.receive({ payload: alert({ alert_type: 'current', value: 16, threshold: 15 }) });
        await results.next(2);
        assert.deepEqual(statuses(), ['duplicate', 'held rate']);
        await wait(150);
        assert.equal(transport.messages.length, 0, 'nothing sent, no summary while the limit holds');
      } finally {
        await helper.unload();
        await internals._context.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('handles messages that arrive while the limits load after the load, in order; the daily cap holds', async function () {
      helper.settings({ ...SETTINGS, contextStorage: { default: { module: 'memory' }, slow: { module: lastingStore(150) } } });
      const bridge = { ratePerHour: 0, dailyCap: 2, dedupMinutes: 0, store: 'slow' };
      await load(bridge, {}, [loadContextStores]);
      b.receive({ payload: alert() });
      await ack(1);
      await results.next(1); // sent: an SMS still unsent at the restart would go out again after it
      await helper.unload();

      await load(bridge, {}, [loadContextStores]);
      b.receive({ payload: alert({ alert_type: 'current', value: 16, threshold: 15, message: 'one' }) });
      b.receive({ payload: alert({ alert_type: 'voltage_high', value: 251, threshold: 250, message: 'two' }) });
      b.receive({ topic: 'heatpump/site1/sms/received', payload: { from: ADMIN, text: 'HELP', timestamp: T0, handled: false } });
      await wait(50);
      assert.equal(results.messages.length + transport.messages.length, 0, 'nothing handled before the load');
      const publish = await ack(1);
      assert.match(String((publish.payload as Record<string, unknown>).text), /current/);
      await results.next(3);
      // Before the load all three would have gone out; out of order, voltage_high would be the one sent.
      assert.deepEqual(statuses(), ['held daily', 'held daily', 'sent']);
      assert.deepEqual(results.payloads().map((p) => p.kind), ['alert', 'reply', 'alert']);
      assert.equal(transport.messages.length, 1);
    });

    it('a stored state it cannot read is a warning, and the limits start afresh', async function () {
      helper.settings({ ...SETTINGS, contextStorage: { default: { module: 'memory' }, keep: { module: lastingStore(0) } } });
      const bridge = { ratePerHour: 1, store: 'keep' };
      await load(bridge, {}, [loadContextStores]);
      await new Promise<void>((resolve, reject) => {
        const context = (b as unknown as { context(): { set(key: string, value: unknown, store: string, callback: (err?: Error) => void): void } }).context();
        context.set('smsLimiter', { version: 1, recipients: 'corrupt' }, 'keep', (err) => (err ? reject(err) : resolve()));
      });
      await helper.unload();

      await load(bridge, {}, [loadContextStores]);
      b.receive({ payload: alert() });
      await ack(1);
      await results.next(1);
      assert.deepEqual(statuses(), ['sent']);
      assert.equal(logged('sms-gateway-bridge.errors.bad-state', 30).length, 1);
    });

    it('saves a burst of changes once, about a second later, and not again on close', async function () {
      const writes: unknown[] = [];
      helper.settings({ ...SETTINGS, contextStorage: { default: { module: 'memory' }, keep: { module: lastingStore(0, writes) } } });
      await load({ ratePerHour: 0, store: 'keep' }, {}, [loadContextStores]);
      b.receive({ payload: alert() });
      b.receive({ payload: alert({ alert_type: 'current', value: 16, threshold: 15 }) });
      b.receive({ payload: alert() });
      await wait(300);
      assert.equal(writes.length, 0, 'not saved per message');
      await wait(1200);
      assert.equal(writes.length, 2, 'the limits and the unsent SMS, once each');
      const saved = writes[0] as { daily: number[]; texts: unknown[] };
      assert.equal(saved.daily.length, 2);
      assert.equal(saved.texts.length, 2);
      assert.equal((writes[1] as unknown[]).length, 2, 'the two SMS not sent yet');
      await helper.unload();
      assert.equal(writes.length, 2, 'nothing changed since the save: the SMS stopped by the close stay unsent');
    });

    it('an SMS still waiting for its acknowledgement at a restart goes out once after it, with the same id', async function () {
      helper.settings({ ...SETTINGS, contextStorage: { default: { module: 'memory' }, keep: { module: lastingStore(0) } } });
      await load({ store: 'keep' }, {}, [loadContextStores]);
      b.receive({ payload: alert() });
      const first = await transport.next(1); // the device never answers before the restart
      await helper.unload();

      await load({ store: 'keep' }, {}, [loadContextStores]);
      const again = await ack(1);
      assert.equal((again.payload as { id: string }).id, (first.payload as { id: string }).id, 'the same id: a device modem sends it once');
      await results.next(1);
      assert.deepEqual(statuses(), ['sent']);
      await wait(100);
      assert.equal(transport.messages.length, 1, 'sent once after the restart');
    });

    it('a critical alert waiting for a retry at a restart goes out once after it', async function () {
      // a long back-off: the restart comes while the retry waits
      helper.settings({ ...SETTINGS, smsGatewayBridgeRetryDelay: 60_000, contextStorage: { default: { module: 'memory' }, keep: { module: lastingStore(0) } } });
      await load({ store: 'keep' }, {}, [loadContextStores]);
      b.receive({ payload: alert() });
      const failed = await ack(1, { ok: false, error: '+CMS ERROR: 500' }); // transient: retried later
      await wait(50);
      await helper.unload();
      assert.equal(results.messages.length, 0, 'not reported failed: it is kept for after the restart');

      await load({ store: 'keep' }, {}, [loadContextStores]);
      const again = await ack(1);
      assert.equal((again.payload as { id: string }).id, (failed.payload as { id: string }).id);
      await results.next(1);
      assert.deepEqual(statuses(), ['sent']);
      await wait(100);
      assert.equal(transport.messages.length, 1, 'sent once after the restart');
    });

    it('without a store a restart starts the limits afresh', async function () {
      await load({ ratePerHour: 1 });
      b.receive({ payload: alert() });
      await ack(1);
      await helper.unload();
      await load({ ratePerHour: 1 });
      b.receive({ payload: alert() });
      await ack(1);
      await results.next(1);
      assert.deepEqual(statuses(), ['sent']);
    });

    it('a close while the limits load fails the waiting messages and still finishes', async function () {
      helper.settings({ ...SETTINGS, contextStorage: { default: { module: 'memory' }, slow: { module: lastingStore(300) } } });
      await load({ store: 'slow' }, {}, [loadContextStores]);
      const errors: string[] = [];
      b.on('call:error', (call: { args: unknown[] }) => errors.push(String(call.args[0])));
      b.receive({ payload: alert() });
      // stopFlows, not unload: unload drops the helper's spies before it stops the nodes.
      await internals._redNodes.stopFlows();
      await wait(400);
      assert.deepEqual(errors, ['Error: sms-gateway-bridge.errors.closed']);
      assert.equal(results.messages.length + transport.messages.length, 0);
    });
  });

  it('answers STATUS from the latest reading for a whitelisted number, in any case and spacing', async function () {
    await load();
    b.receive({ payload: { device_id: 'site1', timestamp: Date.now(), temp_inlet: 45.2, temp_outlet: 50.1, temp_ambient: 25, temp_compressor: 70.4, voltage: 230.4, current: 8.5, power: 1959 } });
    b.receive({ topic: 'heatpump/site1/sms/received', payload: { from: '0171/1234567', text: '  status ', timestamp: T0, handled: false } });
    const reply = await transport.next(1);
    assert.equal(reply.topic, 'heatpump/site1/sms/send');
    assert.equal((reply.payload as Record<string, unknown>).to, ADMIN);
    assert.equal((reply.payload as Record<string, unknown>).text, 'HEAT PUMP STATUS\nDevice: site1\nTemps: 45/50/25/70C\nV: 230V I: 8.5A P: 1959W\nAlerts: OK\nData: 0 min ago');
    const report = (await inbound.next(1)).payload as Record<string, unknown>;
    assert.equal(report.accepted, true);
    assert.equal(report.command, 'STATUS');
  });

  it('RESET publishes {cmd: RESET} on heatpump/{id}/cmd and answers "Restarting device..."', async function () {
    await load();
    b.receive({ topic: 'heatpump/site2/sms/received', payload: JSON.stringify({ from: ADMIN, text: 'Reset', timestamp: T0, handled: false }) });
    const command = await commands.next(1);
    assert.deepEqual({ topic: command.topic, payload: command.payload }, { topic: 'heatpump/site2/cmd', payload: { cmd: 'RESET' } });
    assert.equal(((await transport.next(1)).payload as Record<string, unknown>).text, 'Restarting device...');
  });

  it('unknown numbers and alphanumeric senders get no answer and are reported', async function () {
    await load();
    b.receive({ topic: 'heatpump/site1/sms/received', payload: { from: '+15550001111', text: 'RESET', timestamp: T0 } });
    b.receive({ topic: 'heatpump/site1/sms/received', payload: { from: 'Vodafone', text: 'STATUS', timestamp: T0 } });
    const reports = [await inbound.next(1), await inbound.next(2)].map((m) => m.payload as Record<string, unknown>);
    assert.deepEqual(reports.map((r) => [r.accepted, r.reason]), [[false, 'unknown-number'], [false, 'unknown-number']]);
    await wait(30);
    assert.equal(transport.messages.length, 0);
    assert.equal(commands.messages.length, 0);
    assert.equal(logged('sms-gateway-bridge.errors.unknown-number').length, 2);
  });

  it('a report from sim-002 naming sim-001 cannot reset or query sim-001: refused, answered through sim-002, reported', async function () {
    await load();
    b.receive({ topic: 'heatpump/sim-001/sms/received', payload: { from: ADMIN, text: 'STATUS', timestamp: T0, handled: false } });
    await ack(1);
    b.receive({ topic: 'heatpump/sim-002/sms/received', payload: { from: ADMIN, text: 'RESET sim-001', timestamp: T0, handled: false } });
    b.receive({ topic: 'heatpump/sim-002/sms/received', payload: { from: ADMIN, text: 'STATUS sim-001', timestamp: T0, handled: false } });
    const reports = [await inbound.next(2), await inbound.next(3)].map((m) => m.payload as Record<string, unknown>);
    assert.deepEqual(
      reports.map((r) => [r.accepted, r.reason, r.command, r.device, r.requested]),
      [
        [false, 'other-device', 'RESET', 'sim-002', 'sim-001'],
        [false, 'other-device', 'STATUS', 'sim-002', 'sim-001'],
      ],
    );
    const answer = await ack(2);
    assert.deepEqual([answer.topic, (answer.payload as Record<string, unknown>).text], ['heatpump/sim-002/sms/send', 'RESET sim-001 refused: an SMS to sim-002 may only command sim-002. Send RESET alone.']);
    await ack(3);
    assert.equal(commands.messages.length, 0, 'no device command');
    assert.equal(logged('sms-gateway-bridge.errors.other-device', WARN).length, 2);
    // RESET alone through sim-002 resets sim-002
    b.receive({ topic: 'heatpump/sim-002/sms/received', payload: { from: ADMIN, text: 'RESET', timestamp: T0, handled: false } });
    assert.equal((await commands.next(1)).topic, 'heatpump/sim-002/cmd');
    assert.equal(commands.messages.length, 1);
  });

  describe('replayed webhooks', function () {
    const TOKEN = 'twilio-test-token';
    const URL = 'https://example.org/sms/hook';
    const twilioConfig = { transport: 'twilio', twilioAccountSid: 'AC' + 'a'.repeat(32), twilioFrom: '+14155552345', twilioApiBase: 'http://127.0.0.1:9', webhookUrl: URL, timeout: 1 };
    const loadTwilio = async (store?: string) => {
      await helper.load([loadContextStores, configModule, bridgeModule], flow({ retries: 0, ...(store ? { store } : {}) }, twilioConfig), { cfg: { twilioAuthToken: TOKEN } });
      b = helper.getNode('b');
      // the device RESET names, seen by the bridge
      b.receive({ payload: { device_id: 'site1', timestamp: Date.now(), voltage: 230 } });
      commands = new Collector(helper.getNode('commands'));
      transport = new Collector(helper.getNode('transport'));
      inbound = new Collector(helper.getNode('inbound'));
    };
    /** A signed Twilio webhook as an http in node gives it (req and res). */
    const webhook = (params: Record<string, string>) => {
      const data = URL + Object.keys(params).sort().map((k) => k + params[k]).join('');
      const signature = createHmac('sha1', TOKEN).update(data).digest('base64');
      b.receive({ payload: params, req: { headers: { 'x-twilio-signature': signature } }, res: {} });
    };
    const reset = { From: ADMIN, To: '+14155552345', Body: 'RESET site1', MessageSid: 'SM' + 'c'.repeat(32), AccountSid: 'AC' + 'a'.repeat(32) };
    const statusCodes = () => transport.messages.filter((m) => m.statusCode !== undefined).map((m) => m.statusCode);

    it('a replayed signed Twilio request is answered 200 but resets the device once, also after a restart', async function () {
      helper.settings({ ...SETTINGS, contextStorage: { default: { module: 'memory' }, keep: { module: lastingStore(0) } } });
      await loadTwilio('keep');
      webhook(reset);
      webhook(reset);
      await inbound.next(2);
      assert.deepEqual(inbound.messages.map((m) => (m.payload as Record<string, unknown>).reason), ['command', 'replayed']);
      assert.deepEqual(statusCodes(), [200, 200]);
      assert.equal(commands.messages.length, 1);
      assert.deepEqual(commands.messages[0]?.payload, { cmd: 'RESET' });
      assert.equal(logged('sms-gateway-bridge.log.replayed').length, 1);
      await helper.unload(); // saves the seen ids on close

      await loadTwilio('keep');
      webhook(reset);
      webhook({ ...reset, MessageSid: 'SM' + 'd'.repeat(32) });
      await inbound.next(2);
      assert.deepEqual(inbound.messages.map((m) => (m.payload as Record<string, unknown>).reason), ['replayed', 'command']);
      assert.deepEqual(statusCodes(), [200, 200]);
      assert.equal(commands.messages.length, 1, 'only the new message id resets');
    });

    it('a replayed status callback gives one delivery result', async function () {
      await loadTwilio();
      results = new Collector(helper.getNode('results'));
      const callback = { MessageSid: 'SM' + 'e'.repeat(32), MessageStatus: 'delivered', AccountSid: 'AC' + 'a'.repeat(32) };
      webhook(callback);
      webhook(callback);
      webhook({ ...callback, MessageStatus: 'failed' });
      await results.next(2);
      await wait(30);
      assert.deepEqual(results.payloads().map((p) => p.status), ['delivered', 'delivery-failed']);
      assert.deepEqual(statusCodes(), [200, 200, 200]);
    });

    it('an unsigned or wrongly signed request is refused with 403 and runs nothing', async function () {
      await loadTwilio();
      b.receive({ payload: reset, req: { headers: {} }, res: {} });
      b.receive({ payload: reset, req: { headers: { 'x-twilio-signature': 'AAAA' } }, res: {} });
      await transport.next(2);
      await wait(30);
      assert.deepEqual(statusCodes(), [403, 403]);
      assert.equal(commands.messages.length + inbound.messages.length, 0);
    });
  });

  it('an SMS the device already answered is only reported', async function () {
    await load();
    b.receive({ topic: 'heatpump/site1/sms/received', payload: { from: ADMIN, text: 'STATUS', timestamp: T0, handled: true } });
    const report = (await inbound.next(1)).payload as Record<string, unknown>;
    assert.equal(report.reason, 'handled-by-device');
    await wait(30);
    assert.equal(transport.messages.length, 0);
  });

  it('custom text goes to msg.to; bad numbers, oversized text and bad input are errors', async function () {
    await load({ maxSegments: 2 }, { sendVia: 'site1' });
    b.receive({ payload: 'Maintenance tomorrow 9:00', to: '+4915112345678' });
    assert.equal(((await transport.next(1)).payload as Record<string, unknown>).to, '+4915112345678');
    const errors: string[] = [];
    b.on('call:error', (call: { args: unknown[] }) => errors.push(String(call.args[0])));
    b.receive({ payload: 'hi', to: 'not a number' });
    b.receive({ payload: 'x'.repeat(400), to: ADMIN });
    b.receive({ payload: { foo: 1 } });
    b.receive({ topic: 'heatpump/site1/sms/received', payload: '{not json' });
    await wait(50);
    assert.ok(errors.some((e) => e.includes('sms-gateway-bridge.errors.bad-number')));
    assert.ok(errors.some((e) => e.includes('sms-gateway-bridge.errors.too-long')));
    assert.ok(errors.some((e) => e.includes('sms-gateway-bridge.errors.bad-input')));
    assert.ok(errors.some((e) => e.includes('sms-gateway-bridge.errors.bad-device-sms')));
  });

  it('msg.smsState needs the Android gateway and a message id: errors with a red status, nothing sent', async function () {
    await load();
    const errors: string[] = [];
    const statuses: { fill?: string; text?: string }[] = [];
    b.on('call:error', (call: { args: unknown[] }) => errors.push(String(call.args[0])));
    b.on('call:status', (call: { args: unknown[] }) => statuses.push(call.args[0] as { fill?: string; text?: string }));
    b.receive({ smsState: 'zXDYfTmTVf3iMd16zzdBj' });
    b.receive({ smsState: '' });
    b.receive({ smsState: 12 });
    await wait(50);
    assert.deepEqual(
      errors.map((e) => e.replace(/^Error: /, '')),
      ['sms-gateway-bridge.errors.state-unsupported', 'sms-gateway-bridge.errors.bad-state-id', 'sms-gateway-bridge.errors.bad-state-id'],
    );
    // the load's own green status may arrive first; status texts are cut to the editor's width
    assert.deepEqual(
      statuses.slice(-3).map((s) => [s.fill, String(s.text).slice(0, 30)]),
      [
        ['red', 'sms-gateway-bridge.status.stat'],
        ['red', 'sms-gateway-bridge.status.bad-'],
        ['red', 'sms-gateway-bridge.status.bad-'],
      ],
    );
    assert.equal(results.messages.length + transport.messages.length, 0);
  });

  it('msg.smsState without a gateway config is an error', async function () {
    await helper.load([configModule, bridgeModule], [{ id: 'b', type: 'sms-gateway-bridge' }]);
    const errors: string[] = [];
    helper.getNode('b').on('call:error', (call: { args: unknown[] }) => errors.push(String(call.args[0])));
    helper.getNode('b').receive({ smsState: 'abc' });
    await wait(30);
    // the load itself logs missing-config once; the query's done(err) is the Error
    assert.deepEqual(errors.filter((e) => e.startsWith('Error: ')), ['Error: sms-gateway-bridge.errors.missing-config']);
  });

  it('a device named "sms-state" is a device: its reading answers STATUS sms-state, no state query is made', async function () {
    await load();
    const errors: string[] = [];
    b.on('call:error', (call: { args: unknown[] }) => errors.push(String(call.args[0])));
    b.receive({ topic: 'sms-state', payload: { device_id: 'sms-state', timestamp: Date.now(), temp_inlet: 40, voltage: 229 } });
    b.receive({ topic: 'heatpump/sms-state/sms/received', payload: { from: ADMIN, text: 'STATUS sms-state', timestamp: T0, handled: false } });
    const reply = await transport.next(1);
    assert.match(String((reply.payload as Record<string, unknown>).text), /^HEAT PUMP STATUS\nDevice: sms-state\nTemps: 40\/-\/-\/-C\nV: 229V/);
    assert.deepEqual(errors, []);
  });

  describe('STATUS from the heatpump-fleet node', function () {
    const fleetNode = { id: 'fleet1', type: 'heatpump-fleet', name: 'fleet', store: 'keep' };
    /** STATUS <device>, sent through the modem of `via` */
    const statusOf = async (device: string, n: number, via = device) => {
      b.receive({ topic: `heatpump/${via}/sms/received`, payload: { from: ADMIN, text: `STATUS ${device}`, timestamp: T0, handled: false } });
      return String(((await ack(n)).payload as Record<string, unknown>).text);
    };
    /** The fleet node applies reports once its stored state has loaded; a close before drops them. */
    const fleetLoaded = () => wait(50);

    it('after a restart STATUS includes the active critical alert without a new reading', async function () {
      helper.settings({ ...SETTINGS, contextStorage: { default: { module: 'memory' }, keep: { module: lastingStore(0) } } });
      await load({ fleet: 'fleet1' }, {}, [loadContextStores, fleetModule], [fleetNode]);
      let fleet = fleetOf(helper, 'fleet1');
      assert.ok(fleet, 'the heatpump-fleet node is deployed');
      await fleetLoaded();
      // What heatpump-decode, online-tracker and threshold-alert report into the fleet.
      const now = Date.now();
      fleet.reading({ device_id: 'site1', timestamp: now, temp_inlet: 45.2, temp_outlet: 50.1, temp_ambient: 25, temp_compressor: 97.3, voltage: 230.4, current: 8.5, power: 1959 }, []);
      fleet.presence({ event: 'device_online', device_id: 'site1', last_seen: now, reason: 'data', timestamp: now });
      fleet.alert({ device_id: 'site1', alert_type: 'compressor_temp', level: 'critical', value: 97.3, threshold: 95, message: 'hot', state: 'raised', timestamp: now });
      const before = await statusOf('site1', 1);
      await helper.unload(); // the fleet node saves its state on close

      await load({ fleet: 'fleet1' }, {}, [loadContextStores, fleetModule], [fleetNode]);
      fleet = fleetOf(helper, 'fleet1');
      await fleetLoaded();
      assert.equal(fleet?.state.get('site1')?.alerts.compressor_temp?.level, 'critical', 'restored by the fleet node');
      const after = await statusOf('site1', 1);
      assert.equal(after, 'HEAT PUMP STATUS\nDevice: site1 (online)\nTemps: 45/50/25/97C\nV: 230V I: 8.5A P: 1959W\nAlerts: compressor_temp!\nData: 0 min ago');
      assert.equal(after, before, 'the same answer as before the restart');
    });

    it('with a fleet the bridge keeps no copy of its own: a reading only the bridge saw is unknown to STATUS', async function () {
      helper.settings({ ...SETTINGS, contextStorage: { default: { module: 'memory' }, keep: { module: lastingStore(0) } } });
      await load({ fleet: 'fleet1' }, {}, [loadContextStores, fleetModule], [fleetNode]);
      await fleetLoaded();
      fleetOf(helper, 'fleet1')?.seen('site1', Date.now());
      b.receive({ payload: { device_id: 'site2', timestamp: Date.now(), voltage: 230 } });
      await wait(20);
      // through its own modem (a report from site1 may not ask about site2): the fleet has no reading
      assert.equal(await statusOf('site2', 1), 'HEAT PUMP STATUS\nDevice: site2\nNo reading received yet.');
      assert.match(await statusOf('site1', 2), /^HEAT PUMP STATUS\nDevice: site1\nNo reading received yet\.\nAlerts: OK\nSeen: 0 min ago$/);
    });
  });

  it('a store settings.js lacks: limits in memory, one warning at start and on the status', async function () {
    await load({ store: 'file' }, {}, [], [], bridgeWithTexts);
    const statuses: string[] = [];
    b.on('call:status', (call: { args: Array<{ text?: string }> }) => statuses.push(String(call.args[0]?.text)));
    b.receive({ payload: alert() });
    await ack(1);
    await results.next(1);
    await wait(20);
    assert.equal(statuses.at(-1), 'memory only · sent 1 held 0 fai…', 'cut to the editor width, the note first');
    const warned = logged('Context store "file" is not configured in settings.js', WARN);
    assert.equal(warned.length, 1);
  });

  it('close clears the status and finishes with a send still waiting', async function () {
    await load();
    const statuses: unknown[] = [];
    b.receive({ payload: alert() });
    b.status = (status: unknown) => statuses.push(status);
    await transport.next(1);
    await helper.unload();
    await wait(20);
    assert.deepEqual(statuses.at(-1), {});
  });
});
