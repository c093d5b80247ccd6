import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InfluxPoint } from '../../nodes/shared/contract';
import { Journal } from '../../nodes/heatpump-batch/journal';

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
