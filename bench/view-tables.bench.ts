// fleet-view's devices table at fleet scale: memory per device and what a delivery of changed
// devices costs, each beside a plain Map<string, number> (id -> rank) measured in the same run.
// The table reads the fleet's records; it keeps a device's rank and places, and makes rows only
// for the first Max rows.
import type { DeviceRecord } from '../nodes/heatpump-fleet/fleet-state';
import { labelsFrom } from '../nodes/fleet-view/format';
import { rankOf } from '../nodes/fleet-view/rows';
import { DeviceTable, type Changed } from '../nodes/fleet-view/tables';
import { DEFAULT_MAX_ROWS } from '../nodes/fleet-view/views';
import { answerMemoryChild, heapAfterGc, measureWithGc, printComparison, throughput } from './measure';

export const title = 'fleet-view devices table: 100k devices';

const DEVICES = 100_000;
/** the shipped Fleet page's Max rows (blank: the default) */
const MAX_ROWS = DEFAULT_MAX_ROWS;
/** devices changed in a delivery at the firmware's cadence: 100,000 devices every 5 minutes, one delivery a second */
const DELIVERY = 333;
const T0 = 1_706_600_000_000;
const MEMORY_FLAG = '--view-tables-memory';
const labels = labelsFrom((key) => key.slice(key.lastIndexOf('.') + 1));

function fleetRecords(): Map<string, DeviceRecord> {
  const records = new Map<string, DeviceRecord>();
  for (let i = 0; i < DEVICES; i++) {
    const id = `site-${String(i).padStart(6, '0')}`;
    const reading = { device_id: id, timestamp: T0 + i, temp_inlet: 40 + (i % 7), temp_outlet: 45.5, temp_compressor: 70.2, power: 1100 + (i % 300), voltage: 230, current: 5 };
    records.set(id, { device_id: id, online: true, online_since: T0, last_seen: T0 + i, reading, alerts: {} });
  }
  return records;
}

const changesOf = (records: Map<string, DeviceRecord>): Changed[] => Array.from(records, ([id, record]) => ({ id, record }));

function filledTable(records: Map<string, DeviceRecord>, changes: Changed[]): DeviceTable {
  const table = new DeviceTable((id) => records.get(id), labels, MAX_ROWS);
  for (let i = 0; i < changes.length; i += DELIVERY) table.apply(changes.slice(i, i + DELIVERY));
  table.view();
  return table;
}

interface MemoryFigures {
  tableBytes: number;
  baselineBytes: number;
}

/** Heap growth per device; needs --expose-gc so that garbage does not count. */
function measureMemory(gc: () => void): MemoryFigures {
  const heap = () => heapAfterGc(gc);
  const records = fleetRecords();
  const changes = changesOf(records);
  const start = heap();
  const baseline = new Map<string, number>();
  for (const { id, record } of changes) if (record) baseline.set(id, rankOf(record));
  const afterBaseline = heap();
  const table = filledTable(records, changes);
  const afterTable = heap();
  // Keep everything reachable until measured.
  if (baseline.size + table.size + changes.length === 0) throw new Error('unreachable');
  return { baselineBytes: (afterBaseline - start) / DEVICES, tableBytes: (afterTable - afterBaseline) / DEVICES };
}

function memoryFigures(): MemoryFigures {
  return measureWithGc(measureMemory, __filename, MEMORY_FLAG);
}

export async function run(): Promise<void> {
  const memory = memoryFigures();
  console.log(`  memory per device, ${DEVICES / 1000}k devices (heap delta after gc; the fleet's records not counted):`);
  console.log(`  ${'DeviceTable'.padEnd(44)} ${memory.tableBytes.toFixed(0).padStart(8)} B`);
  console.log(`  ${'Map<string, number> (baseline)'.padEnd(44)} ${memory.baselineBytes.toFixed(0).padStart(8)} B`);
  console.log(`  ratio ${(memory.tableBytes / memory.baselineBytes).toFixed(2)}x baseline`);

  const records = fleetRecords();
  const changes = changesOf(records);
  const table = filledTable(records, changes);
  const ranks = new Map<string, number>();
  // deliveries of devices beyond the first rows, their rank unchanged: the common case
  let from = MAX_ROWS;
  const nextDelivery = () => {
    const delivery = changes.slice(from, from + DELIVERY);
    from = from + DELIVERY >= DEVICES - DELIVERY ? MAX_ROWS : from + DELIVERY;
    return delivery;
  };
  const applied = throughput(`DeviceTable.apply, ${DELIVERY} changed devices`, () => table.apply(nextDelivery()), DELIVERY);
  const baseline = throughput(`Map.set of their ranks`, () => {
    for (const { id, record } of nextDelivery()) if (record) ranks.set(id, rankOf(record));
  }, DELIVERY);
  printComparison(applied, baseline);
  const view = throughput(`DeviceTable.view, ${MAX_ROWS} rows`, () => table.view());
  console.log(`  ${view.label.padEnd(44)} ${(1000 / view.opsPerSecond).toFixed(3).padStart(8)} ms a view`);
}

answerMemoryChild(measureMemory, MEMORY_FLAG);
