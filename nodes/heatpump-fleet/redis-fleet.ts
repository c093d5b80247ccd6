// The fleet's state in Redis, shared by every Node-RED instance of a cluster: each device is one
// hash (its record as JSON and a version), changed by compare-and-set (redis-versioned.ts), so that two instances
// reporting on the same device at once both land and neither overwrites the other. A change is
// announced on a channel with the device id; every instance then fetches that one record (work
// per event proportional to what changed). Counters, write drops, the last rejections and the
// reading range are fleet-wide totals, added to with HINCRBY and read back once per interval.
//
// A report is applied with FleetState's own methods to a one-device copy taken from Redis, so the
// rules of how a reading, an alert or a presence change a device exist once (fleet-state.ts).
import type Redis from 'ioredis';
import { readVersioned, updateVersioned, type Computed } from '../shared/redis-versioned';
import { FleetState, MAX_REJECTIONS, STATE_VERSION, WRITE_DROP_REASONS, type PersistedFleet, type Rejection } from './fleet-state';

/** One report, applied to a state holding (at most) the device it is about. */
export type FleetOp = (state: FleetState) => void;

/** Widens the stored reading range to [ARGV[1], ARGV[2]]. */
const EXTEND_RANGE = `
local first = redis.call('HGET', KEYS[1], 'range_first')
local last = redis.call('HGET', KEYS[1], 'range_last')
if not first or tonumber(ARGV[1]) < tonumber(first) then redis.call('HSET', KEYS[1], 'range_first', ARGV[1]) end
if not last or tonumber(ARGV[2]) > tonumber(last) then redis.call('HSET', KEYS[1], 'range_last', ARGV[2]) end
return 1`;

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
    const apply = (stored: unknown): Computed<FleetState> => {
      const scratch = new FleetState(0, false);
      if (stored !== undefined) scratch.restore({ version: STATE_VERSION, devices: [stored], counters: {} });
      for (const op of ops) op(scratch);
      return { next: deviceId === DEVICELESS ? undefined : scratch.get(deviceId), result: scratch };
    };
    const applied =
      deviceId === DEVICELESS
        ? apply(undefined).result
        : await updateVersioned(this.client, this.keys.device(deviceId), apply, { index: this.keys.ids, channel: this.keys.channel, member: deviceId });
    await this.addTotals(applied);
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
  fetch(ids: readonly string[]): Promise<unknown[]> {
    return readVersioned(this.client, ids.map((id) => this.keys.device(id)));
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
