// Critical alerts by SMS across a restart, a full redeploy and a node-only redeploy of the product
// as `npm start` runs it (shipped flows, file context store, the devices' modems over MQTT as SMS
// gateway). This test is every device and its modem: it counts each `heatpump/{id}/sms/send` the
// server publishes, and leaves the first ones unanswered (the gateway is down) until after the
// restart. No alert may go out twice, the SMS waiting at the restart go out exactly once after it,
// and the alert episodes and the SMS rate limit (5 an hour per recipient) hold throughout.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { devicePayload } from '../fixtures/payloads';
import { eventually, startProduct, type RunningProduct } from '../support/runtime';

const ADMIN = '+4915112345678';
/** how long "nothing more is sent" is watched after each step */
const QUIET_MS = 2000;

interface SmsSend {
  device: string;
  id: string;
  to: string;
  text: string;
}

describe('SMS alerts across restart and redeploy (npm start, file store, device modems over MQTT)', function () {
  this.timeout(180_000);
  let home: string;
  let product: RunningProduct | undefined;
  let device: MqttClient | undefined;
  /** every alert SMS the server asked a modem to send, in order */
  const sends: SmsSend[] = [];
  /** the commands the server sent to devices (topics) */
  const commands: string[] = [];

  const start = async () => {
    let subscribed = false;
    // history off: this test is about the SMS path, InfluxDB adds nothing to it
    product = await startProduct(
      { SMS_ADMIN_NUMBERS: ADMIN, LOCAL_INFLUXD: '0', INFLUXDB_URL: '' },
      {
        home,
        // the modems listen from the moment the broker is up: the bridge sends what waited at once
        ready: async (running) => {
          if (device === undefined) {
            // as a device does: the embedded broker refuses devices ("server unavailable") until
            // Node-RED's session is back, and the modems keep trying
            const client = mqtt.connect(running.mqttUrl, { clientId: `test-modems-${Date.now()}`, reconnectPeriod: 100, reconnectOnConnackError: true });
            client.on('error', () => undefined);
            device = client;
            client.on('message', (topic, payload) => {
              if (topic.endsWith('/cmd')) return void commands.push(topic);
              const body = JSON.parse(payload.toString()) as { id: string; to: string; text: string };
              // alert texts only: a held-back summary is not an alert
              if (/^CRITICAL/.test(body.text)) sends.push({ device: topic.split('/')[1] ?? '', ...body });
            });
            client.on('connect', () => void client.subscribeAsync(['heatpump/+/sms/send', 'heatpump/+/cmd'], { qos: 1 }).then(() => (subscribed = true)));
          }
          if (!subscribed) return false;
          return (await fetch(`${running.baseUrl}/api/health`, { signal: AbortSignal.timeout(1000) })).ok;
        },
      },
    );
  };
  const stop = async () => {
    await device?.endAsync();
    device = undefined;
    const code = await product?.stop();
    assert.equal(code, 0, 'npm start exits 0 on SIGTERM');
  };
  const critical = (id: string, voltage: number) =>
    device?.publishAsync(`heatpump/${id}/data`, JSON.stringify(devicePayload({ device: id, timestamp: Date.now() - 500, electrical: { voltage } })), { qos: 1 });
  const acknowledge = (sms: SmsSend) => device?.publishAsync(`heatpump/${sms.device}/sms/sent`, JSON.stringify({ id: sms.id, ok: true, ref: 7 }), { qos: 1 });
  const alertsTotal = async () => Number(/^heatpump_alerts_total (\d+)$/m.exec(await (await fetch(`${product?.baseUrl ?? ''}/metrics`)).text())?.[1]);
  const quiet = () => new Promise((resolve) => setTimeout(resolve, QUIET_MS));
  /** POST /flows with the running flows, changed by `edit` (Node-RED-Deployment-Type full or nodes) */
  const redeploy = async (type: 'full' | 'nodes', edit: (node: Record<string, unknown>) => void = () => undefined) => {
    const base = product?.baseUrl ?? '';
    const current = (await (await fetch(`${base}/flows`, { headers: { 'Node-RED-API-Version': 'v2' } })).json()) as { rev: string; flows: Record<string, unknown>[] };
    current.flows.forEach(edit);
    const res = await fetch(`${base}/flows`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': type },
      body: JSON.stringify({ rev: current.rev, flows: current.flows }),
    });
    assert.equal(res.status, 200, `${type} deploy: ${await res.text()}`);
    // the restarted nodes load their state from the file store before they take input
    await new Promise((resolve) => setTimeout(resolve, 1500));
  };

  before(function () {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-sms-restart-'));
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    console.log(product?.output().split('\n').filter((line) => /sms|error|context/i.test(line)).slice(-30).join('\n'));
  });

  after(async () => {
    await device?.endAsync();
    if (product?.child.exitCode === null) await product.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('sends each critical alert once; what waited at the restart goes out once after it; episodes and the rate limit hold', async () => {
    await start();
    // five devices go critical while the modems do not answer: the first SMS is out, four wait behind it
    for (const id of ['rs1', 'rs2', 'rs3', 'rs4', 'rs5']) await critical(id, 252);
    await eventually(async () => sends.length >= 1 || undefined, 20_000, 'the first alert SMS');
    await quiet();
    assert.deepEqual(sends.map((s) => s.device), ['rs1'], 'one SMS in flight, the others queued behind it');
    assert.equal(sends[0]?.to, ADMIN);
    const inFlight = sends[0] as SmsSend;

    // the shipped webhooks refuse an unsigned and a wrongly signed RESET from the admin's number (with
    // the shipped transport, the device modems, every gateway webhook is refused; the signature checks
    // of Twilio and SMS Gateway for Android are in sms-http-gateways.test.ts)
    const form = new URLSearchParams({ From: ADMIN, Body: 'RESET rs1', MessageSid: 'SM00000000000000000000000000000001' }).toString();
    for (const signature of [undefined, 'd3Jvbmc=']) {
      const res = await fetch(`${product?.baseUrl ?? ''}/api/sms/twilio`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(signature ? { 'X-Twilio-Signature': signature } : {}) },
        body: form,
      });
      assert.ok(res.status === 403 || res.status === 404, `signature ${String(signature)}: ${res.status}`);
    }
    const android = await fetch(`${product?.baseUrl ?? ''}/api/sms/android`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Signature': '00', 'X-Timestamp': String(Math.floor(Date.now() / 1000)) },
      body: JSON.stringify({ event: 'sms:received', id: 'ev1', payload: { messageId: 'm1', phoneNumber: ADMIN, message: 'RESET rs1' } }),
    });
    assert.ok(android.status === 403 || android.status === 404, String(android.status));
    await quiet();
    assert.deepEqual(commands, [], 'no device command from a refused webhook');

    // restart with the gateway still silent: nothing may be lost, nothing sent twice
    await stop();
    sends.length = 0;
    await start();
    await eventually(async () => sends.length >= 1 || undefined, 20_000, 'the SMS that waited at the restart');
    assert.equal(sends[0]?.id, inFlight.id, 'the one in flight is sent again with its id (a modem sends an id once)');
    // the modems answer now: each acknowledged SMS lets the next one go
    for (let i = 0; i < 5; i++) {
      const sms = await eventually(async () => sends[i], 20_000, `SMS ${i + 1} of 5 after the restart`);
      await acknowledge(sms);
    }
    await quiet();
    assert.deepEqual(sends.map((s) => s.device), ['rs1', 'rs2', 'rs3', 'rs4', 'rs5'], 'each waiting SMS exactly once, in order');

    // the alerts are still active: the same critical values raise nothing new
    await critical('rs1', 253);
    // a sixth device is over the recipient's 5 an hour, counted before the restart
    await critical('rs6', 252);
    await quiet();
    assert.equal(sends.length, 5, 'no SMS for an active episode, none over the rate limit');

    await redeploy('full');
    await critical('rs2', 254);
    await critical('rs7', 252);
    await quiet();
    assert.equal(sends.length, 5, 'after a full redeploy: nothing resent, the episode and the rate limit hold');

    // a node-only redeploy restarts just the changed nodes: threshold-alert and the bridge
    await redeploy('nodes', (node) => {
      if (node.type === 'threshold-alert' || node.type === 'sms-gateway-bridge') node.name = `${String(node.type)} (redeployed)`;
    });
    await critical('rs3', 255);
    await critical('rs8', 252);
    await quiet();
    assert.equal(sends.length, 5, 'after a node-only redeploy: nothing resent, the episode and the rate limit hold');
    assert.deepEqual(new Set(sends.map((s) => s.id)).size, 5, 'five distinct SMS ids');

    const metrics = await (await fetch(`${product?.baseUrl ?? ''}/metrics`)).text();
    assert.match(metrics, /^heatpump_alerts_active\{level="critical"\} 8$/m, 'all eight devices are alerting');

    // the cooldown (300 s) holds across a restart: rs4 clears, and going critical again right
    // after the restart raises no alert (the rate limit alone would hide a second SMS, so the fleet's alert counter is read)
    await critical('rs4', 230);
    await quiet();
    assert.match(await (await fetch(`${product?.baseUrl ?? ''}/metrics`)).text(), /^heatpump_alerts_active\{level="critical"\} 7$/m, 'rs4 cleared');
    await stop();
    await start();
    const alertsBefore = await alertsTotal();
    await critical('rs4', 252);
    await quiet();
    assert.equal(await alertsTotal(), alertsBefore, 'no alert raised again within the cooldown after the restart');
    assert.equal(sends.length, 5);
    await stop();
  });
});
