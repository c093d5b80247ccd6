// A Redis lease: work that must run on one instance at a time (offline sweeps, daily jobs, SMS
// summaries) runs where the lease is held. SET NX PX takes it, a script renews or releases it only
// for its holder, and it moves to another instance within `ttlMs` when its holder dies.
import type Redis from 'ioredis';

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export const DEFAULT_LEASE_TTL_MS = 10_000;

export interface LeaseOptions {
  key: string;
  holder: string;
  /** how long the lease outlives its holder's last renewal */
  ttlMs?: number;
  /** called on every change: true when this instance took the lease, false when it lost it */
  onChange?: (held: boolean) => void;
  /** a Redis error while trying (the lease is then treated as lost: safer than two holders) */
  onError?: (error: Error) => void;
}

export class RedisLease {
  private held = false;
  /** ms: the lease runs out at this time unless renewed (counted from before the renewal was sent) */
  private validUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private attempt: Promise<void> | undefined;
  private readonly ttlMs: number;

  constructor(
    private readonly client: Redis,
    private readonly options: LeaseOptions,
  ) {
    this.ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  }

  /** Held and not run out: a holder cut off from Redis stops counting itself the holder when its lease expires. */
  get isHeld(): boolean {
    return this.held && Date.now() < this.validUntil;
  }

  /** Tries at once, then every third of the lease time (renewing while held). */
  start(): void {
    if (this.timer) return;
    this.stopped = false;
    this.timer = setInterval(() => void this.tick(), Math.max(50, Math.floor(this.ttlMs / 3)));
    void this.tick();
  }

  /** One attempt to take or renew; resolves with whether the lease is held afterwards. */
  async tick(): Promise<boolean> {
    if (this.held && Date.now() >= this.validUntil) this.settle(false);
    // a slow or absent Redis must not stack attempts
    if (!this.attempt) {
      this.attempt = this.tryOnce().finally(() => {
        this.attempt = undefined;
      });
    }
    await this.attempt;
    return this.isHeld;
  }

  private async tryOnce(): Promise<void> {
    const { key, holder } = this.options;
    const sent = Date.now();
    let held: boolean;
    try {
      held = this.held
        ? (await this.client.eval(RENEW, 1, key, holder, this.ttlMs)) === 1
        : (await this.client.set(key, holder, 'PX', this.ttlMs, 'NX')) === 'OK';
    } catch (thrown) {
      held = false;
      this.options.onError?.(thrown instanceof Error ? thrown : new Error(String(thrown)));
    }
    // taken by an attempt that was under way when stop() came: give it back
    if (this.stopped) {
      if (held) await this.release();
      return;
    }
    if (held) this.validUntil = sent + this.ttlMs;
    this.settle(held && Date.now() < this.validUntil);
  }

  private settle(held: boolean): void {
    if (held === this.held) return;
    this.held = held;
    this.options.onChange?.(held);
  }

  /** Stops trying and gives the lease up at once, so that another instance takes it without waiting for it to expire. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stopped = true;
    const wasHeld = this.held;
    this.settle(false);
    this.validUntil = 0;
    // without Redis the lease runs out by itself; waiting for it would hold up close
    if (!wasHeld || this.client.status !== 'ready') return;
    await this.release();
  }

  private async release(): Promise<void> {
    await this.client.eval(RELEASE, 1, this.options.key, this.options.holder).catch(() => undefined);
  }
}
