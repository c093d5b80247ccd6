// online-tracker at fleet scale: memory per tracked device, seen() throughput, and what a check
// tick costs, each beside a plain Map<string, number> (id -> last seen) measured in the same run.
import { PresenceTable } from '../nodes/online-tracker/presence';
import { answerMemoryChild, heapAfterGc, measureWithGc, printComparison, throughput } from './measure';

export const title = 'online-tracker: 100k devices';

const DEVICES = 100_000;
const TIMEOUT_MS = 600_000;
const T0 = 1_706_600_000_000;
const MEMORY_FLAG = '--online-tracker-memory';
const MEMORY_GOAL_BYTES = 500;
/** transitions per send in a mass expiry (online-tracker.ts EXPIRY_CHUNK) */
const EXPIRY_CHUNK = 500;

const deviceIds = (n: number) => Array.from({ length: n }, (_, i) => `site-${String(i).padStart(6, '0')}`);

interface MemoryFigures {
  idBytes: number;
  tableBytes: number;
  baselineBytes: number;
}

/** Heap growth per device; needs --expose-gc so that garbage does not count. */
function measureMemory(gc: () => void): MemoryFigures {
  const heap = () => heapAfterGc(gc);
  const start = heap();
  const ids = deviceIds(DEVICES);
  const afterIds = heap();
  const baseline = new Map<string, number>();
  ids.forEach((id, i) => baseline.set(id, T0 + i));
  const afterBaseline = heap();
  const table = new PresenceTable(TIMEOUT_MS);
  ids.forEach((id, i) => table.seen(id, T0 + i));
  const afterTable = heap();
  // Keep everything reachable until measured.
  if (ids.length + baseline.size + table.size === 0) throw new Error('unreachable');
  return {
    idBytes: (afterIds - start) / DEVICES,
    baselineBytes: (afterBaseline - afterIds) / DEVICES,
    tableBytes: (afterTable - afterBaseline) / DEVICES,
  };
}

function memoryFigures(): MemoryFigures {
  return measureWithGc(measureMemory, __filename, MEMORY_FLAG);
}

function filledTable(ids: string[]): PresenceTable {
  const table = new PresenceTable(TIMEOUT_MS);
  ids.forEach((id, i) => table.seen(id, T0 + i));
  return table;
}

function filledMap(ids: string[]): Map<string, number> {
  const map = new Map<string, number>();
  ids.forEach((id, i) => map.set(id, T0 + i));
  return map;
}

/** A naive check: scan every device each tick (what the expiry queues avoid). */
function scanAll(map: Map<string, number>, now: number): string[] {
  const expired: string[] = [];
  for (const [id, lastSeen] of map) if (now - lastSeen > TIMEOUT_MS) expired.push(id);
  return expired;
}

function bestOf(runs: number, work: () => void): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    work();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

