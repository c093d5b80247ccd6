// The SMS limits (rate per recipient, daily cap, de-duplication, held-back counts) in Redis, for
// several Node-RED instances sending through one gateway: each decision is taken on the limits as
// all instances left them and stored by compare-and-set (shared/redis-versioned.ts), so two
// instances never both send what one limit allows once, and a summary is taken by one of them.
import type Redis from 'ioredis';
import { updateVersioned } from '../shared/redis-versioned';
import { SmsLimiter, type HeldBack, type LimiterConfig, type Verdict } from './limiter';

export class SharedLimits {
  constructor(
    private readonly client: Redis,
    private readonly key: string,
    private readonly limits: LimiterConfig,
  ) {}

  /** The stored limits (fresh ones when there are none, or they cannot be read). */
  private limiterOf(stored: unknown, now: number): SmsLimiter {
    const restored = stored === undefined ? undefined : SmsLimiter.fromJSON(stored, this.limits, now);
    return restored?.ok ? restored.value : new SmsLimiter(this.limits);
  }

  /** SmsLimiter.admit on the shared limits; also the limiter as stored (its counts are this decision's only). */
  admit(to: string, text: string, now: number, kind: 'alert' | 'reply'): Promise<{ verdict: Verdict; limiter: SmsLimiter }> {
    return updateVersioned(this.client, this.key, (stored) => {
      const limiter = this.limiterOf(stored, now);
      const verdict = limiter.admit(to, text, now, kind);
      return { next: limiter.toJSON(), result: { verdict, limiter } };
    });
  }

  /** SmsLimiter.dueSummaries on the shared limits: each summary is handed to one instance only. */
  dueSummaries(now: number): Promise<{ due: HeldBack[]; limiter: SmsLimiter }> {
    return updateVersioned(this.client, this.key, (stored) => {
      const limiter = this.limiterOf(stored, now);
      const due = limiter.dueSummaries(now);
      return { next: due.length > 0 ? limiter.toJSON() : undefined, result: { due, limiter } };
    });
  }
}
