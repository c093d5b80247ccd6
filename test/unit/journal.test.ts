import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InfluxPoint } from '../../nodes/shared/contract';
import { GroupCommit, resolveJournalSyncMs, DEFAULT_JOURNAL_SYNC_MS, type Ack } from '../../nodes/heatpump-batch/group-commit';
import { Journal, type JournalFs } from '../../nodes/heatpump-batch/journal';

const point = (i: number, device = 'site1'): InfluxPoint => ({ measurement: 'sensor_reading', tags: { device_id: device }, fields: { voltage: 230 + i }, timestamp: new Date(1706600000000 + i * 1000) });
const points = (...indexes: number[]): InfluxPoint[] => indexes.map((i) => point(i));
const stampsOf = (list: readonly InfluxPoint[]): number[] => list.map((p) => (p.timestamp.getTime() - 1706600000000) / 1000);

describe('heatpump-batch write-ahead journal', function () {
  let dir: string;
  beforeEach(function () {
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hp-journal-')), 'n1');
  });
  afterEach(function () {
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });
  const files = (): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);
  /** what a run killed now would leave: a new journal on the same directory */
  const afterKill = (): InfluxPoint[] => new Journal(fs, dir).leftover().points;

  it('touches no disk until the first point', function () {
    const journal = new Journal(fs, dir);
    assert.equal(journal.cut(0, []), undefined);
    assert.deepEqual(files(), []);
  });

  // table: operations on a journal, then what a kill at that moment would replay and the files left
  const cases: Array<{ name: string; run: (j: Journal) => void; replayed: number[]; files: number }> = [
    { name: 'appended points are on disk at once', run: (j) => [points(0), points(1, 2)].forEach((p) => j.append(p)), replayed: [0, 1, 2], files: 1 },
    { name: 'a cut segment stays until its batch is released', run: (j) => (j.append(points(0, 1)), j.cut(1, [])), replayed: [0, 1], files: 1 },
    { name: 'a released batch leaves the journal', run: (j) => (j.append(points(0, 1)), j.release(j.cut(1, []))), replayed: [], files: 0 },
    {
      name: 'what is still held goes on in the next segment, replayed once',
      run: (j) => (j.append(points(0, 1, 2)), j.cut(1, points(2))),
      replayed: [0, 1, 2],
      files: 2,
    },
    {
      name: 'a segment with two batches goes with the second release',
      run: (j) => {
        j.append(points(0, 1, 2, 3));
        const segment = j.cut(2, []);
        j.release(segment);
        j.append(points(4));
      },
      replayed: [0, 1, 2, 3, 4],
      files: 2,
    },
    {
      name: 'both releases: only the open segment is left',
      run: (j) => {
        j.append(points(0, 1, 2, 3));
        const segment = j.cut(2, []);
        j.release(segment);
        j.release(segment);
        j.append(points(4));
      },
      replayed: [4],
      files: 1,
    },
    { name: 'a cut with no batch (all dropped) deletes the segment', run: (j) => (j.append(points(0)), j.cut(0, points(1))), replayed: [1], files: 1 },
    { name: 'releasing an unknown segment changes nothing', run: (j) => (j.append(points(0)), j.release(99), j.release(undefined)), replayed: [0], files: 1 },
    { name: 'discardAll (a close that sent or spooled everything) deletes every segment', run: (j) => (j.append(points(0, 1)), j.cut(1, points(1)), j.discardAll()), replayed: [], files: 0 },
  ];
  for (const c of cases) {
    it(c.name, function () {
      c.run(new Journal(fs, dir));
      assert.equal(files().length, c.files, files().join());
      assert.deepEqual(stampsOf(afterKill()), c.replayed);
    });
  }

  it('keeps points of different series with the same timestamp apart', function () {
    const journal = new Journal(fs, dir);
    journal.append([point(0, 'a'), point(0, 'b')]);
    assert.deepEqual(
      afterKill().map((p) => p.tags.device_id),
      ['a', 'b'],
    );
  });

  it('a new run numbers its segments after the leftover ones and deletes the leftover only when told', function () {
    const killed = new Journal(fs, dir);
    killed.append(points(0));
    killed.cut(1, points(1));
    const next = new Journal(fs, dir);
    const { points: leftover, unreadableLines } = next.leftover();
    assert.deepEqual([stampsOf(leftover), unreadableLines], [[0, 1], 0]);
    next.append(points(5));
    assert.equal(files().length, 3);
    next.discardLeftover();
    assert.deepEqual(files(), ['journal-000000000003.ndjson']);
    assert.deepEqual(stampsOf(afterKill()), [5]);
  });

  it('skips a line cut short by the kill and counts it', function () {
    const journal = new Journal(fs, dir);
    journal.append(points(0, 1));
    journal.cut(1, []);
    fs.appendFileSync(path.join(dir, files()[0] as string), '[{"measurement":"sensor_rea');
    const { points: leftover, unreadableLines } = new Journal(fs, dir).leftover();
    assert.deepEqual([stampsOf(leftover), unreadableLines], [[0, 1], 1]);
  });

  it('ignores the spool batch files beside it', function () {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, '000000000001-2.json.gz'), 'not a journal');
    assert.deepEqual(new Journal(fs, dir).leftover(), { points: [], unreadableLines: 0 });
  });
});

