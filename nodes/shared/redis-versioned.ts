// Optimistic updates of one JSON value in Redis, for state that several instances change at once
// (a fleet device, a device's alert state): read the value and its version, compute the new value
// in TypeScript with the node's own pure logic, and store it only if the version is unchanged;
// else read again and recompute. Whoever stores first wins; the other recomputes on what it stored,
// so no change is lost and none is applied twice (what a computation announces is only sent once it is stored).
import type Redis from 'ioredis';

/** Stores ARGV[2] if the version is still ARGV[1]; then adds ARGV[3] to the index set KEYS[2] and announces it on KEYS[3], if given. */
const COMPARE_AND_SET = `
local version = redis.call('HGET', KEYS[1], 'v') or '0'
if version ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', tonumber(version) + 1, 'json', ARGV[2])
if KEYS[2] then redis.call('SADD', KEYS[2], ARGV[3]) end
if KEYS[3] then redis.call('PUBLISH', KEYS[3], ARGV[3]) end
return 1`;

/** Attempts before giving up: only reached when other instances change the same value without pause. */
export const MAX_ATTEMPTS = 20;
/** The longest random wait between two attempts (ms). */
const MAX_BACKOFF_MS = 50;

export interface Computed<T> {
  /** the value to store; undefined: nothing changed, store nothing */
  next: unknown;
  result: T;
  /** false: stored without a message on the announce channel (a change the others need not fetch at once) */
  announce?: boolean;
}

export interface Announce {
  /** a set that lists every stored member (to load them all) */
  index: string;
  /** a channel told the member on every store; none: no announcement */
  channel?: string;
  member: string;
}

/**
 * Runs `compute` on the stored value (undefined when there is none) until its result is stored
 * unchanged-under-it, and returns the result of the computation that was stored.
 */
export async function updateVersioned<T>(client: Redis, key: string, compute: (stored: unknown) => Computed<T>, announce?: Announce): Promise<T> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const [version, json] = await client.hmget(key, 'v', 'json');
    const computed = compute(json ? (JSON.parse(json) as unknown) : undefined);
    if (computed.next === undefined) return computed.result;
    const channel = computed.announce === false ? undefined : announce?.channel;
    const keys = [key, ...(announce ? [announce.index] : []), ...(channel ? [channel] : [])];
    const stored = await client.eval(COMPARE_AND_SET, keys.length, ...keys, version ?? '0', JSON.stringify(computed.next), announce?.member ?? '');
    if (stored === 1) return computed.result;
    // Many writers on one value (a burst of SMS decisions on one bridge's limits) would otherwise
    // keep colliding in lock step: each waits a random, growing while before it reads again.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(MAX_BACKOFF_MS, 2 ** attempt)));
  }
  throw new Error(`${key}: changed by other instances ${MAX_ATTEMPTS} times in a row`);
}

/** The stored value of each key (undefined where there is none), in one round trip. */
export async function readVersioned(client: Redis, keys: readonly string[]): Promise<unknown[]> {
  if (keys.length === 0) return [];
  const batch = client.pipeline();
  for (const key of keys) batch.hget(key, 'json');
  const replies = (await batch.exec()) ?? [];
  return replies.map(([error, json]) => {
    if (error) throw error;
    return typeof json === 'string' ? (JSON.parse(json) as unknown) : undefined;
  });
}
