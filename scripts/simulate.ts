// `npm run simulate -- --devices 100 --interval 10 --broker mqtt://host:1883 [--seed N]
//  [--faults 0.01] [--batch N] [--username U --password P]`: a simulated fleet until Ctrl-C, each
//  device publishing its ESP32 reading and its metrics reading (the second one short-cycles).
import { parseArgs } from 'node:util';
import { startSimulator } from './lib/simulator';

const usage = `usage: npm run simulate -- [--devices 3] [--interval 10 (s)] [--broker mqtt://localhost:1883]
       [--seed 1] [--faults 0.002 (chance per reading)] [--batch 1 (readings per publish)]
       [--username U] [--password P]   (also MQTT_USER / MQTT_PASSWORD)`;

function numberOption(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`--${name} must be a number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      devices: { type: 'string' },
      interval: { type: 'string' },
      broker: { type: 'string' },
      seed: { type: 'string' },
      faults: { type: 'string' },
      batch: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const devices = Math.floor(numberOption('devices', values.devices, 3, 1, 10000));
  const interval = numberOption('interval', values.interval, 10, 0.05, 86400);
  const brokerUrl = values.broker ?? process.env.MQTT_URL ?? 'mqtt://localhost:1883';
  const simulator = await startSimulator({
    brokerUrl,
    devices,
    intervalMs: Math.round(interval * 1000),
    seed: Math.floor(numberOption('seed', values.seed, 1, 0, 2 ** 31 - 1)),
    faultRate: numberOption('faults', values.faults, 0.002, 0, 1),
    batch: Math.floor(numberOption('batch', values.batch, 1, 1, 1000)),
    username: values.username ?? process.env.MQTT_USER,
    password: values.password ?? process.env.MQTT_PASSWORD,
    onError: (id, err) => console.error(`${id}: ${err.message}`),
  });
  console.log(`simulating ${devices} heat pumps (${simulator.deviceIds[0]}...) every ${interval}s -> ${brokerUrl}; Ctrl-C stops`);
  const report = setInterval(() => console.log(`${simulator.published()} readings published`), 60_000);
  const shutdown = () => {
    clearInterval(report);
    simulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  console.error(usage);
  process.exit(2);
});
