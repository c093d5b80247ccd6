// Which devices are online: the pure core of online-tracker. No Node-RED, no clock, no timers:
// every call takes `now` (ms since the epoch), and the glue's single interval calls expired().
//
// Cost model (100k devices): online devices sit in expiry queues, doubly linked lists ordered
// by the time their silence clock started (`activeAt`). All devices in one queue share one
// timeout, so that order is also deadline order and expired() only looks at queue heads:
// a tick costs O(queues + devices that expire), not O(devices). seen() unlinks a device and
// appends it at the tail, O(1) while the clock runs forward. There is one queue for the default
// timeout plus one per distinct per-device timeout value, so a handful in practice.
import type { FleetDevice, FleetSummary, PresenceEvent, PresenceEventType } from '../shared/contract';
import { isValidDeviceId } from '../shared/device-id';
import { err, ok, type Result } from '../shared/result';

export type DeviceStatus = 'online' | 'offline';

interface ExpiryQueue {
  readonly timeoutMs: number;
  head: DeviceRecord | null;
  tail: DeviceRecord | null;
}

/** One device; it is online exactly while it sits in an expiry queue. */
class DeviceRecord {
  queue: ExpiryQueue | null = null;
  prev: DeviceRecord | null = null;
  next: DeviceRecord | null = null;
  constructor(
    readonly id: string,
    /** last message from the device itself; null if only the broker has spoken for it */
    public lastSeen: number | null,
    /** when it entered its current state */
    public since: number,
    /** when its silence clock last started: last data, or the last `online` status */
    public activeAt: number,
  ) {}
}

/** Persisted form, compact because a fleet can be large: [id, online, last_seen, since, activeAt]. */
export type PersistedDevice = [string, 0 | 1, number | null, number, number];
export interface PersistedPresence {
  version: 1;
  devices: PersistedDevice[];
}

export function assertTimeout(timeoutMs: number): void {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`timeout must be a positive number of ms, got ${timeoutMs}`);
}

export class PresenceTable {
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly defaultQueue: ExpiryQueue;
  private readonly overrideQueues = new Map<number, ExpiryQueue>();
  private readonly deviceTimeouts = new Map<string, number>();
  private onlineDevices = 0;
  private changes = 0;

  /** Silence longer than `timeoutMs` (strictly) takes a device offline; `deviceTimeouts` as setDeviceTimeout. */
  constructor(timeoutMs: number, deviceTimeouts: Iterable<[string, number]> = []) {
    assertTimeout(timeoutMs);
    this.defaultQueue = { timeoutMs, head: null, tail: null };
    for (const [id, ms] of deviceTimeouts) this.setDeviceTimeout(id, ms);
  }

  get size(): number {
    return this.devices.size;
  }

  get onlineCount(): number {
    return this.onlineDevices;
  }

  /** Grows whenever a device appears or changes state, i.e. whenever summary() would differ in more than last_seen. */
  get revision(): number {
    return this.changes;
  }

  timeoutFor(id: string): number {
    return this.deviceTimeouts.get(id) ?? this.defaultQueue.timeoutMs;
  }

  /** A per-device timeout (undefined: back to the default); an online device's deadline moves at once. */
  setDeviceTimeout(id: string, timeoutMs: number | undefined): void {
    if (timeoutMs !== undefined) assertTimeout(timeoutMs);
    if (timeoutMs === this.deviceTimeouts.get(id)) return;
    const record = this.devices.get(id);
    const wasOnline = record?.queue != null;
    if (record && wasOnline) this.dequeue(record);
    if (timeoutMs === undefined) this.deviceTimeouts.delete(id);
    else this.deviceTimeouts.set(id, timeoutMs);
    if (record && wasOnline) this.enqueue(record);
  }

  /** A message from the device itself. `timeoutMs`, when given, becomes its timeout (setDeviceTimeout). */
  seen(id: string, now: number, timeoutMs?: number): PresenceEvent | undefined {
    if (timeoutMs !== undefined) this.setDeviceTimeout(id, timeoutMs);
    const record = this.devices.get(id);
    if (!record) return this.comeOnline(this.add(id, now, now), now, 'data');
    record.lastSeen = latest(record.lastSeen, now);
    record.activeAt = Math.max(record.activeAt, now);
    if (record.queue) {
      this.dequeue(record);
      this.enqueue(record);
      return undefined;
    }
    return this.comeOnline(record, now, 'data');
  }

