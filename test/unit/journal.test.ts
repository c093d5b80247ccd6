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

const EIO = 'EIO: i/o error, fdatasync';

/**
 * node:fs with the calls that matter for durability recorded in order, each with the segment it
 * works on, named when it is opened ("1", or "other/1" outside the directory n1): a call on an fd
 * number that a later open reused would name the wrong file. The files are written for real;
 * fdatasync only starts, and the test ends it (finish) in the order the calls were made.
 */
function manualDisk(events: string[]): { fs: JournalFs; finish: (failure?: string) => void } {
  const names = new Map<number, string>();
  const started: Array<{ fd: number; done: (err: NodeJS.ErrnoException | null) => void }> = [];
  const name = (fd: number): string => names.get(fd) ?? `fd ${fd}`;
  const journalFs: JournalFs = {
    ...fs,
    openSync: (file: string, flags: 'a') => {
      const fd = fs.openSync(file, flags);
      const segment = String(Number(/(\d+)\.ndjson$/.exec(file)?.[1]));
      const dir = path.basename(path.dirname(file));
      names.set(fd, dir === 'n1' ? segment : `${dir}/${segment}`);
      return fd;
    },
    writeSync: (fd: number, text: string) => (events.push(`write ${name(fd)}`), fs.writeSync(fd, text)),
    fdatasync: (fd, done) => {
      events.push(`fdatasync ${name(fd)}`);
      started.push({ fd, done });
    },
    fdatasyncSync: (fd: number) => events.push(`fdatasyncSync ${name(fd)}`),
    closeSync: (fd: number) => (events.push(`close ${name(fd)}`), fs.closeSync(fd)),
    unlinkSync: (file: string) => (events.push(`unlink ${Number(/(\d+)\.ndjson$/.exec(file)?.[1])}`), fs.unlinkSync(file)),
  };
  return {
    fs: journalFs,
    finish: (failure) => {
      const sync = started.shift();
      assert.ok(sync, 'no fdatasync is running');
      events.push(failure === undefined ? `synced ${name(sync.fd)}` : `fdatasync ${name(sync.fd)} failed`);
      sync.done(failure === undefined ? null : Object.assign(new Error(failure), { code: 'EIO' }));
    },
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

/** an acknowledgement that records itself */
const recordAck =
  (events: string[], label: string): Ack =>
  (err) =>
    events.push(err ? `${label} failed: ${err.message}` : label);

describe('heatpump-batch journal durability (fdatasync off the event loop, group commit)', function () {
  let dir: string;
  beforeEach(function () {
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hp-journal-sync-')), 'n1');
  });
  afterEach(function () {
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  // table: journal operations (finish ends the oldest fdatasync running), then the file operations
  // and the syncs done, in order
  const cases: Array<{ name: string; run: (j: Journal, finish: (failure?: string) => void, ack: (label: string) => Ack) => void; events: string[] }> = [
    { name: 'sync after an append flushes it, done when the fdatasync ends', run: (j, finish, ack) => (j.append(points(0)), j.sync(ack('done')), finish()), events: ['write 1', 'fdatasync 1', 'synced 1', 'done'] },
    { name: 'a sync without an append since is done at once', run: (j, finish, ack) => (j.append(points(0)), j.sync(ack('a')), finish(), j.sync(ack('b'))), events: ['write 1', 'fdatasync 1', 'synced 1', 'a', 'b'] },
    { name: 'sync with no segment open is done at once', run: (j, _finish, ack) => j.sync(ack('done')), events: ['done'] },
    { name: 'two appends share one fdatasync', run: (j, finish, ack) => (j.append(points(0)), j.append(points(1)), j.sync(ack('done')), finish()), events: ['write 1', 'write 1', 'fdatasync 1', 'synced 1', 'done'] },
    { name: 'a sync asked for while one runs, nothing appended since: joins it', run: (j, finish, ack) => (j.append(points(0)), j.sync(ack('a')), j.sync(ack('b')), finish()), events: ['write 1', 'fdatasync 1', 'synced 1', 'a', 'b'] },
    {
      name: 'an append while a sync runs: the next sync waits for a second fdatasync',
      run: (j, finish, ack) => (j.append(points(0)), j.sync(ack('a')), j.append(points(1)), j.sync(ack('b')), finish(), finish()),
      events: ['write 1', 'fdatasync 1', 'write 1', 'synced 1', 'fdatasync 1', 'a', 'synced 1', 'b'],
    },
    { name: 'a cut syncs the segment and closes it after the fdatasync', run: (j, finish) => (j.append(points(0)), j.cut(1, []), finish()), events: ['write 1', 'fdatasync 1', 'synced 1', 'close 1'] },
    { name: 'a cut of a synced segment closes it at once', run: (j, finish, ack) => (j.append(points(0)), j.sync(ack('a')), finish(), j.cut(1, [])), events: ['write 1', 'fdatasync 1', 'synced 1', 'a', 'close 1'] },
    {
      name: 'a sync after a cut waits for the closing sync and the next segment',
      run: (j, finish, ack) => (j.append(points(0, 1)), j.cut(1, points(1)), j.sync(ack('done')), finish(), finish()),
      events: ['write 1', 'fdatasync 1', 'write 2', 'fdatasync 2', 'synced 1', 'close 1', 'synced 2', 'done'],
    },
    {
      name: 'a cut while a sync runs, appended since: a second fdatasync, then the close',
      run: (j, finish, ack) => (j.append(points(0)), j.sync(ack('a')), j.append(points(1)), j.cut(1, []), finish(), finish()),
      events: ['write 1', 'fdatasync 1', 'write 1', 'synced 1', 'fdatasync 1', 'a', 'synced 1', 'close 1'],
    },
    { name: 'a cut while a sync runs, nothing appended since: closed when it ends', run: (j, finish, ack) => (j.append(points(0)), j.sync(ack('a')), j.cut(1, []), finish()), events: ['write 1', 'fdatasync 1', 'synced 1', 'close 1', 'a'] },
    {
      name: 'a segment released while its closing sync runs is unlinked at once and closed after',
      run: (j, finish) => (j.append(points(0)), j.release(j.cut(1, [])), finish()),
      events: ['write 1', 'fdatasync 1', 'unlink 1', 'synced 1', 'close 1'],
    },
    { name: 'a failed fdatasync is given to the sync, and the next sync tries again', run: (j, finish, ack) => (j.append(points(0)), j.sync(ack('a')), finish(EIO), j.sync(ack('b')), finish()), events: ['write 1', 'fdatasync 1', 'fdatasync 1 failed', `a failed: ${EIO}`, 'fdatasync 1', 'synced 1', 'b'] },
    {
      name: 'a failed closing sync (none waiting) goes to the next sync only',
      run: (j, finish, ack) => (j.append(points(0)), j.cut(1, []), finish(EIO), j.sync(ack('a')), j.sync(ack('b'))),
      events: ['write 1', 'fdatasync 1', 'fdatasync 1 failed', 'close 1', `a failed: ${EIO}`, 'b'],
    },
    { name: 'discardAll closes without syncing (the files are deleted)', run: (j, _finish, ack) => (j.append(points(0)), j.discardAll(), j.sync(ack('a'))), events: ['write 1', 'close 1', 'unlink 1', 'a'] },
    {
      name: 'discardAll while a sync runs: the fd is closed only when the fdatasync ended',
      run: (j, finish, ack) => (j.append(points(0)), j.sync(ack('a')), j.discardAll(), finish()),
      events: ['write 1', 'fdatasync 1', 'unlink 1', 'synced 1', 'close 1', 'a'],
    },
    { name: 'syncNow (a close) blocks on what a running sync covers too', run: (j, finish, ack) => (j.append(points(0)), j.sync(ack('a')), j.syncNow(), finish()), events: ['write 1', 'fdatasync 1', 'fdatasyncSync 1', 'synced 1', 'a'] },
  ];
  for (const c of cases) {
    it(c.name, function () {
      const events: string[] = [];
      const disk = manualDisk(events);
      c.run(new Journal(disk.fs, dir), disk.finish, (label) => recordAck(events, label));
      assert.deepEqual(events, c.events);
    });
  }

  it('a late fdatasync end never closes an fd number another open reused', function () {
    const events: string[] = [];
    const disk = manualDisk(events);
    const closing = new Journal(disk.fs, dir);
    closing.append(points(0));
    closing.sync(recordAck(events, 'a'));
    closing.discardAll();
    const other = new Journal(disk.fs, path.join(path.dirname(dir), 'other'));
    other.append(points(1));
    disk.finish();
    assert.deepEqual(events, ['write 1', 'fdatasync 1', 'unlink 1', 'write other/1', 'synced 1', 'close 1', 'a']);
    other.discardAll();
  });

  // table: messages through group commit and the journal (a message appends its point and commits);
  // timer fires the last scheduled sync, finish/fail end the oldest fdatasync running
  type Step = 'message' | 'timer' | 'finish' | 'fail' | 'cut' | 'cut holding the last' | 'flush' | 'close';
  const groupCases: Array<{ name: string; intervalMs: number; steps: Step[]; events: string[] }> = [
    {
      name: 'messages wait for the timer and share one fdatasync',
      intervalMs: 25,
      steps: ['message', 'message', 'timer', 'finish'],
      events: ['write 1', 'write 1', 'fdatasync 1', 'synced 1', 'ack m0', 'ack m1'],
    },
    {
      name: 'a message during a sync waits for the next sync',
      intervalMs: 25,
      steps: ['message', 'timer', 'message', 'finish', 'timer', 'finish'],
      events: ['write 1', 'fdatasync 1', 'write 1', 'synced 1', 'ack m0', 'fdatasync 1', 'synced 1', 'ack m1'],
    },
    {
      name: 'its interval over while a sync runs: the next sync starts when that one ends',
      intervalMs: 25,
      steps: ['message', 'timer', 'message', 'timer', 'finish', 'finish'],
      events: ['write 1', 'fdatasync 1', 'write 1', 'synced 1', 'ack m0', 'fdatasync 1', 'synced 1', 'ack m1'],
    },
    {
      name: 'interval 0: a sync at once; messages during it share the next',
      intervalMs: 0,
      steps: ['message', 'message', 'message', 'finish', 'finish'],
      events: ['write 1', 'fdatasync 1', 'write 1', 'write 1', 'synced 1', 'ack m0', 'fdatasync 1', 'synced 1', 'ack m1', 'ack m2'],
    },
    {
      name: 'a cut during a sync: the next acks wait for the closing sync',
      intervalMs: 25,
      steps: ['message', 'timer', 'message', 'cut', 'finish', 'timer', 'finish'],
      events: ['write 1', 'fdatasync 1', 'write 1', 'synced 1', 'fdatasync 1', 'ack m0', 'synced 1', 'close 1', 'ack m1'],
    },
    {
      name: 'a cut before the sync: the acks wait for the closed segment and the next one',
      intervalMs: 25,
      steps: ['message', 'cut holding the last', 'timer', 'finish', 'finish'],
      events: ['write 1', 'fdatasync 1', 'write 2', 'fdatasync 2', 'synced 1', 'close 1', 'synced 2', 'ack m0'],
    },
    {
      name: 'a failed sync goes to exactly the acks it covers',
      intervalMs: 25,
      steps: ['message', 'timer', 'message', 'fail', 'timer', 'finish'],
      events: ['write 1', 'fdatasync 1', 'write 1', 'fdatasync 1 failed', `ack m0 failed: ${EIO}`, 'fdatasync 1', 'synced 1', 'ack m1'],
    },
    {
      name: 'a failed closing sync goes to the acks of the next sync, not later ones',
      intervalMs: 25,
      steps: ['message', 'cut', 'fail', 'timer', 'message', 'timer', 'finish'],
      events: ['write 1', 'fdatasync 1', 'fdatasync 1 failed', 'close 1', `ack m0 failed: ${EIO}`, 'write 2', 'fdatasync 2', 'synced 2', 'ack m1'],
    },
    {
      name: 'flush (a close) during a sync: a blocking sync gives every ack, the late end none again',
      intervalMs: 25,
      steps: ['message', 'timer', 'message', 'flush', 'finish'],
      events: ['write 1', 'fdatasync 1', 'write 1', 'fdatasyncSync 1', 'ack m0', 'ack m1', 'synced 1'],
    },
    {
      name: 'the node closed during a sync: the fd is closed after the fdatasync ended',
      intervalMs: 25,
      steps: ['message', 'timer', 'close', 'finish'],
      events: ['write 1', 'fdatasync 1', 'fdatasyncSync 1', 'ack m0', 'unlink 1', 'synced 1', 'close 1'],
    },
  ];
  for (const c of groupCases) {
    it(c.name, function () {
      const events: string[] = [];
      const disk = manualDisk(events);
      const journal = new Journal(disk.fs, dir);
      const { schedule, timers } = manualSchedule();
      const commit = new GroupCommit(journal, c.intervalMs, schedule);
      let messages = 0;
      const run: Record<Step, () => void> = {
        message: () => {
          const label = `ack m${messages}`;
          journal.append(points(messages++));
          commit.commit(recordAck(events, label));
        },
        timer: () => timers.at(-1)?.run(),
        finish: () => disk.finish(),
        fail: () => disk.finish(EIO),
        cut: () => journal.cut(1, []),
        'cut holding the last': () => journal.cut(1, points(messages - 1)),
        flush: () => commit.flush(),
        close: () => (commit.flush(), journal.discardAll()),
      };
      for (const step of c.steps) run[step]();
      assert.deepEqual(events, c.events);
    });
  }

  it('group commit schedules one timer per interval and keeps count of what waits', function () {
    const disk = manualDisk([]);
    const journal = new Journal(disk.fs, dir);
    const { schedule, timers } = manualSchedule();
    const commit = new GroupCommit(journal, 25, schedule);
    for (const i of [0, 1, 2]) {
      journal.append(points(i));
      commit.commit(() => undefined);
    }
    assert.deepEqual([timers.length, timers[0]?.ms, commit.pending], [1, 25, 3]);
    timers[0]?.run();
    assert.equal(commit.pending, 0, 'taken by the sync running');
    journal.append(points(3));
    commit.commit(() => undefined);
    assert.deepEqual([timers.length, commit.pending], [2, 1], 'a message during the sync schedules the next');
  });

  it('flush cancels the timer and with nothing waiting syncs nothing', function () {
    const events: string[] = [];
    const disk = manualDisk(events);
    const journal = new Journal(disk.fs, dir);
    const { schedule, timers } = manualSchedule();
    const commit = new GroupCommit(journal, 25, schedule);
    journal.append(points(0));
    commit.commit(recordAck(events, 'ack 0'));
    commit.flush();
    assert.equal(timers[0]?.cancelled, true);
    commit.flush();
    assert.deepEqual(events, ['write 1', 'fdatasyncSync 1', 'ack 0']);
  });

  it('with node:fs the ack comes once the fdatasync on the thread pool ended, and the segment replays', async function () {
    const journal = new Journal(fs, dir);
    const commit = new GroupCommit(journal, 0, () => () => undefined);
    journal.append(points(0));
    journal.cut(1, points(0));
    journal.append(points(1));
    const failure = await new Promise<Error | undefined>((resolve) => commit.commit(resolve));
    assert.equal(failure, undefined);
    assert.deepEqual(stampsOf(new Journal(fs, dir).leftover().points), [0, 1]);
    journal.discardAll();
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
