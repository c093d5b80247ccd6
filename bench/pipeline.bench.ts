// End to end: simulated devices -> MQTT broker -> Node-RED flow -> influxd, counting the rows that
// land against the readings sent, all in one run against the same broker and database server:
// - the ceiling: bare `mqtt in` -> `json` -> a sink, no database (messages/s it passes);
// - the shipped flow with single-reading messages, as shipped and with the nodes' per-reading
//   defaults (heatpump-decode one message per reading, every reading to /api/ws: the before);
// - the shipped flow with firmware-shaped messages (arrays of 30 readings, the buffer flush);
// - the same pipeline built from stock nodes (mqtt in -> json -> function -> influxdb out);
// - publish -> /api/ws latency at 1,000 readings/s, and a fleet of 100,000 devices at the
//   firmware's cadence (one 30-reading message per device every 5 minutes).
// Every figure is printed beside its target. BENCH_CPU_PROFILE=<dir> writes a CPU profile of
// each Node-RED child, BENCH_HEAP_PROFILE=<dir> a profile of what it allocates in the measured part
// (bench/child.ts; summarise either with dist/bench/profile-top.js).
// BENCH_RUNS=fleet,ws (any of single (with the ceiling), per-reading, stock, arrays, fleet, ws) runs only those,
// and prints the targets they measure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { startBroker } from '../scripts/lib/broker';
import { findInfluxd, startInfluxd } from '../scripts/lib/influxd';
import { influxQuery, rowsOf, setupInfluxDb } from '../scripts/lib/influx-setup';
import { loadShippedFlows } from '../scripts/lib/shipped-flows';
import { processUsage, startNodeRedChild, type NodeRedChild } from './child';
import { percentile } from './measure';

export const title = 'End-to-end pipeline: devices -> MQTT -> Node-RED -> InfluxDB';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 100);
/**
 * single-reading messages per run, published as fast as the broker takes them: enough that the
 * shipped flow's last batch (it waits up to heatpump-batch's 1-s Max. wait; the bare flow has no
 * database) and its start (the first contact of every device, the JIT) weigh little in the rate.
 * 48,000 did not: one build measured 46 % of the ceiling with them (profiled) and 63 % with 150,000.
 */
const SINGLE_READINGS = Number(process.env.BENCH_READINGS ?? 150_000);
/** the stock pipeline (one HTTP write per message) lands a few hundred readings/s: fewer, or its run alone takes minutes */
const STOCK_READINGS = Number(process.env.BENCH_STOCK_READINGS ?? 12_000);
/**
 * 30-reading messages offered at BENCH_ARRAY_RATE readings/s, above the target: a run offered
 * exactly the target measures a little under it (the rate counts to the last row landed, after the
 * last batch's wait), which says nothing about whether the target is sustained
 */
const ARRAY_RATE = Number(process.env.BENCH_ARRAY_RATE ?? 25_000);
/** 30 s of it: a rate sustained, where 6 s measured the time to fill and write the first batch as much as the rate */
const ARRAY_READINGS = Number(process.env.BENCH_ARRAY_READINGS ?? ARRAY_RATE * 30);
const ARRAY_SIZE = 30;
/** the firmware samples every 10 s and flushes its buffer of 30 readings every 5 minutes */
const SAMPLE_MS = 10_000;
const WS_RATE = 1000;
const WS_SECONDS = Number(process.env.BENCH_WS_SECONDS ?? 20);
/** seconds of the same load before the measured ones (JIT, first contact of every device), not measured */
const WS_WARM_UP_SECONDS = 5;
/** devices of the /api/ws run: each sends a reading every 2 s */
const WS_DEVICES = 2000;
const FLEET_DEVICES = Number(process.env.BENCH_FLEET_DEVICES ?? 100_000);
/**
 * 2 minutes: the fleet's periodic work (its saves every 5 s, the context stores' every 30 s, the
 * old generation's collections) weighs differently in each minute; runs of 60 s measured 0.45 to
 * 0.55 cores on one build, two of 120 s 0.49 and 0.50
 */
const FLEET_SECONDS = Number(process.env.BENCH_FLEET_SECONDS ?? 120);
/** publishes not yet acknowledged by the broker at most (QoS 1) when publishing as fast as it goes */
const IN_FLIGHT = 1000;
const POLL_MS = 50;
const PATIENCE_MS = 90_000;