  /**
   * `heatpump/{id}/status/online`. `offline` (the last will) takes the device offline at once.
   * `online` makes it online and restarts its silence clock, so a retained `online` from a device
   * that is in fact dead keeps it online for one timeout only. A retained message is not a sign of
   * life now, so it leaves last_seen alone; a live one sets it.
   */
  statusMessage(id: string, status: DeviceStatus, now: number, retained = false): PresenceEvent | undefined {
    const known = this.devices.get(id);
    // The last will is published by the broker, not the device: never a sign of life.
    const record = known ?? this.add(id, retained || status === 'offline' ? null : now, now);
    if (status === 'offline') {
      if (!known) {
        this.changes++;
        return undefined;
      }
      if (!record.queue) return undefined;
      this.dequeue(record);
      return this.transition(record, 'device_offline', now, 'status');
    }
    if (known && !retained) record.lastSeen = latest(record.lastSeen, now);
    record.activeAt = Math.max(record.activeAt, now);
    if (record.queue) {
      this.dequeue(record);
      this.enqueue(record);
      return undefined;
    }
    return this.comeOnline(record, now, 'status');
  }

  /**
   * Devices silent for longer than their timeout go offline; returns their transitions, at most
   * `limit` of them. Fewer than `limit` means this check is done; otherwise call again with the
   * same `now` for the rest, so a whole fleet expiring at once can go out in chunks.
   */
  expired(now: number, limit = Infinity): PresenceEvent[] {
    const events: PresenceEvent[] = [];
    this.expireQueue(this.defaultQueue, now, events, limit);
    for (const queue of this.overrideQueues.values()) {
      if (events.length >= limit) break;
      this.expireQueue(queue, now, events, limit);
    }
    return events;
  }

  /**
   * Ids of the online devices silent longer than their timeout at `now`, the ones expired() would
   * take offline, changing nothing: with a shared presence each is checked in Redis first.
   */
  overdue(now: number, limit = Infinity): string[] {
    const ids: string[] = [];
    for (const queue of [this.defaultQueue, ...this.overrideQueues.values()]) {
      for (let record = queue.head; record && ids.length < limit && isOverdue(queue, record, now); record = record.next) ids.push(record.id);
    }
    return ids;
  }

  /** One device in the persisted form; undefined for a device the table does not know. */
  entry(id: string): PersistedDevice | undefined {
    const r = this.devices.get(id);
    return r && [r.id, r.queue ? 1 : 0, r.lastSeen, r.since, r.activeAt];
  }

  /**
   * Takes over one device's state as another instance left it (shared presence), announcing
   * nothing: state, last_seen, since and silence clock become those of `entry`.
   */
  adopt(entry: PersistedDevice): void {
    const [id, online, lastSeen, since, activeAt] = entry;
    const record = this.devices.get(id);
    if (!record) {
      const added = this.add(id, lastSeen, since, activeAt);
      if (online === 1) this.enqueue(added);
      this.changes++;
      return;
    }
    const wasOnline = record.queue !== null;
    if (wasOnline) this.dequeue(record);
    if (wasOnline !== (online === 1) || record.since !== since) this.changes++;
    record.lastSeen = lastSeen;
    record.since = since;
    record.activeAt = activeAt;
    if (online === 1) this.enqueue(record);
  }

  summary(now: number): FleetSummary {
    const devices: FleetDevice[] = [];
    for (const record of this.devices.values()) {
      devices.push({ device_id: record.id, online: record.queue !== null, last_seen: record.lastSeen, since: record.since });
    }
    devices.sort((a, b) => (a.device_id < b.device_id ? -1 : a.device_id > b.device_id ? 1 : 0));
    const online = this.onlineDevices;
    return { devices, total: devices.length, online, offline: devices.length - online, timestamp: now };
  }

  toJSON(): PersistedPresence {
    const devices: PersistedDevice[] = [];
    // Online devices in expiry-queue order, so that fromJSON appends them without sorting.
    for (const queue of [this.defaultQueue, ...this.overrideQueues.values()]) {
      for (let r = queue.head; r; r = r.next) devices.push([r.id, 1, r.lastSeen, r.since, r.activeAt]);
    }
    for (const r of this.devices.values()) if (!r.queue) devices.push([r.id, 0, r.lastSeen, r.since, r.activeAt]);
    return { version: 1, devices };
  }

