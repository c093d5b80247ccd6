// End to end: simulated devices -> MQTT broker -> Node-RED flow -> influxd, counting the rows that
// land against the readings sent. The shipped main flow is measured beside the same pipeline
// built from stock nodes (mqtt in -> json -> function -> influxdb out, one write per message) in
// the same run, against the same broker and database server.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { startBroker } from '../scripts/lib/broker';
import { findInfluxd, startInfluxd } from '../scripts/lib/influxd';
import { influxQuery, rowsOf, setupInfluxDb } from '../scripts/lib/influx-setup';
import { loadShippedFlows } from '../scripts/lib/shipped-flows';
import { processUsage, startNodeRedChild } from './child';
import { percentile } from './measure';

export const title = 'End-to-end pipeline: devices -> MQTT -> Node-RED -> InfluxDB';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 100);
const READINGS = Number(process.env.BENCH_READINGS ?? 12_000);
const OFFERED_PER_SECOND = Number(process.env.BENCH_RATE ?? 3000);
const POLL_MS = 50;
const PATIENCE_MS = 90_000;

const reading = (device: string, timestamp: number, n: number) => ({
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

interface PipelineResult {
  name: string;
  /** deliveries between nodes per reading sent, and the path of the first reading */
  deliveriesPerReading: number;
  path: string[];
  landed: number;
  readingsPerSecond: number;
  p50: number;
  p99: number;
  cpuSeconds: number;
  peakRssMiB: number;
}

async function runPipeline(
  name: string,
  flows: object[],
  env: Record<string, string>,
  count: (database: string) => Promise<number>,
  database: string,
): Promise<PipelineResult> {
  const child = await startNodeRedChild(name, flows, { ...env, INFLUXDB_DATABASE: database });
  await new Promise((resolve) => setTimeout(resolve, 1500)); // MQTT subscriptions settle
  const before = processUsage(child.process.pid ?? 0);

  const client = mqtt.connect(`mqtt://127.0.0.1:${env.MQTT_PORT}`, { clientId: `bench-${name}` });
  await new Promise((resolve) => client.once('connect', resolve));
  const publishedAt: number[] = [];
  const landedAt: number[] = [];
  let landed = 0;
  const poller = setInterval(() => {
    void count(database).then((rows) => {
      const now = performance.now();
      while (landed < rows && landed < READINGS) landedAt[landed++] = now;
    });
  }, POLL_MS);

  const start = performance.now();
  const baseTime = Date.now() - 60_000;
  for (let n = 0; n < READINGS; n++) {
    const due = start + (n * 1000) / OFFERED_PER_SECOND;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const device = `bench-${String(n % DEVICES).padStart(3, '0')}`;
    // distinct timestamps per device so no row overwrites another
    client.publish(`heatpump/${device}/data`, JSON.stringify(reading(device, baseTime + Math.floor(n / DEVICES) * 5 + (n % DEVICES) / 1000, n)), { qos: 1 });
    publishedAt[n] = performance.now();
  }
  const deadline = performance.now() + PATIENCE_MS;
  while (landed < READINGS && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  clearInterval(poller);
  const end = landed > 0 ? (landedAt[landed - 1] ?? performance.now()) : performance.now();
  const after = processUsage(child.process.pid ?? 0);
  await client.endAsync();
  await child.stop();
  const hops = JSON.parse(/^hops (.*)$/m.exec(child.printed())?.[1] ?? '{"deliveries":0,"path":[]}') as { deliveries: number; path: string[] };

  const latencies = landedAt.slice(0, landed).map((t, i) => t - (publishedAt[i] ?? t)).sort((a, b) => a - b);
  return {
    name,
    deliveriesPerReading: hops.deliveries / READINGS,
    path: hops.path,
    landed,
    readingsPerSecond: (landed * 1000) / (end - start),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuSeconds: after.cpuSeconds - before.cpuSeconds,
    peakRssMiB: after.peakRssMiB,
  };
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
    for (const database of ['heatpump', 'heatpump_stock']) await setupInfluxDb({ url: influx.url, database });
    const count = async (database: string) => {
      const rows = rowsOf(await influxQuery({ url: influx.url }, `SELECT count("voltage") FROM "raw"."sensor_reading"`, database));
      return Number(rows[0]?.count ?? 0);
    };
    const env = {
      MQTT_BROKER: '127.0.0.1',
      MQTT_PORT: String(broker.port),
      MQTT_CLIENT_ID: 'heatpump-bench',
      MQTT_USER: '',
      MQTT_PASSWORD: '',
      INFLUXDB_URL: influx.url,
      INFLUXDB_USER: '',
      INFLUXDB_PASSWORD: '',
      HEATPUMP_SIMULATOR_DEVICES: '0',
    };
    console.log(`  ${READINGS} readings from ${DEVICES} devices offered at ${OFFERED_PER_SECOND}/s, QoS 1, rows polled every ${POLL_MS} ms`);
    const ours = await runPipeline('main flow', loadShippedFlows(), env, count, 'heatpump');
    const stock = await runPipeline('stock nodes', stockFlow(new URL(influx.url)), env, count, 'heatpump_stock');
    console.log(`  ${'pipeline'.padEnd(14)} ${'landed'.padStart(8)} ${'readings/s'.padStart(11)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'CPU s'.padStart(7)} ${'peak RSS MiB'.padStart(13)}`);
    for (const r of [ours, stock]) {
      console.log(
        `  ${r.name.padEnd(14)} ${`${r.landed}/${READINGS}`.padStart(8)} ${r.readingsPerSecond.toFixed(0).padStart(11)} ${r.p50.toFixed(0).padStart(8)} ${r.p99.toFixed(0).padStart(8)} ${r.cpuSeconds.toFixed(1).padStart(7)} ${r.peakRssMiB.toFixed(0).padStart(13)}`,
      );
    }
    for (const r of [ours, stock]) {
      console.log(`  ${r.name}: ${r.deliveriesPerReading.toFixed(1)} node-to-node deliveries per reading (every branch, batches included); the first reading: ${r.path.length} hops`);
      console.log(`    ${r.path.join(', ')}`);
    }
    console.log(
      `  ratio main/stock: throughput ${(ours.readingsPerSecond / stock.readingsPerSecond).toFixed(2)}x, ` +
        `CPU per reading ${((ours.cpuSeconds / Math.max(1, ours.landed)) / (stock.cpuSeconds / Math.max(1, stock.landed))).toFixed(2)}x, ` +
        `p99 latency ${(ours.p99 / stock.p99).toFixed(2)}x`,
    );
  } finally {
    await broker.close();
    await influx.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
