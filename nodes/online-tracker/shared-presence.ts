// online-tracker's presence in Redis, for several Node-RED instances that each get part of a
// device's messages (MQTT shared subscriptions). Each device is one versioned record
// (shared/redis-versioned.ts); a message or an expiry check is applied to it by compare-and-set
// (shared-record.ts decides), so a transition is stored, and announced, by one instance, once.
// New devices and transitions are told on a channel; every instance fetches those records into
// its own table, so each one's status and summary show the whole fleet.
import type Redis from 'ioredis';
import { follow } from '../shared/redis-connection';
import { readVersioned, updateVersioned } from '../shared/redis-versioned';
import type { PresenceEvent } from '../shared/contract';
import type { PersistedDevice } from './presence';
import { applyStep, isSharedDevice, mergeDevice, type PresenceStep, type SharedDevice, type StepOutcome } from './shared-record';

/** A Redis that takes longer than this is treated as away: the message is decided here, not held up. */
export const REDIS_WAIT_MS = 2000;

export interface PresenceKeys {
  device(id: string): string;
  /** the set of every device id (to load them all) */
  ids: string;
  /** told the id of each device that is new or changed state */
  channel: string;
  /** held by the instance that runs the offline sweep */
  lease: string;
  /** the hash of per-device timeouts set by control messages to the tracker `nodeId` (shared-timeouts.ts) */
  timeouts(nodeId: string): string;
}

export function presenceKeys(prefix: string): PresenceKeys {
  return {
    device: (id) => `${prefix}presence:device:${id}`,
    ids: `${prefix}presence:devices`,
    channel: `${prefix}presence:changed`,
    lease: `${prefix}presence:sweep`,
    timeouts: (nodeId) => `${prefix}presence:${nodeId}:timeouts`,
  };
}

export interface SharedChange {
  /** the transition this instance stored: it alone sends it */
  event: PresenceEvent | undefined;
  /** the device as Redis holds it now, for this instance's table; undefined when the table has something newer */
  device: PersistedDevice | undefined;
}

export class SharedPresence {
  readonly keys: PresenceKeys;
  /** devices announced since the last sync */
  private readonly stale = new Set<string>();
  /** load every device at the next sync: at start, and after the subscriber reconnected (announcements may be lost) */
  private resyncDue = true;
  /** per device, the revision this instance's table holds */
  private readonly revs = new Map<string, number>();
  /** devices changed here while Redis was away, merged into Redis at the next sync */
  private readonly changedAlone = new Set<string>();
  private away = false;

  constructor(
    private readonly client: Redis,
    private readonly subscriber: Redis,
    prefix: string,
  ) {
    this.keys = presenceKeys(prefix);
  }

  /**
   * Subscribes to the announcements. When Redis holds no presence yet (the first start with
   * REDIS_URL), the devices this instance restored from its context store are taken to Redis.
   */
  async start(restoredIds: readonly string[]): Promise<void> {
    await within(
      follow(this.subscriber, this.keys.channel, {
        message: (id) => this.stale.add(id),
        reconnected: () => {
          this.resyncDue = true;
        },
      }),
    );
    if (restoredIds.length > 0 && (await within(this.client.scard(this.keys.ids))) === 0) for (const id of restoredIds) this.changedAlone.add(id);
  }

  /** the command connection is up */
  get connected(): boolean {
    return this.client.status === 'ready';
  }

  /** true while changes are decided in Redis; false while it is away and this instance decides alone */
  get sharing(): boolean {
    return !this.away && this.connected;
  }

  /** Redis failed or is too slow: this instance decides alone until a sync succeeds. True when this is news. */
  lost(): boolean {
    const news = !this.away;
    this.away = true;
    return news;
  }

  /** A device this instance changed alone (Redis away): merged into Redis when it answers again. */
  changedLocally(id: string): void {
    this.changedAlone.add(id);
  }

  /** Runs `step` on the device's record in Redis, stored by compare-and-set. */
  async update(id: string, timeoutMs: number, step: PresenceStep): Promise<SharedChange> {
    const outcome = await within(this.store(id, (stored) => applyStep(stored, id, timeoutMs, step)));
    return { event: outcome.event, device: this.accept(outcome.record, (known) => outcome.record !== undefined && outcome.record.rev >= known) };
  }

  /**
   * Brings this instance's table up to Redis: first the devices it changed alone are merged in
   * (`local` gives their state here), then what others announced is fetched, or every device
   * after a reconnect. Returns the devices to adopt and whether Redis was away until now.
   */
  async sync(local: (id: string) => PersistedDevice | undefined): Promise<{ devices: PersistedDevice[]; back: boolean }> {
    const back = this.away;
    const devices: PersistedDevice[] = [];
    await Promise.all(
      [...this.changedAlone].map(async (id) => {
        const entry = local(id);
        if (entry) {
          const outcome = await within(this.store(id, (stored) => mergeDevice(stored, id, entry)));
          const device = this.accept(outcome.record, () => true);
          if (device) devices.push(device);
        }
        this.changedAlone.delete(id);
      }),
    );
    const resync = this.resyncDue || back;
    this.resyncDue = false;
    const ids = resync ? await within(this.client.smembers(this.keys.ids)) : [...this.stale];
    this.stale.clear();
    try {
      const records = await within(readVersioned(this.client, ids.map((id) => this.keys.device(id))));
      for (const record of records) {
        // after a reconnect Redis is the truth, whatever this table held; else only newer records count
        const device = isSharedDevice(record) ? this.accept(record, (known) => (resync ? record.rev !== known : record.rev > known)) : undefined;
        if (device) devices.push(device);
      }
    } catch (thrown) {
      if (resync) this.resyncDue = true;
      else for (const id of ids) this.stale.add(id);
      throw thrown;
    }
    this.away = false;
    return { devices, back };
  }

  private store(id: string, compute: (stored: unknown) => StepOutcome): Promise<StepOutcome> {
    return updateVersioned(
      this.client,
      this.keys.device(id),
      (stored) => {
        const outcome = compute(stored);
        return { next: outcome.next, result: outcome, announce: outcome.announce };
      },
      { index: this.keys.ids, channel: this.keys.channel, member: id },
    );
  }

  /** The record's device if `newer` (given the revision this table holds, 0 for none) says to take it. */
  private accept(record: SharedDevice | undefined, newer: (known: number) => boolean): PersistedDevice | undefined {
    if (!record || !newer(this.revs.get(record.device[0]) ?? 0)) return undefined;
    this.revs.set(record.device[0], record.rev);
    return record.device;
  }
}

/** `work`, or a rejection once Redis has not answered for REDIS_WAIT_MS (ioredis would hold the command until it is back). */
export function within<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${REDIS_WAIT_MS} ms`)), REDIS_WAIT_MS);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
