import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InfluxPoint } from '../../nodes/shared/contract';
import { readingToPoint } from '../../nodes/shared/points';
import { DEFAULT_SPOOL_MB, Spool, decodeBatch, encodeBatch, packBatch, unpackBatch } from '../../nodes/heatpump-batch/spool';
import { decodeMessage, defaultOptions } from '../../nodes/heatpump-decode/decode';
import { createDevice, simulatedDeviceIds, stepDevice } from '../../scripts/lib/sim-model';

const point = (i: number): InfluxPoint => ({ measurement: 'sensor_reading', tags: { device_id: `site${i % 3}` }, fields: { voltage: 230 + i, fan_running: true }, timestamp: new Date(1706600000000 + i * 1000) });
const batchOf = (from: number, count: number): InfluxPoint[] => Array.from({ length: count }, (_, i) => point(from + i));

describe('heatpump-batch spool', function () {
  let dir: string;
  beforeEach(function () {
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hp-spool-')), 'n1');
  });
  afterEach(function () {
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  it('touches no disk until the first batch is stored', function () {
    const spool = new Spool(fs, dir, 1e6);
    assert.equal(spool.batches, 0);
    assert.equal(spool.oldest(), undefined);
    assert.equal(fs.existsSync(dir), false);
  });

  it('keeps points, tags, fields and ms timestamps exactly (JSON with ms, Date again on the way out)', function () {
    const points = batchOf(0, 3);
    assert.deepEqual(decodeBatch(encodeBatch(points)), points);
    assert.ok(decodeBatch(encodeBatch(points))?.every((p) => p.timestamp instanceof Date));
    assert.deepEqual(unpackBatch(packBatch(points)), points, 'gzipped on disk, the same points back');
  });

  it("keeps a point's own retention policy, and stores none for a point without one", function () {
    const points = [{ ...point(0), retentionPolicy: 'autogen' }, point(1)];
    const back = unpackBatch(packBatch(points));
    assert.deepEqual(back, points);
    assert.equal(Object.prototype.hasOwnProperty.call(back?.[1], 'retentionPolicy'), false);
    assert.equal(decodeBatch(JSON.stringify([{ ...JSON.parse(encodeBatch([point(0)]))[0], retentionPolicy: 5 }])), undefined, 'a policy that is not a name is a damaged batch');
  });

  // table: operations, then the expected order of sequence numbers and the first points of each
  const cases: Array<{ name: string; run: (s: Spool) => void; seqs: number[]; firstVoltages: number[] }> = [
    { name: 'append keeps order', run: (s) => [0, 10, 20].forEach((f) => s.append(batchOf(f, 2))), seqs: [1, 2, 3], firstVoltages: [230, 240, 250] },
    {
      name: 'remove the oldest moves to the next',
      run: (s) => {
        [0, 10, 20].forEach((f) => s.append(batchOf(f, 2)));
        s.remove(1);
      },
      seqs: [2, 3],
      firstVoltages: [240, 250],
    },
    {
      name: 'remove from the middle and an unknown seq',
      run: (s) => {
        [0, 10, 20].forEach((f) => s.append(batchOf(f, 2)));
        s.remove(2);
        s.remove(99);
      },
      seqs: [1, 3],
      firstVoltages: [230, 250],
    },
    {
      name: 'sequence numbers never repeat after a remove',
      run: (s) => {
        s.append(batchOf(0, 1));
        s.remove(1);
        s.append(batchOf(10, 1));
      },
      seqs: [2],
      firstVoltages: [240],
    },
  ];
  for (const { name, run, seqs, firstVoltages } of cases) {
    it(name, function () {
      const spool = new Spool(fs, dir, 1e6);
      run(spool);
      const seen: number[][] = [];
      for (let b = spool.oldest(); b !== undefined; b = spool.oldest()) {
        seen.push([b.seq, b.points[0]?.fields.voltage as number]);
        spool.remove(b.seq);
      }
      assert.deepEqual(
        seen,
        seqs.map((seq, i) => [seq, firstVoltages[i]]),
      );
      assert.equal(spool.bytes, 0);
      assert.deepEqual(fs.readdirSync(dir), [], 'every file deleted');
    });
  }

  it('drops the oldest batches beyond maxBytes, counts their points, keeps the newest', function () {
    // gzipped batches differ by a few bytes: room for the three largest, never for four
    const sizes = [0, 100, 200, 300, 400].map((f) => packBatch(batchOf(f, 10)).length);
    assert.ok(4 * Math.min(...sizes) > 3 * Math.max(...sizes));
    const spool = new Spool(fs, dir, 3 * Math.max(...sizes));
    const outcomes = [0, 100, 200, 300, 400].map((f) => spool.append(batchOf(f, 10)));
    assert.deepEqual(
      outcomes.map((o) => [o.droppedBatches, o.droppedPoints]),
      [
        [0, 0],
        [0, 0],
        [0, 0],
        [1, 10],
        [1, 10],
      ],
    );
    assert.equal(spool.batches, 3);
    assert.equal(spool.points, 30);
    assert.equal(spool.oldest()?.seq, 3);
    assert.equal(fs.readdirSync(dir).length, 3);
  });

  it('keeps a single batch larger than maxBytes (the newest is never dropped)', function () {
    const spool = new Spool(fs, dir, 10);
    assert.deepEqual(spool.append(batchOf(0, 5)), { seq: 1, droppedPoints: 0, droppedBatches: 0 });
    assert.deepEqual(spool.append(batchOf(5, 5)), { seq: 2, droppedPoints: 5, droppedBatches: 1 });
    assert.equal(spool.batches, 1);
  });

  it('restores from the directory after a restart, in sequence order, and continues the numbering', function () {
    const first = new Spool(fs, dir, 1e6);
    for (let f = 0; f < 12; f += 1) first.append(batchOf(f * 10, 2)); // seq 1..12: 10 sorts after 9
    first.remove(1);
    const second = new Spool(fs, dir, 1e6);
    assert.equal(second.batches, 11);
    assert.equal(second.points, 22);
    assert.equal(second.bytes, first.bytes);
    assert.equal(second.corrupt, 0);
    const order: number[] = [];
    for (let b = second.oldest(); b !== undefined; b = second.oldest()) {
      order.push(b.seq);
      assert.deepEqual(b.points, batchOf((b.seq - 1) * 10, 2), 'same points and timestamps');
      second.remove(b.seq);
    }
    assert.deepEqual(order, [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.equal(second.append(batchOf(0, 1)).seq, 13);
  });

  const corrupt: Array<[string, string]> = [
    ['truncated JSON', '[{"measurement":"sensor_reading"'],
    ['not an array', '{"a":1}'],
    ['a point without timestamp', '[{"measurement":"m","tags":{},"fields":{}}]'],
  ];
  for (const [label, text] of corrupt) {
    it(`skips and counts a corrupt file on restore: ${label}`, function () {
      const first = new Spool(fs, dir, 1e6);
      first.append(batchOf(0, 1));
      first.append(batchOf(10, 1));
      fs.writeFileSync(path.join(dir, '000000000003.json'), text);
      fs.writeFileSync(path.join(dir, '000000000004.json.tmp'), 'half');
      fs.writeFileSync(path.join(dir, 'README'), 'not ours');
      const second = new Spool(fs, dir, 1e6);
      assert.equal(second.corrupt, 1);
      assert.equal(second.batches, 2);
      assert.equal(fs.existsSync(path.join(dir, '000000000003.json')), false, 'the corrupt file is deleted');
      assert.equal(second.append(batchOf(20, 1)).seq, 3);
    });
  }

  it('restores a 0.1.x spool of plain .json files, replays it first and continues after it', function () {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, '000000000001.json'), encodeBatch(batchOf(0, 2)));
    fs.writeFileSync(path.join(dir, '000000000002.json'), encodeBatch(batchOf(10, 3)));
    const spool = new Spool(fs, dir, 1e6);
    assert.deepEqual([spool.batches, spool.points, spool.corrupt], [2, 5, 0]);
    spool.append(batchOf(20, 1));
    const order: Array<[number, InfluxPoint[]]> = [];
    for (let b = spool.oldest(); b !== undefined; b = spool.oldest()) {
      order.push([b.seq, b.points]);
      spool.remove(b.seq);
    }
    assert.deepEqual(order, [
      [1, batchOf(0, 2)],
      [2, batchOf(10, 3)],
      [3, batchOf(20, 1)],
    ]);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('counts the points of a batch file damaged after it was written, and goes on with the next', function () {
    const spool = new Spool(fs, dir, 1e6);
    spool.append(batchOf(0, 4));
    spool.append(batchOf(10, 2));
    const [first] = fs.readdirSync(dir).sort();
    assert.equal(first, '000000000001-4.json.gz', 'the name holds the point count');
    fs.writeFileSync(path.join(dir, first), Buffer.from([0x1f, 0x8b, 0, 1, 2]));
    const reopened = new Spool(fs, dir, 1e6);
    assert.equal(reopened.points, 6, 'counted from the names, without reading the files');
    assert.equal(reopened.oldest()?.seq, 2);
    assert.equal(reopened.takeDamaged(), 4);
    assert.equal(reopened.takeDamaged(), 0);
    assert.equal(reopened.points, 2);
  });

  it('measures the default: a 5000-point batch of simulated readings gzipped, and how long the default spool lasts at 1,000 readings/s', function () {
    const options = defaultOptions();
    let now = 1706600000000;
    let devices = simulatedDeviceIds(1000).map((id) => createDevice(id, 42, now));
    const batch: InfluxPoint[] = [];
    for (let second = 0; second < 5; second += 1) {
      now += 1000;
      devices = devices.map((device) => {
        const step = stepDevice(device, now, { faultRate: 0.001 });
        for (const decoded of decodeMessage(step.reading, `heatpump/${device.id}/data`, options, now).readings) batch.push(readingToPoint(decoded.reading));
        return step.state;
      });
    }
    assert.equal(batch.length, 5000);
    const json = Buffer.byteLength(encodeBatch(batch));
    const packed = packBatch(batch).length;
    const perReading = packed / batch.length;
    const minutes = (DEFAULT_SPOOL_MB * 1024 * 1024) / perReading / 1000 / 60;
    // stated in spool.ts and the help: 1.68 MB as JSON, ~132 KB gzipped, ~26.5 bytes per reading, ~99 min in 150 MB
    console.log(`      5000-point batch: ${(json / 1e6).toFixed(2)} MB JSON, ${(packed / 1e3).toFixed(0)} KB gzipped (${perReading.toFixed(1)} B/reading); ${DEFAULT_SPOOL_MB} MB hold ${minutes.toFixed(0)} min at 1,000 readings/s`);
    assert.ok(minutes >= 60, `the default spool holds ${minutes.toFixed(0)} min, not an hour`);
  });
});
