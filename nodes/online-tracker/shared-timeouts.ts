// online-tracker's per-device timeouts set at run time (msg.timeouts), shared by the instances of
// a cluster (REDIS_URL): one hash per tracker node (shared/shared-hash.ts: device id -> seconds),
// so every instance times a device out alike, whichever one got the message and whichever one
// holds the sweep lease. Taken in at each check, before the sweep, like the presence itself.
import type Redis from 'ioredis';
import { deviceIdProblem } from '../shared/device-id';
import { follow } from '../shared/redis-connection';
import { SharedHash } from '../shared/shared-hash';
import { parseSeconds } from './input';
import { within } from './shared-presence';

/** A device's control timeout in seconds; null: none (back to the default). */
export type TimeoutChange = [string, number | null];

/**
 * What changes in `current` (this instance's control timeouts) to match `stored`, what Redis holds
 * for some devices (undefined: nothing), or for every device when `whole` (a device missing from it
 * has none). A stored value that is not a timeout counts as none and is listed in `bad`.
 */
export function timeoutChanges(current: ReadonlyMap<string, number>, stored: ReadonlyArray<[string, unknown]>, whole: boolean): { changes: TimeoutChange[]; bad: string[] } {
  const changes: TimeoutChange[] = [];
  const bad: string[] = [];
  const change = (id: string, seconds: number | null) => {
    if ((current.get(id) ?? null) !== seconds) changes.push([id, seconds]);
  };
  for (const [id, raw] of stored) {
    if (deviceIdProblem(id)) {
      bad.push(id);
      continue;
    }
    const seconds = raw === undefined ? null : parseSeconds(raw);
    if (seconds === undefined) bad.push(id);
    change(id, seconds ?? null);
  }
  if (whole) {
    const listed = new Set(stored.map(([id]) => id));
    for (const id of current.keys()) if (!listed.has(id)) change(id, null);
  }
  return { changes, bad };
}

export class SharedTimeouts {
  private readonly hash: SharedHash;
  /** devices announced since the last sync */
  private readonly announced = new Set<string>();
  /** read every device at the next sync: at start (seeding the hash if nobody did) and after the subscriber reconnected */
  private rereadDue = true;
  /** this instance's changes not in Redis yet (it was away): written at the next sync */
  private readonly unsent = new Map<string, number | null>();

  constructor(
    client: Redis,
    private readonly subscriber: Redis,
    key: string,
  ) {
    this.hash = new SharedHash(client, key);
  }

  /** Subscribes to the announcements. */
  async start(): Promise<void> {
    await within(
      follow(this.subscriber, this.hash.channel, {
        message: (id) => this.announced.add(id),
        reconnected: () => {
          this.rereadDue = true;
        },
      }),
    );
  }

  /** This instance's changes: stored and announced now when `now` (sharing), else at the next sync. */
  async share(changes: readonly TimeoutChange[], now: boolean): Promise<void> {
    for (const [id, seconds] of changes) this.unsent.set(id, seconds);
    if (now) await this.send();
  }

  /**
   * Brings `local` (this instance's control timeouts) up to Redis: its unsent changes are written
   * first, then the announced devices are read, or every device at the first sync, after a
   * reconnect and when `whole` (Redis was away). Returns the changes to take and the devices whose
   * stored value is no timeout.
   */
  async sync(local: ReadonlyMap<string, number>, whole: boolean): Promise<{ changes: TimeoutChange[]; bad: string[] }> {
    await this.send();
    const reread = whole || this.rereadDue;
    const ids = [...this.announced];
    this.rereadDue = false;
    this.announced.clear();
    try {
      // the first instance to share brings its own along (a later one takes the shared ones)
      const stored = reread
        ? await within(this.hash.all([...local]))
        : await within(Promise.all(ids.map(async (id): Promise<[string, unknown]> => [id, await this.hash.get(id)])));
      return timeoutChanges(local, stored, reread);
    } catch (thrown) {
      if (reread) this.rereadDue = true;
      else for (const id of ids) this.announced.add(id);
      throw thrown;
    }
  }

  private async send(): Promise<void> {
    const sending = [...this.unsent];
    if (sending.length === 0) return;
    await within(Promise.all(sending.map(([id, seconds]) => this.hash.set(id, seconds))));
    // a newer change made meanwhile stays to be sent
    for (const [id, seconds] of sending) if (this.unsent.get(id) === seconds) this.unsent.delete(id);
  }
}
