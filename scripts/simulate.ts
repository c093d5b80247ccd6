// `npm run simulate -- --devices 100 --interval 10 --broker mqtt://host:1883 [--seed N]
//  [--faults 0.01] [--batch N] [--connections N] [--rate N] [--username U --password P]`: a
//  simulated fleet until Ctrl-C, each device publishing its ESP32 reading and its metrics reading
//  (the second one short-cycles).
import { parseArgs } from 'node:util';
import { startSimulator } from './lib/simulator';

/** Up to this many devices get a connection (and a last will) each by default. */
const DEVICES_WITH_OWN_CONNECTION = 1000;
const SHARED_CONNECTIONS = 10;

const usage = `usage: npm run simulate -- [--devices 3] [--interval 10 (s)] [--broker mqtt://localhost:1883]
       [--seed 1] [--faults 0.002 (chance per reading)] [--batch 1 (readings per publish)]
       [--connections N] [--rate N (publishes/s at most, all devices)]
       [--username U] [--password P]   (also MQTT_USER / MQTT_PASSWORD)
  Up to ${DEVICES_WITH_OWN_CONNECTION} devices have an MQTT connection each (with its own last will); a larger fleet
  shares ${SHARED_CONNECTIONS} connections that publish for many device ids (--connections sets the number;
  one connection per device does not scale to 100,000), so a device going silent is seen only by
  its timeout. The firmware's cadence for a large fleet:
    npm run simulate -- --devices 100000 --interval 10 --batch 30 --rate 1000
  (one 30-reading message per device every 5 minutes: 333 data messages/s, 10,000 readings/s,
  plus as many metrics messages).`;

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
      connections: { type: 'string' },
      rate: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const devices = Math.floor(numberOption('devices', values.devices, 3, 1, 1_000_000));
  const interval = numberOption('interval', values.interval, 10, 0.05, 86400);
  const brokerUrl = values.broker ?? process.env.MQTT_URL ?? 'mqtt://localhost:1883';
  const simulator = await startSimulator({
    brokerUrl,
    devices,
    intervalMs: Math.round(interval * 1000),
    seed: Math.floor(numberOption('seed', values.seed, 1, 0, 2 ** 31 - 1)),
    faultRate: numberOption('faults', values.faults, 0.002, 0, 1),
    batch: Math.floor(numberOption('batch', values.batch, 1, 1, 1000)),
    connections: Math.floor(numberOption('connections', values.connections, devices <= DEVICES_WITH_OWN_CONNECTION ? devices : SHARED_CONNECTIONS, 1, devices)),
    ...(values.rate === undefined ? {} : { maxPublishesPerSecond: numberOption('rate', values.rate, 0, 1, 1_000_000) }),
    username: values.username ?? process.env.MQTT_USER,
    password: values.password ?? process.env.MQTT_PASSWORD,
    onError: (id, err) => console.error(`${id}: ${err.message}`),
  });
  console.log(`simulating ${devices} heat pumps (${simulator.deviceIds[0]}...) every ${interval}s -> ${brokerUrl}; Ctrl-C stops`);
  const report = setInterval(() => console.log(`${simulator.published()} readings published, ${simulator.waiting()} publishes waiting`), 60_000);
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