/** node:fs with the calls that matter for durability recorded in order (the real file is written too) */
function recordingFs(events: string[], failSync = false): JournalFs {
  return {
    ...fs,
    writeSync: (fd: number, text: string) => (events.push('write'), fs.writeSync(fd, text)),
    fdatasyncSync: (fd: number) => {
      events.push('fdatasync');
      if (failSync) throw new Error('EIO: i/o error, fdatasync');
      fs.fdatasyncSync(fd);
    },
    closeSync: (fd: number) => (events.push('close'), fs.closeSync(fd)),
  };
}

/** a timer the test fires by hand: the scheduled runs, and whether each was cancelled */
function manualSchedule(): { schedule: (ms: number, run: () => void) => () => void; timers: { ms: number; run: () => void; cancelled: boolean }[] } {
  const timers: { ms: number; run: () => void; cancelled: boolean }[] = [];
  return {
    timers,
    schedule: (ms, run) => {
      const timer = { ms, run, cancelled: false };
      timers.push(timer);
      return () => (timer.cancelled = true);
    },
  };
}

describe('heatpump-batch journal durability (fdatasync, group commit)', function () {
  let dir: string;
  beforeEach(function () {
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hp-journal-sync-')), 'n1');
  });
  afterEach(function () {
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  // table: journal operations, then the file operations they made, in order
  const cases: Array<{ name: string; run: (j: Journal) => void; events: string[] }> = [
    { name: 'sync after an append flushes it', run: (j) => (j.append(points(0)), j.sync()), events: ['write', 'fdatasync'] },
    { name: 'a second sync without an append does nothing', run: (j) => (j.append(points(0)), j.sync(), j.sync()), events: ['write', 'fdatasync'] },
    { name: 'sync with no segment open does nothing', run: (j) => j.sync(), events: [] },
    { name: 'two appends share one sync', run: (j) => (j.append(points(0)), j.append(points(1)), j.sync()), events: ['write', 'write', 'fdatasync'] },
    { name: 'a cut syncs the segment before closing it', run: (j) => (j.append(points(0)), j.cut(1, [])), events: ['write', 'fdatasync', 'close'] },
    { name: 'a cut of a synced segment closes it without another sync', run: (j) => (j.append(points(0)), j.sync(), j.cut(1, [])), events: ['write', 'fdatasync', 'close'] },
    {
      name: 'what is still held goes to the next segment unsynced until the next sync',
      run: (j) => (j.append(points(0, 1)), j.cut(1, points(1)), j.sync()),
      events: ['write', 'fdatasync', 'close', 'write', 'fdatasync'],
    },
    { name: 'discardAll closes without syncing (the files are deleted)', run: (j) => (j.append(points(0)), j.discardAll(), j.sync()), events: ['write', 'close'] },
  ];
  for (const c of cases) {
    it(c.name, function () {
      const events: string[] = [];
      c.run(new Journal(recordingFs(events), dir));
      assert.deepEqual(events, c.events);
    });
  }

  it('interval 0: each message is acknowledged right after its own fdatasync', function () {
    const events: string[] = [];
    const journal = new Journal(recordingFs(events), dir);
    const { schedule, timers } = manualSchedule();
    const commit = new GroupCommit(() => journal.sync(), 0, schedule);
    for (const i of [0, 1]) {
      journal.append(points(i));
      commit.commit((err) => events.push(err ? `ack ${i} failed` : `ack ${i}`));
    }
    assert.deepEqual(events, ['write', 'fdatasync', 'ack 0', 'write', 'fdatasync', 'ack 1']);
    assert.equal(timers.length, 0);
  });

  it('group commit: messages wait for one shared fdatasync, scheduled once per interval', function () {
    const events: string[] = [];
    const journal = new Journal(recordingFs(events), dir);
    const { schedule, timers } = manualSchedule();
    const commit = new GroupCommit(() => journal.sync(), 25, schedule);
    for (const i of [0, 1, 2]) {
      journal.append(points(i));
      commit.commit(() => events.push(`ack ${i}`));
    }
    assert.deepEqual(events, ['write', 'write', 'write'], 'no acknowledgement before the sync');
    assert.deepEqual([timers.length, timers[0]?.ms, commit.pending], [1, 25, 3]);
    timers[0]?.run();
    assert.deepEqual(events.slice(3), ['fdatasync', 'ack 0', 'ack 1', 'ack 2']);
    assert.equal(commit.pending, 0);
    journal.append(points(3));
    commit.commit(() => events.push('ack 3'));
    assert.equal(timers.length, 2, 'the next message schedules the next sync');
  });

  it('flush (a close) syncs and acknowledges what waits, and cancels the timer', function () {
    const events: string[] = [];
    const journal = new Journal(recordingFs(events), dir);
    const { schedule, timers } = manualSchedule();
    const commit = new GroupCommit(() => journal.sync(), 25, schedule);
    journal.append(points(0));
    commit.commit(() => events.push('ack 0'));
    commit.flush();
    assert.deepEqual(events, ['write', 'fdatasync', 'ack 0']);
    assert.equal(timers[0]?.cancelled, true);
    commit.flush();
    assert.deepEqual(events, ['write', 'fdatasync', 'ack 0'], 'nothing waiting: no sync');
  });

  it('a failed fdatasync is given to every waiting acknowledgement', function () {
    const events: string[] = [];
    const journal = new Journal(recordingFs(events, true), dir);
    const { schedule, timers } = manualSchedule();
    const commit = new GroupCommit(() => journal.sync(), 25, schedule);
    const errors: (string | undefined)[] = [];
    const ack: Ack = (err) => errors.push(err?.message);
    journal.append(points(0));
    commit.commit(ack);
    commit.commit(ack);
    timers[0]?.run();
    assert.deepEqual(errors, ['EIO: i/o error, fdatasync', 'EIO: i/o error, fdatasync']);
  });

  const settings: Array<[unknown, number, boolean]> = [
    [undefined, DEFAULT_JOURNAL_SYNC_MS, false],
    [0, 0, false],
    [100, 100, false],
    [-1, DEFAULT_JOURNAL_SYNC_MS, true],
    [5000, DEFAULT_JOURNAL_SYNC_MS, true],
    ['20', DEFAULT_JOURNAL_SYNC_MS, true],
    [Number.NaN, DEFAULT_JOURNAL_SYNC_MS, true],
  ];
  for (const [value, ms, problem] of settings) {
    it(`heatpumpBatchJournalSyncMs ${typeof value === 'string' ? JSON.stringify(value) : String(value)} -> ${ms} ms${problem ? ' with a warning' : ''}`, function () {
      const resolved = resolveJournalSyncMs(value);
      assert.deepEqual([resolved.ms, resolved.problem !== undefined], [ms, problem]);
    });
  }
});
