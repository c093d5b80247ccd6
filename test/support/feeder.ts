// Devices for the outage and overload tests and benches: Feeder publishes readings at a steady rate
// into the product's broker (arrays of readings per device, QoS 1, paced by the broker's
// acknowledgements) and remembers what the broker took, per device, so a test can compare what was
// sent with what InfluxDB stored; flood() offers a rate without waiting, as devices do.
import fs from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { devicePayload } from '../fixtures/payloads';

const TICK_MS = 100;
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface FeedOptions {
  /** readings per second over all devices */
  rate: number;
  devices: number;
  /** device ids are `${prefix}${n}` */
  prefix: string;
  /** the first reading's timestamp (ms); each device's readings are 1000 / (rate / devices) ms apart */
  start: number;
}

export class Feeder {
  /** readings the broker acknowledged, by device */
  readonly sent = new Map<string, number>();
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private publishing: Promise<unknown> = Promise.resolve();
  private readonly spacingMs: number;

  constructor(private readonly options: FeedOptions) {
    this.spacingMs = 1000 / (options.rate / options.devices);
    for (let d = 0; d < options.devices; d += 1) this.sent.set(`${options.prefix}${d}`, 0);
  }

  get total(): number {
    let total = 0;
    for (const count of this.sent.values()) total += count;
    return total;
  }

  /** Publishes at the rate on `mqttUrl` until stop(); per tick every device sends one array. */
  async start(mqttUrl: string): Promise<void> {
    this.client = await mqtt.connectAsync(mqttUrl, { reconnectPeriod: 0 });
    const perTick = Math.max(1, Math.round((this.options.rate * TICK_MS) / 1000 / this.options.devices));
    const tick = (): void => {
      // one tick at a time: a slow broker slows the feed down instead of piling up publishes
      this.publishing = this.publishing.then(() => this.publishTick(perTick)).finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, TICK_MS);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  private async publishTick(perDevice: number): Promise<void> {
    const client = this.client;
    if (!client) return;
    await Promise.all(
      [...this.sent.keys()].map(async (device) => {
        const first = this.sent.get(device) ?? 0;
        const readings = Array.from({ length: perDevice }, (_, i) => devicePayload({ device, timestamp: Math.round(this.options.start + (first + i) * this.spacingMs) }));
        await client.publishAsync(`heatpump/${device}/data`, JSON.stringify(readings), { qos: 1 });
        this.sent.set(device, first + perDevice);
      }),
    );
  }

  /** Stops publishing and waits for the last acknowledgements. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.publishing.catch(() => undefined);
    await this.client?.endAsync();
    this.client = undefined;
  }
}

/** Resident memory of a process in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

const CLIENTS = 10;

/** The example reading with values that move like a real device's (they compress like them in the spool). */
function varied(device: string, timestamp: number, n: number) {
  const wobble = (scale: number, salt: number) => Math.round(((Math.sin(n * 0.37 + salt) + Math.sin(n * 1.91 + salt * 3)) * scale + Number.EPSILON) * 10) / 10;
  return devicePayload({
    device,
    timestamp,
    temperature: { inlet: 45 + wobble(2, 1), outlet: 50 + wobble(2, 2), ambient: 8 + wobble(3, 3), compressor: 70 + wobble(4, 4) },
    electrical: { voltage: 230 + wobble(3, 5), current: 8.5 + wobble(0.5, 6), power: 1950 + wobble(60, 7) },
    pressure: { high: 280 + wobble(5, 8), low: 70 + wobble(3, 9) },
  });
}

/**
 * Publishes `rate` readings/s from `devices` devices (one array per device per tick) for
 * `seconds`, without waiting for acknowledgements; `sent` counts the acknowledged readings.
 */
export async function flood(mqttUrl: string, options: { rate: number; seconds: number; devices: number; prefix: string; onSecond?: (second: number) => void }): Promise<number> {
  const clients: MqttClient[] = await Promise.all(Array.from({ length: CLIENTS }, () => mqtt.connectAsync(mqttUrl)));
  const perDevice = Math.max(1, Math.round((options.rate * TICK_MS) / 1000 / options.devices));
  const spacing = 1000 / (options.rate / options.devices);
  const start = Date.now() - options.seconds * 1000 - 60_000;
  const counts = new Array<number>(options.devices).fill(0);
  let acknowledged = 0;
  let pending = 0;
  const began = Date.now();
  let lastSecond = 0;
  while (Date.now() - began < options.seconds * 1000) {
    const tickStart = Date.now();
    for (let d = 0; d < options.devices; d += 1) {
      const device = `${options.prefix}${d}`;
      const first = counts[d] ?? 0;
      const readings = Array.from({ length: perDevice }, (_, i) => varied(device, Math.round(start + (first + i) * spacing), first + i + d * 7919));
      counts[d] = first + perDevice;
      pending += 1;
      clients[d % CLIENTS]?.publish(`heatpump/${device}/data`, JSON.stringify(readings), { qos: 1 }, (error) => {
        pending -= 1;
        if (!error) acknowledged += perDevice;
      });
    }
    const second = Math.floor((Date.now() - began) / 1000);
    if (second !== lastSecond) {
      lastSecond = second;
      options.onSecond?.(second);
    }
    await delay(Math.max(0, TICK_MS - (Date.now() - tickStart)));
  }
  // the broker acknowledges what the publishers still hold once it reads it
  while (pending > 0) await delay(200);
  await Promise.all(clients.map((client) => client.endAsync()));
  return acknowledged;
}