/** the runs to do (BENCH_RUNS), all by default */
const RUNS = new Set((process.env.BENCH_RUNS ?? 'single,per-reading,stock,arrays,fleet,ws').split(',').map((name) => name.trim()));

const TARGETS = {
  singleShareOfCeiling: 0.5,
  arrayReadingsPerSecond: 20_000,
  arrayP99Ms: 2000,
  wsP99Ms: 100,
  fleetCores: 0.5,
};

export const reading = (device: string, timestamp: number, n: number) => ({
  device,
  timestamp,
  version: '1.0.0',
  temperature: { inlet: 40 + (n % 10), outlet: 45 + (n % 7), ambient: 5 + (n % 3), compressor: 70 },
  electrical: { voltage: 230 + (n % 5), current: 8.5, power: 1959.25 },
  pressure: { high: 280, low: 70 },
  status: { compressor: true, fan: true, defrost: false },
  alerts: { voltage: 0, compressor_temp: 0, pressure_high: 0, pressure_low: 0, current: 0 },
  valid: { temp_inlet: true, temp_outlet: true, temp_ambient: true, temp_compressor: true, voltage: true, current: true, pressure_high: true, pressure_low: true },
});

/** The ceiling: what Node-RED passes from `mqtt in` through `json` into a sink, no database. */
function bareFlow(): object[] {
  return [
    { id: 'bare_tab', type: 'tab', label: 'bare ceiling' },
    { id: 'bare_broker', type: 'mqtt-broker', broker: '${MQTT_BROKER}', port: '${MQTT_PORT}', clientid: 'bare-bench', autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: false },
    { id: 'bare_in', type: 'mqtt in', z: 'bare_tab', topic: 'heatpump/+/data', qos: '1', datatype: 'utf8', broker: 'bare_broker', nl: false, rap: true, rh: 0, inputs: 0, wires: [['bare_json']] },
    { id: 'bare_json', type: 'json', z: 'bare_tab', property: 'payload', action: 'obj', pretty: false, wires: [['bare_sink']] },
    { id: 'bare_sink', type: 'debug', z: 'bare_tab', active: false, tosidebar: false, console: false, complete: 'false', wires: [] },
  ];
}

/** The shipped flow with the nodes' per-reading defaults: one message per reading, every reading to /api/ws. */
function perReadingFlows(): object[] {
  return loadShippedFlows().map((node) => {
    const { type } = node as { type?: string };
    if (type === 'heatpump-decode') return { ...node, output: 'reading' };
    if (type === 'threshold-alert') return { ...node, readingsEvery: '' };
    return node;
  });
}

/** The comparison pipeline, as an integrator would wire it from stock nodes. */
function stockFlow(influx: URL): object[] {
  const toFields = `const r = msg.payload;
msg.payload = [{
  time: new Date(r.timestamp),
  temp_inlet: r.temperature.inlet, temp_outlet: r.temperature.outlet,
  temp_ambient: r.temperature.ambient, temp_compressor: r.temperature.compressor,
  voltage: r.electrical.voltage, current: r.electrical.current, power: r.electrical.power,
  pressure_high: r.pressure.high, pressure_low: r.pressure.low,
  compressor_running: r.status.compressor, fan_running: r.status.fan, defrost_active: r.status.defrost
}, { device_id: r.device }];
return msg;`;
  return [
    { id: 'stock_tab', type: 'tab', label: 'stock pipeline' },
    { id: 'stock_broker', type: 'mqtt-broker', broker: '${MQTT_BROKER}', port: '${MQTT_PORT}', clientid: 'stock-bench', autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: false },
    { id: 'stock_influx', type: 'influxdb', hostname: influx.hostname, port: influx.port, protocol: 'http', database: '${INFLUXDB_DATABASE}', influxdbVersion: '1.x', usetls: false, timeout: '10' },
    { id: 'stock_in', type: 'mqtt in', z: 'stock_tab', topic: 'heatpump/+/data', qos: '1', datatype: 'utf8', broker: 'stock_broker', nl: false, rap: true, rh: 0, inputs: 0, wires: [['stock_json']] },
    { id: 'stock_json', type: 'json', z: 'stock_tab', property: 'payload', action: 'obj', pretty: false, wires: [['stock_fn']] },
    { id: 'stock_fn', type: 'function', z: 'stock_tab', func: toFields, outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], wires: [['stock_out']] },
    { id: 'stock_out', type: 'influxdb out', z: 'stock_tab', influxdb: 'stock_influx', measurement: 'sensor_reading', precision: '', retentionPolicy: '', database: 'database', precisionV18FluxV20: 'ms', retentionPolicyV18Flux: '', org: 'organisation', bucket: 'bucket', wires: [] },
  ];
}

