// Devices for the outage and overload tests: publishes readings at a steady rate into the product's
// broker (arrays of readings per device, QoS 1) and remembers what the broker took, per device, so
// a test can compare what was sent with what InfluxDB stored.
import mqtt, { type MqttClient } from 'mqtt';
import { devicePayload } from '../fixtures/payloads';

export interface FeedOptions {
  /** readings per second over all devices */
  rate: number;
  devices: number;
  /** device ids are `${prefix}${n}` */
  prefix: string;
  /** the first reading's timestamp (ms); each device's readings are 1000 / (rate / devices) ms apart */
  start: number;
}

const TICK_MS = 100;

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
