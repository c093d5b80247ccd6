// Waiting for a condition instead of for time: on a busy 2-core CI machine fixed sleeps and short
// time-outs make tests flaky, so tests poll for the state they expect, with a generous deadline.

/** What a test waits for, for the time-out message; a function is evaluated at the time-out. */
export type What = string | (() => string);

/**
 * Polls `probe` until it returns a value other than undefined (a throw counts as "not yet"), or
 * fails after `timeoutMs` naming `what` and the last error.
 */
export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, what: What = 'condition', intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const described = typeof what === 'function' ? what() : what;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${described}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits until `predicate` holds, polling every `intervalMs` (20 ms). */
export async function waitFor(predicate: () => boolean | Promise<boolean>, options: { timeoutMs: number; what: What; intervalMs?: number }): Promise<void> {
  await eventually(async () => ((await predicate()) ? true : undefined), options.timeoutMs, options.what, options.intervalMs ?? 20);
}

/**
 * Like eventually, but a value counts only once two polls `intervalMs` apart return the same
 * (JSON-equal) value: for reads of a store that shows a write while applying it. InfluxDB 1.x
 * does: a SELECT during a write returns points with some of their fields still null
 * (influxdata/influxdb#9941; seen here on 1.6.7 as rows a later read shows whole).
 */
export async function settled<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000, what: What = 'a settled value', intervalMs = 500): Promise<T> {
  let previous: string | undefined;
  return eventually(
    async () => {
      const value = await probe();
      if (value === undefined) return undefined;
      const text = JSON.stringify(value);
      const same = text === previous;
      previous = text;
      return same ? value : undefined;
    },
    timeoutMs,
    what,
    intervalMs,
  );
}
