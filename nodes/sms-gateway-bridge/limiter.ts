// Cost and flood protection: per-recipient rate limit, a cap per 24 h, de-duplication of
// identical texts, and counts of what was held back so one summary SMS can follow. Pure:
// `now` is passed in, nothing here reads the clock.

export interface LimiterConfig {
  /** SMS per recipient within rateWindowMs; 0 = unlimited */
  ratePerRecipient: number;
  rateWindowMs: number;
  /** SMS in total within any 24 hours; 0 = unlimited */
  dailyCap: number;
  /** identical text to the same recipient within this window is dropped; 0 = off */
  dedupWindowMs: number;
}

export const DAY_MS = 24 * 60 * 60 * 1000;

export type Verdict = { verdict: 'send' } | { verdict: 'held'; reason: 'rate' | 'daily' } | { verdict: 'duplicate' };

export interface HeldBack {
  to: string;
  count: number;
  /** when the first held-back alert came */
  since: number;
}

export interface LimiterCounts {
  sent: number;
  held: number;
  duplicates: number;
}

export class SmsLimiter {
  private readonly sentTimes = new Map<string, number[]>();
  private allSentTimes: number[] = [];
  private readonly lastText = new Map<string, number>();
  private readonly held = new Map<string, HeldBack>();
  private readonly totals: LimiterCounts = { sent: 0, held: 0, duplicates: 0 };

  constructor(private readonly config: LimiterConfig) {}

  /**
   * Decide whether `text` may go to `to` now, and count it. Replies to commands skip the
   * de-duplication and the per-recipient rate (the admin asked) but still obey the daily cap.
   */
  admit(to: string, text: string, now: number, kind: 'alert' | 'reply' = 'alert'): Verdict {
    this.prune(now);
    const textKey = `${to}\u0000${text}`;
    if (kind === 'alert' && this.config.dedupWindowMs > 0) {
      const last = this.lastText.get(textKey);
      if (last !== undefined && now - last < this.config.dedupWindowMs) {
        this.totals.duplicates += 1;
        return { verdict: 'duplicate' };
      }
    }
    const reason = this.blocked(to, kind);
    if (reason) {
      if (kind === 'alert') this.hold(to, now);
      else this.totals.held += 1;
      return { verdict: 'held', reason };
    }
    this.record(to, now);
    this.lastText.set(textKey, now);
    return { verdict: 'send' };
  }

  /**
   * Recipients with held-back alerts who may receive one SMS again now. Each returned entry is
   * counted as sent and its held count starts again from zero: the caller sends the summary.
   */
  dueSummaries(now: number): HeldBack[] {
    this.prune(now);
    const due: HeldBack[] = [];
    for (const [to, heldBack] of this.held) {
      if (this.blocked(to, 'alert')) continue;
      this.held.delete(to);
      this.record(to, now);
      due.push(heldBack);
    }
    return due;
  }

  counts(): LimiterCounts {
    return { ...this.totals };
  }

  /** Alerts currently waiting for a summary, over all recipients. */
  pendingHeld(): number {
    let sum = 0;
    for (const heldBack of this.held.values()) sum += heldBack.count;
    return sum;
  }

  private blocked(to: string, kind: 'alert' | 'reply'): 'rate' | 'daily' | undefined {
    if (this.config.dailyCap > 0 && this.allSentTimes.length >= this.config.dailyCap) return 'daily';
    if (kind === 'alert' && this.config.ratePerRecipient > 0 && (this.sentTimes.get(to)?.length ?? 0) >= this.config.ratePerRecipient) return 'rate';
    return undefined;
  }

  private hold(to: string, now: number): void {
    this.totals.held += 1;
    const entry = this.held.get(to);
    if (entry) entry.count += 1;
    else this.held.set(to, { to, count: 1, since: now });
  }

  private record(to: string, now: number): void {
    this.totals.sent += 1;
    const times = this.sentTimes.get(to) ?? [];
    times.push(now);
    this.sentTimes.set(to, times);
    this.allSentTimes.push(now);
  }

  private prune(now: number): void {
    for (const [to, times] of this.sentTimes) {
      const kept = times.filter((t) => now - t < this.config.rateWindowMs);
      if (kept.length) this.sentTimes.set(to, kept);
      else this.sentTimes.delete(to);
    }
    this.allSentTimes = this.allSentTimes.filter((t) => now - t < DAY_MS);
    for (const [key, t] of this.lastText) if (now - t >= this.config.dedupWindowMs) this.lastText.delete(key);
  }
}
