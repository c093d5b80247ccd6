// InfluxDB outages against the real parts: the product (npm start, shipped flows), Debian's influxd
// stopped, frozen (SIGSTOP) and back, and Node-RED restarted during an outage. Readings go in at a
// steady rate over MQTT; every test prints readings sent / stored / lost.
// Time-compressed: the 10 minutes at 1,000 readings/s are `npm run bench` (outage bench);
// here the outages last seconds, at the same rate.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startInfluxd, type RunningInfluxd } from '../../scripts/lib/influxd';
import { influxQuery } from '../../scripts/lib/influx-setup';
import { loadShippedFlows } from '../../scripts/lib/shipped-flows';
import { Feeder } from '../support/feeder';
import { requireBinary } from '../support/system';
import { eventually, startProduct, type RunningProduct } from '../support/runtime';

const RATE = 1000;
const DEVICES = 10;
/** long enough to see /api/health turn (about 5 s) and stay unhealthy while frozen */
const FROZEN_MS = 12_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Health {
  status: string;
  spooled_points: number;
  dropped: Record<string, number>;
}

describe('InfluxDB outages (real influxd, npm start)', function () {
  this.timeout(180_000);
  let dataDir: string;
  let influx: RunningInfluxd | undefined;
  let product: RunningProduct | undefined;
  let home: string;

  const health = async (): Promise<Health> => (await (await fetch(`${product?.baseUrl}/api/health`, { signal: AbortSignal.timeout(5000) })).json()) as Health;
  const metrics = async (): Promise<string> => (await fetch(`${product?.baseUrl}/metrics`)).text();
  const accepted = async (): Promise<number> => ((await (await fetch(`${product?.baseUrl}/api/stats`)).json()) as { total_readings: number }).total_readings;
  /** Stored readings per device of this test (rows are unique per series and timestamp). */
  const storedByDevice = async (prefix: string): Promise<Map<string, number>> => {
    const response = await influxQuery({ url: influx?.url ?? '' }, `SELECT COUNT("voltage") FROM "raw"."sensor_reading" WHERE "device_id" =~ /^${prefix}/ GROUP BY "device_id"`, 'heatpump');
    // one series per device; rowsOf would drop the series' tags
    const series = (response.results?.[0]?.series ?? []) as Array<{ tags?: { device_id?: string }; values?: unknown[][] }>;
    return new Map(series.map((s) => [String(s.tags?.device_id), Number(s.values?.[0]?.[1])]));
  };
  const sum = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);
  const start = (flows?: unknown[]) => startProduct({ INFLUXDB_URL: influx?.url ?? '' }, { home, ...(flows ? { flows } : {}) });

  beforeEach(async function () {
    requireBinary(this, 'influxd', 'influxdb');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-outage-influx-'));
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-outage-home-'));
    influx = await startInfluxd({ dataDir, port: 0 });
  });

  afterEach(async () => {
    await product?.stop();
    product = undefined;
    try {
      if (influx) process.kill(influx.pid, 'SIGCONT'); // a test that failed while it was frozen
    } catch {
      // stopped already
    }
    await influx?.stop();
    influx = undefined;
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('stopped influxd and a Node-RED restart during the outage: every reading stored exactly once after it is back', async () => {
    product = await start();
    await eventually(async () => ((await health()).status === 'healthy' ? true : undefined), 30_000, 'healthy');
    const feeder = new Feeder({ rate: RATE, devices: DEVICES, prefix: 'out', start: Date.now() - 600_000 });
    const port = influx?.port ?? 0;
    const began = Date.now();
    await feeder.start(product.mqttUrl);
    await sleep(3000);
    await influx?.stop(); // SIGTERM
    await sleep(8000);
    assert.notEqual((await health()).status, 'healthy', 'not healthy while InfluxDB is down');
    await feeder.stop();
    // every reading the broker took has reached the pipeline before Node-RED goes down
    await eventually(async () => ((await accepted()) >= feeder.total ? true : undefined), 20_000, 'all readings accepted');
    await product.stop();
    product = await start();
    assert.ok((await health()).spooled_points > 0, 'the spool survived the restart');
    await feeder.start(product.mqttUrl);
    await sleep(6000);
    influx = await startInfluxd({ dataDir, port });
    const outageS = (Date.now() - began) / 1000 - 3;
    await sleep(3000);
    await feeder.stop();
    const sent = feeder.total;
    let last = '';
    const stored = await eventually(
      async () => {
        const counts = await storedByDevice('out');
        const now = await health();
        last = `${sum(counts)} stored, health ${JSON.stringify(now)}`;
        return sum(counts) >= sent && now.spooled_points === 0 ? counts : undefined;
      },
      90_000,
      () => `all ${sent} readings stored (${last})\n${product?.output().slice(-3000)}`,
      1000,
    );
    const total = sum(stored);
    const text = await metrics();
    const written = Number(/^heatpump_points_written_total (\d+)$/m.exec(text)?.[1]);
    const lost = Number(/^heatpump_points_lost_total (\d+)$/m.exec(text)?.[1]);
    const decoded = Number(/^heatpump_readings_total (\d+)$/m.exec(text)?.[1]);
    const sentAgain = Number(/receive journal: sent again (\d+) message/.exec(product.output())?.[1] ?? 0);
    console.log(
      `      ${RATE} readings/s from ${DEVICES} devices, influxd stopped ${outageS.toFixed(0)} s with a Node-RED restart in it: sent ${sent}, stored ${total}, lost ${sent - total}, ` +
        `written twice ${written - total} (points written ${written} - rows stored; points_lost ${lost}); decoded ${decoded}, of them sent again by the receive journal ${sentAgain}`,
    );
    for (const [device, count] of feeder.sent) assert.equal(stored.get(device), count, `${device}: every reading once`);
    assert.equal(total, sent);
    assert.equal(lost, 0);
    // A point is written twice only for a reading that reached the pipeline twice: QoS 1 delivers at
    // least once, and the receive journal sends again what was on its way when the flows stopped
    // (its other legs, WebSocket and dashboard, not done yet). The spool and its replay add none.
    assert.ok(written >= sent, `every reading written: ${written} points written for ${sent} readings`);
    assert.ok(written - sent <= decoded - sent, `points written twice (${written - sent}) only for readings decoded twice (${decoded - sent})`);
  });

  it(`frozen influxd (SIGSTOP ${FROZEN_MS / 1000} s): /api/health is not healthy within seconds and while frozen, nothing is lost after SIGCONT`, async () => {
    product = await start();
    await eventually(async () => ((await health()).status === 'healthy' ? true : undefined), 30_000, 'healthy');
    const feeder = new Feeder({ rate: RATE, devices: DEVICES, prefix: 'hang', start: Date.now() - 600_000 });
    await feeder.start(product.mqttUrl);
    await sleep(2000);
    const pid = influx?.pid ?? 0;
    process.kill(pid, 'SIGSTOP');
    const stoppedAt = Date.now();
    const polls: Array<[number, string]> = [];
    while (Date.now() - stoppedAt < FROZEN_MS) {
      polls.push([(Date.now() - stoppedAt) / 1000, (await health()).status]);
      await sleep(500);
    }
    process.kill(pid, 'SIGCONT');
    const firstUnhealthy = polls.find(([, status]) => status !== 'healthy')?.[0];
    const healthyAfter = polls.filter(([at, status]) => firstUnhealthy !== undefined && at > firstUnhealthy && status === 'healthy');
    await sleep(2000);
    await feeder.stop();
    const sent = feeder.total;
    const stored = await eventually(
      async () => {
        const counts = await storedByDevice('hang');
        return sum(counts) >= sent && (await health()).spooled_points === 0 ? sum(counts) : undefined;
      },
      90_000,
      `all ${sent} readings stored`,
      1000,
    );
    console.log(`      influxd frozen ${FROZEN_MS / 1000} s at ${RATE} readings/s: first not healthy after ${firstUnhealthy?.toFixed(1)} s (${polls.length} polls, ${healthyAfter.length} healthy after that); sent ${sent}, stored ${stored}, lost ${sent - stored}`);
    assert.ok(firstUnhealthy !== undefined && firstUnhealthy <= 10, `not healthy within 10 s: ${JSON.stringify(polls.slice(0, 25))}`);
    assert.deepEqual(healthyAfter, [], 'never healthy again while frozen');
    assert.equal(stored, sent);
  });

  it('spool full: the oldest batches are dropped, counted as spool_full on /metrics and /api/health, and the rest is stored', async () => {
    // 1000-point batches of the (very compressible) example reading are ~3.8 KB gzipped: no retries, a spool of about five batches
    const flows = loadShippedFlows().map((node) => (node.id === 'hp_batch' ? { ...node, maxPoints: 1000, retries: 0, spoolMB: 0.02 } : node));
    product = await start(flows);
    await eventually(async () => ((await health()).status === 'healthy' ? true : undefined), 30_000, 'healthy');
    const port = influx?.port ?? 0;
    await influx?.stop();
    const feeder = new Feeder({ rate: RATE, devices: DEVICES, prefix: 'full', start: Date.now() - 600_000 });
    await feeder.start(product.mqttUrl);
    await sleep(10_000);
    await feeder.stop();
    await eventually(async () => ((await accepted()) >= feeder.total ? true : undefined), 20_000, 'all readings accepted');
    // failed writes still come back for a while (node-influx retries inside): drops are read at the end
    assert.ok(((await health()).dropped.spool_full ?? 0) > 0, 'the oldest were dropped during the outage');
    influx = await startInfluxd({ dataDir, port });
    const sent = feeder.total;
    let last = '';
    const [stored, dropped] = await eventually(
      async () => {
        const now = await health();
        const count = sum(await storedByDevice('full'));
        const spoolFull = now.dropped.spool_full ?? 0;
        last = `${count} stored, health ${JSON.stringify(now)}`;
        return now.spooled_points === 0 && count + spoolFull >= sent ? [count, spoolFull] : undefined;
      },
      60_000,
      () => `${sent} readings stored or dropped (${last})`,
      1000,
    );
    assert.match(await metrics(), new RegExp(`^heatpump_dropped_total\\{reason="spool_full"\\} ${dropped}$`, 'm'), '/metrics counts what /api/health counts');
    console.log(`      spool of 0.02 MB, influxd down 10 s at ${RATE} readings/s: sent ${sent}, stored ${stored}, lost ${sent - stored} (counted as spool_full ${dropped}, uncounted ${sent - stored - dropped})`);
    assert.equal(stored + dropped, sent, 'every reading stored or counted under its reason');
  });
});
