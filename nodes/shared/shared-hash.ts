// Run-time settings per device that several Node-RED instances share (REDIS_URL): threshold-alert's
// rule overrides, online-tracker's timeouts. One hash per node (device id -> value as JSON) and a
// channel, named like the hash, that is told the device id after each change, so every instance
// applies a change made on any of them (shared/redis-connection.ts follow() listens).
import type Redis from 'ioredis';

/** A stored value that is not JSON comes back as the text itself, which the node's checks then refuse. */
function parseStored(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return json;
  }
}

export class SharedHash {
  /** set once, by the first instance that starts with sharing on: it brings its own values along */
  private readonly seeded: string;

  constructor(
    private readonly client: Redis,
    private readonly hash: string,
  ) {
    this.seeded = `${hash}:seeded`;
  }

  /** The channel the changes are announced on. */
  get channel(): string {
    return this.hash;
  }

  /**
   * Every device's shared value. The first instance to start (nothing seeded yet) first stores
   * `local`, the values it kept before sharing was turned on, so they are not lost; later starts
   * take the shared ones as they are (a local copy may be stale).
   */
  async all(local: ReadonlyArray<[string, unknown]>): Promise<Array<[string, unknown]>> {
    if ((await this.client.set(this.seeded, '1', 'NX')) === 'OK' && local.length > 0) {
      await this.client.hset(this.hash, Object.fromEntries(local.map(([deviceId, value]) => [deviceId, JSON.stringify(value)])));
    }
    const stored = await this.client.hgetall(this.hash);
    return Object.entries(stored).map(([deviceId, json]) => [deviceId, parseStored(json)]);
  }

  /** One device's shared value; undefined when it has none. */
  async get(deviceId: string): Promise<unknown> {
    const json = await this.client.hget(this.hash, deviceId);
    return json === null ? undefined : parseStored(json);
  }

  /** Stores (null: removes) a device's value and announces the change. */
  async set(deviceId: string, value: unknown): Promise<void> {
    const batch = this.client.multi();
    if (value === null) batch.hdel(this.hash, deviceId);
    else batch.hset(this.hash, deviceId, JSON.stringify(value));
    await batch.publish(this.channel, deviceId).exec();
  }
}
