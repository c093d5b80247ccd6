// FleetFiles (heatpump-fleet's "changed devices, in files" save mode) on real files in a temporary
// directory: what a load gives back after saves, new snapshots, kills at every step of a save,
// a failing disk, and what a save writes (only the changed devices).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { durableFs, FleetFiles, type FleetFilesFs } from '../../nodes/heatpump-fleet/fleet-files';
import { FleetState } from '../../nodes/heatpump-fleet/fleet-state';
import { alert, reading } from '../fixtures/fleet-events';

const T0 = 1_706_600_000_000;
const S = 1000;

/** The state a load gives, as a FleetState restored from it sees it. */
function restored(state: unknown): ReturnType<FleetState['toJSON']> {
  const fleet = new FleetState(T0, true);
  const outcome = fleet.restore(state);
  assert.deepEqual(outcome, { skipped: 0 });
  return fleet.toJSON();
}

const files = (dir: string): string[] => fs.readdirSync(dir).sort();
const lines = (file: string): string[] => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);

/** node:fs/promises, with the operations named in `failing` rejecting while it holds them. */
function flakyFs(failing: Set<string>): FleetFilesFs {
  const real = fs.promises;
  const guard =
    <A extends unknown[], R>(name: string, op: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      failing.has(name) ? Promise.reject(Object.assign(new Error(`${name}: ENOSPC`), { code: 'ENOSPC' })) : op(...args);
  return {
    mkdir: guard('mkdir', (dir: string, options: { recursive: true }) => real.mkdir(dir, options)),
    readdir: guard('readdir', (dir: string) => real.readdir(dir)),
    readFile: guard('readFile', (file: string, encoding: 'utf8') => real.readFile(file, encoding)),
    writeFile: guard('writeFile', (file: string, text: string) => real.writeFile(file, text)),
    appendFile: guard('appendFile', (file: string, text: string) => real.appendFile(file, text)),
    rename: guard('rename', (from: string, to: string) => real.rename(from, to)),
    unlink: guard('unlink', (file: string) => real.unlink(file)),
    rm: guard('rm', (dir: string, options: { recursive: true; force: true }) => real.rm(dir, options)),
  };
}

describe('heatpump-fleet FleetFiles', () => {
  let dir: string;
  beforeEach(() => {
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-files-')), 'fleet-hp');
  });
  afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('an empty directory holds no fleet', async () => {
    assert.deepEqual(await new FleetFiles(fs.promises, dir).load(), { state: undefined, unreadableLines: 0 });
  });

  it('the first save writes a snapshot, the next ones append only the devices changed since, and a load gives the fleet back', async () => {
    const fleet = new FleetState(T0, true);
    for (const id of ['a', 'b', 'c']) fleet.reading(reading(id, T0), [], T0);
    const saver = new FleetFiles(durableFs, dir);
    await saver.save(fleet);
    assert.deepEqual(files(dir), ['snapshot-000000000001.json']);

    fleet.reading(reading('b', T0 + S), [], T0 + S);
    fleet.alert(alert('d', 'voltage_high', 'raised', 'critical', T0 + S));
    await saver.save(fleet);
    fleet.reset('a');
    fleet.written(30);
    await saver.save(fleet);
    const changes = lines(path.join(dir, 'changes-000000000001.ndjson')).map((line) => JSON.parse(line) as { devices: Array<{ device_id: string }>; removed: string[]; totals: { counters: { points_written: number } } });
    assert.deepEqual(
      changes.map((change) => [change.devices.map((device) => device.device_id), change.removed, change.totals.counters.points_written]),
      [
        [['b', 'd'], [], 0],
        [[], ['a'], 30],
      ],
    );

    const loaded = await new FleetFiles(fs.promises, dir).load();
    assert.equal(loaded.unreadableLines, 0);
    assert.deepEqual(restored(loaded.state), fleet.toJSON());
  });

  it('writes a new snapshot once the log is as large as the snapshot, and deletes the older files', async () => {
    const fleet = new FleetState(T0, true);
    for (let i = 0; i < 20; i += 1) fleet.reading(reading(`hp${i}`, T0), [], T0);
    const saver = new FleetFiles(fs.promises, dir, { logToSnapshot: 1, minLogBytes: 0 });
    await saver.save(fleet);
    const snapshotBytes = fs.statSync(path.join(dir, 'snapshot-000000000001.json')).size;
    let saves = 0;
    while (files(dir).includes('snapshot-000000000001.json')) {
      fleet.reading(reading(`hp${saves % 20}`, T0 + saves * S), [], T0 + saves * S);
      await saver.save(fleet);
      saves += 1;
      assert.ok(saves < 100, 'no new snapshot after 100 saves');
    }
    assert.deepEqual(files(dir), ['snapshot-000000000002.json']);
    // the log had just grown past the snapshot's size: about one device record a save
    assert.ok(saves > 3, `a new snapshot after ${saves} saves of a ${snapshotBytes}-byte fleet`);
    assert.deepEqual(restored((await new FleetFiles(fs.promises, dir).load()).state), fleet.toJSON());
  });

  /** A fleet saved twice into `dir`: a snapshot with device a, then a log line with device b. */
  async function savedTwice(): Promise<{ fleet: FleetState; saver: FleetFiles }> {
    const fleet = new FleetState(T0, true);
    fleet.reading(reading('a', T0), [], T0);
    const saver = new FleetFiles(fs.promises, dir);
    await saver.save(fleet);
    fleet.reading(reading('b', T0 + S), [], T0 + S);
    await saver.save(fleet);
    return { fleet, saver };
  }

  const kills: Array<[string, (dir: string) => void, number]> = [
    ['a log line cut off by a kill is left out; the lines before it count', (d) => fs.appendFileSync(path.join(d, 'changes-000000000001.ndjson'), '{"devices":[{"device_id":"x"'), 1],
    ['a line that is not a change (damage) is left out; the lines after it count', (d) => {
      const log = path.join(d, 'changes-000000000001.ndjson');
      const [first, ...rest] = lines(log);
      fs.writeFileSync(log, [first, '{"devices":"not a list"}', ...rest].join('\n') + '\n');
    }, 1],
    ['a snapshot written but not renamed (killed before) is not read', (d) => fs.writeFileSync(path.join(d, 'snapshot-000000000002.json.tmp'), '{"version":1,"devi'), 0],
  ];
  for (const [title, kill, unreadable] of kills) {
    it(title, async () => {
      const { fleet, saver } = await savedTwice();
      fleet.presence({ event: 'device_online', device_id: 'a', last_seen: T0 + 2 * S, reason: 'data', timestamp: T0 + 2 * S });
      await saver.save(fleet);
      kill(dir);
      const loaded = await new FleetFiles(fs.promises, dir).load();
      assert.equal(loaded.unreadableLines, unreadable);
      assert.deepEqual(restored(loaded.state), fleet.toJSON());
    });
  }

  it('killed after a new snapshot was renamed, before the older files went: the new snapshot alone is read, and the next snapshot deletes the rest (not files of others)', async () => {
    const { fleet } = await savedTwice();
    // generation 2 holds the newest state; generation 1's snapshot and log are still there
    const newest = fleet.toJSON();
    fs.writeFileSync(path.join(dir, 'snapshot-000000000002.json'), JSON.stringify(newest));
    fs.writeFileSync(path.join(dir, 'snapshot-000000000001.json.tmp'), '{"version":1,"devi');
    const others = ['changes-000000000001.ndjson.bak', 'notes.txt', 'snapshot-000000000001.ndjson'];
    for (const name of others) fs.writeFileSync(path.join(dir, name), 'not the fleet store\'s');
    const reader = new FleetFiles(fs.promises, dir);
    assert.deepEqual(restored((await reader.load()).state), newest);
    await reader.save(fleet);
    assert.deepEqual(files(dir), [...others, 'snapshot-000000000003.json'].sort());
  });

  it('the first save after a load writes a snapshot (never appends behind a cut-off line)', async () => {
    const fleet = new FleetState(T0, true);
    fleet.reading(reading('a', T0), [], T0);
    await new FleetFiles(fs.promises, dir).save(fleet);
    const next = new FleetFiles(fs.promises, dir);
    const again = new FleetState(T0, true);
    again.restore((await next.load()).state);
    again.reading(reading('b', T0 + S), [], T0 + S);
    await next.save(again);
    assert.deepEqual(files(dir), ['snapshot-000000000002.json']);
  });

  it('a failed append loses no change: the next save writes the whole fleet', async () => {
    const failing = new Set<string>();
    const fleet = new FleetState(T0, true);
    fleet.reading(reading('a', T0), [], T0);
    const saver = new FleetFiles(flakyFs(failing), dir);
    await saver.save(fleet);
    fleet.reading(reading('b', T0 + S), [], T0 + S);
    failing.add('appendFile');
    await assert.rejects(saver.save(fleet), /appendFile: ENOSPC/);
    failing.clear();
    await saver.save(fleet);
    assert.deepEqual(files(dir), ['snapshot-000000000002.json']);
    assert.deepEqual(restored((await new FleetFiles(fs.promises, dir).load()).state), fleet.toJSON());
  });

  it('a failed snapshot is tried again at the next save; meanwhile a load reads the last good one', async () => {
    const failing = new Set<string>();
    const fleet = new FleetState(T0, true);
    fleet.reading(reading('a', T0), [], T0);
    await new FleetFiles(fs.promises, dir).save(fleet);
    const first = fleet.toJSON();
    // after a load the first save writes a snapshot: its rename fails
    const saver = new FleetFiles(flakyFs(failing), dir);
    await saver.load();
    fleet.reading(reading('b', T0 + S), [], T0 + S);
    failing.add('rename');
    await assert.rejects(saver.save(fleet), /rename: ENOSPC/);
    assert.deepEqual(restored((await new FleetFiles(fs.promises, dir).load()).state), first);
    failing.clear();
    await saver.save(fleet);
    assert.deepEqual(files(dir), ['snapshot-000000000002.json']);
    assert.deepEqual(restored((await new FleetFiles(fs.promises, dir).load()).state), fleet.toJSON());
  });

  it('remove() deletes the directory', async () => {
    const fleet = new FleetState(T0, true);
    fleet.reading(reading('a', T0), [], T0);
    const saver = new FleetFiles(fs.promises, dir);
    await saver.save(fleet);
    await saver.remove();
    assert.equal(fs.existsSync(dir), false);
  });
});
