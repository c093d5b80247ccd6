// The serial AT transport against a simulated SIM800 on a socat pseudo-terminal pair.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nodeRedPath } from '../support/node-red';
import { requireBinary } from '../support/system';
import { Collector, bridgeModule, configModule, helper, logged, wait, type TestNode } from '../support/sms-flow';
import { SimulatedModem } from '../support/sms-modem-sim';

const ADMIN = '+491711234567';

describe('sms-gateway-bridge over a serial modem (socat pty + simulated SIM800)', function () {
  this.timeout(30000);
  let socat: ChildProcess;
  let dir: string;
  let modem: SimulatedModem;
  let b: TestNode;
  let results: Collector;
  let inbound: Collector;

  before(async function () {
    const binary = requireBinary(this, 'socat', 'socat');
    helper.init(nodeRedPath, { smsGatewayBridgeRetryDelay: 10 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sms-pty-'));
    socat = spawn(binary, ['-d', '-d', `pty,raw,echo=0,link=${dir}/modem`, `pty,raw,echo=0,link=${dir}/bridge`], { stdio: 'ignore' });
    for (let i = 0; i < 50 && !(fs.existsSync(`${dir}/modem`) && fs.existsSync(`${dir}/bridge`)); i++) await wait(100);
  });
  after(function () {
    socat?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async function () {
    modem = await SimulatedModem.open(`${dir}/modem`);
    await helper.load(
      [configModule, bridgeModule],
      [
        { id: 'cfg', type: 'sms-gateway-config', transport: 'serial', serialPort: `${dir}/bridge`, defaultCountry: '+49', timeout: 1 },
        { id: 'b', type: 'sms-gateway-bridge', gateway: 'cfg', recipients: ADMIN, retries: 1, wires: [['results'], [], [], ['inbound']] },
        { id: 'results', type: 'helper' },
        { id: 'inbound', type: 'helper' },
      ],
    );
    b = helper.getNode('b');
    results = new Collector(helper.getNode('results'));
    inbound = new Collector(helper.getNode('inbound'));
  });
  afterEach(async function () {
    await helper.unload();
    await modem.close();
  });

  const readyModem = async () => {
    for (let i = 0; i < 100 && !modem.commands.includes('AT+CSQ'); i++) await wait(50);
    assert.ok(modem.commands.includes('AT+CSQ'), `init did not finish: ${modem.commands.join(' | ')}`);
  };

  it('initialises through boot noise and a CMGF error, then sends with +CMGS', async function () {
    await readyModem();
    assert.deepEqual(modem.commands.slice(0, 5), ['AT', 'ATE0', 'AT+CMEE=2', 'AT+CMGF=1', 'AT+CMGF=1']);
    assert.ok(modem.commands.includes('AT+CNMI=2,1,0,0,0'));
    b.receive({ payload: { device_id: 'site1', alert_type: 'pressure_low', level: 'critical', value: 18, threshold: 20, message: '', state: 'raised', timestamp: Date.now() } });
    const result = (await results.next(1, 10000)).payload as Record<string, unknown>;
    assert.deepEqual([result.status, result.ref], ['sent', '73']);
    assert.equal(modem.sent[0]?.[0], ADMIN);
    assert.match(modem.sent[0]?.[1] ?? '', /^CRITICAL site1: pressure_low 18PSI < 20PSI\./);
  });

  it('+CMS ERROR: 304 fails at once; a bare +CMS ERROR: is retried', async function () {
    await readyModem();
    b.receive({ payload: 'x', to: '+15005550001' });
    const failed = (await results.next(1, 10000)).payload as Record<string, unknown>;
    assert.deepEqual([failed.status, failed.attempts, failed.code], ['failed', 1, 304]);
    b.receive({ payload: 'y', to: '+15005550009' });
    const bare = (await results.next(2, 10000)).payload as Record<string, unknown>;
    assert.deepEqual([bare.status, bare.attempts], ['failed', 2]);
  });

  it('+CMTI -> AT+CMGR -> AT+CMGD: STATUS from the admin (negative zone) is answered, an alphanumeric sender is not', async function () {
    await readyModem();
    b.receive({ payload: { device_id: 'site1', timestamp: Date.now(), temp_inlet: 45, voltage: 230 } });
    modem.receive(3, { sender: ADMIN, time: '24/01/30,08:33:20-20', text: 'Status' });
    const report = (await inbound.next(1, 10000)).payload as Record<string, unknown>;
    assert.deepEqual([report.accepted, report.command, report.timestamp], [true, 'STATUS', Date.UTC(2024, 0, 30, 13, 33, 20)]);
    await results.next(1, 10000);
    assert.match(modem.sent[0]?.[1] ?? '', /^HEAT PUMP STATUS\n/);
    assert.ok(modem.commands.includes('AT+CMGR=3') && modem.commands.includes('AT+CMGD=3'));
    modem.receive(4, { sender: 'Vodafone', time: '24/01/30,08:34:00+04', text: 'STATUS' });
    const rejected = (await inbound.next(2, 10000)).payload as Record<string, unknown>;
    assert.deepEqual([rejected.accepted, rejected.reason], [false, 'unknown-number']);
  });

  it('joins a long SMS that arrives in two parts', async function () {
    await readyModem();
    modem.receive(5, { sender: ADMIN, time: '24/01/30,08:33:20+04', text: 'a'.repeat(153) });
    await wait(200);
    modem.receive(6, { sender: ADMIN, time: '24/01/30,08:33:21+04', text: ' tail' });
    const report = (await inbound.next(1, 10000)).payload as Record<string, unknown>;
    assert.equal(String(report.text).length, 158);
  });

  it('a modem that stops answering times out, is retried, reported failed, and the node keeps working', async function () {
    await readyModem();
    modem.silent = true;
    b.receive({ payload: 'ping', to: ADMIN });
    const failed = (await results.next(1, 15000)).payload as Record<string, unknown>;
    assert.deepEqual([failed.status, failed.attempts, failed.code], ['failed', 2, 'timeout']);
    assert.ok(logged('sms-gateway-bridge.errors.modem').length >= 1);
    modem.silent = false;
    b.receive({ payload: 'pong', to: ADMIN });
    assert.equal(((await results.next(2, 15000)).payload as Record<string, unknown>).status, 'sent');
    const statuses: { fill?: string }[] = [];
    b.status = (status: { fill?: string }) => statuses.push(status);
    b.receive({ payload: 'again', to: ADMIN });
    await results.next(3, 15000);
    await wait(200);
    assert.equal(statuses.at(-1)?.fill, 'green', `the red "not answering" status clears once the modem answers: ${JSON.stringify(statuses)}`);
  });
});
