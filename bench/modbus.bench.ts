// 100 heat pumps x 60 registers polled every 10 s, one Modbus TCP connection per heat pump, against
// one pymodbus process serving 100 ports: Node-RED CPU %, poll cadence jitter (p99, from the
// times the server saw each poll's first request) and requests per poll, with block coalescing and, in the same
// run, with one request per register as the baseline (the same 60 registers spread one address
// apart, so that no two can share a read); and the cadence of the others while a tenth of the units
// stop answering.
import { execFileSync } from 'node:child_process';
import { PYTHON, ModbusServer, type ServerSpec } from '../test/support/modbus-server';
import { processUsage, startNodeRedChild } from './child';
import { percentile } from './measure';

export const title = 'modbus-poll: 100 heat pumps x 60 registers every 10 s';

const PUMPS = Number(process.env.BENCH_MODBUS_PUMPS ?? 100);
const SECONDS = Number(process.env.BENCH_MODBUS_SECONDS ?? 30);
const INTERVAL_S = 10;
/** 60 registers: 6 clusters of 10 neighbours (input int16), as a pump's documented blocks tend to be */
const REGISTERS = 60;
const CLUSTER = 10;
const CLUSTER_GAP = 20;

interface Layout {
  name: string;
  /** address of register i */
  address: (i: number) => number;
}

const COALESCED: Layout = { name: 'coalesced', address: (i) => Math.floor(i / CLUSTER) * (CLUSTER + CLUSTER_GAP) + (i % CLUSTER) };
const SINGLE: Layout = { name: 'one request per register', address: (i) => i * 2 };

function registersYaml(layout: Layout): string {
  const lines = ['models:', '  bench:', '    registers:'];
  for (let i = 0; i < REGISTERS; i++) lines.push(`      - {name: r${i}, address: ${layout.address(i)}, register_type: input, data_type: int16, scale: 0.1}`);
  return lines.join('\n');
}

function bank(layout: Layout): Record<number, number> {
  const words: Record<number, number> = {};
  for (let i = 0; i < REGISTERS; i++) words[layout.address(i)] = 200 + i;
  return words;
}

function flows(layout: Layout, ports: number[]): object[] {
  const yaml = registersYaml(layout);
  return [
    { id: 'bench-tab', type: 'tab', label: 'modbus bench' },
    ...ports.flatMap((port, i) => [
      { id: `conn-${i}`, type: 'modbus-connection', transport: 'tcp', host: '127.0.0.1', port, timeout: 2000, timeoutUnit: 'ms', retries: 1 },
      {
        id: `poll-${i}`,
        type: 'modbus-poll',
        z: 'bench-tab',
        x: 200,
        y: 40 + i * 40,
        connection: `conn-${i}`,
        deviceId: `hp-${String(i).padStart(3, '0')}`,
        unitId: 1,
        interval: INTERVAL_S,
        mapSource: 'yaml',
        yaml,
        wires: [[], [], []],
      },
    ]),
  ];
}

interface PhaseResult {
  layout: string;
  cpuPercent: number;
  peakRssMiB: number;
  polls: number;
  requestsPerPoll: number;
  jitterP50: number;
  jitterP99: number;
  jitterMax: number;
}

/** Poll starts of a unit: the requests for the lowest address (every poll reads it first: planReads goes in address order). */
function pollStarts(requests: [number, number][], firstAddress: number): number[] {
  return requests.filter(([, address]) => address === firstAddress).map(([time]) => time);
}

/** pumps that stop answering as the measurement starts (in the silent-units phase) */
const SILENT = Math.ceil(PUMPS / 10);

async function phase(layout: Layout, silent = 0): Promise<PhaseResult> {
  const servers: ServerSpec[] = Array.from({ length: PUMPS }, (_, i) => ({ name: String(i), tcp: { port: 0 }, units: { 1: { input: bank(layout) } } }));
  const server = await ModbusServer.start(servers);
  try {
    const child = await startNodeRedChild(`modbus ${layout.name}`, flows(layout, server.ports), {});
    // the first poll of each node connects; measure from the second interval on
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await server.resetStats();
    for (let i = 0; i < silent; i++) await server.silence(String(i), 1);
    const before = processUsage(child.process.pid ?? 0);
    const start = performance.now();
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    const after = processUsage(child.process.pid ?? 0);
    const wall = (performance.now() - start) / 1000;
    const times = await server.times();
    await child.stop();
    let polls = 0;
    let requests = 0;
    const deviations: number[] = [];
    for (const [name, units] of Object.entries(times)) {
      if (Number(name) < silent) continue; // a silent unit's requests never reach the server's count
      const unitRequests = units['1'] ?? [];
      const starts = pollStarts(unitRequests, layout.address(0));
      // whole polls only: from the first start seen to the last (a poll cut by the window's edges would skew the count)
      if (starts.length >= 2) {
        polls += starts.length - 1;
        requests += unitRequests.filter(([time]) => time >= starts[0]! && time < starts[starts.length - 1]!).length;
      }
      for (let i = 1; i < starts.length; i++) deviations.push(Math.abs((starts[i]! - starts[i - 1]!) * 1000 - INTERVAL_S * 1000));
    }
    deviations.sort((a, b) => a - b);
    return {
      layout: silent > 0 ? `${layout.name}, ${silent} silent` : layout.name,
      cpuPercent: ((after.cpuSeconds - before.cpuSeconds) / wall) * 100,
      peakRssMiB: after.peakRssMiB,
      polls,
      requestsPerPoll: requests / Math.max(1, polls),
      jitterP50: percentile(deviations, 50),
      jitterP99: percentile(deviations, 99),
      jitterMax: deviations[deviations.length - 1] ?? NaN,
    };
  } finally {
    await server.stop();
  }
}

export async function run(): Promise<void> {
  try {
    execFileSync(PYTHON, ['-c', 'import pymodbus.server.async_io'], { stdio: 'ignore' });
  } catch {
    console.log(`  skipped: ${PYTHON} cannot import pymodbus (apt-get install -y python3-pymodbus)`);
    return;
  }
  console.log(`  ${PUMPS} heat pumps, ${REGISTERS} registers each, every ${INTERVAL_S} s, one connection each; ${SECONDS} s measured per layout`);
  const results = [await phase(COALESCED), await phase(SINGLE), await phase(COALESCED, SILENT)];
  for (const r of results) {
    console.log(
      `  ${r.layout.padEnd(26)} Node-RED CPU ${r.cpuPercent.toFixed(1)} %  peak RSS ${r.peakRssMiB.toFixed(0)} MiB  ` +
        `${r.polls} polls  ${r.requestsPerPoll.toFixed(1)} requests/poll  cadence jitter p50 ${r.jitterP50.toFixed(0)} ms p99 ${r.jitterP99.toFixed(0)} ms max ${r.jitterMax.toFixed(0)} ms`,
    );
  }
  console.log(`  (with ${SILENT} silent: figures of the ${PUMPS - SILENT} that answer; each silent one holds only its own connection, 2 x 2 s per attempt, then backs off)`);
  const [coalesced, single] = results;
  if (coalesced && single) console.log(`  coalescing: ${(single.requestsPerPoll / coalesced.requestsPerPoll).toFixed(1)}x fewer requests, CPU ${(single.cpuPercent / Math.max(0.01, coalesced.cpuPercent)).toFixed(1)}x lower`);
}
