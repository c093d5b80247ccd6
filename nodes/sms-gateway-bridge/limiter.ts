// Cost and flood protection: per-recipient rate limit, a cap per 24 h, de-duplication of
// identical texts, and counts of what was held back so one summary SMS can follow. Pure:
// `now` is passed in, nothing here reads the clock. toJSON()/fromJSON() carry the limits over
// a restart, so a redeploy neither resets the daily cap nor repeats a text.
import { err, ok, type Result } from '../shared/result';

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

/** What toJSON() gives and fromJSON() reads: plain JSON for a Node-RED context store. */
export interface PersistedLimiter {
  version: 1;
  /** send times per recipient, for the rate limit */
  recipients: Array<[string, number[]]>;
  /** every send time, for the daily cap */
  daily: number[];
  /** [recipient, text, time] of the last identical text, for de-duplication */
  texts: Array<[string, string, number]>;
  /** alerts waiting for their summary SMS */
  held: HeldBack[];
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

  /** Adds what another limiter counted (a decision taken on limits shared with other instances) to the status totals. */
  addCounts(counts: LimiterCounts): void {
    this.totals.sent += counts.sent;
    this.totals.held += counts.held;
    this.totals.duplicates += counts.duplicates;
  }

  /** Alerts currently waiting for a summary, over all recipients. */
  pendingHeld(): number {
    let sum = 0;
    for (const heldBack of this.held.values()) sum += heldBack.count;
    return sum;
  }

  /** The limits' state. The status totals are left out: they count since the node started. */
  toJSON(): PersistedLimiter {
    const texts: PersistedLimiter['texts'] = [];
    for (const [key, time] of this.lastText) {
      const split = key.indexOf('\u0000');
      texts.push([key.slice(0, split), key.slice(split + 1), time]);
    }
    return {
      version: 1,
      recipients: [...this.sentTimes].map(([to, times]) => [to, [...times]]),
      daily: [...this.allSentTimes],
      texts,
      held: [...this.held.values()].map((heldBack) => ({ ...heldBack })),
    };
  }

  /**
   * A limiter from toJSON() output under the current limits, without what has left its window
   * by `now`. Anything not well formed rejects the whole value (the caller starts fresh): half a
   * state would under-count. Times ahead of `now` (clock set back) count as `now`, so a bad
   * clock cannot block a number for longer than one window.
   */
  static fromJSON(value: unknown, config: LimiterConfig, now: number): Result<SmsLimiter, string> {
    if (!isRecord(value) || value.version !== 1) return err('not a version 1 limiter state');
    const { recipients, daily, texts, held } = value;
    if (!Array.isArray(recipients) || !recipients.every(isRecipientTimes)) return err('bad recipients');
    if (!isTimeList(daily)) return err('bad daily');
    if (!Array.isArray(texts) || !texts.every(isTextEntry)) return err('bad texts');
    if (!Array.isArray(held) || !held.every(isHeldBack)) return err('bad held');
    const limiter = new SmsLimiter(config);
    const at = (time: number) => Math.min(time, now);
    for (const [to, times] of recipients) limiter.sentTimes.set(to, times.map(at));
    limiter.allSentTimes = daily.map(at);
    for (const [to, text, time] of texts) limiter.lastText.set(`${to}\u0000${text}`, at(time));
    for (const heldBack of held) limiter.held.set(heldBack.to, { to: heldBack.to, count: heldBack.count, since: at(heldBack.since) });
    limiter.prune(now);
    return ok(limiter);
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isTimeList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every(isTime);
}

function isRecipientTimes(value: unknown): value is [string, number[]] {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && isTimeList(value[1]);
}

function isTextEntry(value: unknown): value is [string, string, number] {
  return Array.isArray(value) && value.length === 3 && typeof value[0] === 'string' && typeof value[1] === 'string' && isTime(value[2]);
}

function isHeldBack(value: unknown): value is HeldBack {
  return isRecord(value) && typeof value.to === 'string' && typeof value.count === 'number' && Number.isSafeInteger(value.count) && value.count > 0 && isTime(value.since);
}
