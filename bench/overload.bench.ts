// Overload: the product (npm start, shipped flows, real influxd) at its normal rate (1,000 readings/s,
// the issue's) and then at 10x that for the same time, recording the product's RSS every second:
// memory must stay bounded, and every reading sent is stored or counted under a drop reason.
// BENCH_OVERLOAD_S sets each phase's length (default 600 s: the issue's 10 minutes).
import { flood, health, rssMiB, sleep, startRig, stats, storedReadings, waitUntil, type Rig } from './product-load';

export const title = 'Overload: 10x the normal rate, RSS and accounting';

const NORMAL_RATE = Number(process.env.BENCH_NORMAL_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_OVERLOAD_S ?? 600);
const DEVICES = 100;

interface Phase {
  name: string;
  rate: number;
  sent: number;
  stored: number;
  dropped: Record<string, number>;
  rssMin: number;
  rssMax: number;
  /** seconds from the first reading until the last one was stored or counted */
  seconds: number;
}

async function phase(rig: Rig, name: string, rate: number, prefix: string): Promise<Phase> {
  const pid = rig.product.child.pid ?? 0;
  const samples: number[] = [];
  const droppedBefore = (await stats(rig.product)).dropped;
  const began = Date.now();
  const sampler = setInterval(() => samples.push(rssMiB(pid)), 1000);
  const sent = await flood(rig.product.mqttUrl, { rate, seconds: SECONDS, devices: DEVICES, prefix });
  const droppedSince = async (): Promise<Record<string, number>> => {
    const now = (await stats(rig.product)).dropped;
    return Object.fromEntries(Object.entries(now).map(([reason, count]) => [reason, count - (droppedBefore[reason] ?? 0)]));
  };
  let stored = 0;
  let dropped: Record<string, number> = {};
  // the backlog drains: wait until every reading is stored or counted, or nothing moves for 30 s
  let lastProgress = Date.now();
  let lastTotal = -1;
  await waitUntil(async () => {
    stored = await storedReadings(rig.influx, prefix);
    dropped = await droppedSince();
    const total = stored + Object.values(dropped).reduce((a, b) => a + b, 0);
    if (total !== lastTotal) lastProgress = Date.now();
    lastTotal = total;
    return (total >= sent && (await health(rig.product)).spooled_points === 0) || Date.now() - lastProgress > 30_000;
  }, 30 * 60_000);
  clearInterval(sampler);
  const seconds = (Date.now() - began) / 1000;
  return { name, rate, sent, stored, dropped, rssMin: Math.min(...samples), rssMax: Math.max(...samples), seconds };
}

export async function run(): Promise<void> {
  const rig = await startRig();
  if (!rig) return;
  try {
    console.log(`  ${DEVICES} devices, QoS 1 without waiting, ${SECONDS} s per phase (BENCH_OVERLOAD_S), normal ${NORMAL_RATE} readings/s (BENCH_NORMAL_RATE)`);
    const normal = await phase(rig, 'normal', NORMAL_RATE, 'normal');
    await sleep(5000);
    const overload = await phase(rig, '10x', NORMAL_RATE * 10, 'overload');
    console.log(`  ${'phase'.padEnd(8)} ${'offered/s'.padStart(10)} ${'sent'.padStart(9)} ${'stored'.padStart(9)} ${'taken/s'.padStart(8)} ${'RSS min'.padStart(8)} ${'RSS max'.padStart(8)}  dropped by reason`);
    for (const p of [normal, overload]) {
      const drops = Object.entries(p.dropped)
        .map(([reason, count]) => `${reason} ${count}`)
        .join(', ');
      console.log(
        `  ${p.name.padEnd(8)} ${String(p.rate).padStart(10)} ${String(p.sent).padStart(9)} ${String(p.stored).padStart(9)} ${(p.stored / p.seconds).toFixed(0).padStart(8)} ${p.rssMin.toFixed(0).padStart(8)} ${p.rssMax.toFixed(0).padStart(8)}  ${drops}`,
      );
      const unaccounted = p.sent - p.stored - Object.values(p.dropped).reduce((a, b) => a + b, 0);
      console.log(`    sent = stored + dropped: ${unaccounted === 0 ? 'holds' : `NOT: ${unaccounted} readings unaccounted for`}`);
    }
    console.log(`  ratio 10x/normal: RSS max ${(overload.rssMax / normal.rssMax).toFixed(2)}x, readings stored per second ${(overload.stored / overload.seconds / (normal.stored / normal.seconds)).toFixed(2)}x`);
  } finally {
    await rig.stop();
  }
}