  /**
   * Rebuilds a table from toJSON() output without announcing anything: online devices stay online
   * and their silence keeps counting from the persisted activeAt. Entries that are not well formed
   * are skipped and counted, never loaded half-way.
   */
  static fromJSON(
    value: unknown,
    timeoutMs: number,
    deviceTimeouts: Iterable<[string, number]> = [],
  ): Result<{ table: PresenceTable; skipped: number }, string> {
    if (!isRecord(value) || value.version !== 1 || !Array.isArray(value.devices)) return err('not a version 1 presence state');
    const table = new PresenceTable(timeoutMs, deviceTimeouts);
    const online: DeviceRecord[] = [];
    /** per timeout, the latest activeAt so far: a state saved by toJSON comes in queue order */
    const latest = new Map<number, number>();
    let inOrder = true;
    let skipped = 0;
    for (const entry of value.devices as unknown[]) {
      if (!isPersistedDevice(entry) || table.devices.has(entry[0])) {
        skipped++;
        continue;
      }
      const record = table.add(entry[0], entry[2], entry[3], entry[4]);
      if (entry[1] !== 1) continue;
      online.push(record);
      const timeout = table.timeoutFor(record.id);
      if ((latest.get(timeout) ?? -Infinity) > record.activeAt) inOrder = false;
      latest.set(timeout, record.activeAt);
    }
    // Enqueue in clock order so every insertion is an append; only an older save (or changed
    // per-device timeouts) needs the sort, which costs more than the rest of a 100k restore.
    if (!inOrder) online.sort((a, b) => a.activeAt - b.activeAt);
    for (const record of online) table.enqueue(record);
    return ok({ table, skipped });
  }

  private add(id: string, lastSeen: number | null, now: number, activeAt = now): DeviceRecord {
    const record = new DeviceRecord(id, lastSeen, now, activeAt);
    this.devices.set(id, record);
    return record;
  }

  private comeOnline(record: DeviceRecord, now: number, reason: PresenceEvent['reason']): PresenceEvent {
    this.enqueue(record);
    return this.transition(record, 'device_online', now, reason);
  }

  private transition(record: DeviceRecord, event: PresenceEventType, now: number, reason: PresenceEvent['reason']): PresenceEvent {
    record.since = now;
    this.changes++;
    return { event, device_id: record.id, last_seen: record.lastSeen, reason, timestamp: now };
  }

  private expireQueue(queue: ExpiryQueue, now: number, events: PresenceEvent[], limit: number): void {
    for (let head = queue.head; head && events.length < limit && isOverdue(queue, head, now); head = queue.head) {
      this.dequeue(head);
      events.push(this.transition(head, 'device_offline', now, 'timeout'));
    }
  }

  private queueFor(id: string): ExpiryQueue {
    const timeoutMs = this.deviceTimeouts.size === 0 ? undefined : this.deviceTimeouts.get(id);
    if (timeoutMs === undefined) return this.defaultQueue;
    let queue = this.overrideQueues.get(timeoutMs);
    if (!queue) {
      queue = { timeoutMs, head: null, tail: null };
      this.overrideQueues.set(timeoutMs, queue);
    }
    return queue;
  }

  /** Inserts in activeAt order, searching from the tail: O(1) unless the clock went backwards. */
  private enqueue(record: DeviceRecord): void {
    const queue = this.queueFor(record.id);
    let before = queue.tail;
    while (before && before.activeAt > record.activeAt) before = before.prev;
    const after = before ? before.next : queue.head;
    record.prev = before;
    record.next = after;
    if (before) before.next = record;
    else queue.head = record;
    if (after) after.prev = record;
    else queue.tail = record;
    record.queue = queue;
    this.onlineDevices++;
  }

  private dequeue(record: DeviceRecord): void {
    const queue = record.queue;
    if (!queue) return;
    if (record.prev) record.prev.next = record.next;
    else queue.head = record.next;
    if (record.next) record.next.prev = record.prev;
    else queue.tail = record.prev;
    record.prev = record.next = record.queue = null;
    this.onlineDevices--;
    if (!queue.head && queue !== this.defaultQueue) this.overrideQueues.delete(queue.timeoutMs);
  }
}

/** "Silent longer than the timeout": at exactly activeAt + timeout the device is still online. */
function isOverdue(queue: ExpiryQueue, record: DeviceRecord, now: number): boolean {
  return now - record.activeAt > queue.timeoutMs;
}

/** last_seen (and the silence clock, with Math.max) never move back, also when messages of one device are handled out of order (several instances). */
function latest(lastSeen: number | null, now: number): number {
  return lastSeen === null ? now : Math.max(lastSeen, now);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

export function isPersistedDevice(entry: unknown): entry is PersistedDevice {
  if (!Array.isArray(entry) || entry.length !== 5) return false;
  const [id, online, lastSeen, since, activeAt] = entry as unknown[];
  return isValidDeviceId(id) && (online === 0 || online === 1) && (lastSeen === null || isTime(lastSeen)) && isTime(since) && isTime(activeAt);
}
