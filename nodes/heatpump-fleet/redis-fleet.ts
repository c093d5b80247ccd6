// The fleet's state in Redis, shared by every Node-RED instance of a cluster: each device is one
// hash (its record as JSON and a version), changed by compare-and-set, so that two instances
// reporting on the same device at once both land and neither overwrites the other. A change is
// announced on a channel with the device id; every instance then fetches that one record (work
// per event proportional to what changed). Counters, write drops, the last rejections and the
// reading range are fleet-wide totals, added to with HINCRBY and read back once per interval.
//
// A report is applied with FleetState's own methods to a one-device copy taken from Redis, so the
// rules of how a reading, an alert or a presence change a device exist once (fleet-state.ts).
import type Redis from 'ioredis';
import { FleetState, MAX_REJECTIONS, STATE_VERSION, WRITE_DROP_REASONS, type PersistedFleet, type Rejection } from './fleet-state';

/** One report, applied to a state holding (at most) the device it is about. */
export type FleetOp = (state: FleetState) => void;

/** Sets the device's record if its version is still the one read; adds it to the index and announces it. */
const COMPARE_AND_SET = `
local version = redis.call('HGET', KEYS[1], 'v') or '0'
if version ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', tonumber(version) + 1, 'json', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('PUBLISH', KEYS[3], ARGV[3])
return 1`;

/** Widens the stored reading range to [ARGV[1], ARGV[2]]. */
const EXTEND_RANGE = `
local first = redis.call('HGET', KEYS[1], 'range_first')
local last = redis.call('HGET', KEYS[1], 'range_last')
if not first or tonumber(ARGV[1]) < tonumber(first) then redis.call('HSET', KEYS[1], 'range_first', ARGV[1]) end
if not last or tonumber(ARGV[2]) > tonumber(last) then redis.call('HSET', KEYS[1], 'range_last', ARGV[2]) end
return 1`;

/** Compare-and-set attempts per device and flush before its reports wait for the next flush. */
const MAX_ATTEMPTS = 20;
/** Reports held while Redis is away; beyond this the oldest are given up (and said so). */
export const MAX_QUEUED_REPORTS = 100_000;

export interface RedisFleetKeys {
  device(id: string): string;
  ids: string;
  totals: string;
  rejections: string;
  channel: string;
}

export function fleetKeys(prefix: string): RedisFleetKeys {
  return {
    device: (id) => `${prefix}fleet:device:${id}`,
    ids: `${prefix}fleet:devices`,
    totals: `${prefix}fleet:totals`,
    rejections: `${prefix}fleet:rejections`,
    channel: `${prefix}fleet:changed`,
  };
}

const DEVICELESS = '';

