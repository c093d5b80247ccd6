// heatpump-batch's write-ahead journal: appends/s of one reading's points, cut into a segment per
// 1,000 points as the node cuts batches, without fdatasync (a power cut may lose the last appends),
// with one fdatasync per message, and with group commit (one fdatasync per 20 ms, the default of
// heatpumpBatchJournalSyncMs; modelled in this synchronous loop as "sync when 20 ms have passed",
// which is what the timer does while messages keep coming). The node runs fdatasync on the libuv
// thread pool; this loop runs it in line, so it measures what the disk costs per append. All on the
// same disk in the same run.
// BENCH_JOURNAL_DIR picks the disk (default: the OS temp directory).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_JOURNAL_SYNC_MS } from '../nodes/heatpump-batch/group-commit';
import { Journal, type JournalFs } from '../nodes/heatpump-batch/journal';
import { toPoints } from '../nodes/shared/points';
import { devicePayload } from '../test/fixtures/payloads';
import { decodeMessage, defaultOptions } from '../nodes/heatpump-decode/decode';
import { formatRate, throughput } from './measure';

export const title = 'heatpump-batch journal: appends/s with and without fdatasync';

const POINTS_PER_SEGMENT = 1000;
const NOW = 1706600000000;

export async function run(): Promise<void> {
  const base = fs.mkdtempSync(path.join(process.env.BENCH_JOURNAL_DIR ?? os.tmpdir(), 'heatpump-bench-journal-'));
  const decoded = decodeMessage(JSON.stringify(devicePayload({ timestamp: NOW })), 'heatpump/site1/data', defaultOptions(), NOW);
  const converted = toPoints(decoded.readings.map((r) => r.reading));
  if (!converted.ok) throw new Error(`bench reading gives no points: ${converted.error}`);
  const points = converted.value.points;
  /** fdatasync in line: a cut's sync ends before the next append, as the loop never yields */
  const inlineSync = (sync: (fd: number) => void): JournalFs['fdatasync'] => (fd, done) => {
    try {
      sync(fd);
      done(null);
    } catch (thrown) {
      done(thrown as NodeJS.ErrnoException);
    }
  };
  const syncedFs: JournalFs = { ...fs, fdatasync: inlineSync(fs.fdatasyncSync) };
  const unsyncedFs: JournalFs = { ...fs, fdatasync: inlineSync(() => undefined) };
  console.log(`  ${points.length} point(s) per reading, a segment cut every ${POINTS_PER_SEGMENT} points, in ${base}`);

  const variant = (label: string, journalFs: JournalFs, syncEveryMs: number | undefined, minMs: number) => {
    const journal = new Journal(journalFs, path.join(base, label.replace(/\W+/g, '-')));
    let held = 0;
    let lastSync = performance.now();
    const result = throughput(label, () => {
      journal.append(points);
      held += points.length;
      if (syncEveryMs !== undefined && performance.now() - lastSync >= syncEveryMs) {
        journal.syncNow();
        lastSync = performance.now();
      }
      if (held >= POINTS_PER_SEGMENT) {
        journal.release(journal.cut(1, []));
        held = 0;
      }
    }, 1, minMs);
    journal.discardAll();
    return result;
  };
  try {
    const results = [
      variant('no fdatasync (power cut may lose appends)', unsyncedFs, undefined, 2000),
      variant('fdatasync per message (sync 0 ms)', syncedFs, 0, 5000),
      variant(`group commit (sync every ${DEFAULT_JOURNAL_SYNC_MS} ms)`, syncedFs, DEFAULT_JOURNAL_SYNC_MS, 5000),
    ];
    const baseline = results[0]!.opsPerSecond;
    for (const r of results) {
      console.log(`  ${r.label.padEnd(46)} ${formatRate(r.opsPerSecond).padStart(12)} messages  ${(r.opsPerSecond / baseline * 100).toFixed(1).padStart(6)} % of unsynced  (${r.iterations} appends in ${(r.milliseconds / 1000).toFixed(1)} s)`);
    }
    console.log(`  the product's normal rate is 1,000 readings/s: a policy below that rate would hold the pipeline back`);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}
