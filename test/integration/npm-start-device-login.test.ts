// `npm start` with HEATPUMP_DEVICE_PASSWORDS: the embedded broker wants device logins (the
// simulator's devices get one of that start), says so in the banner, and refuses a file it
// cannot read; without it the banner says devices need no login.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { sha256Hash } from '../../scripts/lib/device-logins';
import { spawnNpmStart, type StartedProcess } from '../support/runtime';
import { eventually } from '../support/wait';

/** The CONNACK return code a connect gets (0 = accepted). */
function connackCode(url: string, options: mqtt.IClientOptions): Promise<number> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    client.once('connect', () => (client.end(true), resolve(0)));
    client.once('error', (err) => (client.end(true), resolve((err as { code?: number }).code ?? -1)));
  });
}

describe('npm start: device logins on the embedded broker', function () {
  this.timeout(120_000);
  const homes: string[] = [];
  let running: StartedProcess | undefined;
  const newHome = () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-device-login-'));
    homes.push(home);
    return home;
  };
  const mqttUrl = () => `mqtt://127.0.0.1:${/MQTT\s+mqtt:\/\/[\d.]+:(\d+)/.exec(running?.output() ?? '')?.[1]}`;
  afterEach(async function () {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGTERM');
      await running.exit;
    }
    running = undefined;
  });
  after(function () {
    for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
  });

  it('with a password file: only listed devices with their password get in, the simulator included', async function () {
    const home = newHome();
    const file = path.join(home, 'device-passwords');
    fs.writeFileSync(file, `# test devices\nsite1:${sha256Hash('pw-of-site1')}\n`);
    running = await spawnNpmStart(home, { SIMULATOR: '2', SIMULATOR_INTERVAL: '1', HEATPUMP_DEVICE_PASSWORDS: file, LOCAL_INFLUXD: '0' });
    assert.match(running.output(), /devices\s+login required \(HEATPUMP_DEVICE_PASSWORDS, 3 ids/);
    const url = mqttUrl();
    assert.equal(await connackCode(url, { clientId: 'site1' }), 4, 'no login');
    assert.equal(await connackCode(url, { clientId: 'site1', username: 'site1', password: 'guess' }), 4, 'wrong password');
    assert.equal(await connackCode(url, { clientId: 'site1', username: 'site1', password: 'pw-of-site1' }), 0);
    // the simulated devices logged in: their readings reach the product
    const devices = await eventually(
      async () => {
        const text = await (await fetch(`http://127.0.0.1:${running?.port}/api/devices`)).text();
        return text.includes('sim-') ? text : undefined;
      },
      30_000,
      'the simulated devices in /api/devices',
    );
    assert.match(devices, /sim-/);
  });

  it('without it the banner says devices need no login; a bad file stops the start', async function () {
    running = await spawnNpmStart(newHome(), { SIMULATOR: '0', LOCAL_INFLUXD: '0' });
    assert.match(running.output(), /devices\s+no login: any client/);
    running.child.kill('SIGTERM');
    await running.exit;
    const home = newHome();
    const file = path.join(home, 'device-passwords');
    fs.writeFileSync(file, 'site1:plain-text-password\n');
    await assert.rejects(spawnNpmStart(home, { SIMULATOR: '0', HEATPUMP_DEVICE_PASSWORDS: file, LOCAL_INFLUXD: '0' }), /HEATPUMP_DEVICE_PASSWORDS .*line 1: the hash is neither bcrypt/);
  });
});
