// The fleet's state owner at scale (heatpump-fleet, FleetState): a report per reading beside a
// plain Map.set of the latest reading, the cost of one delivery after a whole fleet changed, and
// what a restart costs with 100k devices (save, JSON round trip as the file store does, restore),
// and one flush of Node-RED's file context store with the state saved as JSON text (saveAsText)
// beside the same state saved as an object, and the fleet's own files (a save of the devices changed
// in 5 s, a snapshot now and then) beside that flush, each beside a baseline measured in the same run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { durableFs, FleetFiles } from '../nodes/heatpump-fleet/fleet-files';
import { FleetState } from '../nodes/heatpump-fleet/fleet-state';
import type { Reading } from '../nodes/shared/contract';
import { saveAsText, saveState, type ContextLike } from '../nodes/shared/persist';
import { printComparison, throughput } from './measure';

export const title = 'heatpump-fleet: the state owner at 100k devices';

const DEVICES = 100_000;
const T0 = 1_706_600_000_000;

const ids = Array.from({ length: DEVICES }, (_, i) => `site-${String(i).padStart(6, '0')}`);
const reading = (id: string, at: number): Reading => ({ device_id: id, timestamp: at, temp_inlet: 45.2, temp_outlet: 50.1, voltage: 230.5, current: 8.5, power: 1959.25, compressor_running: true });

async function timeAsync(work: () => Promise<void>): Promise<{ ms: number }> {
  const start = performance.now();
  await work();
  return { ms: performance.now() - start };
}

function time<T>(work: () => T): { ms: number; value: T } {
  const start = performance.now();
  const value = work();
  return { ms: performance.now() - start, value };
}

export async function run(): Promise<void> {
  const fleet = new FleetState(T0, true);
  const latest = new Map<string, Reading>();
  let n = 0;
  const readings = ids.map((id) => reading(id, T0));
  printComparison(
    throughput('FleetState.reading (100k devices)', () => {
      const r = readings[n++ % DEVICES] as Reading;
      fleet.reading(r, [], T0 + n);
    }),
    throughput('Map.set latest reading (baseline)', () => {
      const r = readings[n++ % DEVICES] as Reading;
      latest.set(r.device_id, r);
    }),
  );

  // every device goes offline in one check: one delivery carries them all, once
  fleet.takeChanges();
  const offline = time(() => {
    for (const id of ids) fleet.presence({ event: 'device_offline', device_id: id, last_seen: T0, reason: 'timeout', timestamp: T0 + 1 });
  });
  const delivery = time(() => fleet.takeChanges());
  const mapScan = time(() => [...latest.values()].length);
  console.log(`  100k devices offline: ${offline.ms.toFixed(1)} ms to report, one delivery of ${delivery.value.devices.length} records in ${delivery.ms.toFixed(1)} ms (copying every value of a Map: ${mapScan.ms.toFixed(1)} ms, baseline)`);
  console.log(`  summary after it: ${JSON.stringify(fleet.summary())}, no recount (kept per report)`);

  // a restart: save, the file store's JSON round trip, restore
  const saved = time(() => JSON.stringify(fleet.toJSON()));
  const parsed = time(() => JSON.parse(saved.value) as unknown);
  const restored = new FleetState(T0, true);
  const restore = time(() => restored.restore(parsed.value));
  const baseline = time(() => new Map((parsed.value as { devices: { device_id: string }[] }).devices.map((d) => [d.device_id, d])));
  console.log(`  restart with 100k devices (${(saved.value.length / 1e6).toFixed(1)} MB saved): stringify ${saved.ms.toFixed(0)} ms, parse ${parsed.ms.toFixed(0)} ms, restore ${restore.ms.toFixed(0)} ms (skipped ${restore.value.skipped}); a Map from the same entries ${baseline.ms.toFixed(0)} ms (baseline)`);
  if (restored.size !== DEVICES || restored.summary().offline !== DEVICES) throw new Error('restore lost devices');

  const object = await fileStoreFlush('object', (context, state) => saveState(context, 'fleet', state));
  const text = await fileStoreFlush('text', (context, state) => saveAsText(context, 'fleet', () => state));
  console.log(
    `  file context store, one flush of the 100k-device fleet: saved as JSON text ${text.ms.toFixed(0)} ms, ${(text.bytes / 1e6).toFixed(1)} MB; saved as an object (baseline) ${object.ms.toFixed(0)} ms, ${(object.bytes / 1e6).toFixed(1)} MB: ${(object.ms / text.ms).toFixed(1)}x the time`,
  );

  // the fleet's own files (Save: changed devices, in files), saved every 5 s: at the firmware's
  // cadence (a message per device every 5 minutes) 1/60 of the devices change between two saves
  const filesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-fleet-files-'));
  try {
    const saver = new FleetFiles(durableFs, filesDir);
    const snapshot = await timeAsync(() => saver.save(restored));
    const changed = Math.round(DEVICES / 60);
    for (const id of ids.slice(0, changed)) restored.reading(reading(id, T0 + 120_000), [], T0 + 120_000);
    const append = await timeAsync(() => saver.save(restored));
    const logBytes = fs.statSync(path.join(filesDir, 'changes-000000000001.ndjson')).size;
    const snapshotBytes = fs.statSync(path.join(filesDir, 'snapshot-000000000001.json')).size;
    const savesPerSnapshot = Math.ceil(snapshotBytes / logBytes);
    const perMinute = 12 * append.ms + (12 / savesPerSnapshot) * snapshot.ms;
    const megabytesPerMinute = (12 * logBytes + (12 / savesPerSnapshot) * snapshotBytes) / 1e6;
    console.log(
      `  the fleet's own files (Save: changed devices): a save of ${changed} changed devices ${append.ms.toFixed(1)} ms (${(logBytes / 1e6).toFixed(2)} MB appended), ` +
        `a snapshot of all 100k ${snapshot.ms.toFixed(0)} ms every ${savesPerSnapshot} saves: ${perMinute.toFixed(0)} ms and ${megabytesPerMinute.toFixed(1)} MB a minute; ` +
        `the file context store's flush of the whole fleet every 30 s (baseline) ${(2 * text.ms).toFixed(0)} ms and ${((2 * text.bytes) / 1e6).toFixed(1)} MB a minute: ` +
        `${((2 * text.ms) / perMinute).toFixed(1)}x the time, ${((2 * text.bytes) / 1e6 / megabytesPerMinute).toFixed(1)}x the bytes`,
    );
  } finally {
    fs.rmSync(filesDir, { recursive: true, force: true });
  }

  /** Node-RED's own localfilesystem store: the state set under one key, then the time of the flush its close makes. */
  async function fileStoreFlush(name: string, save: (context: ContextLike, state: unknown) => Promise<void>): Promise<Flush> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-flush-${name}-`));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const open = require('@node-red/runtime/lib/nodes/context/localfilesystem') as (config: object) => FileStore;
    const store = open({ dir, cache: true, flushInterval: 3600 });
    try {
      await store.open();
      const context: ContextLike = { get: () => undefined, set: (key, value, _store, callback) => store.set('fleet-node', key, value, callback) };
      await save(context, restored.toJSON());
      const start = performance.now();
      await store.close();
      const ms = performance.now() - start;
      const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((file) => path.join(dir, file)).filter((file) => fs.statSync(file).isFile());
      return { ms, bytes: files.reduce((sum, file) => sum + fs.statSync(file).size, 0) };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

interface Flush {
  ms: number;
  bytes: number;
}

interface FileStore {
  open(): Promise<void>;
  set(scope: string, key: string, value: unknown, callback: (err?: Error | null) => void): void;
  close(): Promise<void>;
}