interface Load {
  /** messages to publish */
  messages: number;
  /** readings per message: 1 publishes a reading object, more an array (the firmware's buffer flush) */
  perMessage: number;
  /** messages offered per second; undefined: as fast as the broker acknowledges them */
  messagesPerSecond: number | undefined;
  /** device ids used in turn */
  devices: number;
}

interface RunResult {
  name: string;
  sent: number;
  landed: number;
  readingsPerSecond: number;
  /** the rate the devices published at (the offered rate, when the load side keeps it) */
  publishedPerSecond: number;
  p50: number;
  p99: number;
  cpuSeconds: number;
  /** CPU seconds of the Node-RED child per wall second from the first publish to the last landing */
  cores: number;
  /** the same for this process (the devices' MQTT client, the broker, the row counting) and for influxd: when they near a core, they are the limit, not Node-RED */
  loadCores: number;
  influxdCores: number;
  peakRssMiB: number;
  /** deliveries between nodes per reading sent, and the path of the first message */
  deliveriesPerReading: number;
  path: string[];
}

const deviceName = (i: number) => `bench-${String(i).padStart(6, '0')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The payload of message n: distinct timestamps per device, so no row overwrites another. */
function payloadOf(load: Load, n: number, baseTime: number): { device: string; text: string } {
  const device = deviceName(n % load.devices);
  const round = Math.floor(n / load.devices);
  if (load.perMessage === 1) return { device, text: JSON.stringify(reading(device, baseTime + round * SAMPLE_MS, n)) };
  const start = baseTime + round * load.perMessage * SAMPLE_MS;
  const batch = Array.from({ length: load.perMessage }, (_, i) => reading(device, start + i * SAMPLE_MS, n + i));
  return { device, text: JSON.stringify(batch) };
}

/** Publishes the load, telling `onPublished` when each message went out; `olderMs` moves its timestamps back. */
async function publish(client: MqttClient, load: Load, onPublished: (n: number, at: number) => void, olderMs = 0): Promise<void> {
  const baseTime = Date.now() - 6 * 3600_000 - (load.messages / load.devices + 1) * load.perMessage * SAMPLE_MS - olderMs;
  const start = performance.now();
  let unacknowledged = 0;
  for (let n = 0; n < load.messages; n++) {
    if (load.messagesPerSecond !== undefined) {
      const wait = start + (n * 1000) / load.messagesPerSecond - performance.now();
      if (wait > 1) await sleep(wait);
    } else {
      while (unacknowledged >= IN_FLIGHT) await sleep(1);
    }
    const { device, text } = payloadOf(load, n, baseTime);
    unacknowledged += 1;
    client.publish(`heatpump/${device}/data`, text, { qos: 1 }, () => {
      unacknowledged -= 1;
    });
    onPublished(n, performance.now());
  }
}

/**
 * How a run sees readings land. `soFar` is polled every POLL_MS while the run goes on, so it must be
 * cheap; `exact` is asked when `soFar` says everything is in, and decides what landed. (A count of
 * the rows is exact but not cheap: 69 ms of influxd's CPU with 120,000 rows, 153 ms with 480,000,
 * measured here; polled every 50 ms it took a core from the 2-core box it measures.)
 */
interface Landing {
  soFar(child: NodeRedChild): Promise<number>;
  exact(child: NodeRedChild): Promise<number>;
}

/** Node-RED at rest: under this many cores over a second */
const QUIET_CORES = 0.05;

/**
 * Waits until Node-RED is at rest after a warm-up: its rows have landed, but what they set off
 * may still run (the event log records every device's first appearance; the context stores save),
 * and none of that belongs to the measured steady state.
 */
async function quiet(child: NodeRedChild, name: string): Promise<void> {
  const pid = child.process.pid ?? 0;
  const deadline = performance.now() + PATIENCE_MS;
  let before = processUsage(pid).cpuSeconds;
  for (;;) {
    await sleep(1000);
    const now = processUsage(pid).cpuSeconds;
    if (now - before < QUIET_CORES) return;
    if (performance.now() > deadline) throw new Error(`${name}: still busy ${(now - before).toFixed(2)} cores ${PATIENCE_MS / 1000} s after the warm-up landed`);
    before = now;
  }
}

/**
 * Runs `load` through `flows` in a fresh Node-RED and measures it. `warmUp`, when given, is
 * published first (an hour older, as fast as the broker takes it) and waited for; its rows, CPU
 * and time are not counted: the measured load then meets devices the flow knows already.
 */
async function runPipeline(name: string, flows: object[], env: Record<string, string>, influxdPid: number, load: Load, landing: Landing, warmUp?: Load): Promise<RunResult> {
  const child = await startNodeRedChild(name, flows, env);
  await sleep(1500); // MQTT subscriptions settle
  const client = mqtt.connect(`mqtt://127.0.0.1:${env.MQTT_PORT}`, { clientId: `bench-${name.replace(/\W+/g, '-')}` });
  await new Promise((resolve) => client.once('connect', resolve));
  let soFarBefore = 0;
  let exactBefore = 0;
  if (warmUp) {
    await publish(client, warmUp, () => undefined, 3600_000);
    const warmed = warmUp.messages * warmUp.perMessage;
    const deadline = performance.now() + PATIENCE_MS;
    while ((exactBefore = await landing.exact(child)) < warmed && performance.now() < deadline) await sleep(1000);
    if (exactBefore < warmed) throw new Error(`${name}: ${exactBefore} of ${warmed} warm-up readings landed`);
    await quiet(child, name);
    soFarBefore = await landing.soFar(child);
  }
  child.startHeapProfile();
  const deliveriesBefore = await deliveriesSoFar(child);
  const before = processUsage(child.process.pid ?? 0);
  const loadBefore = process.cpuUsage();
  const influxdBefore = processUsage(influxdPid);
  const total = load.messages * load.perMessage;
  /** when reading i (in publish order) was published */
  const publishedAt = new Float64Array(total);
  /** every poll of `soFar`: when, and how many had landed */
  const polledAt: number[] = [];
  const polledCount: number[] = [];
  let polling = false;
  const poller = setInterval(() => {
    if (polling) return;
    polling = true;
    void landing
      .soFar(child)
      .then((count) => {
        polledAt.push(performance.now());
        polledCount.push(count - soFarBefore);
      })
      // a poll that fails (InfluxDB stopping after the last run) counts nothing; the next one counts again
      .catch(() => undefined)
      .finally(() => {
        polling = false;
      });
  }, POLL_MS);
  const latestPoll = (): number => polledCount[polledCount.length - 1] ?? 0;

  const start = performance.now();
  await publish(client, load, (n, at) => publishedAt.fill(at, n * load.perMessage, (n + 1) * load.perMessage));
  const published = performance.now();
  const deadline = performance.now() + PATIENCE_MS;
  let landed = 0;
  let exactAt = -1;
  let lastPoll = -1;
  let stalledSince = performance.now();
  while (performance.now() < deadline) {
    await sleep(POLL_MS);
    const polled = latestPoll();
    // the exact count once the cheap one says all are in, again only when that one moved since
    if (polled >= total && polled !== exactAt) {
      exactAt = polled;
      landed = (await landing.exact(child)) - exactBefore;
      if (landed >= total) break;
    }
    // nothing more for 30 s (a write is retried for up to 30 s): what is missing is lost
    if (polled !== lastPoll) [lastPoll, stalledSince] = [polled, performance.now()];
    else if (performance.now() - stalledSince > 30_000) break;
  }
  clearInterval(poller);
  if (exactAt !== latestPoll()) landed = (await landing.exact(child)) - exactBefore;
  landed = Math.min(landed, total);
  // What `soFar` counted beyond the rows (InfluxDB's write counter also counts alert and status
  // points, and a point written twice) is taken as having landed first: the latencies err late.
  const beyond = Math.max(0, latestPoll() - landed);
  const landedAt = new Float64Array(landed);
  for (let poll = 0, reading = 0; poll < polledAt.length && reading < landed; poll++) {
    while (reading < landed && reading < (polledCount[poll] ?? 0) - beyond) landedAt[reading++] = polledAt[poll] ?? 0;
  }
  const end = landed > 0 ? landedAt[landed - 1] || performance.now() : performance.now();
  const after = processUsage(child.process.pid ?? 0);
  const loadUsage = process.cpuUsage(loadBefore);
  const influxdSeconds = processUsage(influxdPid).cpuSeconds - influxdBefore.cpuSeconds;
  const deliveries = (await deliveriesSoFar(child)) - deliveriesBefore;
  await client.endAsync();
  await child.stop();
  const hops = JSON.parse(/^hops (.*)$/m.exec(child.printed())?.[1] ?? '{"path":[]}') as { path: string[] };
  const latencies = Array.from(landedAt, (t, i) => t - (publishedAt[i] ?? t)).sort((a, b) => a - b);
  const cpuSeconds = after.cpuSeconds - before.cpuSeconds;
  return {
    name,
    sent: total,
    landed,
    readingsPerSecond: (landed * 1000) / (end - start),
    publishedPerSecond: (total * 1000) / (published - start),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuSeconds,
    cores: cpuSeconds / ((end - start) / 1000),
    loadCores: (loadUsage.user + loadUsage.system) / 1000 / (end - start),
    influxdCores: influxdSeconds / ((end - start) / 1000),
    peakRssMiB: after.peakRssMiB,
    deliveriesPerReading: deliveries / total,
    path: hops.path,
  };
}

