// `npm start` and its local influxd as processes: influxd never outlives a killed `npm start`
// (scripts/lib/influxd-watchdog.ts), and a start never runs a second influxd on a data directory
// (the pid file and stopStaleInfluxd in scripts/lib/influxd.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { influxdPidsOn, PID_FILE, startInfluxd, type RunningInfluxd } from '../../scripts/lib/influxd';
import { requireBinary } from '../support/system';
import { spawnNpmStart, type StartedProcess } from '../support/runtime';


function alive(pid: number): boolean {
  try {
    // a zombie has an empty command line: count it as gone
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').length > 0;
  } catch {
    return false;
  }
}

async function gone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

function recordedPid(dataDir: string): number {
  return (JSON.parse(fs.readFileSync(path.join(dataDir, PID_FILE), 'utf8')) as { pid: number }).pid;
}

describe('npm start: influxd processes', function () {
  this.timeout(120_000);
  const homes: string[] = [];
  let running: StartedProcess | undefined;
  let orphan: RunningInfluxd | undefined;
  const newHome = () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-procs-'));
    homes.push(home);
    return home;
  };
  before(function () {
    if (!fs.existsSync('/proc/self/cmdline')) this.skip(); // Linux: the tests read /proc
    requireBinary(this, 'influxd', 'influxdb');
  });
  afterEach(async function () {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGKILL');
      await running.exit;
    }
    running = undefined;
    await orphan?.stop();
    orphan = undefined;
  });
  after(function () {
    for (const home of homes) {
      for (const pid of influxdPidsOn(path.join(home, 'influxdb'))) process.kill(pid, 'SIGKILL');
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('kill -9 of npm start takes its influxd with it', async function () {
    const home = newHome();
    const dataDir = path.join(home, 'influxdb');
    running = await spawnNpmStart(home, { SIMULATOR: '0' }, ['LOCAL_INFLUXD']);
    const pid = recordedPid(dataDir);
    assert.deepEqual(influxdPidsOn(dataDir), [pid]);
    running.child.kill('SIGKILL');
    await running.exit;
    assert.ok(await gone(pid, 15_000), `influxd ${pid} outlived the killed npm start`);
    assert.deepEqual(influxdPidsOn(dataDir), []);
  });

  it('a start stops the influxd left on its data directory and runs exactly one', async function () {
    const home = newHome();
    const dataDir = path.join(home, 'influxdb');
    // a leftover influxd: as a crashed start leaves it, answering on its own port
    orphan = await startInfluxd({ dataDir, port: 0 });
    assert.equal(recordedPid(dataDir), orphan.pid);
    assert.equal((await fetch(`${orphan.url}/ping`)).status, 204);

    running = await spawnNpmStart(home, { SIMULATOR: '0' }, ['LOCAL_INFLUXD']);
    assert.match(running.output(), new RegExp(`stopped the influxd already running on .*\\(pid ${orphan.pid}\\)`));
    assert.ok(await gone(orphan.pid, 5_000), 'the leftover influxd is stopped');
    const pids = influxdPidsOn(dataDir);
    assert.equal(pids.length, 1, `one influxd on ${dataDir}: ${pids.join(', ')}`);
    assert.equal(recordedPid(dataDir), pids[0]);
    assert.notEqual(pids[0], orphan.pid);

    // a clean stop stops it and removes the pid file
    running.child.kill('SIGTERM');
    assert.equal(await running.exit, 0, running.output().slice(-2000));
    assert.ok(await gone(pids[0] ?? -1, 5_000));
    assert.equal(fs.existsSync(path.join(dataDir, PID_FILE)), false, 'pid file removed on a clean stop');
  });
});
