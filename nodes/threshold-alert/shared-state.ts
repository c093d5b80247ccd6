// threshold-alert's device states in Redis, for several Node-RED instances that each get part of
// a device's readings (MQTT shared subscriptions): every reading is evaluated on the device's
// state as all instances left it, and stored by compare-and-set (shared/redis-versioned.ts), so a
// transition is announced by exactly one instance, once, and cooldowns hold across instances.
// The rule overrides set at run time are shared too, so every instance evaluates with them.
import type Redis from 'ioredis';
import { updateVersioned } from '../shared/redis-versioned';
import type { AlertEngine, ProcessResult } from './engine';

export class SharedAlertStates {
  private readonly index: string;

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
  ) {
    this.index = `${prefix}devices`;
  }

  private key(deviceId: string): string {
    return `${this.prefix}device:${deviceId}`;
  }

  /**
   * Runs `step` (an engine call about `deviceId`) on the device's shared state and stores the
   * outcome; the result returned is that of the run that was stored (its events are the ones to send).
   */
  update<T extends Pick<ProcessResult, 'changed'>>(engine: AlertEngine, deviceId: string, step: () => T): Promise<T> {
    return updateVersioned(
      this.client,
      this.key(deviceId),
      (stored) => {
        engine.adoptDevice(deviceId, stored);
        const result = step();
        return { next: result.changed ? engine.deviceState(deviceId) : undefined, result };
      },
      { index: this.index, member: deviceId },
    );
  }

  /** Forgets one device's shared state, or every device's. */
  async reset(deviceId?: string): Promise<void> {
    const ids = deviceId === undefined ? await this.client.smembers(this.index) : [deviceId];
    if (ids.length === 0) return;
    await this.client
      .multi()
      .del(...ids.map((id) => this.key(id)))
      .srem(this.index, ...ids)
      .exec();
  }
}

/**
 * The run-time rule overrides (API, msg.thresholds) of one threshold-alert node, shared by every
 * instance: one hash (device id -> rules as JSON) and a channel that names the device after each
 * change, so that every instance applies a change made on any of them.
 */
/** A stored value that is not JSON comes back as the text itself, which the rule checks then refuse. */
function parseStored(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return json;
  }
}

export class SharedOverrides {
  private readonly hash: string;
  /** set once, by the first instance that starts with sharing on: it brings its own overrides along */
  private readonly seeded: string;

  constructor(
    private readonly client: Redis,
    prefix: string,
  ) {
    this.hash = `${prefix}overrides`;
    this.seeded = `${prefix}overrides:seeded`;
  }

  /** The channel the changes are announced on. */
  get channel(): string {
    return this.hash;
  }

  /**
   * Every device's shared overrides. The first instance to start (nothing seeded yet) first stores
   * `local`, the overrides it kept before sharing was turned on, so they are not lost; later
   * starts take the shared ones as they are (a local copy may be stale).
   */
  async all(local: ReadonlyArray<[string, unknown]>): Promise<Array<[string, unknown]>> {
    if ((await this.client.set(this.seeded, '1', 'NX')) === 'OK' && local.length > 0) {
      await this.client.hset(this.hash, Object.fromEntries(local.map(([deviceId, rules]) => [deviceId, JSON.stringify(rules)])));
    }
    const stored = await this.client.hgetall(this.hash);
    return Object.entries(stored).map(([deviceId, json]) => [deviceId, parseStored(json)]);
  }

  /** One device's shared overrides; undefined when it has none. */
  async get(deviceId: string): Promise<unknown> {
    const json = await this.client.hget(this.hash, deviceId);
    return json === null ? undefined : parseStored(json);
  }

  /** Stores (null: removes) a device's overrides and announces the change. */
  async set(deviceId: string, rules: unknown): Promise<void> {
    const batch = this.client.multi();
    if (rules === null) batch.hdel(this.hash, deviceId);
    else batch.hset(this.hash, deviceId, JSON.stringify(rules));
    await batch.publish(this.channel, deviceId).exec();
  }
}