export async function run(): Promise<void> {
  const memory = memoryFigures();
  const perDevice = memory.tableBytes + memory.idBytes;
  console.log(`  memory per device, ${DEVICES / 1000}k devices (heap delta after gc):`);
  console.log(`  ${'PresenceTable'.padEnd(44)} ${memory.tableBytes.toFixed(0).padStart(8)} B`);
  console.log(`  ${'Map<string, number> (baseline)'.padEnd(44)} ${memory.baselineBytes.toFixed(0).padStart(8)} B`);
  console.log(`  ${'device id string (held by either)'.padEnd(44)} ${memory.idBytes.toFixed(0).padStart(8)} B`);
  console.log(`  ratio ${(memory.tableBytes / memory.baselineBytes).toFixed(2)}x baseline; table + id ${perDevice.toFixed(0)} B, goal <= ${MEMORY_GOAL_BYTES} B: ${perDevice <= MEMORY_GOAL_BYTES ? 'met' : 'NOT met'}`);

  const ids = deviceIds(DEVICES);
  const table = filledTable(ids);
  const map = filledMap(ids);
  let i = 0;
  let now = T0 + DEVICES;
  const seen = throughput('PresenceTable.seen (online device)', () => {
    table.seen(ids[i++ % DEVICES] ?? '', now++);
  });
  let j = 0;
  let mapNow = T0 + DEVICES;
  const mapSet = throughput('Map.set (id -> last seen)', () => {
    map.set(ids[j++ % DEVICES] ?? '', mapNow++);
  });
  printComparison(seen, mapSet);

  // A tick in which nothing expires: the common case, every check interval.
  const quietTable = filledTable(ids);
  const quietMap = filledMap(ids);
  const quietNow = T0 + DEVICES + 1000;
  const tick = throughput('check tick, nothing expires (expiry queues)', () => {
    if (quietTable.expired(quietNow).length !== 0) throw new Error('nothing should expire');
  });
  const scan = throughput('check tick, nothing expires (scan every device)', () => {
    if (scanAll(quietMap, quietNow).length !== 0) throw new Error('nothing should expire');
  });
  printComparison(tick, scan);

  // The worst tick: the whole fleet falls silent at once.
  const late = T0 + DEVICES + TIMEOUT_MS + 1;
  let sweepMs = Infinity;
  for (let run = 0; run < 5; run++) {
    const fresh = filledTable(ids);
    const start = performance.now();
    const events = fresh.expired(late);
    sweepMs = Math.min(sweepMs, performance.now() - start);
    if (events.length !== DEVICES) throw new Error(`expected ${DEVICES} expiries, got ${events.length}`);
  }
  const scanMs = bestOf(5, () => scanAll(quietMap, late));
  console.log(`  expiry sweep, all ${DEVICES / 1000}k devices go offline: PresenceTable.expired ${sweepMs.toFixed(1)} ms, full Map scan ${scanMs.toFixed(1)} ms (baseline)`);

  // The same sweep as the node runs it: EXPIRY_CHUNK transitions per step, the event loop free
  // in between; the longest step is what holds the loop.
  let longestStepMs = Infinity;
  for (let run = 0; run < 5; run++) {
    const fresh = filledTable(ids);
    let longest = 0;
    let expired = 0;
    for (;;) {
      const start = performance.now();
      const chunk = fresh.expired(late, EXPIRY_CHUNK);
      longest = Math.max(longest, performance.now() - start);
      expired += chunk.length;
      if (chunk.length < EXPIRY_CHUNK) break;
    }
    if (expired !== DEVICES) throw new Error(`expected ${DEVICES} expiries, got ${expired}`);
    longestStepMs = Math.min(longestStepMs, longest);
  }
  console.log(`  the same sweep in chunks of ${EXPIRY_CHUNK} (as the node sends them): longest chunk ${longestStepMs.toFixed(2)} ms`);

  const summaryMs = bestOf(3, () => table.summary(now));
  console.log(`  fleet summary of ${DEVICES / 1000}k devices (sorted): ${summaryMs.toFixed(1)} ms, sent at most once per check interval`);

  // Start-up: restoring a persisted fleet, beside building a plain Map from the same entries.
  const saved = JSON.parse(JSON.stringify(filledTable(shuffledClock(ids)).toJSON())) as ReturnType<PresenceTable['toJSON']>;
  const oldLayout = { ...saved, devices: [...saved.devices].sort((a, b) => (a[0] < b[0] ? -1 : 1)) };
  const restoreMs = bestOf(5, () => PresenceTable.fromJSON(saved, TIMEOUT_MS));
  const unsortedMs = bestOf(5, () => PresenceTable.fromJSON(oldLayout, TIMEOUT_MS));
  const mapMs = bestOf(5, () => new Map(saved.devices.map((d) => [d[0], d[4]])));
  const saveMs = bestOf(5, () => table.toJSON());
  console.log(`  restore ${DEVICES / 1000}k persisted devices: fromJSON ${restoreMs.toFixed(1)} ms (saved in expiry order), ${unsortedMs.toFixed(1)} ms (older layout, sorted on load); Map from the entries ${mapMs.toFixed(1)} ms (baseline)`);
  console.log(`  save ${DEVICES / 1000}k devices: toJSON ${saveMs.toFixed(1)} ms, at most every 5 s`);
}

/** Ids seen in an order unrelated to their ids, as a real fleet reports. */
function shuffledClock(ids: string[]): string[] {
  const shuffled = [...ids];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j] ?? '', shuffled[i] ?? ''];
  }
  return shuffled;
}

answerMemoryChild(measureMemory, MEMORY_FLAG);
