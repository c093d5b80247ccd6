import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InfluxPoint } from '../../nodes/shared/contract';
import { readingToPoint } from '../../nodes/shared/points';
import { DEFAULT_SPOOL_MB, Spool, decodeBatch, encodeBatch } from '../../nodes/heatpump-batch/spool';
import { seedReading } from '../fixtures/payloads';

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
    const size = Buffer.byteLength(encodeBatch(batchOf(0, 10)));
    const spool = new Spool(fs, dir, size * 3);
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

  it('measures the default: a 5000-point batch of readings as JSON, and how many fit in the default spool', function () {
    const reading = readingToPoint(seedReading({}));
    const batch = Array.from({ length: 5000 }, (_, i) => ({ ...reading, timestamp: new Date(1706600000000 + i * 1000) }));
    const bytes = Buffer.byteLength(encodeBatch(batch));
    const batches = Math.floor((DEFAULT_SPOOL_MB * 1024 * 1024) / bytes);
    // stated in the help: a 5000-point batch is about 1.65 MB; 100 MB hold about 63 batches = 315,000 readings
    console.log(`      5000-point batch: ${(bytes / 1e6).toFixed(2)} MB; ${DEFAULT_SPOOL_MB} MB hold ${batches} batches (${batches * 5000} points)`);
    assert.ok(bytes > 1_400_000 && bytes < 1_900_000, `${bytes} bytes`);
  });
});