/** Deliveries between nodes so far, by the type of the node they went into. */
async function deliveriesInto(child: NodeRedChild): Promise<Record<string, number>> {
  const response = await fetch(`http://127.0.0.1:${child.port}/bench/deliveries`);
  return (await response.json()) as Record<string, number>;
}

const deliveriesSoFar = async (child: NodeRedChild): Promise<number> => Object.values(await deliveriesInto(child)).reduce((sum, n) => sum + n, 0);

/** Deliveries into the bare flow's sink, read from the child while it runs. */
async function sinkCount(child: NodeRedChild): Promise<number> {
  return Number((await deliveriesInto(child)).debug ?? 0);
}

const intoTheSink: Landing = { soFar: sinkCount, exact: sinkCount };

/**
 * Readings landed in `database`: polled, the points InfluxDB took into the database's `raw` shards
 * (its write counter: under a millisecond of its CPU); exact, the rows of sensor_reading.
 */
function intoInfluxDb(url: string, database: string): Landing {
  return {
    soFar: async () => {
      const response = await influxQuery({ url }, `SHOW STATS FOR 'shard'`);
      let points = 0;
      for (const series of response.results?.[0]?.series ?? []) {
        const { tags } = series;
        if (tags?.database !== database || tags.retentionPolicy !== 'raw') continue;
        const column = series.columns.indexOf('writePointsOk');
        points += Number(series.values?.[0]?.[column] ?? 0);
      }
      return points;
    },
    exact: async () => {
      const rows = rowsOf(await influxQuery({ url }, `SELECT count("voltage") FROM "raw"."sensor_reading"`, database));
      return Number(rows[0]?.count ?? 0);
    },
  };
}