export class RedisFleet {
  readonly keys: RedisFleetKeys;
  /** reports not yet in Redis, by device id ('' for those about no device) */
  private queued = new Map<string, FleetOp[]>();
  private queuedCount = 0;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly client: Redis,
    prefix: string,
    private readonly onLost: (reports: number) => void = () => undefined,
  ) {
    this.keys = fleetKeys(prefix);
  }

  /** Queues a report; flush() takes it to Redis. */
  queue(deviceId: string | null, op: FleetOp): void {
    const key = deviceId ?? DEVICELESS;
    const ops = this.queued.get(key);
    if (ops) ops.push(op);
    else this.queued.set(key, [op]);
    this.queuedCount += 1;
    if (this.queuedCount > MAX_QUEUED_REPORTS) this.dropOldest();
  }

  get pending(): number {
    return this.queuedCount;
  }

  /** Takes every queued report to Redis; reports of a device that could not be written stay queued. */
  flush(): Promise<void> {
    this.flushing ??= this.flushQueued().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async flushQueued(): Promise<void> {
    const batch = this.queued;
    this.queued = new Map();
    this.queuedCount = 0;
    const failures: unknown[] = [];
    await Promise.all(
      [...batch].map(async ([deviceId, ops]) => {
        try {
          await this.commit(deviceId, ops);
        } catch (thrown) {
          failures.push(thrown);
          // kept in front of what came since, in order
          const since = this.queued.get(deviceId) ?? [];
          this.queued.set(deviceId, [...ops, ...since]);
          this.queuedCount += ops.length;
        }
      }),
    );
    if (failures.length > 0) throw failures[0];
  }

  private async commit(deviceId: string, ops: FleetOp[]): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const [version, json] = deviceId === DEVICELESS ? ['0', null] : await this.client.hmget(this.keys.device(deviceId), 'v', 'json');
      const scratch = new FleetState(0, false);
      if (json) scratch.restore({ version: STATE_VERSION, devices: [JSON.parse(json)], counters: {} });
      for (const op of ops) op(scratch);
      const device = deviceId === DEVICELESS ? undefined : scratch.get(deviceId);
      if (device) {
        const stored = await this.client.eval(COMPARE_AND_SET, 3, this.keys.device(deviceId), this.keys.ids, this.keys.channel, version ?? '0', JSON.stringify(device), deviceId);
        // another instance changed the device since it was read: read it again and reapply
        if (stored !== 1) continue;
      }
      await this.addTotals(scratch);
      return;
    }
    throw new Error(`device ${deviceId}: changed by other instances ${MAX_ATTEMPTS} times in a row`);
  }

  /** What a one-device scratch state counted (it started from zero) added to the fleet's totals. */
  private async addTotals(scratch: FleetState): Promise<void> {
    const totals = scratch.toJSON();
    const batch = this.client.multi();
    for (const [name, value] of Object.entries(totals.counters)) if (value > 0) batch.hincrby(this.keys.totals, name, value);
    for (const [reason, value] of Object.entries(totals.dropped ?? {})) if (value > 0) batch.hincrby(this.keys.totals, `dropped:${reason}`, value);
    if (totals.rejections.length > 0) {
      batch.rpush(this.keys.rejections, ...totals.rejections.map((rejection) => JSON.stringify(rejection)));
      batch.ltrim(this.keys.rejections, -MAX_REJECTIONS, -1);
    }
    if (totals.readings_range) batch.eval(EXTEND_RANGE, 1, this.keys.totals, totals.readings_range[0], totals.readings_range[1]);
    if (batch.length > 0) await batch.exec();
  }

  private dropOldest(): void {
    const [oldestDevice, ops] = this.queued.entries().next().value as [string, FleetOp[]];
    this.queued.delete(oldestDevice);
    this.queuedCount -= ops.length;
    this.onLost(ops.length);
  }

  /** The records of these devices as stored; undefined for a device Redis does not have. */
  async fetch(ids: readonly string[]): Promise<Array<unknown>> {
    if (ids.length === 0) return [];
    const batch = this.client.pipeline();
    for (const id of ids) batch.hget(this.keys.device(id), 'json');
    const replies = (await batch.exec()) ?? [];
    return replies.map(([error, json]) => {
      if (error) throw error;
      return typeof json === 'string' ? (JSON.parse(json) as unknown) : undefined;
    });
  }

  /** Counters, write drops, the last rejections and the reading range, in the shape of toJSON(). */
  async totals(): Promise<Pick<PersistedFleet, 'counters' | 'rejections' | 'readings_range' | 'dropped'>> {
    const [fields, rejections] = await Promise.all([this.client.hgetall(this.keys.totals), this.client.lrange(this.keys.rejections, 0, -1)]);
    const numbers = Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, Number(value)]));
    const dropped: Record<string, number> = {};
    for (const reason of [...WRITE_DROP_REASONS, 'unattributed']) {
      const value = numbers[`dropped:${reason}`];
      if (value !== undefined) dropped[reason] = value;
    }
    const first = numbers.range_first;
    const last = numbers.range_last;
    return {
      counters: numbers as PersistedFleet['counters'],
      dropped,
      rejections: rejections.map((json) => JSON.parse(json) as Rejection),
      readings_range: first !== undefined && last !== undefined ? [first, last] : null,
    };
  }

  /** The whole fleet as stored, in the shape FleetState.restore() takes. */
  async load(): Promise<PersistedFleet> {
    const ids = await this.client.smembers(this.keys.ids);
    const [records, totals] = await Promise.all([this.fetch(ids), this.totals()]);
    return { version: STATE_VERSION, devices: records.filter((record) => record !== undefined) as PersistedFleet['devices'], ...totals };
  }
}
