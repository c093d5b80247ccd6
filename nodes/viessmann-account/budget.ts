// The Viessmann API call budget of one account: sliding windows over the timestamps of the calls
// made, so no 24 h window holds more than the day limit and no 10 minute window more than the
// burst limit, whenever it starts. Readings go before configuration: a configuration call also
// has to leave a reserve for readings, and waiting readings are served first. Pure: the clock is
// passed in, the state is plain data the account node persists.

export type CallPriority = 'reading' | 'configuration';

export interface BudgetLimits {
  /** calls in any day window (Viessmann: 1,450 in 24 h) */
  dayLimit: number;
  dayWindowMs: number;
  /** calls in any burst window (Viessmann: 120 in 10 minutes) */
  burstLimit: number;
  burstWindowMs: number;
  /** calls of each window a configuration call must leave for readings */
  reserve: { day: number; burst: number };
}

export const VIESSMANN_LIMITS: BudgetLimits = {
  dayLimit: 1450,
  dayWindowMs: 24 * 60 * 60 * 1000,
  burstLimit: 120,
  burstWindowMs: 10 * 60 * 1000,
  reserve: { day: 145, burst: 12 },
};

/** What the account node persists: the times of the calls made and a rate-limit block (HTTP 429). */
export interface BudgetState {
  calls: number[];
  blockedUntil: number;
}

export interface Ticket {
  readonly priority: CallPriority;
  readonly seq: number;
}

export interface Remaining {
  day: number;
  burst: number;
  /** ms since the epoch until which the API asked us to wait (429), 0 when not blocked */
  blockedUntil: number;
}

const RANK: Record<CallPriority, number> = { reading: 0, configuration: 1 };

/** A persisted state as the context store returns it, or an empty one when it is not usable. */
export function budgetStateOf(value: unknown): BudgetState {
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const calls = Array.isArray(record.calls) ? record.calls.filter((t): t is number => typeof t === 'number' && Number.isFinite(t)).sort((a, b) => a - b) : [];
  const blockedUntil = typeof record.blockedUntil === 'number' && Number.isFinite(record.blockedUntil) ? record.blockedUntil : 0;
  return { calls, blockedUntil };
}

export class CallBudget {
  private calls: number[];
  private blockedUntil: number;
  private waiting: Ticket[] = [];
  private nextSeq = 0;

  constructor(
    private readonly limits: BudgetLimits = VIESSMANN_LIMITS,
    state: BudgetState = { calls: [], blockedUntil: 0 },
  ) {
    this.calls = [...state.calls].sort((a, b) => a - b);
    this.blockedUntil = state.blockedUntil;
  }

  /** Queues a call; grant() hands it out when the budget allows. */
  request(priority: CallPriority): Ticket {
    const ticket = { priority, seq: this.nextSeq++ };
    this.waiting.push(ticket);
    this.waiting.sort((a, b) => RANK[a.priority] - RANK[b.priority] || a.seq - b.seq);
    return ticket;
  }

  /** Drops a queued call (its node closed). */
  cancel(ticket: Ticket): void {
    this.waiting = this.waiting.filter((t) => t !== ticket);
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * The calls that may be made now, in order (each is recorded as made at `now`), and when to ask
   * again for those still waiting (undefined: nothing waits).
   */
  grant(now: number): { granted: Ticket[]; wakeAt: number | undefined } {
    this.prune(now);
    const granted: Ticket[] = [];
    while (this.waiting.length > 0) {
      const head = this.waiting[0]!;
      const allowedAt = this.allowedAt(head.priority, now);
      // a configuration call never overtakes a waiting reading: the head decides for all
      if (allowedAt > now) return { granted, wakeAt: allowedAt };
      this.waiting.shift();
      this.calls.push(now);
      granted.push(head);
    }
    return { granted, wakeAt: undefined };
  }

  /** The API answered 429: no call until `resetAt` (ms since the epoch). */
  blockUntil(resetAt: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, resetAt);
  }

  remaining(now: number): Remaining {
    this.prune(now);
    return {
      day: Math.max(0, this.limits.dayLimit - this.countSince(now - this.limits.dayWindowMs)),
      burst: Math.max(0, this.limits.burstLimit - this.countSince(now - this.limits.burstWindowMs)),
      blockedUntil: this.blockedUntil > now ? this.blockedUntil : 0,
    };
  }

  snapshot(): BudgetState {
    return { calls: [...this.calls], blockedUntil: this.blockedUntil };
  }

  /** The earliest time a call of `priority` fits both windows (now when it fits now). */
  private allowedAt(priority: CallPriority, now: number): number {
    const reserve = priority === 'configuration' ? this.limits.reserve : { day: 0, burst: 0 };
    return Math.max(
      now,
      this.blockedUntil,
      this.freeAt(now, this.limits.dayWindowMs, this.limits.dayLimit - reserve.day),
      this.freeAt(now, this.limits.burstWindowMs, this.limits.burstLimit - reserve.burst),
    );
  }

  /** When the window ending at that time holds fewer than `allowed` calls. */
  private freeAt(now: number, windowMs: number, allowed: number): number {
    const inWindow = this.calls.filter((t) => t > now - windowMs);
    if (inWindow.length < allowed) return now;
    // the oldest calls have to leave the window until one place is free
    const leaving = inWindow[inWindow.length - Math.max(allowed, 0)];
    return leaving === undefined ? Number.POSITIVE_INFINITY : leaving + windowMs;
  }

  private countSince(start: number): number {
    return this.calls.filter((t) => t > start).length;
  }

  private prune(now: number): void {
    const oldest = now - this.limits.dayWindowMs;
    if (this.calls.length > 0 && this.calls[0]! <= oldest) this.calls = this.calls.filter((t) => t > oldest);
  }
}