/**
 * Publish -> sensor_data on /api/ws: WS_RATE readings/s for WS_SECONDS from WS_DEVICES devices (a
 * reading every 2 s each, as a fleet of single-reading devices sends them), after
 * WS_WARM_UP_SECONDS of the same load; the latency of every measured sensor_data message
 * received, matched to its reading's publish by device and timestamp.
 */
async function runWebSocket(name: string, flows: object[], env: Record<string, string>): Promise<{ name: string; received: number; sent: number; p50: number; p99: number; cores: number; maxBySecond: string }> {
  const child = await startNodeRedChild(name, flows, env);
  await sleep(1500);
  const ws = new WebSocket(`ws://127.0.0.1:${child.port}/api/ws`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const publishedAt = new Map<string, number>();
  const latencies: number[] = [];
  /** latencies by the second of the run their reading was published in: where the slow ones are */
  const bySecond: number[][] = [];
  let start = performance.now();
  ws.on('message', (data: Buffer) => {
    const now = performance.now();
    const message = JSON.parse(data.toString()) as { type?: string; device_id?: string; data?: { timestamp?: number } };
    if (message.type !== 'sensor_data') return;
    const at = publishedAt.get(`${message.device_id}/${message.data?.timestamp}`);
    if (at === undefined) return;
    latencies.push(now - at);
    (bySecond[Math.floor((at - start) / 1000)] ??= []).push(now - at);
  });
  const client = mqtt.connect(`mqtt://127.0.0.1:${env.MQTT_PORT}`, { clientId: `bench-ws-${name.replace(/\W+/g, '-')}` });
  await new Promise((resolve) => client.once('connect', resolve));
  const warmUp = WS_RATE * WS_WARM_UP_SECONDS;
  const load: Load = { messages: warmUp + WS_RATE * WS_SECONDS, perMessage: 1, messagesPerSecond: WS_RATE, devices: WS_DEVICES };
  let before = processUsage(child.process.pid ?? 0);
  const publishStart = performance.now();
  const baseTime = Date.now() - 6 * 3600_000 - (load.messages / load.devices + 1) * SAMPLE_MS;
  for (let n = 0; n < load.messages; n++) {
    const wait = publishStart + (n * 1000) / WS_RATE - performance.now();
    if (wait > 1) await sleep(wait);
    if (n === warmUp) {
      before = processUsage(child.process.pid ?? 0);
      start = performance.now();
    }
    const device = deviceName(n % load.devices);
    const timestamp = baseTime + Math.floor(n / load.devices) * SAMPLE_MS;
    client.publish(`heatpump/${device}/data`, JSON.stringify(reading(device, timestamp, n)), { qos: 1 });
    if (n >= warmUp) publishedAt.set(`${device}/${timestamp}`, performance.now());
  }
  await sleep(2000); // the last held readings go out after at most a second
  const after = processUsage(child.process.pid ?? 0);
  const cores = (after.cpuSeconds - before.cpuSeconds) / ((performance.now() - start) / 1000);
  ws.close();
  await client.endAsync();
  await child.stop();
  latencies.sort((a, b) => a - b);
  const maxBySecond = Array.from(bySecond, (second) => (second ? Math.max(...second).toFixed(0) : '-')).join(' ');
  return { name, received: latencies.length, sent: load.messages - warmUp, p50: percentile(latencies, 50), p99: percentile(latencies, 99), cores, maxBySecond };
}

const verdict = (met: boolean) => (met ? 'met' : 'NOT met');

/** Hops in their order, a hop repeated (a gathered message fans out per device) once with its count. */
function countedHops(path: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const hop of path) counts.set(hop, (counts.get(hop) ?? 0) + 1);
  return [...counts].map(([hop, count]) => (count === 1 ? hop : `${hop} (x${count})`));
}

