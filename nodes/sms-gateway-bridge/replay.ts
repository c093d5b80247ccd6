// Replayed webhooks: the message ids the bridge has already run, bounded by count and age, so a
// gateway's retry or a captured and replayed signed request runs once. Pure: `now` is passed in.
// toJSON()/fromJSON() carry the ids over a restart, so a replay after a redeploy is caught too.
import { err, ok, type Result } from '../shared/result';

export interface SeenIdsLimits {
  /** at most this many ids are kept; the oldest go first */
  maxIds: number;
  /** an id is forgotten this long after it was first seen */
  maxAgeMs: number;
}

/** The last 1000 ids, none older than 24 h. */
export const SEEN_IDS_LIMITS: SeenIdsLimits = { maxIds: 1000, maxAgeMs: 24 * 60 * 60 * 1000 };

/** What toJSON() gives and fromJSON() reads: plain JSON for a Node-RED context store. */
export interface PersistedSeenIds {
  version: 1;
  /** [id, first seen], oldest first */
  ids: Array<[string, number]>;
}

export class SeenIds {
  /** id -> when first seen; Map order is insertion order, oldest first */
  private readonly seen = new Map<string, number>();

  constructor(private readonly limits: SeenIdsLimits = SEEN_IDS_LIMITS) {}

  /** True the first time `id` comes (and remembers it), false while it is remembered. */
  firstSeen(id: string, now: number): boolean {
    this.prune(now);
    if (this.seen.has(id)) return false;
    this.seen.set(id, now);
    while (this.seen.size > this.limits.maxIds) {
      const oldest = this.seen.keys().next();
      if (oldest.done) break;
      this.seen.delete(oldest.value);
    }
    return true;
  }

  /** Whether `id` is remembered at `now` (does not record it). */
  has(id: string, now: number): boolean {
    this.prune(now);
    return this.seen.has(id);
  }

  get size(): number {
    return this.seen.size;
  }

  toJSON(): PersistedSeenIds {
    return { version: 1, ids: [...this.seen] };
  }

  /**
   * The ids from toJSON() output under the current limits, without those too old at `now`.
   * Anything not well formed rejects the whole value (the caller starts empty). Times ahead of
   * `now` (clock set back) count as `now`, so a bad clock keeps an id at most one window.
   */
  static fromJSON(value: unknown, limits: SeenIdsLimits, now: number): Result<SeenIds, string> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return err('not a version 1 seen-ids state');
    const { version, ids } = value as Record<string, unknown>;
    if (version !== 1) return err('not a version 1 seen-ids state');
    if (!Array.isArray(ids) || !ids.every(isEntry)) return err('bad ids');
    const restored = new SeenIds(limits);
    for (const [id, time] of ids) {
      restored.seen.delete(id);
      restored.seen.set(id, Math.min(time, now));
    }
    restored.prune(now);
    while (restored.seen.size > limits.maxIds) {
      const oldest = restored.seen.keys().next();
      if (oldest.done) break;
      restored.seen.delete(oldest.value);
    }
    return ok(restored);
  }

  private prune(now: number): void {
    for (const [id, time] of this.seen) if (now - time >= this.limits.maxAgeMs) this.seen.delete(id);
  }
}

function isEntry(value: unknown): value is [string, number] {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'number' && Number.isFinite(value[1]);
}
