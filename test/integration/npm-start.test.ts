// Smoke test of `npm start` (dist/scripts/start.js) as a user runs it: real Node-RED with the
// shipped flows, the embedded broker, Debian's influxd (when installed) and the simulator.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findBinary } from '../support/system';
import { spawnNpmStart, type StartedProcess } from '../support/runtime';


async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url);
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: res.status, body: text };
  }
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function childPids(pid: number): { pid: number; command: string }[] {
  try {
    return execFileSync('ps', ['--ppid', String(pid), '-o', 'pid=,comm='], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [childPid, command] = line.trim().split(/\s+/);
        return { pid: Number(childPid), command: command ?? '' };
      });
  } catch {
    return []; // ps exits 1 when there are none
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start (dist/scripts/start.js)', function () {
  this.timeout(120_000);
  const homes: string[] = [];
  let running: StartedProcess | undefined;
  const newHome = () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-start-'));
    homes.push(home);
    return home;
  };
  afterEach(async function () {
    // a failed test must not leave Node-RED or influxd behind
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGKILL');
      await running.exit;
    }
    running = undefined;
  });
  after(function () {
    for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
  });

  it('serves editor, dashboard and API with simulated devices, then stops cleanly on SIGTERM', async function () {
    const withInflux = findBinary('influxd') !== undefined;
    const home = newHome();
    running = await spawnNpmStart(home, { SIMULATOR: '2', SIMULATOR_INTERVAL: '0.5' });
    const { port, child } = running;
    const base = `http://127.0.0.1:${port}`;

    assert.match(running.output(), new RegExp(`editor +http://localhost:${port}/`));
    assert.match(running.output(), new RegExp(`listening +127\\.0\\.0\\.1:${port}, this machine only`));
    assert.match(running.output(), /simulator +2 devices every 0\.5s/);
    assert.equal((await fetch(`${base}/`)).status, 200);
    assert.equal((await fetch(`${base}/dashboard`)).status, 200); // after its redirect to /dashboard/
    assert.ok(fs.existsSync(path.join(home, 'node-red', 'flows.json')), 'flows seeded into HEATPUMP_HOME');

    const health = await eventually('a healthy /api/health', async () => {
      const { status, body } = await getJson(`${base}/api/health`);
      const value = body as { status?: string; mqtt_connected?: boolean };
      return status === 200 && value.mqtt_connected === true ? value : undefined;
    });
    assert.deepEqual(
      { history: (health as { history?: boolean }).history, influxdb: (health as { influxdb_connected?: boolean }).influxdb_connected },
      { history: withInflux, influxdb: withInflux },
    );
    if (withInflux) assert.equal(health.status, 'healthy');

    const devices = await eventually('both simulated devices in /api/devices', async () => {
      const { body } = await getJson(`${base}/api/devices`);
      const list = Array.isArray(body) ? (body as { device_id?: string; is_online?: boolean }[]) : [];
      const ids = list.filter((device) => device.is_online).map((device) => device.device_id).sort();
      return ids.length === 2 ? ids : undefined;
    });
    assert.deepEqual(devices, ['sim-001', 'sim-002']);

    const children = childPids(child.pid ?? -1);
    if (withInflux) assert.ok(children.some((c) => c.command === 'influxd'), JSON.stringify(children));
    child.kill('SIGTERM');
    assert.equal(await running.exit, 0, running.output().slice(-2000));
    assert.match(running.output(), /\[heatpump\] stopped/);
    for (const c of children) assert.equal(alive(c.pid), false, `${c.command} (${c.pid}) still running`);
  });

  it('runs without history when there is no InfluxDB, and says so', async function () {
    running = await spawnNpmStart(newHome(), { SIMULATOR: '0', LOCAL_INFLUXD: '0' });
    const base = `http://127.0.0.1:${running.port}`;
    assert.match(running.output(), /HISTORY OFF: no INFLUXDB_URL and LOCAL_INFLUXD=0/);
    assert.match(running.output(), /InfluxDB +history off/);
    assert.match(running.output(), /simulator +off \(SIMULATOR=0\)/);
    // the flows fill in the health state shortly after start: wait for history off to show
    const health = await eventually('history off in /api/health', async () => {
      const { body } = await getJson(`${base}/api/health`);
      const value = body as { history?: boolean; notice?: string };
      return value.history === false ? value : undefined;
    });
    assert.match(String(health.notice), /History is off/);
    assert.deepEqual(childPids(running.child.pid ?? -1), []);
    running.child.kill('SIGINT');
    assert.equal(await running.exit, 0);
  });

  it('asks for the editor login when NODE_RED_ADMIN_PASSWORD_HASH is set, and accepts it', async function () {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bcrypt = require('bcryptjs') as { hashSync(password: string, rounds: number): string };
    running = await spawnNpmStart(newHome(), {
      SIMULATOR: '0',
      LOCAL_INFLUXD: '0',
      NODE_RED_ADMIN_USER: 'operator',
      NODE_RED_ADMIN_PASSWORD_HASH: bcrypt.hashSync('s3cret-pass', 8),
    });
    const base = `http://127.0.0.1:${running.port}`;
    assert.equal((await fetch(`${base}/flows`)).status, 401, 'the admin API refuses anonymous callers');
    const login = (password: string) =>
      fetch(`${base}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: 'node-red-admin', grant_type: 'password', scope: '*', username: 'operator', password }),
      });
    assert.equal((await login('wrong')).status, 403);
    const token = ((await (await login('s3cret-pass')).json()) as { access_token?: string }).access_token;
    assert.ok(token, 'a token for the right password');
    assert.equal((await fetch(`${base}/flows`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    // the flows' own endpoints need the login too (test/integration/auth-matrix.test.ts has every one)
    assert.equal((await fetch(`${base}/api/health`)).status, 401);
    const basic = `Basic ${Buffer.from('operator:s3cret-pass').toString('base64')}`;
    assert.equal((await fetch(`${base}/api/health`, { headers: { authorization: basic } })).status, 200);
    running.child.kill('SIGTERM');
    assert.equal(await running.exit, 0);
  });
});