export async function run(): Promise<void> {
  const binary = findInfluxd();
  if (!binary) {
    console.log('  skipped: influxd not found (apt-get install -y influxdb)');
    return;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-bench-influx-'));
  const influx = await startInfluxd({ dataDir, port: 0, binary });
  const broker = await startBroker({ port: 0 });
  try {
    const databases = ['heatpump_single', 'heatpump_per_reading', 'heatpump_array', 'heatpump_fleet', 'heatpump_stock', 'heatpump_ws'];
    for (const database of databases) await setupInfluxDb({ url: influx.url, database });
    const rowsIn = (database: string) => intoInfluxDb(influx.url, database);
    const env = (database: string) => ({
      MQTT_BROKER: '127.0.0.1',
      MQTT_PORT: String(broker.port),
      MQTT_CLIENT_ID: 'heatpump-bench',
      MQTT_USER: '',
      MQTT_PASSWORD: '',
      INFLUXDB_URL: influx.url,
      INFLUXDB_USER: '',
      INFLUXDB_PASSWORD: '',
      INFLUXDB_DATABASE: database,
      HEATPUMP_SIMULATOR_DEVICES: '0',
    });
    console.log(`  load average before: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} CPUs (figures are only comparable within one run)`);
    const single: Load = { messages: SINGLE_READINGS, perMessage: 1, messagesPerSecond: undefined, devices: DEVICES };
    const stockLoad: Load = { ...single, messages: STOCK_READINGS };
    const arrays: Load = { messages: Math.ceil(ARRAY_READINGS / ARRAY_SIZE), perMessage: ARRAY_SIZE, messagesPerSecond: ARRAY_RATE / ARRAY_SIZE, devices: Math.max(DEVICES, 1000) };
    const fleetMessagesPerSecond = FLEET_DEVICES / 300;
    const fleet: Load = { messages: Math.round(fleetMessagesPerSecond * FLEET_SECONDS), perMessage: ARRAY_SIZE, messagesPerSecond: fleetMessagesPerSecond, devices: FLEET_DEVICES };
    console.log(`  /api/ws: ${WS_RATE} readings/s from ${WS_DEVICES} devices for ${WS_SECONDS} s, after ${WS_WARM_UP_SECONDS} s of the same (not measured)`);
    console.log(`  single readings: ${SINGLE_READINGS} messages from ${DEVICES} devices (stock nodes: ${STOCK_READINGS}), published as fast as the broker acknowledges (QoS 1, ${IN_FLIGHT} in flight)`);
    console.log(`  arrays: ${arrays.messages} messages of ${ARRAY_SIZE} readings from ${arrays.devices} devices offered at ${ARRAY_RATE} readings/s`);
    console.log(`  fleet: ${FLEET_DEVICES} devices, one ${ARRAY_SIZE}-reading message each per 5 minutes (${fleetMessagesPerSecond.toFixed(0)} msg/s), for ${FLEET_SECONDS} s (${fleet.messages} devices of them send), after every device reported once (not measured)`);

    const only = async <T>(run: string, measure: () => Promise<T>): Promise<T | undefined> => (RUNS.has(run) ? measure() : undefined);
    // the single-reading share needs the ceiling and the shipped flow measured in the same run
    const ceiling = await only('single', () => runPipeline('bare mqtt in + json', bareFlow(), env('heatpump_single'), influx.pid, single, intoTheSink));
    const shipped = await only('single', () => runPipeline('shipped, single', loadShippedFlows(), env('heatpump_single'), influx.pid, single, rowsIn('heatpump_single')));
    const perReading = await only('per-reading', () => runPipeline('per-reading nodes', perReadingFlows(), env('heatpump_per_reading'), influx.pid, single, rowsIn('heatpump_per_reading')));
    const stock = await only('stock', () => runPipeline('stock nodes', stockFlow(new URL(influx.url)), env('heatpump_stock'), influx.pid, stockLoad, rowsIn('heatpump_stock')));
    const array = await only('arrays', () => runPipeline('shipped, arrays', loadShippedFlows(), env('heatpump_array'), influx.pid, arrays, rowsIn('heatpump_array')));
    // the fleet at its steady state: every device has reported once before the measured run
    const fleetWarmUp: Load = { messages: FLEET_DEVICES, perMessage: 1, messagesPerSecond: undefined, devices: FLEET_DEVICES };
    const fleetRun = await only('fleet', () => runPipeline('shipped, fleet', loadShippedFlows(), env('heatpump_fleet'), influx.pid, fleet, rowsIn('heatpump_fleet'), fleetWarmUp));
    const ws = await only('ws', () => runWebSocket('shipped, /api/ws', loadShippedFlows(), env('heatpump_ws')));
    const wsPerReading = await only('per-reading', () => runWebSocket('per-reading, /api/ws', perReadingFlows(), env('heatpump_ws')));

    const runs = [ceiling, shipped, perReading, stock, array, fleetRun].filter((r): r is RunResult => r !== undefined);
    console.log(`  ${'pipeline'.padEnd(20)} ${'landed/sent'.padStart(15)} ${'readings/s'.padStart(10)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'CPU s'.padStart(6)} ${'cores'.padStart(5)} ${'µs CPU/reading'.padStart(14)} ${'peak RSS MiB'.padStart(12)}`);
    for (const r of runs) {
      console.log(
        `  ${r.name.padEnd(20)} ${`${r.landed}/${r.sent}`.padStart(15)} ${r.readingsPerSecond.toFixed(0).padStart(10)} ${r.p50.toFixed(0).padStart(7)} ${r.p99.toFixed(0).padStart(7)} ${r.cpuSeconds.toFixed(1).padStart(6)} ${r.cores.toFixed(2).padStart(5)} ${((r.cpuSeconds * 1e6) / Math.max(1, r.landed)).toFixed(0).padStart(14)} ${r.peakRssMiB.toFixed(0).padStart(12)}`,
      );
    }
    console.log('  (bare: "landed" = messages into the sink, latency to the sink; the others: rows queryable in InfluxDB)');
    // a load side near a core limits the run, not Node-RED: the figures above then say less
    for (const r of runs) console.log(`  ${r.name}: published at ${r.publishedPerSecond.toFixed(0)} readings/s; the other processes meanwhile: devices + broker (this process) ${r.loadCores.toFixed(2)} cores, influxd ${r.influxdCores.toFixed(2)} cores`);
    for (const r of runs) console.log(`  ${r.name}: ${r.deliveriesPerReading.toFixed(2)} node-to-node deliveries per reading; first message: ${countedHops(r.path).join(', ')}`);
    for (const w of [ws, wsPerReading]) {
      if (w) console.log(`  ${w.name}: ${w.received} sensor_data for ${w.sent} readings, publish -> WebSocket p50 ${w.p50.toFixed(0)} ms, p99 ${w.p99.toFixed(0)} ms, ${w.cores.toFixed(2)} cores; slowest ms by second: ${w.maxBySecond}`);
    }
    console.log('  targets:');
    if (ceiling && shipped) {
      const share = shipped.readingsPerSecond / ceiling.readingsPerSecond;
      const perReadingShare = perReading ? `; per-reading nodes ${((perReading.readingsPerSecond / ceiling.readingsPerSecond) * 100).toFixed(0)} %` : '';
      console.log(`    single readings >= ${TARGETS.singleShareOfCeiling * 100} % of the bare ceiling: ${(share * 100).toFixed(0)} % (${shipped.readingsPerSecond.toFixed(0)} of ${ceiling.readingsPerSecond.toFixed(0)}/s${perReadingShare}) ${verdict(share >= TARGETS.singleShareOfCeiling)}`);
    }
    if (array) {
      const arrayMet = array.readingsPerSecond >= TARGETS.arrayReadingsPerSecond && array.landed === array.sent && array.p99 <= TARGETS.arrayP99Ms;
      console.log(`    arrays >= ${TARGETS.arrayReadingsPerSecond} readings/s (offered at ${ARRAY_RATE}), 0 lost, p99 <= ${TARGETS.arrayP99Ms} ms: ${array.readingsPerSecond.toFixed(0)}/s, ${array.sent - array.landed} lost, p99 ${array.p99.toFixed(0)} ms ${verdict(arrayMet)}`);
    }
    if (ws) {
      const perReadingP99 = wsPerReading ? ` (per-reading nodes ${wsPerReading.p99.toFixed(0)} ms)` : '';
      console.log(`    publish -> WebSocket p99 <= ${TARGETS.wsP99Ms} ms at ${WS_RATE} readings/s: ${ws.p99.toFixed(0)} ms${perReadingP99} ${verdict(ws.p99 <= TARGETS.wsP99Ms)}`);
    }
    if (fleetRun) {
      // On a shared machine the child may fall behind the offered rate; the CPU it needs for that rate
      // is its CPU per reading times the rate.
      const fleetCores = (fleetRun.cpuSeconds / Math.max(1, fleetRun.landed)) * fleetMessagesPerSecond * ARRAY_SIZE;
      const fleetMet = fleetCores <= TARGETS.fleetCores && fleetRun.landed === fleetRun.sent;
      console.log(
        `    ${FLEET_DEVICES} devices at the firmware's cadence (${(fleetMessagesPerSecond * ARRAY_SIZE).toFixed(0)} readings/s) under ${TARGETS.fleetCores} core: ` +
          `${fleetCores.toFixed(2)} cores (CPU per reading x rate; ${fleetRun.cores.toFixed(2)} over the run), ${fleetRun.sent - fleetRun.landed} lost ${verdict(fleetMet)}`,
      );
    }
  } finally {
    await broker.close();
    await influx.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
