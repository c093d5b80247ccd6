// The serial AT transport against a simulated SIM800 on a socat pseudo-terminal pair. Every wait
// is for a state (a command the modem saw, a result, a status) with a generous deadline: the
// modem, socat and the bridge share a busy 2-core machine in CI.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nodeRedPath } from '../support/node-red';
import { requireBinary, requireOptionalPackage } from '../support/system';
import { Collector, bridgeModule, configModule, helper, logged, type TestNode } from '../support/sms-flow';
import { SimulatedModem } from '../support/sms-modem-sim';
import { waitFor } from '../support/wait';

const ADMIN = '+491711234567';
/** for anything the modem and the bridge do in answer to the test */
const DEADLINE_MS = 30_000;
/** the modem's answer time-out (sms-gateway-config "timeout", seconds): a silent modem costs this per attempt */
const COMMAND_TIMEOUT_S = 3;

describe('sms-gateway-bridge over a serial modem (socat pty + simulated SIM800)', function () {
  this.timeout(4 * DEADLINE_MS);
  let socat: ChildProcess;
  let dir: string;
  let modem: SimulatedModem;
  let b: TestNode;
  let results: Collector;
  let inbound: Collector;

  before(async function () {
    const binary = requireBinary(this, 'socat', 'socat');
    requireOptionalPackage(this, 'serialport');
    helper.init(nodeRedPath, { smsGatewayBridgeRetryDelay: 10 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sms-pty-'));
    socat = spawn(binary, ['-d', '-d', `pty,raw,echo=0,link=${dir}/modem`, `pty,raw,echo=0,link=${dir}/bridge`], { stdio: 'ignore' });
    await waitFor(() => fs.existsSync(`${dir}/modem`) && fs.existsSync(`${dir}/bridge`), { timeoutMs: DEADLINE_MS, what: 'the socat pty pair' });
  });
  after(function () {
    socat?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  /** The flow of one run of Node-RED: the bridge on the pty's far end. */
  async function loadBridge(): Promise<void> {
    await helper.load(
      [configModule, bridgeModule],
      [
        { id: 'cfg', type: 'sms-gateway-config', transport: 'serial', serialPort: `${dir}/bridge`, defaultCountry: '+49', timeout: COMMAND_TIMEOUT_S },
        { id: 'b', type: 'sms-gateway-bridge', gateway: 'cfg', recipients: ADMIN, retries: 1, wires: [['results'], [], [], ['inbound']] },
        { id: 'results', type: 'helper' },
        { id: 'inbound', type: 'helper' },
      ],
    );
    b = helper.getNode('b');
    results = new Collector(helper.getNode('results'));
    inbound = new Collector(helper.getNode('inbound'));
  }
  beforeEach(async function () {
    modem = await SimulatedModem.open(`${dir}/modem`);
    await loadBridge();
  });
  afterEach(async function () {
    await helper.unload();
    await modem.close();
  });

  /** init ends with the first signal query (after the modem's command `since`) */
  const readyModem = (since = 0) =>
    waitFor(() => modem.commands.indexOf('AT+CSQ', since) >= 0, { timeoutMs: DEADLINE_MS, what: () => `the end of init (AT+CSQ); the modem saw: ${modem.commands.join(' | ')}` });

  it('initialises through boot noise and a CMGF error, then sends with +CMGS', async function () {
    await readyModem();
    // a first AT answered late (a busy machine) is sent again: that is the retry working
    const commands = modem.commands.filter((command, i, all) => !(command === 'AT' && all[i + 1] === 'AT'));
    assert.deepEqual(commands.slice(0, 5), ['AT', 'ATE0', 'AT+CMEE=2', 'AT+CMGF=1', 'AT+CMGF=1']);
    assert.ok(modem.commands.includes('AT+CNMI=2,1,0,0,0'));
    b.receive({ payload: { device_id: 'site1', alert_type: 'pressure_low', level: 'critical', value: 18, threshold: 20, message: '', state: 'raised', timestamp: Date.now() } });
    const result = (await results.next(1, DEADLINE_MS)).payload as Record<string, unknown>;
    assert.deepEqual([result.status, result.ref], ['sent', '73']);
    assert.equal(modem.sent[0]?.[0], ADMIN);
    assert.match(modem.sent[0]?.[1] ?? '', /^CRITICAL site1: pressure_low 18PSI < 20PSI\./);
  });

  it('+CMS ERROR: 304 fails at once; a bare +CMS ERROR: is retried', async function () {
    await readyModem();
    b.receive({ payload: 'x', to: '+15005550001' });
    const failed = (await results.next(1, DEADLINE_MS)).payload as Record<string, unknown>;
    assert.deepEqual([failed.status, failed.attempts, failed.code], ['failed', 1, 304]);
    b.receive({ payload: 'y', to: '+15005550009' });
    const bare = (await results.next(2, DEADLINE_MS)).payload as Record<string, unknown>;
    assert.deepEqual([bare.status, bare.attempts], ['failed', 2]);
  });

  it('+CMTI -> AT+CMGR -> AT+CMGD: STATUS from the admin (negative zone) is answered, an alphanumeric sender is not', async function () {
    await readyModem();
    b.receive({ payload: { device_id: 'site1', timestamp: Date.now(), temp_inlet: 45, voltage: 230 } });
    modem.receive(3, { sender: ADMIN, time: '24/01/30,08:33:20-20', text: 'Status' });
    const report = (await inbound.next(1, DEADLINE_MS)).payload as Record<string, unknown>;
    assert.deepEqual([report.accepted, report.command, report.timestamp], [true, 'STATUS', Date.UTC(2024, 0, 30, 13, 33, 20)]);
    await results.next(1, DEADLINE_MS);
    assert.match(modem.sent[0]?.[1] ?? '', /^HEAT PUMP STATUS\n/);
    assert.ok(modem.commands.includes('AT+CMGR=3') && modem.commands.includes('AT+CMGD=3'));
    modem.receive(4, { sender: 'Vodafone', time: '24/01/30,08:34:00+04', text: 'STATUS' });
    const rejected = (await inbound.next(2, DEADLINE_MS)).payload as Record<string, unknown>;
    assert.deepEqual([rejected.accepted, rejected.reason], [false, 'unknown-number']);
  });

  it('joins a long SMS that arrives in two parts', async function () {
    await readyModem();
    modem.receive(5, { sender: ADMIN, time: '24/01/30,08:33:20+04', text: 'a'.repeat(153) });
    // the second part arrives once the bridge has read and deleted the first
    await waitFor(() => modem.commands.includes('AT+CMGD=5'), { timeoutMs: DEADLINE_MS, what: 'the first part read and deleted (AT+CMGD=5)' });
    modem.receive(6, { sender: ADMIN, time: '24/01/30,08:33:21+04', text: ' tail' });
    const report = (await inbound.next(1, DEADLINE_MS)).payload as Record<string, unknown>;
    assert.equal(String(report.text).length, 158);
    // no command in it: the admin is sent the help
    assert.equal(((await results.next(1, DEADLINE_MS)).payload as Record<string, unknown>).status, 'sent');
    assert.match(modem.sent[0]?.[1] ?? '', /^Commands: STATUS/);
  });

  it('takes back a modem an earlier run left at the text prompt of AT+CMGS (ESC), then sends', async function () {
    await readyModem();
    await helper.unload();
    // the earlier run stops between AT+CMGS and its text: the modem waits for the text
    const { SerialPort: Port } = await import('serialport');
    const earlier = new Port({ path: `${dir}/bridge`, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => earlier.open((error) => (error ? reject(error) : resolve())));
    earlier.write(`AT+CMGS="${ADMIN}"\r`);
    await waitFor(() => modem.commands.at(-1) === `AT+CMGS="${ADMIN}"`, { timeoutMs: DEADLINE_MS, what: 'the modem at the text prompt' });
    await new Promise<void>((resolve) => earlier.close(() => resolve()));
    const restart = modem.commands.length;
    await loadBridge();
    await readyModem(restart);
    b.receive({ payload: 'after the restart', to: ADMIN });
    assert.equal(((await results.next(1, DEADLINE_MS)).payload as Record<string, unknown>).status, 'sent');
    // the cancelled text was not sent, nor were the start's commands taken as text
    assert.deepEqual(modem.sent, [[ADMIN, 'after the restart']]);
  });

  it('a modem that stops answering times out, is retried, reported failed, and the node keeps working', async function () {
    await readyModem();
    modem.silent = true;
    b.receive({ payload: 'ping', to: ADMIN });
    const failed = (await results.next(1, DEADLINE_MS)).payload as Record<string, unknown>;
    assert.deepEqual([failed.status, failed.attempts, failed.code], ['failed', 2, 'timeout']);
    assert.ok(logged('sms-gateway-bridge.errors.modem').length >= 1);
    modem.silent = false;
    b.receive({ payload: 'pong', to: ADMIN });
    assert.equal(((await results.next(2, DEADLINE_MS)).payload as Record<string, unknown>).status, 'sent');
    const statuses: { fill?: string }[] = [];
    b.status = (status: { fill?: string }) => statuses.push(status);
    b.receive({ payload: 'again', to: ADMIN });
    await results.next(3, DEADLINE_MS);
    await waitFor(() => statuses.at(-1)?.fill === 'green', {
      timeoutMs: DEADLINE_MS,
      what: () => `the red "not answering" status to clear once the modem answers: ${JSON.stringify(statuses)}`,
    });
  });
});
